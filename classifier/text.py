"""Article cleaning: raw web text (plain, HTML or bytes) in, a headline and clean sentences out.

    article = clean_article(open("page.html", "rb").read())
    article.title, article.sentences, article.warnings

Steps: decode bytes -> HTML to text -> unicode/whitespace normalisation -> headline -> boilerplate lines out
-> stray spacing fixed -> sentences (paragraph breaks are always sentence boundaries). Everything removed
is reported in `warnings`, so nothing disappears silently.
"""

from __future__ import annotations

import codecs
import dataclasses
import re
import unicodedata
from html import unescape as unescape_entities

import sentencex

from .errors import InputError
from .html import headline_from_page_title, html_to_text, looks_like_html

HEADLINE_MAX_WORDS = 25
# A line that ends like a sentence is not a headline (headlines end bare, or with ? ! or a quote).
_SENTENCE_END = re.compile(r"[.,;:]$")
_TERMINAL = re.compile(r"[.!?\u2026][\"'\u201d\u2019)\]]*$")

# Boilerplate lines. A pattern must match the whole (short) line, so that real sentences which merely start
# with "Watch", "More news outlets" or "Like me" survive: a generic word needs a separator after it
# ("Video: ...", "Related - ..."), a phrase must be the line's opening and usually its whole point.
_SEP = r"(?:\s*[:|>\u00bb]|\s+[-\u2013\u2014]\s)"
_SOCIAL = r"(?:facebook|twitter|x|linkedin|whatsapp|pinterest|reddit|email|e-mail|telegram|copy\ link|messenger|print|share|comments?)"
_BOILERPLATE = re.compile(
    rf"""^(?:
        (?:more|related|latest|top|trending|recommended|popular|most\ read)\s+
            (?:news|stories|articles|reads|coverage|content|links|videos|headlines)(?:{_SEP}.*)?
      | (?:related|see\ also|also\ read|read\ also|also\ see|read\ more|more|watch|video|photos?|images?|
           pictures?|gallery|listen|sponsored|promoted|advertisement|tags|topics|filed\ under|source|
           credit|image\ (?:copyright|caption)|photo\ credit|copyright){_SEP}.*
      | (?:read|see|continue|click|tap|scroll)\ (?:more|here|on|down|below|to\ (?:read|continue|see))\b.*
      | (?:continue\ reading|(?:story|article)\ continues\ (?:below|after))\b.*
      | you\ (?:may|might)\ also\ (?:like|be\ interested)\b.*
      | (?:share|tweet|e-?mail|print|save|pin|comment)(?:\ (?:this|the)\ (?:article|story|page|post))?(?:\ (?:on|via|with)\ .*)?
      | (?:follow|like|join)\ us\b.* | follow\ (?:me|@\S+)\b.*
      | (?:subscribe|sign\ up|log\ ?in\ to|download\ (?:our|the)\ app)\b.*
      | (?:advertisement|advertising|sponsored\ content|ad\ feedback|skip\ (?:to\ content|ad)|loading\.*)
      | (?:all\ rights\ reserved|\(c\)\s*\d{{4}}|\u00a9).*
      | {_SOCIAL}(?:\s*[|/,\u00b7\u2022]?\s*{_SOCIAL})*
      | (?:https?://|www\.|pic\.twitter\.com/)\S*
      | [\u2014\u2013-]+\s*[^()]{{0,60}}\(@\w{{1,30}}\)\s+\w+\.?\s+\d{{1,2}},?\s+\d{{4}}
      | (?:published|updated|last\ updated|posted|first\ published)(?:\ (?:on|at|by)\b|{_SEP})[^.!?]*\d[^.!?]*
    )[\s.!:]*$""",
    re.IGNORECASE | re.VERBOSE,
)
_COOKIE = re.compile(
    r"\b(?:we|this (?:web)?site) uses? cookies\b|\bcookie (?:policy|settings|preferences|consent)\b"
    r"|\baccept (?:all )?cookies\b|\bby continuing to (?:use|browse)\b",
    re.IGNORECASE,
)
# Bylines ("By Jane Doe", "By JANE DOE and Li Wei | Reuters"): capitalised names, no sentence punctuation.
_BYLINE = re.compile(r"^By [A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,3}(?:(?:,| and| \|| -| \u2013| for) [^.!?]{0,60})?$")
BOILERPLATE_MAX_WORDS = 25

