"""The headline of an HTML page: what a reader sees as the article's title, without the site's parts.

    choose_headline(tree, site)      # the <h1> confirmed by og:title/<title>, else og:title, else <title>, else <h1>
    clean_title("Rates held at 5% | Money Daily", None)   # -> "Rates held at 5%"

Page titles carry the site, the section and dates in many forms, all cut here: " | Site", " - Site",
" — Site", " :: Site", "Headline_Section_Site" (Chinese portals), "site.com - Section- Headline",
"Headline -Section-" (hyphens without spaces), "Site: Headline" (when Site is the page's site name or a
domain), and a leading or trailing date. A generic name (the site's, a section's: "The Times", "People
today") is never preferred to a longer headline the page also has, and an <h1> that is page furniture
("Talkback - Add your opinion", "Comments") is never taken. A <title> that is only the site's or a section's
name, or none, gives way to a heading marked as the story's headline that shares words with the article's
lead; dates and site parts copied into an <h1> are cut from it.
"""

from __future__ import annotations

import re

from .clean import fold, is_boilerplate

_SPACES = re.compile(r"\s+")
# " | Site", " - Site", " — Site", " · Site", " :: Site", "Headline_Section_Site" (Chinese portals),
# "Section- Headline" (a hyphen glued to the word before it and a space after).
_TITLE_SEPARATOR = re.compile(
    r"\s+(?:[|\-\u2013\u2014\u00b7\u2022\u00bb~/:]|::)\s+|\s*\|\s*"
    r"|(?<=[\u3000-\u9fff\uff00-\uffef])\s*_\s*|\s*_\s*(?=[\u3000-\u9fff])"
    r"|(?<=[A-Za-z])-\s+(?=[A-Z0-9])"
)
# A section set off by hyphens with no space inside them: "Headline -India Buzz-", "-Sport- Headline".
_HYPHENED_SECTION = re.compile(r"(?:^|\s)-[^\s-][^-]{0,30}[^\s-]-(?:\s|$)")
_DOMAIN = re.compile(r"^(?:www\.)?[\w-]+(?:\.[\w-]+)*\.(?:com|net|org|co|uk|de|fr|in|au|ca|info|biz|news|io|us|eu)$",
                     re.IGNORECASE)
_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_DATE = (rf"(?:\d{{4}}-\d{{1,2}}-\d{{1,2}}|\d{{1,2}}[./]\d{{1,2}}[./]\d{{2,4}}|{_MONTH}\s+\d{{1,2}},?\s+\d{{4}}"
         rf"|\d{{1,2}}\s+{_MONTH},?\s+\d{{4}})")
# A date before or after the headline, with its separator or in brackets.
_WEEKDAY = r"(?:(?:mon|tues|wednes|thurs|fri|satur|sun)day,?\s+)?"  # "Wednesday, 09 January 2008 Headline"
_LEADING_DATE = re.compile(rf"^\(?{_WEEKDAY}{_DATE}\)?\s*(?:[|:\-\u2013\u2014,]\s*)?(?=\S)", re.IGNORECASE)
_TRAILING_DATE = re.compile(rf"(?<=\S)\s*(?:[|:\-\u2013\u2014,]\s*)?\(?(?:updated:?\s*)?{_DATE}\)?$", re.IGNORECASE)
_TRAILING_MARKS = re.compile(r"\s*[\u00b6#\u2693]+$")  # a heading's permalink mark ("Title¶")
# "Headline (from Harrow Times)", "Headline on ChicagoSports.com": the site named after the headline.
_FROM_SITE = re.compile(r"\s+(?:\((?:from|via)\s[^()]{2,40}\)|on\s+(?:www\.)?[\w-]+\.(?:com|net|org|co\.uk|co|in|au|ca))$",
                        re.IGNORECASE)
