"""Stage 1 of reading: bytes (or a str) in, text out; input that is not text at all is refused.

    text = decode(open("page.html", "rb").read(), warnings)   # InputError for a PDF, an image, random bytes

UTF-8 first (a byte-order mark is dropped; UTF-16 with a BOM is read as such), Windows-1252 for text with
no UTF-8 in it, replacement marks for damaged UTF-8; then UTF-8 read as Windows-1252 ("â€™") is repaired.
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
        text = raw
        if text.lstrip().startswith("%PDF-"):
            raise InputError("the input is a PDF file, not an article's text; give the article as plain text or HTML")
    else:
        raise InputError(f"article text must be str or bytes, got {type(raw).__name__}")
    _refuse_junk(text)
    return repair_mojibake(text, warnings)


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
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    declared = _declared_charset(data)
    if declared:
        try:
            text = data.decode(declared)
        except UnicodeDecodeError:
            pass
        else:
            warnings.append(f"the text is not UTF-8: decoded it as {declared}, the encoding the page declares")
            return text
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


_CHARSET = re.compile(rb"""<meta[^>]{0,200}?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})|<\?xml[^>]{0,100}encoding=["']([A-Za-z0-9_.:-]{2,40})""",
                      re.IGNORECASE)
# Browsers read pages labelled with these as Windows-1252 (WHATWG Encoding Standard): so do we.
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "ascii", "us-ascii", "windows-1252", "cp1252"}


def _declared_charset(data: bytes) -> str | None:
    """The encoding an HTML/XML page declares in its first 4 KB, as a Python codec name (None: none/unknown)."""
    match = _CHARSET.search(data[:4096])
    if not match:
        return None
    name = (match.group(1) or match.group(2)).decode("ascii").lower()
    if name in _AS_CP1252:
        return "cp1252"
    if name in ("gb2312", "gbk"):
        name = "gb18030"  # a superset: pages labelled gb2312 use GBK characters
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


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
