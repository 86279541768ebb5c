"""Stage 4 of reading: paragraphs in, the article's sentences out (only sentences of the article itself).

    sentences = segment(body.paragraphs, title="Headline", warnings=warnings)

Segmenter: sentencex (Wikimedia, maintained, MIT, a Rust core, no dependencies). Compared on tricky news
text (abbreviations such as U.S./Dr./Gov./Sept., initials, 3.5%, $12.75, quotes, ellipses) and on 150
real article bodies: sentencex and pysbd got all 29 hand cases right (segtok 12/15, syntok 14/15, nupunkt
13/15, blingfire 28/29), but pysbd splits a closing quote off as its own "sentence" ("...door." / "'"),
breaks "Will.i.am", misses glued sentences ("minute.Nearly"), and is ~200x slower (9 ms vs 0.04 ms per
article): too slow for batch users with millions of articles.

Summary and evidence sentences are picked from these, so what is not article text is left out here, with a
warning: the headline repeated, datelines ("WASHINGTON -"), bylines and "Reporting by" credits, photo
captions and credits, timestamps, "Read more" / share lines, page furniture (copyright and legal lines, rows
of menu links, "E-mail this article to a friend", "Category: ..." labels). Paragraph breaks always end a sentence.
"""

from __future__ import annotations

import re

import sentencex

from .clean import fold, is_boilerplate

_OPENING_QUOTE = re.compile(r"\s([\"\u201c\u2018'])$")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|"
          r"sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?"
_TIME = r"\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*(?:[A-Z]{2,4}|[ECMP][SD]?T|GMT|UTC|BST|CET))?"
_DATE = (rf"(?:{_DAY},?\s+)?(?:{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?,?(?:\s+\d{{4}})?|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?"
         rf"|\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{2,4}})")
# Each must match a whole sentence: a real sentence that merely mentions a photo or a date is kept.
_NOT_ARTICLE = {
    "dateline": re.compile(  # "WASHINGTON -", "LONDON, March 5 (Reuters) -", "BAAR, SWITZERLAND:"
        r"^[A-Z][A-Z .'\u2019-]{1,40}(?:,\s*[A-Z][\w .]{1,30})?(?:,?\s*" + _DATE + r")?\s*"
        r"(?:\([\w .&/-]{2,30}\)\s*[-\u2013\u2014:]*|[-\u2013\u2014:]+)$"
    ),
    # A subheading ("WHAT HAPPENS NEXT"); an all-caps sentence that ends like one ("STOP.") is kept.
    "all-caps heading": re.compile(r"^(?=[^a-z]*$)[A-Z][A-Z0-9 .,&'\u2019/()-]{0,59}[A-Z0-9)]$"),
    "byline": re.compile(
        r"^(?i:(?:additional )?reporting|editing|writing|compiled|written|reported|text|words)\s+(?i:by)\s+[^.!?]{2,160}\.?$"
        r"|^By [A-Z][\w.'\u2019-]*(?: [A-Z][\w.'\u2019-]*){0,3}(?:(?:,| and| \|| -| \u2013| for) [^.!?]{0,60})?$"
        r"|^[^.!?]{2,60}\|\s*(?i:reuters|ap|afp|bloomberg|staff writer|correspondent)\s*$"
    ),
    "photo caption or credit": re.compile(
        r"^\(?(?i:photo|photograph|picture|image|illustration|video|graphic|file photo|main image|top image)s?"
        r"(?i:\s+credit)?\s*(?i:by|:|\||-|\u2013|\u2014|/|\(|courtesy)\s*[^.!?]{0,160}$"
        r"|^[^.!?]{0,200}(?:\(|/|:|\u2014|-|\u2013)\s*(?:(?i:getty images|reuters|shutterstock|alamy|bloomberg|corbis|"
        r"istock(?:photo)?|unsplash|courtesy[^.!?]{0,60})|AFP|EPA|AP Photo|AP Images|PA Images|PA Wire)"
        r"[^.!?]{0,40}\)?$"
        r"|^[^.!?]{0,200}\((?i:photo|image|picture|credit)[^)]{0,100}\)$"
    ),
    "timestamp": re.compile(
        rf"^(?:(?:published|updated|last updated|posted|first published|modified|created)(?:\s+(?:on|at))?:?\s*)?"
        rf"(?:{_DATE}|{_TIME})(?:(?:,|\s+at|\s*[|\u2022\u00b7-])?\s*(?:{_DATE}|{_TIME}))*\s*(?:[A-Z]{{2,4}})?\.?$"
        r"|^(?:updated|published|posted)?\s*\d{1,3}\s+(?:min(?:ute)?s?|hours?|hrs?|days?|weeks?)\s+ago\.?$"
        r"|^\d{1,3}\s+min(?:ute)?s?\s+read\.?$",
        re.IGNORECASE,
    ),
}