_DOMAIN_WORD = re.compile(r"\b[\w-]{2,}\.(?:com|net|org|co\.uk|com\.au|co\.in)\b", re.IGNORECASE)
# "The Hindu Business Line : Headline": a site's name, capitalised words, before a spaced colon.
_NAME_HEAD = re.compile(r"^(?:[A-Z][\w.&'-]*|&)(?: (?:[A-Z][\w.&'-]*|&)){1,5}$")
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af]")
SITE_TAIL_MAX_WORDS = 4
GENERIC_MAX_WORDS = 3  # a candidate this short is a site or section name when the page has a real headline
# Headlines of page chrome that the old first-line rule picked up on real pages.
_CHROME = re.compile(
    r"^(?:skip to (?:main )?content|main menu|menu|navigation|search|modal title|home|homepage|log ?in|"
    r"sign in|subscribe|cookie.*|404.*|page not found|access denied|just a moment.*|untitled)\W*$",
    re.IGNORECASE,
)
# <h1>s that are page furniture: comment boxes, newsletters, lists of other stories.
_FURNITURE = re.compile(
    r"^\W*(?:talkback|add your (?:opinion|comment)|leave a (?:reply|comment)|post a comment|comments?\b|"
    r"join the (?:conversation|discussion)|sign up\b|(?:our |the )?newsletters?\b|most (?:read|popular|viewed)\b|"
    r"related (?:stories|articles|news|content)|you may also like|trending\b|latest (?:news|stories|headlines)\W*$|"
    r"top stories\W*$|more (?:stories|news)\W*$|advertisement)",
    re.IGNORECASE,
)


def choose_headline(tree, site: str | None, blocks: list[str] | None = None,
                    fallback: str | None = None) -> str | None:
    """The headline a reader sees: the article's <h1> when the page's metadata agrees with it; else a heading
    of the page (<h1>-<h3>, or marked as a headline or title) that one part of og:title/<title> names; else
    og:title, else the <title> without its site-name parts, else the <h1>, else `fallback` (trafilatura's).
    Page chrome and furniture, the bare site name, and a short generic name when the page has a longer
    headline, never.

    With the article's text (`blocks`): a choice that is not an <h1> and shares at most one word with the
    article's lead (a site or section name as the whole <title>: "The Sports Network", "Charleston Daily
    Mail"), or no choice at all, gives way to the headline-like line just before the article on the page that
    shares at least two words with the lead (lead_headline)."""
    chosen = _metadata_headline(tree, site) or fallback
    found_headings: list[list[str]] = []
    headings = lambda: found_headings[0] if found_headings else found_headings.append(_headings(tree)) \
        or found_headings[0]  # noqa: E731  (one walk over the tree, only when a rule below needs it)
    if blocks and not _meta(tree, "og:title", "twitter:title"):  # a page that names its headline is believed
        lead = _lead_words(blocks)
        if lead and chosen:
            chosen = _part_the_lead_names(chosen, lead)
        if lead and (not chosen or (_shared(chosen, lead) < LEAD_SHARED and chosen not in _h1s(tree))):
            found = next((h for h in _h1s(tree) if _shared(h, lead) >= LEAD_SHARED), None) \
                or lead_headline(tree, blocks, lead)
            if not found and (not chosen or chosen not in headings()):  # a heading itself: the deck is not it
                found = _lead_heading(headings(), site, lead)
            if found:
                return found
        elif lead and chosen and _words(chosen) <= GENERIC_MAX_WORDS and chosen not in headings():
            # A short name sharing a word or two with the lead only through its dateline ("The Sports Network"
            # for "St. Louis (Sports Network) - ...") gives way to a marked heading that shares far more. A
            # short headline that is itself a heading of the page ("Mapping dark matter") is kept: the longer
            # heading sharing more of the lead is then its deck.
            found = _lead_heading(headings(), site, lead, exclude=chosen)
            if found and _shared(found, lead) > 2 * _shared(chosen, lead):
                return found
        elif lead and chosen and not _shared(chosen, lead):
            # An <h1> that shares no word with the lead ("Local Sports Wire", the section's name) gives way to
            # a heading marked as the story's headline that does share the lead; a feature's <h1> ("Stone and
            # sea") on a page with no such heading is kept.
            found = _lead_heading(headings(), site, lead, exclude=chosen)
            if found:
                return found
    return chosen


