"""Stage 1 of reading: bytes (or a str) in, text out; input that is not text at all is refused.

    text = decode(open("page.html", "rb").read(), warnings)   # InputError for a PDF, an image, random bytes

UTF-8 first (a byte-order mark is dropped; UTF-16 and UTF-32 with a BOM are read as such, and without
one when their NUL bytes show them), the encoding a page declares (only a WHATWG label, and only when it
yields text), Windows-1252 for text with no UTF-8 in it, replacement marks for damaged UTF-8; then UTF-8 read as Windows-1252 ("â€™") is repaired.
Everything done is reported in `warnings`.
"""

from __future__ import annotations

import codecs
import re

from ..errors import InputError

# Files that are not text, by their first bytes: named in the error, so the user knows what they sent.
_SIGNATURES = (
    (b"%PDF-", "a PDF file"),
    (b"PK\x03\x04", "a ZIP archive (or a .docx/.xlsx/.epub file)"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"\xd0\xcf\x11\xe0", "an old Microsoft Office file (.doc/.xls)"),
    (b"{\\rtf", "an RTF document"),
    (b"\x7fELF", "a program (ELF binary)"),
)
# Characters that do not occur in text: C0 controls other than tab/newlines/form feed, DEL, C1 controls,
# and the replacement mark that undecodable bytes became.
_JUNK = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f-\x9f\ufffd]")
MAX_JUNK_SHARE = 0.05  # of the characters; real web text with a few bad bytes stays far below this
_SAMPLE = 100_000


def decode(raw: str | bytes, warnings: list[str]) -> str:
    """Text of one article; InputError when it is a binary file or mostly undecodable."""
    if isinstance(raw, (bytes, bytearray, memoryview)):
        data = bytes(raw)
        kind = _binary_kind(data)
        if kind:
            raise InputError(f"the input is {kind}, not an article's text; give the article as plain text or HTML")
        text = decode_bytes(data, warnings)
    elif isinstance(raw, str):
        text = _replace_lone_surrogates(raw, warnings)
        if text.lstrip().startswith("%PDF-"):
            raise InputError("the input is a PDF file, not an article's text; give the article as plain text or HTML")
    else:
        raise InputError(f"article text must be str or bytes, got {type(raw).__name__}")
    _refuse_junk(text)
    return repair_mojibake(text, warnings)


_SURROGATE = re.compile("[\ud800-\udfff]")


def _replace_lone_surrogates(text: str, warnings: list[str]) -> str:
    """A str from Python or JSON can hold lone surrogates (no encoding can write them): U+FFFD instead."""
    text, count = _SURROGATE.subn("\ufffd", text)
    if count:
        warnings.append(f"the text held invalid Unicode ({count} lone surrogate{'s' if count != 1 else ''}): "
                        "replaced with \ufffd")
    return text


def _binary_kind(data: bytes) -> str | None:
    for signature, name in _SIGNATURES:
        if data.startswith(signature):
            return name
    return None


def _refuse_junk(text: str) -> None:
    sample = text[:_SAMPLE]
    if not sample:
        return
    junk = len(_JUNK.findall(sample))
    if junk > MAX_JUNK_SHARE * len(sample):
        raise InputError(
            f"the input is not text: {junk / len(sample):.0%} of its characters are control characters or "
            "undecodable bytes (a binary file?); give the article as plain text or HTML"
        )


def decode_bytes(data: bytes, warnings: list[str]) -> str:
    """UTF-8; text that is not UTF-8 at all is read as Windows-1252, broken UTF-8 gets replacement marks.

    Why the cp1252 fallback: bytes with no valid multi-byte UTF-8 sequence but some high bytes are almost
    always a legacy single-byte encoding (browsers read "latin-1" pages as cp1252 too), and decoding them as
    cp1252 keeps "café" instead of "caf\ufffd". Bytes that hold valid UTF-8 sequences as well as bad ones are
    damaged UTF-8: cp1252 would turn their good characters into mojibake, so those get U+FFFD instead.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    else:
        for bom, codec in _BOMS:  # UTF-32 first: its little-endian BOM begins with UTF-16's
            if data.startswith(bom):
                try:
                    return data[len(bom):].decode(codec)
                except UnicodeDecodeError:
                    break
        unmarked = _unmarked_utf16_or_32(data)
        if unmarked:
            codec, text = unmarked
            warnings.append(f"the text is {codec} without a byte-order mark: decoded it as {codec}")
            return text
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_text(data, warnings)
    if declared is not None:
        return declared
    text, bad = _decode_utf8_counting(data)
    if not _has_multibyte_utf8(text):
        try:
            decoded = data.decode("cp1252")
        except UnicodeDecodeError:
            pass  # cp1252 leaves five bytes undefined: then it is not cp1252 either
        else:
            warnings.append("the text is not valid UTF-8: decoded it as Windows-1252 (cp1252)")
            return decoded
    warnings.append(
        f"the text is not valid UTF-8: {bad} bad byte{'s' if bad != 1 else ''} replaced with \ufffd"
    )
    return text


_BOMS = ((codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"),
         (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_UNMARKED = ("utf-32-le", "utf-32-be", "utf-16-le", "utf-16-be")
_NUL_SHARE = 0.2  # of the first 4 KB: UTF-8 text has no NUL bytes, mostly-Latin UTF-16 has ~50 %


def _unmarked_utf16_or_32(data: bytes) -> tuple[str, str] | None:
    """(codec, text) for UTF-16/UTF-32 without a byte-order mark, told by its NUL bytes; None otherwise.

    A candidate is believed only when it decodes strictly and yields text (few control characters): UTF-32
    read as UTF-16 gives a NUL every other character, UTF-16 read as UTF-32 code points past U+10FFFF, and a
    binary file with NULs gives controls under every reading, so it is still refused as binary.
    """
    head = data[:4096]
    if not head or head.count(0) < _NUL_SHARE * len(head):
        return None
    best: tuple[int, str, str] | None = None
    for codec in _UNMARKED:
        try:
            text = data.decode(codec)
        except UnicodeDecodeError:
            continue
        sample = text[:_SAMPLE]
        if not sample or len(_JUNK.findall(sample)) > MAX_JUNK_SHARE * len(sample):
            continue
        # Both byte orders can decode; the right one puts the NULs in the high bytes, giving ASCII letters
        # where the wrong one gives CJK-looking characters.
        ascii_letters = sum(ch.isascii() for ch in sample)
        if best is None or ascii_letters > best[0]:
            best = (ascii_letters, codec, text)
    return best and (best[1], best[2])


_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})|<\?xml[^>]{0,100}encoding=["']([A-Za-z0-9_.:-]{2,40})""",
                      re.IGNORECASE)
