"""Stage 3 of reading: text in, a headline and clean paragraphs out (plain-text cleaning).

    body = clean_text(text, title=None, warnings=warnings, from_html=False)
    body.title, body.paragraphs

Unicode and whitespace normalised; HTML entities in plain text decoded; the headline taken from `title`,
else (plain text only) a short first line; boilerplate lines ("More news: ...", share/subscribe lines,
bylines, bare URLs) removed; repeated paragraphs dropped; on a page, what follows the article's end (a
copyright line, "E-mail this article", a comment box, once most of the text is read) left out; stray spacing repaired (`USA -backed` ->
`USA-backed`, `(CNN)The` -> `(CNN) The`). Everything removed is reported in `warnings`.
"""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from html import unescape as unescape_entities

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
      | (?:all\ rights\ reserved|\(c\)\s*\d{{4}}|\u00a9|copyright\s+(?:\u00a9\s*|\(c\)\s*)?\d{{4}}\b).*
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
# An agency dateline glued to the first word ("(CNN)The", "(CNN)U.S. officials", "(WIRED)Screens", as CNN pages
# and the CNN/DailyMail data have it): the segmenter then reads "(CNN)U." or "(CNN)Gov." as a sentence.
_GLUED_DATELINE = re.compile(r"(\([A-Z][\w.&\u2019'-]{0,24}\))(?=[A-Z\"\u201c\u2018])")
# A reference/footnote number glued after a sentence's last word ("in Khusham.2"), at a paragraph end or
# before the next sentence; a lower-case letter before the dot keeps "U.S.2" or "3.5" out of it.
_GLUED_FOOTNOTE = re.compile(r"(?<=[a-z]{2}[.!?])(\d{1,3})(?=$|\s+[A-Z\"\u201c])", re.MULTILINE)


@dataclasses.dataclass(frozen=True)
class Body:
    """The headline (given or detected) and the article's paragraphs, cleaned."""

    title: str | None
    paragraphs: tuple[str, ...]
    listing: bool = False  # mostly short lines that are not sentences: a list of links, not one article


def clean_text(text: str, title: str | None, warnings: list[str], *, from_html: bool = False) -> Body:
    """Clean the article's text. `title` is the given (or, for HTML, the page's) headline.

    Plain text without a title gets the short-first-line rule; extracted HTML never does (its first line
    may be page chrome: the page's metadata named the headline instead).
    """
    if not from_html and _ENTITY.search(text):
        text = unescape_entities(text)  # feeds often carry "&amp;" or "&#8217;" in otherwise plain text
    text = normalize_text(text)
    title = normalize_line(title) if title else None
    lines = text.split("\n")
    if title:
        lines = _drop_repeated_headline(lines, title, warnings)
    elif not from_html:
        title, lines = _detect_headline(lines)

    lines = _remove_boilerplate(lines, warnings)
    paragraphs = _paragraphs(lines)
    paragraphs = _drop_repeated_paragraphs(paragraphs, warnings)
    if from_html:
        paragraphs = _cut_page_tail(paragraphs, warnings)
    paragraphs = [_fix_spacing(p, warnings) for p in paragraphs]
    paragraphs = [p for p in paragraphs if p]
    return Body(title=title or None, paragraphs=tuple(paragraphs), listing=not from_html and looks_like_listing(paragraphs))


LISTING_MIN_LINES = 10
LISTING_SHORT_SHARE = 0.8
LISTING_SHORT_CHARS = 90
LISTING_PROSE_CHARS = 200
_ENDS_LIKE_SENTENCE = re.compile(r"[.!?\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]\u300d]*$")


def looks_like_listing(paragraphs: list[str]) -> bool:
    """Mostly short lines that do not end like sentences (headlines of other stories), hardly any prose.

    For plain text only: an extracted HTML page is judged by its links (extract.py).
    """
    if len(paragraphs) < LISTING_MIN_LINES:
        return False
    short = sum(1 for p in paragraphs if len(p) <= LISTING_SHORT_CHARS and not _ENDS_LIKE_SENTENCE.search(p))
    prose = sum(1 for p in paragraphs if len(p) >= LISTING_PROSE_CHARS)
    return short >= LISTING_SHORT_SHARE * len(paragraphs) and prose < 2


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
    if first is not None and fold(lines[first]) == fold(title):
        warnings.append("removed the headline repeated as the article's first line")
        return lines[first + 1 :]
    return lines


def fold(text: str) -> str:
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


# Where an article ends on a page, what follows is the page's: a copyright line, "E-mail this article to a
# friend", a comment box, "Previous story:", a list of related stories. On old table-layout pages the
# extractor keeps all of that after the article (1,500 of the 4,500 sentences that were not article text on
# the tuning part of benchmarks/real_pages.py). Such a marker, once most of the text has been read, ends it.
TAIL_START_SHARE = 0.6
TAIL_MARKER_MAX_CHARS = 300
_ARTICLE_END = re.compile(
    r"^(?:.{0,80}(?:\u00a9|\(c\)\s*(?:\d{4}|MM)|all rights reserved)"
    r"|(?:e-?mail|send|forward) (?:this (?:article|story|page)|(?:it )?to a friend)\b|printable version|printer[- ]friendly"
    r"|post a comment|comments? (?:are|is) (?:closed|moderated)|(?:leave|add|post) (?:a |your )?(?:comment|reply)\W*$"
    r"|have your say|(?:previous|next) (?:story|article|post)\s*:|posted by\s*:"
    r"|(?:related|more) (?:stories|articles|news|links|posts)\s*:?$|(?:\d+ )?(?:reader )?comments?\s*(?:\(\d+\))?:?$"
    r"|this material may not be"
    r"|(?:e-?mail|send|forward|recommend|refer) (?:this|it|(?:this |the )?(?:article|story|page)|to a friend)\b"
    r"|back to (?:headlines|top)\b|haut de (?:la )?page|(?:today's )?most[- ](?:read|commented|popular|viewed|emailed)\b"
    r"|related to this (?:story|article)|share this (?:article|story)|write to the editor|stories in this section"
    r"|full story$|you are here:|more (?:from|in) this section)",
    re.IGNORECASE,
)


def _cut_page_tail(paragraphs: list[str], warnings: list[str]) -> list[str]:
    total, read = sum(len(p) for p in paragraphs), 0
    for i, paragraph in enumerate(paragraphs):
        if read >= TAIL_START_SHARE * total and len(paragraph) <= TAIL_MARKER_MAX_CHARS \
                and _ARTICLE_END.search(paragraph):
            cut = len(paragraphs) - i
            warnings.append(f"left out the end of the page after the article ({cut} block{'s' if cut != 1 else ''} from "
                            f'"{_shorten(paragraph, 40)}" on)')
            return paragraphs[:i]
        read += len(paragraph)
    return paragraphs


def _drop_repeated_paragraphs(paragraphs: list[str], warnings: list[str]) -> list[str]:
    seen: set[str] = set()
    kept: list[str] = []
    repeated = 0
    for paragraph in paragraphs:
        key = fold(paragraph)
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
    paragraph = _GLUED_DATELINE.sub(r"\1 ", paragraph)
    footnotes = _GLUED_FOOTNOTE.findall(paragraph)
    if footnotes:
        warnings.append(f"removed {len(footnotes)} footnote number{'s' if len(footnotes) != 1 else ''} "
                        f"glued to a sentence end ({', '.join(footnotes[:3])})")
        paragraph = _GLUED_FOOTNOTE.sub("", paragraph)
    return paragraph