def _lead_heading(headings: list[str], site: str | None, lead: set[str], exclude: str | None = None) -> str | None:
    """The first heading of the page (<h1>-<h3>, or marked as a headline or title) that shares two words with
    the article's lead: on pages whose <title> is only the site's or a section's name ("The Sports Network",
    "Press TV") or is empty, that is the story's own headline."""
    site_key = fold(site) if site else None
    for heading in headings:
        if heading != exclude and fold(heading) != site_key and _shared(heading, lead) >= LEAD_SHARED:
            return heading
    return None


def _part_the_lead_names(title: str, lead: set[str]) -> str:
    """"UK Film and Television News - House Price Trend Is Down": of a title's parts, the one that shares two or
    more words with the article's lead while no other part shares more than one (a town's name in the site's)
    is the headline, however long the rest. Colons only cut parts after the headline ("Headline: Sport:
    Rugby: News24"), never a head before it ("CES: ...")."""
    raw = _SPACES.sub(" ", title).strip()
    spans = _parts(raw)
    colons = len(spans) < 2
    parts = raw.split(": ") if colons else [raw[a:b].strip() for a, b in spans]
    if len(parts) < 2:
        return title
    shared = [_shared(part, lead) for part in parts]
    best = max(range(len(parts)), key=shared.__getitem__)
    others = shared[:best] + shared[best + 1 :]
    if colons and (best or any(_words(part) > 3 for part in parts[1:])):
        return title  # "Headline: Sport: Rugby: News24" only; "Chapter two: What kind of word?" is one title
    if shared[best] >= LEAD_SHARED and max(others) <= 1 and _words(parts[best]) >= 2:
        return parts[best]
    return title


def _metadata_headline(tree, site: str | None) -> str | None:
    page_title = tree.findtext(".//title")
    raw_social = _meta(tree, "og:title", "twitter:title")
    social = clean_title(raw_social, site, page_title)
    title = clean_title(page_title, site)
    headings = _h1s(tree)
    for heading in headings:
        if any(candidate and _agree(heading, candidate) for candidate in (social, title)):
            return heading
    site_key = fold(site) if site else None
    others = [h for h in _headings(tree) if fold(h) != site_key]
    named = _named_heading(others, (raw_social, page_title))
    if named:
        return named
    candidates = [c for c in (social, title, headings[0] if headings else None)
                  if c and usable(c) and fold(c) != site_key]
    longest = max((_words(c) for c in candidates), default=0)
    for candidate in candidates:
        if _words(candidate) <= GENERIC_MAX_WORDS and longest >= GENERIC_MAX_WORDS + 2:
            continue  # "The Times", "People today": a name, while the page has a headline
        return candidate
    return candidates[0] if candidates else None


# -- the line before the article ----------------------------------------------------------------------------
LEAD_WORDS = 120  # the lead: the first words of the article's prose
LOOKBACK_CHUNKS = 14  # text pieces of the page before the article's first paragraph looked at, nearest first
LEAD_SHARED = 2  # words (their first five letters) the line shares with the lead: one is often a name or a date
GLUED_PIECES = 3  # pieces of the article's first block in which a glued headline may sit
CAPTION_PARENT_MAX_CHILDREN = 12
_STARTS_LIKE_HEADLINE = re.compile(r"[\w\"'\u201c\u2018\u00bf\u00a1(]")
_ENDS_LIKE_PROSE = re.compile(r"[.!?\u2026\"\u201d\u2019')]$")
_STOPWORDS = frozenset(
    "the a an and or but of to in on at for by with from as is are was were be been has have had it its this that "
    "these those he she they we you his her their our not no after over into about than then will would can "
    "could new says said more up out who what when how why".split())
_NOT_TEXT = ("script", "style", "noscript", "select", "option", "textarea", "button")


def _stems(text: str) -> set[str]:
    return {word[:5] for word in fold(text).split() if len(word) > 2 and word not in _STOPWORDS}


def _lead_words(blocks: list[str]) -> set[str]:
    words: list[str] = []
    first = _first_paragraph(blocks)
    for block in blocks[blocks.index(first) if first else 0 :]:
        if len(block.split()) >= 12:  # prose, not a headline, a byline or a date above the article
            words += block.split()
            if len(words) >= LEAD_WORDS:
                break
    return _stems(" ".join(words[:LEAD_WORDS]))


def _shared(text: str, lead: set[str]) -> int:
    return len(_stems(text) & lead)