# Page furniture that old pages (and footers of new ones) leave inside the main text: a copyright or legal
# line, a row of menu links ("Home | News | Contact us"), "E-mail this article to a friend", a label line
# ("Category: World"), a feed or alert offer. Searched anywhere in a short sentence; measured on the tuning
# part of benchmarks/real_pages.py, where they were furniture in 9 of 10 cases (the rest: agency copyright
# notes the annotators kept).
FURNITURE_MAX_CHARS = 250
_FURNITURE = re.compile(
    r"\u00a9|\(c\)\s*(?:\d{4}|MM)|\ball rights reserved\b|\bcopyright\s*(?:\u00a9|\(c\)|\d{4})"
    r"|\bmay not be (?:published|reproduced|redistributed|republished|copied)\b"
    r"|\bprivacy (?:policy|statement|notice)\b.{0,80}\bterms\b|\bterms\b.{0,80}\bprivacy (?:policy|statement|notice)\b"
    r"|\b(?:e-?mail|send|forward) (?:this (?:article|story|page)|(?:it )?to a friend)\b|\bprintable version\b"
    r"|\bprinter[- ]friendly\b|\brss feeds?\b|\bnews alerts\b|\bsubscribe to (?:our )?(?:rss|newsletter)"
    r"|^(?:category|categories|tags?|filed under|section|related (?:posts|articles|stories|links)|keywords?|"
    r"posted by|written by|author)\s*:.{0,80}$"
    r"|^(?:[^|]{1,40}\|){2,}[^|]{0,40}$|^(?:\s*\[[^\]]{1,40}\]){3,}",
    re.IGNORECASE,
)


def segment(paragraphs: tuple[str, ...] | list[str], title: str | None, warnings: list[str]) -> list[str]:
    """The article's sentences, in order, without sentences that are not article text."""
    headline = fold(title) if title else None
    kept: list[str] = []
    left_out: dict[str, int] = {}
    for paragraph in paragraphs:
        for sentence in split_sentences(paragraph):
            if headline:
                sentence = _without_headline(sentence, headline)
            if not _has_words(sentence):
                continue
            kind = not_article(sentence, headline)
            if kind:
                left_out[kind] = left_out.get(kind, 0) + 1
            else:
                kept.append(sentence)
    if left_out:
        total = sum(left_out.values())
        kinds = ", ".join(f"{count} {kind}" for kind, count in left_out.items())
        what = "sentence that is" if total == 1 else "sentences that are"
        warnings.append(f"left out {total} {what} not article text ({kinds})")
    return kept


_WORD = re.compile(r"\w+")
_STARTS_SENTENCE = re.compile(r"[A-Z0-9\"'\u201c\u2018(]")


def _without_headline(sentence: str, headline: str) -> str:
    """A sentence that starts with the headline, glued to it by an old page's layout ("Mapping dark matter
    Astronomers have created ..."), without it: the headline is not a sentence of the article."""
    folded = fold(sentence)
    if not folded.startswith(headline + " "):
        return sentence
    words = len(headline.split())
    for count, match in enumerate(_WORD.finditer(sentence.casefold()), 1):
        if count == words:
            rest = sentence[match.end():].lstrip(" \t-\u2013\u2014:|.;")
            # "Mapping dark matter is hard, they said." goes on in lower case: a sentence, kept whole.
            return rest if _STARTS_SENTENCE.match(rest) else sentence
    return sentence


def not_article(sentence: str, headline: str | None = None) -> str | None:
    """What kind of non-article text a sentence is ("byline", "timestamp", ...), or None."""
    if headline and fold(sentence) == headline:
        return "headline repeated"
    if len(sentence) > 300:
        return None
    for kind, pattern in _NOT_ARTICLE.items():
        if pattern.match(sentence):
            return kind
    if is_boilerplate(sentence):
        return "read-more/share line"
    if len(sentence) <= FURNITURE_MAX_CHARS and _FURNITURE.search(sentence):
        return "page furniture"
    return None


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