# What a browser does with a declaration in the markup (WHATWG HTML "prescan"): UTF-16 and x-user-defined
# are read as UTF-8 and Windows-1252, which the steps around this already try; "replacement" (ISO-2022-KR,
# HZ and the like) means the page cannot be read at all.
_NOT_BELIEVED = {"utf-16le", "utf-16be", "x-user-defined", "replacement", "utf-8"}
MAX_DECLARED_JUNK = 0.001  # control characters a believed declaration may yield (real pages: none)


def _declared_text(data: bytes, warnings: list[str]) -> str | None:
    """The page decoded with the encoding it declares in its first 4 KB, or None (with a warning when a
    declaration was there but not believed).

    Only the labels of the WHATWG Encoding Standard count (the list browsers use, via `webencodings`): a
    Python codec name such as base64, rot13, zlib or unicode_escape is not a text encoding of the web. And
    what a declaration yields is checked before it is believed: it must decode the bytes strictly and give
    text, not control characters (a Windows-1252 page labelled ISO-8859-2 turns its curly quotes into C1
    controls).
    """
    import webencodings

    match = _CHARSET.search(data[:4096])
    if not match:
        return None
    label = (match.group(1) or match.group(2)).decode("ascii")
    encoding = webencodings.lookup(label)
    if encoding is None:
        warnings.append(f"the page declares charset {label!r}, which is not a text encoding browsers know: ignored")
        return None
    if encoding.name in _NOT_BELIEVED:
        if encoding.name != "utf-8":
            warnings.append(f"the page declares charset {label!r}, which browsers do not use for a page that "
                            "says so in its markup: ignored")
        return None
    codec = "gb18030" if encoding.name == "gbk" else encoding.codec_info.name  # pages labelled GBK use GB18030
    try:
        text = data.decode(codec)
    except UnicodeDecodeError:
        warnings.append(f"the page declares charset {label!r}, but its bytes are not {encoding.name}: ignored")
        return None
    sample = text[:_SAMPLE]
    if len(_JUNK.findall(sample)) > MAX_DECLARED_JUNK * len(sample):
        warnings.append(f"the page declares charset {label!r}, but read as {encoding.name} it gives control "
                        "characters: ignored")
        return None
    warnings.append(f"the text is not UTF-8: decoded it as {codec}, the encoding the page declares")
    return text


def _decode_utf8_counting(data: bytes) -> tuple[str, int]:
    """Decode UTF-8 with U+FFFD for bad bytes, counting them (linear time: resumes after each error)."""
    view = memoryview(data)
    parts: list[str] = []
    bad = position = 0
    while position < len(data):
        try:
            text, _ = codecs.utf_8_decode(view[position:], "strict", True)
            parts.append(text)
            break
        except UnicodeDecodeError as exc:
            parts.append(codecs.utf_8_decode(view[position : position + exc.start], "strict", True)[0])
            parts.append("\ufffd")
            bad += exc.end - exc.start
            position += exc.end
    return "".join(parts), bad


def _has_multibyte_utf8(text: str) -> bool:
    return any(ord(ch) > 0x7F and ch != "\ufffd" for ch in text)


# UTF-8 bytes once read as Windows-1252 ("â€™" for "’", "Ã©" for "é"): a lead byte 0xC2-0xF4 shown as a
# Latin-1 letter, then continuation bytes 0x80-0xBF shown as cp1252 characters.
_CP1252_HIGH = "\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122"
_MOJIBAKE = re.compile(f"[\u00c2-\u00f4][\u0080-\u00bf{_CP1252_HIGH}]{{1,3}}")


def repair_mojibake(text: str, warnings: list[str]) -> str:
    """Undo UTF-8-read-as-cp1252 damage run by run (a run that does not decode back is left alone).

    Not ftfy: in the real news bodies here only 2 of 1,502 carry mojibake, and this one pattern covers them
    without another dependency or ftfy's cost per article.
    """
    repaired = 0

    def fix(match: re.Match[str]) -> str:
        nonlocal repaired
        run = match.group()
        lead = ord(run[0])
        size = 2 if lead < 0xE0 else 3 if lead < 0xF0 else 4  # bytes in the UTF-8 sequence it began
        try:
            fixed = run[:size].encode("cp1252").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return run
        repaired += 1
        return fixed + run[size:]

    if not _MOJIBAKE.search(text):
        return text
    text = _MOJIBAKE.sub(fix, text)
    if repaired:
        warnings.append(
            f"repaired {repaired} mis-decoded character{'s' if repaired != 1 else ''} (UTF-8 read as Windows-1252)"
        )
    return text