def lead_headline(tree, blocks: list[str], lead: set[str]) -> str | None:
    """The headline-like line nearest before the article's first paragraph on the page (dates, bylines,
    "Print | E-mail" and captions between them skipped) that shares two words with the article's lead: on
    pages whose <title> is the site's name, or that have none, that line is what a reader sees as the
    headline. Old table layouts glue it to the article's first block ("Headline By A WRITER Dec 5 - The
    ..."): a headline-like piece of its own element among the block's first pieces counts too, its words
    then compared with the rest of the block."""
    first = _first_paragraph(blocks)
    body = tree.find(".//body")
    if not first or body is None:
        return None
    first = fold(first)
    chunks: list[tuple[str, object]] = []
    start = None
    for element in body.iter():
        text = None if not isinstance(element.tag, str) or element.tag in _NOT_TEXT else element.text
        for piece, owner in ((text, element), (element.tail, element.getparent())):
            if not piece or not piece.strip():
                continue
            if start is None:
                key = fold(piece)
                if len(key) >= 12 and first.startswith(key[:60]):
                    start = len(chunks)
            chunks.append((piece, owner))
        if start is not None and len(chunks) >= start + GLUED_PIECES:
            break
    if start is None:
        return None
    from .sentences import not_article  # here: sentences imports clean, as this module does

    inside = [(piece, owner, True) for piece, owner in chunks[start : start + GLUED_PIECES]]
    before = [(piece, owner, False) for piece, owner in reversed(chunks[max(0, start - LOOKBACK_CHUNKS) : start])]
    for piece, owner, glued in inside + before:
        text = _TRAILING_MARKS.sub("", _SPACES.sub(" ", piece).strip())
        words = _words(text)
        if not 2 <= words <= HEADING_MAX_WORDS or text[-1] in ".,;:" or not _STARTS_LIKE_HEADLINE.match(text) \
                or not usable(text) or not_article(text):
            continue  # "+ Added granite blocks": a list item
        if owner is None or _in_link(owner) or _by_an_image(owner):
            continue  # a link is another story or the menu; a line by an image is its caption
        if glued:
            folded = fold(text)
            index = first.find(folded)
            if index < 0 or index > 40 or len(first) < len(folded) + 80:
                continue  # not among the block's first words, or the block is hardly more than this piece
            if _shared(text, _stems(first[index + len(folded) :][:800])) >= LEAD_SHARED:
                return text
        elif _shared(text, lead) >= LEAD_SHARED:
            return text
    return None


def _first_paragraph(blocks: list[str]) -> str | None:
    """The article's first paragraph: the first block of 12 words or more that ends like a sentence (a row of
    menu links does not), else the first of 12 words or more."""
    long = [block for block in blocks if len(block.split()) >= 12]
    return next((block for block in long if _ENDS_LIKE_PROSE.search(block)), long[0] if long else None)


def _in_link(element) -> bool:
    chain = [element, *element.iterancestors()]
    for node in chain:
        if node.tag in ("h1", "h2", "h3"):
            return False  # a heading that links to its own story
        if node.tag == "a":
            return True
    return False


def _by_an_image(element) -> bool:
    """An image inside the element, or beside it in a small parent: the element's text is its caption."""
    if element.find(".//img") is not None:
        return True
    parent = element.getparent()
    if parent is None or len(parent) > CAPTION_PARENT_MAX_CHILDREN:
        return False
    return any(child is not element and isinstance(child.tag, str) and (child.tag == "img" or (
        child.find(".//img") is not None and len(child.text_content()) < 40)) for child in parent)


NAMED_AGREEMENT = 0.8  # a heading named by one part of a title: nearly the same words, not a look-alike
HEADING_MAX_WORDS = 30
# Elements a headline may sit in, and the class/id marks of one ("eadline"/"itle": Headline, storyTitle ...).
# One walk over the tree in lxml's iter(): an XPath over every element's class cost twice as much.
_HEADING_TAGS = ("h1", "h2", "h3", "div", "span", "td", "p", "font", "b", "strong", "a", "header")
_HEADLINE_MARK = re.compile(r"eadline|itle")
_NOT_HEADLINE_MARK = re.compile(r"site|logo|brand|widget|sidebar|nav|menu|footer|related|section|blog-?title|promo")