_ENTITY = re.compile(r"&(?:#\d{2,7}|#x[0-9a-fA-F]{2,6}|[a-zA-Z]{2,8});")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2060\ufeff\u00ad]")
_ODD_SPACES = re.compile(r"[\t\u00a0\u1680\u2000-\u200a\u202f\u205f\u3000]")
_MULTI_SPACE = re.compile(r" {2,}")
# `USA -backed`: a space before a hyphen glued to a lower-case word is a stray space in a compound
# ("pro- and anti-war" has the space after the hyphen and is left alone; "10 -5" has a digit).
_STRAY_HYPHEN = re.compile(r"(?<=\w) +-(?=[a-z])")
_SPACE_BEFORE_PUNCT = re.compile(r"(?<=\w) +([,;:!?%])(?=\s|$)|(?<=[a-z]) +(\.)(?=\s|$)")
_SPACE_IN_BRACKETS = re.compile(r"([(\[]) +| +([)\]])")
# A reference/footnote number glued after a sentence's last word ("in Khusham.2"), at a paragraph end or
# before the next sentence; a lower-case letter before the dot keeps "U.S.2" or "3.5" out of it.
_GLUED_FOOTNOTE = re.compile(r"(?<=[a-z]{2}[.!?])(\d{1,3})(?=$|\s+[A-Z\"\u201c])", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class CleanArticle:
    """A cleaned article: its headline (given or detected), its sentences, and what cleaning did."""

    title: str | None
    sentences: tuple[str, ...]
    warnings: tuple[str, ...]


def clean_article(raw: str | bytes, title: str | None = None) -> CleanArticle:
    """Clean one article. Raises InputError when there is no text, or nothing is left after cleaning."""
    warnings: list[str] = []
    if isinstance(raw, (bytes, bytearray, memoryview)):
        text = decode_bytes(bytes(raw), warnings)
    elif isinstance(raw, str):
        text = raw
    else:
        raise InputError(f"article text must be str or bytes, got {type(raw).__name__}")
    if title is not None and not isinstance(title, str):
        raise InputError(f"title must be a string, got {type(title).__name__}")
    if not text.strip():
        raise InputError("the article is empty: give the article's text (plain text or HTML)")

    text = repair_mojibake(text, warnings)
    page_title = None
    if looks_like_html(text):
        text, page_title, dropped = html_to_text(text)  # also turns entities into characters
        if dropped:
            parts = ", ".join(f"{count} {name}" for name, count in sorted(dropped.items()))
            warnings.append(f"removed non-article HTML elements ({parts})")
    elif _ENTITY.search(text):
        text = unescape_entities(text)  # feeds often carry "&amp;" or "&#8217;" in otherwise plain text

    text = normalize_text(text)
    title = normalize_line(title) if title else None
    lines = text.split("\n")

    if title:
        lines = _drop_repeated_headline(lines, title, warnings)
    else:
        title, lines = _detect_headline(lines)
        if title is None and page_title:
            title = normalize_line(headline_from_page_title(page_title) or "") or None

    lines = _remove_boilerplate(lines, warnings)
    paragraphs = _paragraphs(lines)
    paragraphs = _drop_repeated_paragraphs(paragraphs, warnings)
    paragraphs = [_fix_spacing(p, warnings) for p in paragraphs]

    sentences: list[str] = []
    for paragraph in paragraphs:
        sentences.extend(s for s in split_sentences(paragraph) if _has_words(s))
    if not sentences:
        removed = f" ({'; '.join(warnings)})" if warnings else ""
        raise InputError(f"nothing is left of the article after cleaning{removed}; give the article's body text")
    return CleanArticle(title=title or None, sentences=tuple(sentences), warnings=tuple(warnings))


# -- decoding -------------------------------------------------------------------------------------------
def decode_bytes(data: bytes, warnings: list[str]) -> str:
    """UTF-8; text that is not UTF-8 at all is read as Windows-1252, broken UTF-8 gets replacement marks.

    Why the cp1252 fallback: bytes with no valid multi-byte UTF-8 sequence but some high bytes are almost
    always a legacy single-byte encoding (browsers read "latin-1" pages as cp1252 too), and decoding them as
    cp1252 keeps "café" instead of "caf\ufffd". Bytes that hold valid UTF-8 sequences as well as bad ones are
    damaged UTF-8: cp1252 would turn their good characters into mojibake, so those get U+FFFD instead.
    """
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8):]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
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


