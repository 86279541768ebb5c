"""Stage 2 of reading: an HTML page in, its main text and metadata (headline, date, author, site) out.

    page = extract_page(markup, warnings)
    page.text      # the article's blocks, one paragraph each, separated by blank lines
    page.title     # og:title / the <h1> / the <title> without its " | Site name" tail
    page.date, page.author, page.site, page.listing

Main text: trafilatura (the strongest open-source extractor on public benchmarks; F1 0.96 on the
article-extraction benchmark, see benchmarks/web_reading.py), in its precision mode; its normal mode when
precision mode kept little and the normal one finds far more prose (a teaser list, an ad block or "Skip to
main content" is then not taken for the article). When it finds nothing, its recall mode, then
the plain tag walk (tagwalk.py): a page with an article never ends with "nothing is left", and a warning
names the fallback used. A <form> that wraps the page (ASP.NET does that) is read as a <div>, since both
extractors drop forms.
"""

from __future__ import annotations

import dataclasses
import logging
import re

from .clean import fold, is_boilerplate
from .parse import page_text_chars

_TAG_PATTERN = re.compile(
    r"<\s*(?:!doctype|html|head|body|p|div|br|span|a|article|section|h[1-6]|li|ul|ol|table|script|style|"
    r"meta|title|img|strong|em|b|i)\b[^<>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
# " | Site", " - Site", " — Site", " · Site", " :: Site", "Headline_Section_Site" (Chinese portals).
_TITLE_SEPARATOR = re.compile(
    r"\s+(?:[|\-\u2013\u2014\u00b7\u2022\u00bb~/]|::)\s+|\s*\|\s*"
    r"|(?<=[\u3000-\u9fff\uff00-\uffef])\s*_\s*|\s*_\s*(?=[\u3000-\u9fff])"
)
_CJK = re.compile(r"[\u3000-\u9fff\uac00-\ud7af]")
SITE_TAIL_MAX_WORDS = 4
# Headlines of page chrome that the old first-line rule picked up on real pages.
_CHROME = re.compile(
    r"^(?:skip to (?:main )?content|main menu|menu|navigation|search|modal title|home|homepage|log ?in|"
    r"sign in|subscribe|cookie.*|404.*|page not found|access denied|just a moment.*|untitled)\W*$",
    re.IGNORECASE,
)
# Listing / home pages: much of the page's text sits in links, and its main text is mostly list items or
# link texts (headlines and teasers of other stories), with hardly any prose.
LISTING_LINK_SHARE = 0.3
LISTING_ITEM_SHARE = 0.6
LISTING_MIN_BLOCKS = 6
PROSE_CHARS = 200
_LIST_ITEM = re.compile(r"^[-*\u2022]\s+")
# Choosing trafilatura's mode per page (measured on real pages, benchmarks/real_pages.py: body F1 0.901 with
# precision mode alone, 0.909 so): its normal mode is tried when precision mode kept under a fifth of the
# page's text or under 1,000 characters of prose, and wins with three times the prose (+200 characters).
PRECISION_CHECK_SHARE = 0.2
PRECISION_CHECK_PROSE = 1000
PRECISION_LOSS_RATIO = 3
PROSE_BLOCK_CHARS = 80
_ENDS_LIKE_PROSE = re.compile(r"[.!?\u2026\u3002\"\u201d\u2019)]$")

logging.getLogger("trafilatura").setLevel(logging.CRITICAL)  # it logs "discarding data" for short pages


@dataclasses.dataclass(frozen=True)
class Page:
    """What extraction learned from one HTML page."""

    text: str
    title: str | None = None
    date: str | None = None
    author: str | None = None
    site: str | None = None
    listing: bool = False


def looks_like_html(text: str) -> bool:
    """True when the text holds real markup (two or more known tags), not a stray `<` in prose."""
    count = 0
    for _ in _TAG_PATTERN.finditer(text[:200_000]):
        count += 1
        if count >= 2:
            return True
    return False


def extract_page(markup: str, warnings: list[str]) -> Page:
    """The main text and metadata of an HTML page; the fallbacks used are named in `warnings`."""
    import trafilatura  # deferred, as lxml and bs4 (tagwalk): ~0.5 s of imports that plain text never needs
    from lxml import html as lxml_html

    from .tagwalk import html_to_text

    tree = _parse(markup)
    if tree is None:
        text, page_title, _ = html_to_text(markup)
        warnings.append("the HTML could not be parsed for main-text extraction: read every block of the page")
        return Page(text=text, title=_clean_title(page_title, None))
    _unwrap_page_forms(tree)
    site = _meta(tree, "og:site_name", "application-name")
    title = choose_headline(tree, site)

    options = dict(include_comments=False, include_tables=True, favor_precision=True, deduplicate=False,
                   date_extraction_params={"extensive_search": False, "original_date": True})
    document = trafilatura.bare_extraction(tree, with_metadata=True, **options)
    blocks = _blocks(document)
    page_chars = page_text_chars(markup)
    if _chars("".join(blocks)) < PRECISION_CHECK_SHARE * page_chars or _prose(blocks) < PRECISION_CHECK_PROSE:
        # Precision mode kept little: on some pages that is a teaser list, an ad block or "Skip to main
        # content" instead of the article. Its normal mode decides when it finds far more prose.
        options.update(favor_precision=False)
        normal = trafilatura.bare_extraction(tree, with_metadata=True, **options)
        found = _blocks(normal)
        if _prose(found) > PRECISION_LOSS_RATIO * _prose(blocks) + 200:
            warnings.append(f"trafilatura's precision mode found {_prose(blocks):,} characters of prose: used its "
                            f"normal mode, which found {_prose(found):,}")
            document, blocks = normal, found
    if not blocks:
        options.update(favor_precision=False, favor_recall=True)
        document = trafilatura.bare_extraction(tree, with_metadata=True, **options) or document
        blocks = _blocks(document)
        if blocks:
            warnings.append("trafilatura found no main text in its normal mode: used its recall mode, "
                            "which may keep some page furniture")
    if blocks:
        text = "\n\n".join(_LIST_ITEM.sub("", block) for block in blocks)
        _note_removed(page_chars, text, warnings)
    else:
        text, _, dropped = html_to_text(lxml_html.tostring(tree, encoding="unicode"))
        blocks = text.split("\n\n")
        parts = ", ".join(f"{count} {name}" for name, count in sorted(dropped.items()))
        warnings.append("trafilatura found no main text: read every block of the page instead"
                        + (f" (left out {parts})" if parts else ""))

    listing = _looks_like_listing(tree, blocks)  # trafilatura worked on a copy: `tree` is the whole page
    return Page(
        text=text,
        title=title or _usable_or_none(_clean_title(getattr(document, "title", None), site)),
        date=_field(document, "date"),
        author=_field(document, "author"),
        site=site or _field(document, "sitename"),
        listing=listing,
    )


def _note_removed(total: int, kept: str, warnings: list[str]) -> None:
    """Say how much of the page's text the main-text extraction left out (menus, footers, ...), measured
    against all the text in the markup (`total`: not from the parsed tree, which could have lost some)."""
    kept_chars = len("".join(kept.split()))
    if total > kept_chars:
        warnings.append(f"removed non-article HTML: kept the main text trafilatura found ({kept_chars:,} of "
                        f"{total:,} characters of the page's text, spaces not counted)")


# -- parsing --------------------------------------------------------------------------------------------
def _parse(markup: str):
    from .parse import parse_html

    return parse_html(markup)


def _unwrap_page_forms(tree) -> None:
    """A form around the article (ASP.NET wraps whole pages in one) becomes a div: extractors drop forms."""
    for form in tree.iter("form"):
        if any(len(p.text_content()) >= 150 for p in form.iter("p")):
            form.tag = "div"


def _blocks(document) -> list[str]:
    """trafilatura's text has one block per line (list items start with "- ")."""
    text = getattr(document, "text", None) or ""
    return [line.strip() for line in text.split("\n") if line.strip()]


def _field(document, name: str) -> str | None:
    value = getattr(document, name, None)
    value = _SPACES.sub(" ", value).strip() if isinstance(value, str) else None
    return value or None


def _meta(tree, *names: str) -> str | None:
    for name in names:
        for element in tree.xpath(f'//meta[@property="{name}" or @name="{name}"]'):
            content = _SPACES.sub(" ", element.get("content") or "").strip()
            if content:
                return content
    return None


def _links(tree) -> tuple[float, set[str]]:
    """The share of the page's text that sits in links, and the (folded) texts of its links."""
    body = tree.find(".//body")
    if body is None:
        return 0.0, set()
    # Scripts are not dropped from the tree (trafilatura reads JSON-LD metadata from them): skipped here,
    # node by node, since a page can hold megabytes of them.
    visible = body.xpath(".//text()[not(ancestor::script) and not(ancestor::style) and not(ancestor::noscript)]")
    total = sum(_chars(t) for t in visible)
    texts = [a.text_content() for a in body.iter("a")]
    share = sum(_chars(t) for t in texts) / total if total else 0.0
    return share, {fold(t) for t in texts if len(t) > 15}


def _prose(blocks: list[str]) -> int:
    """Characters in blocks that read like paragraphs of an article (long, ending like a sentence)."""
    return sum(len(b) for b in blocks if len(b) >= PROSE_BLOCK_CHARS and _ENDS_LIKE_PROSE.search(b))


def _chars(text: str) -> int:
    return len(text) - text.count(" ") - text.count("\n") - text.count("\t")


def _looks_like_listing(tree, blocks: list[str]) -> bool:
    """Much of the page is links, and its main text is mostly list items or whole link texts with hardly
    any prose: the headlines and teasers of many stories. (The cheap test on the blocks goes first.)"""
    blocks = [b for b in blocks if b.strip()]
    prose = sum(1 for b in blocks if len(b) >= PROSE_CHARS and not _LIST_ITEM.match(b))
    if len(blocks) < LISTING_MIN_BLOCKS or prose >= 3:
        return False
    share, link_texts = _links(tree)
    items = [b for b in blocks if _LIST_ITEM.match(b) or fold(b) in link_texts]
    return share >= LISTING_LINK_SHARE and len(items) >= LISTING_ITEM_SHARE * len(blocks)


# -- headline -------------------------------------------------------------------------------------------
def choose_headline(tree, site: str | None) -> str | None:
    """The headline a reader sees: the article's <h1> when the page's metadata agrees with it, else og:title,
    else the <title> without its site-name tail, else the <h1>. Page chrome and the bare site name never."""
    page_title = tree.findtext(".//title")
    social = _clean_title(_meta(tree, "og:title", "twitter:title"), site, page_title)
    title = _clean_title(page_title, site)
    headings = _h1s(tree)
    for heading in headings:
        if any(candidate and _agree(heading, candidate) for candidate in (social, title)):
            return heading
    candidates = (social, title, headings[0] if headings else None)
    site_key = fold(site) if site else None
    return next((c for c in candidates if c and _usable(c) and fold(c) != site_key), None)


def _h1s(tree) -> list[str]:
    """Usable <h1> texts, those inside <article>/<main> first."""
    found = []
    for heading in tree.xpath("//article//h1|//main//h1") + tree.xpath("//h1"):
        text = _SPACES.sub(" ", heading.text_content()).strip()
        if text and _usable(text) and text not in found:
            found.append(text)
    return found


def _agree(a: str, b: str) -> bool:
    """Mostly the same words (Dice >= 0.6): "X hands-on: the Y moment" and "X is the Y moment" agree."""
    left, right = set(fold(a).split()), set(fold(b).split())
    return bool(left and right) and 2 * len(left & right) / (len(left) + len(right)) >= 0.6


def _clean_title(title: str | None, site: str | None, page_title: str | None = None) -> str | None:
    """Cut a site name off a page title: "Headline | Site", "Site - Headline", "Headline - Section - Site".

    A part is a site name when it matches the page's site name, the tail of its <title>, or is a short
    (<= 4 words) last part after a longer headline.
    """
    if not title:
        return None
    title = _SPACES.sub(" ", title).strip()
    spans = _parts(title)
    if len(spans) < 2:
        return title or None
    known = {fold(site)} if site else set()
    if page_title and _SPACES.sub(" ", page_title).strip() != title:
        page_parts = _parts(page_title)
        if len(page_parts) > 1:
            known.add(fold(page_title[slice(*page_parts[-1])]))
    known.discard("")
    text = lambda span: title[span[0] : span[1]]  # noqa: E731
    first_separator = title[spans[0][1] : spans[1][0]]
    if fold(text(spans[0])) in known or ("|" in first_separator and _words(text(spans[0])) <= 2):
        spans = spans[1:]  # "Site - Headline", "Opinion | Headline"
    while len(spans) > 1:
        last, rest = text(spans[-1]), title[spans[0][0] : spans[-2][1]]
        if fold(last) in known or (_words(last) <= SITE_TAIL_MAX_WORDS and _words(rest) >= _words(last)):
            spans = spans[:-1]
        else:
            break
    return title[spans[0][0] : spans[-1][1]].strip() or None


def _parts(title: str) -> list[tuple[int, int]]:
    """(start, end) of the parts between title separators, empty parts left out."""
    spans, start = [], 0
    for match in _TITLE_SEPARATOR.finditer(title):
        spans.append((start, match.start()))
        start = match.end()
    spans.append((start, len(title)))
    return [(a, b) for a, b in spans if title[a:b].strip()]


def _usable_or_none(title: str | None) -> str | None:
    return title if title and _usable(title) else None


def _words(text: str) -> int:
    return len(text.split()) + len(_CJK.findall(text)) // 2


def _usable(title: str) -> bool:
    return bool(re.search(r"\w", title)) and not _CHROME.match(title) and not is_boilerplate(title) \
        and _words(title) <= 40