def _headings(tree) -> list[str]:
    """Texts of the page's headings and of elements marked as a headline or title, furniture left out."""
    found = []
    for element in tree.iter(*_HEADING_TAGS):
        marks = f"{element.get('class', '')} {element.get('id', '')}"
        if element.tag not in ("h1", "h2", "h3") and not _HEADLINE_MARK.search(marks):
            continue
        marks = marks.casefold()
        if _NOT_HEADLINE_MARK.search(marks):
            continue  # "site-title", "logo", "widget-title": the site's name or a box's label
        text = _heading_text(element)
        if text and 2 <= _words(text) <= HEADING_MAX_WORDS and usable(text) and text not in found:
            found.append(text)
    return found


def _named_heading(headings: list[str], titles: tuple[str | None, ...]) -> str | None:
    """The heading that one part of a page title names ("KHOU | FBI to post mug shots | STATE NEWS |
    Breaking Houston News" names the page's "FBI to post mug shots"): the site and section parts around
    it, however long, are then known to be the site's."""
    for raw in titles:
        if not raw:
            continue
        raw = _SPACES.sub(" ", raw).strip()
        spans = _parts(raw) + _colon_parts(raw)
        for start, end in spans:
            part = raw[start:end].strip()
            if _words(part) < 3:
                continue
            for heading in headings:
                if _words(heading) >= 3 and _agree(heading, part, NAMED_AGREEMENT):
                    return heading
    return None


def _colon_parts(title: str) -> list[tuple[int, int]]:
    """"Site : Headline" / "Site: Section: Headline": the part after the last colon."""
    index = title.rfind(": ")
    return [(index + 2, len(title))] if index > 0 else []


def _meta(tree, *names: str) -> str | None:
    for name in names:
        for element in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]'):
            content = _SPACES.sub(" ", element.get("content") or "").strip()
            if content:
                return content
    return None


def _h1s(tree) -> list[str]:
    """Usable <h1> texts, those inside <article>/<main> first; furniture ("Add your opinion") left out."""
    found = []
    for heading in tree.xpath("//article//h1|//main//h1") + tree.xpath("//h1"):
        text = _heading_text(heading)
        if text and usable(text) and text not in found:
            found.append(text)
    return found


def _heading_text(element) -> str:
    """A heading's text without a permalink mark, a leading or trailing date ("Wednesday, 09 January 2008
    Headline": old templates put the date in the <h1>) and, when one of its parts is a domain, the site's
    parts ("News & Observer | newsobserver.com | Headline": the <title> copied into the <h1>)."""
    text = _without_dates(_TRAILING_MARKS.sub("", _SPACES.sub(" ", element.text_content()).strip()))
    spans = _parts(text)
    if len(spans) > 1 and any(_is_site(text[a:b]) for a, b in spans):
        text = clean_title(text, None) or text
    return text


def _agree(a: str, b: str, dice: float = 0.6) -> bool:
    """Mostly the same words (Dice >= 0.6): "X hands-on: the Y moment" and "X is the Y moment" agree."""
    left, right = set(fold(a).split()), set(fold(b).split())
    return bool(left and right) and 2 * len(left & right) / (len(left) + len(right)) >= dice