def _has_multibyte_utf8(text: str) -> bool:
    return any(ord(ch) > 0x7F and ch != "\ufffd" for ch in text)


# -- normalisation --------------------------------------------------------------------------------------
def normalize_text(text: str) -> str:
    """NFC, one kind of line break and space, no control or zero-width characters, trimmed lines."""
    text = unicodedata.normalize("NFC", text)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _CONTROL.sub("", text)
    text = _ODD_SPACES.sub(" ", text)
    text = _MULTI_SPACE.sub(" ", text)
    return "\n".join(line.strip() for line in text.split("\n"))


def normalize_line(text: str) -> str:
    return " ".join(normalize_text(text).split())


# -- headline -------------------------------------------------------------------------------------------
_JOINING_WORDS = frozenset("a an the of on in at to for by with from and or but as that than".split())


def _detect_headline(lines: list[str]) -> tuple[str | None, list[str]]:
    """The first line is the headline when it is short, does not end like a sentence and body follows.

    Either a blank line follows it, or the next line starts a new sentence (capital letter, quote or digit)
    while the first line is short enough not to be the first line of a hard-wrapped paragraph.
    """
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is None:
        return None, lines
    candidate = lines[first]
    words = candidate.split()
    if len(words) > HEADLINE_MAX_WORDS or _SENTENCE_END.search(candidate) or _BOILERPLATE.match(candidate):
        return None, lines
    rest = lines[first + 1 :]
    if not any(rest):
        return None, lines  # the only line is the article itself
    if rest[0]:  # no blank line after it: it must not look like the first line of a hard-wrapped paragraph
        next_line = rest[0]
        wrapped = (
            len(words) > 12
            or len(candidate) > 0.7 * len(next_line)  # wrapped lines are all about as long
            or words[-1].lower() in _JOINING_WORDS
            or candidate.endswith("-")
            or not re.match(r"[A-Z0-9\"'\u201c\u2018(]", next_line)
        )
        if wrapped:
            return None, lines
    return candidate, rest


def _drop_repeated_headline(lines: list[str], title: str, warnings: list[str]) -> list[str]:
    """A page often repeats the headline as its first line: drop it from the body when it matches."""
    first = next((i for i, line in enumerate(lines) if line), None)
    if first is not None and _fold(lines[first]) == _fold(title):
        warnings.append("removed the headline repeated as the article's first line")
        return lines[first + 1 :]
    return lines


def _fold(text: str) -> str:
    return " ".join(re.findall(r"\w+", text.casefold()))


# -- boilerplate ----------------------------------------------------------------------------------------
def is_boilerplate(line: str) -> bool:
    if len(line.split()) > BOILERPLATE_MAX_WORDS:
        return False
    return bool(_BOILERPLATE.match(line) or _BYLINE.match(line) or _COOKIE.search(line))