def clean_title(title: str | None, site: str | None, page_title: str | None = None) -> str | None:
    """Cut the site's parts off a page title: "Headline | Site", "Site - Headline", "Headline - Section -
    Site", "site.com - Section- Headline", "Headline -Section-", "Site: Headline", a leading/trailing date.

    A part is a site name when it matches the page's site name, the tail of its <title>, is a domain, or is
    a short (<= 4 words) last part after a longer headline.
    """
    if not title:
        return None
    title = _TRAILING_MARKS.sub("", _SPACES.sub(" ", title).strip())
    title = _without_dates(title)
    cut = _FROM_SITE.sub("", title)
    title = cut if _words(cut) >= 2 else title
    if _HYPHENED_SECTION.search(title):
        cut = _SPACES.sub(" ", _HYPHENED_SECTION.sub(" ", title)).strip()
        title = cut if _words(cut) >= 2 else title
    known = {fold(site)} if site else set()
    title = _without_site_prefix(title, known)
    spans = _parts(title)
    if len(spans) < 2:
        return title or None
    if page_title and _SPACES.sub(" ", page_title).strip() != title:
        page_parts = _parts(page_title)
        if len(page_parts) > 1:
            known.add(fold(page_title[slice(*page_parts[-1])]))
    known.discard("")
    text = lambda span: title[span[0] : span[1]]  # noqa: E731
    first_separator = title[spans[0][1] : spans[1][0]]
    after_site = False
    if len(spans) >= 3 and all(_words(text(span)) <= 3 for span in spans[:-1]) and _words(text(spans[-1])) >= 4:
        spans = spans[-1:]  # "Channel 4 - News - Briton murdered in New Zealand": site and sections first
    sites = [i for i, span in enumerate(spans[:-1]) if _is_site(text(span))]
    if sites and all(_words(text(span)) <= SITE_TAIL_MAX_WORDS for span in spans[: sites[0]]):
        spans = spans[sites[0]:]  # "News & Observer | newsobserver.com | Headline": the site's name before its domain
    while len(spans) > 1 and (fold(text(spans[0])) in known or _is_site(text(spans[0]))
                              or ("|" in first_separator and _words(text(spans[0])) <= 2)
                              or (after_site and _words(text(spans[0])) <= 2)):
        # "Site - Headline", "Opinion | Headline", "site.com - Music- Headline" (a section after the site)
        after_site = fold(text(spans[0])) in known or _is_site(text(spans[0]))
        spans = spans[1:]
        first_separator = title[spans[0][1] : spans[1][0]] if len(spans) > 1 else ""
    while len(spans) > 1:
        last, rest = text(spans[-1]), title[spans[0][0] : spans[-2][1]]
        if fold(last) in known or _is_site(last) or (
            _words(last) <= SITE_TAIL_MAX_WORDS and _words(rest) >= _words(last)
        ):
            spans = spans[:-1]
        else:
            break
    if len(spans) >= 3 and all(_words(text(span)) <= 2 for span in spans[:-1]) and _words(text(spans[-1])) >= 4:
        spans = spans[-1:]  # "DNA - Money - Headline - Daily News & Analysis": the site tail cut, then the same
    return _without_dates(title[spans[0][0] : spans[-1][1]].strip()) or None


def _is_site(part: str) -> bool:
    """A domain, or a part naming one ("WTNH.com, Connecticut News and Weather")."""
    return bool(_DOMAIN.match(part.strip()) or _DOMAIN_WORD.search(part))


def _without_dates(title: str) -> str:
    cut = _TRAILING_DATE.sub("", _LEADING_DATE.sub("", title)).strip()
    return cut if _words(cut) >= 2 else title


def _without_site_prefix(title: str, known: set[str]) -> str:
    """"Site: Headline" -> "Headline" when Site is the page's site name or a domain (not "Trump: ...")."""
    head, colon, rest = title.partition(": ")
    if colon and rest and (fold(head) in known or _DOMAIN.match(head.strip()) or _DOMAIN_WORD.search(head)) \
            and _words(rest) >= 2:
        return rest.strip()  # "WDTN.com, News and Weather: Headline" too: a head naming a domain is the site's
    if colon and head.endswith(" ") and _words(rest) >= 2 and _NAME_HEAD.match(head.strip()):
        # "The Hindu Business Line : Headline": a space before the colon is a template's separator, and a
        # head of capitalised words (not French "Coupe du monde : ...", whose space is typography) a name.
        return rest.strip()
    return title


def _parts(title: str) -> list[tuple[int, int]]:
    """(start, end) of the parts between title separators, empty parts left out."""
    spans, start = [], 0
    for match in _TITLE_SEPARATOR.finditer(title):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(title)))
    return [(a, b) for a, b in spans if title[a:b].strip()]


def _words(text: str) -> int:
    return len(text.split()) + len(_CJK.findall(text)) // 2


def usable(title: str) -> bool:
    return bool(re.search(r"\w", title)) and not _CHROME.match(title) and not is_boilerplate(title) \
        and not _FURNITURE.search(title) and _words(title) <= 40