def _remove_boilerplate(lines: list[str], warnings: list[str]) -> list[str]:
    removed = [line for line in lines if line and is_boilerplate(line)]
    if not removed:
        return lines
    examples = ", ".join(f'"{_shorten(line)}"' for line in removed[:2])
    more = ", ..." if len(removed) > 2 else ""
    noun = "line" if len(removed) == 1 else "lines"
    warnings.append(f"removed {len(removed)} boilerplate {noun} ({examples}{more})")
    return [line for line in lines if not (line and is_boilerplate(line))]


def _shorten(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


# -- paragraphs -----------------------------------------------------------------------------------------
def _paragraphs(lines: list[str]) -> list[str]:
    """Blank lines separate paragraphs. Inside one, a line break ends a sentence when the line ends like
    one or is a short heading; otherwise it is a hard wrap and the lines are joined."""
    paragraphs: list[str] = []
    current: list[str] = []

    def flush() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    for i, line in enumerate(lines):
        if not line:
            flush()
            continue
        current.append(line)
        following = lines[i + 1] if i + 1 < len(lines) else ""
        heading = len(line.split()) <= 8 and re.match(r"[A-Z0-9\"\u201c]", following or "")
        if _TERMINAL.search(line) or heading:
            flush()
    flush()
    return paragraphs


def _drop_repeated_paragraphs(paragraphs: list[str], warnings: list[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    repeated = 0
    for paragraph in paragraphs:
        key = _fold(paragraph)
        if key in seen and len(key.split()) >= 4:
            repeated += 1
            continue
        seen.add(key)
        kept.append(paragraph)
    if repeated:
        warnings.append(f"removed {repeated} repeated paragraph{'s' if repeated != 1 else ''}")
    return kept


def _fix_spacing(paragraph: str, warnings: list[str]) -> str:
    paragraph = _STRAY_HYPHEN.sub("-", paragraph)
    paragraph = _SPACE_BEFORE_PUNCT.sub(lambda m: m.group(1) or m.group(2), paragraph)
    paragraph = _SPACE_IN_BRACKETS.sub(lambda m: m.group(1) or m.group(2), paragraph)
    footnotes = _GLUED_FOOTNOTE.findall(paragraph)
    if footnotes:
        warnings.append(f"removed {len(footnotes)} footnote number{'s' if len(footnotes) != 1 else ''} "
                        f"glued to a sentence end ({', '.join(footnotes[:3])})")
        paragraph = _GLUED_FOOTNOTE.sub("", paragraph)
    return paragraph


# -- sentences ------------------------------------------------------------------------------------------
# Segmenter: sentencex (Wikimedia, maintained, MIT, a Rust core, no dependencies). Compared on tricky news
# text (abbreviations such as U.S./Dr./Gov./Sept., initials, 3.5%, $12.75, quotes, ellipses) and on 150
# real article bodies: sentencex and pysbd got all 29 hand cases right (segtok 12/15, syntok 14/15, nupunkt
# 13/15, blingfire 28/29), but pysbd splits a closing quote off as its own "sentence" ("...door." / "'"),
# breaks "Will.i.am", misses glued sentences ("minute.Nearly"), and is ~200x slower (9 ms vs 0.04 ms per
# article): too slow for batch users with millions of articles.
_OPENING_QUOTE = re.compile(r"\s([\"\u201c\u2018'])$")


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (never across paragraphs: a paragraph break always ends a sentence)."""
    sentences = [s.strip() for s in sentencex.segment("en", paragraph) if s.strip()]
    # sentencex sometimes leaves the opening quote of the next sentence at the end of this one
    # ('he said. "' + 'We can...'): give it back to the sentence it opens.
    for i in range(len(sentences) - 1):
        match = _OPENING_QUOTE.search(sentences[i])
        if match:
            sentences[i] = sentences[i][: match.start()]
            sentences[i + 1] = match.group(1) + sentences[i + 1]
    return sentences


def _has_words(sentence: str) -> bool:
    return any(ch.isalnum() for ch in sentence)
