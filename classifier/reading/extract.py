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

from .clean import fold
from .headline import _meta, choose_headline, clean_title, usable  # one reader of <meta> for both
from .parse import page_text_chars

_clean_title = clean_title  # the old name (tests)

_TAG_PATTERN = re.compile(
    r"<\s*(?:!doctype|html|head|body|p|div|br|span|a|article|section|h[1-6]|li|ul|ol|table|script|style|"
    r"meta|title|img|strong|em|b|i)\b[^<>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"\s+")
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
# Precision mode is a stricter reading of the same page: its text lies inside normal mode's. When most of it
# does not, it took another part of the page (an author box, a sidebar, a disclaimer under a short post),
# and normal mode, with more prose, is the article (Dragnet's 2012 blog pages of the tuning part).
PRECISION_ELSEWHERE_SHARE = 0.5
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
        return Page(text=text, title=clean_title(page_title, None))
    _unwrap_page_forms(tree)
    site = _meta(tree, "og:site_name", "application-name")

    options = dict(include_comments=False, include_tables=True, favor_precision=True, deduplicate=False,
                   date_extraction_params={"extensive_search": False, "original_date": True})
    document = trafilatura.bare_extraction(tree, with_metadata=True, **options)
    cells: list[str] = []
    blocks = _blocks(document, cells)
    page_chars = page_text_chars(markup)
    if _chars("".join(blocks)) < PRECISION_CHECK_SHARE * page_chars or _prose(blocks) < PRECISION_CHECK_PROSE:
        # Precision mode kept little: on some pages that is a teaser list, an ad block or "Skip to main
        # content" instead of the article. Its normal mode decides when it finds far more prose.
        options.update(favor_precision=False)
        normal = trafilatura.bare_extraction(tree, with_metadata=False, **options)  # metadata: from the first
        normal_cells: list[str] = []
        found = _blocks(normal, normal_cells)
        wins = normal_mode_wins(blocks, found)
        if wins:
            cells = normal_cells
            why = " elsewhere on the page" if wins == "elsewhere" else ""
            warnings.append(f"trafilatura's precision mode found {_prose(blocks):,} characters of prose{why}: used "
                            f"its normal mode, which found {_prose(found):,}")
            blocks = found
    if not blocks:
        options.update(favor_precision=False, favor_recall=True)
        blocks = _blocks(trafilatura.bare_extraction(tree, with_metadata=False, **options))
        if blocks:
            warnings.append("trafilatura found no main text in its normal mode: used its recall mode, "
                            "which may keep some page furniture")
    if blocks:
        text = "\n\n".join(_LIST_ITEM.sub("", block) for block in blocks)
        _note_removed(page_chars, text, warnings)
        if cells:
            shown = ", ".join(f'"{cell[:40]}"' for cell in cells[:2])
            plural = len(cells) != 1
            warnings.append(f"left out {len(cells)} table cell{'s' if plural else ''} that {'are' if plural else 'is'} "
                            f"not article text (menus, labels, numbers: {shown}{', ...' if len(cells) > 2 else ''})")
    else:
        text, _, dropped = html_to_text(lxml_html.tostring(tree, encoding="unicode"))
        blocks = text.split("\n\n")
        parts = ", ".join(f"{count} {name}" for name, count in sorted(dropped.items()))
        warnings.append("trafilatura found no main text: read every block of the page instead"
                        + (f" (left out {parts})" if parts else ""))

    listing = _looks_like_listing(tree, blocks)  # trafilatura worked on a copy: `tree` is the whole page
    title = choose_headline(tree, site, blocks, _usable_or_none(clean_title(getattr(document, "title", None), site)))
    return Page(
        text=text,
        title=title,
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


def _blocks(document, dropped: list[str] | None = None) -> list[str]:
    """trafilatura's text has one block per line (list items start with "- "; table rows are "| a | b |").

    A table row is split into its cells, each a block: on old table-layout pages one row holds the
    headline, the byline, the date and the menu, which glued together made one "sentence" of all four.
    Cells that do not read as text (a menu, a label, a number: under four words, or short capitalised
    words with no sentence end) are left out and counted in `dropped`."""
    text = getattr(document, "text", None) or ""
    blocks = []
    for line in text.split("\n"):
        line = line.strip()
        if not line.startswith("|"):
            if line:
                blocks.append(line)
            continue
        for cell in _CELL_SEPARATOR.split(line.strip("|")):
            cell = cell.replace("\\|", "|").strip()
            if not cell or set(cell) <= set("-: "):
                continue
            if _reads_as_text(cell):
                blocks.append(cell)
            elif dropped is not None:
                dropped.append(cell)
    return blocks


_CELL_SEPARATOR = re.compile(r"(?<!\\)\|")
_NAV_WORD = re.compile(r"^[A-Z0-9&][\w'&.-]*$")


def _reads_as_text(cell: str) -> bool:
    words = cell.split()
    if len(words) < 4:
        return False
    if " | " in cell and all(len(part.split()) <= 4 for part in cell.split(" | ")):
        return False  # "Copyright 2008 The Courier | Contact us | Advertise"
    ends = _ENDS_LIKE_PROSE.search(cell) is not None
    return ends or len(words) > 8 or not all(_NAV_WORD.match(word) for word in words)


def _field(document, name: str) -> str | None:
    value = getattr(document, name, None)
    value = _SPACES.sub(" ", value).strip() if isinstance(value, str) else None
    return value or None


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


def normal_mode_wins(precise: list[str], normal: list[str]) -> str | None:
    """Whether trafilatura's normal mode's blocks are the article rather than its precision mode's: "more"
    (three times the prose), "elsewhere" (more prose, and most of the precise text is not in it: precision
    mode read another part of the page), else None."""
    if _prose(normal) > _prose(precise) > 0 and _contained(precise, normal) < PRECISION_ELSEWHERE_SHARE:
        return "elsewhere"
    return "more" if _prose(normal) > PRECISION_LOSS_RATIO * _prose(precise) + 200 else None


def _contained(blocks: list[str], others: list[str]) -> float:
    """The share of the words of `blocks` (in runs of four) that `others` has too."""
    def runs(texts: list[str]) -> set[tuple[str, ...]]:
        words = fold(" ".join(texts)).split()
        return {tuple(words[i : i + 4]) for i in range(max(1, len(words) - 3))}

    own = runs(blocks)
    return len(own & runs(others)) / len(own) if own else 1.0


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


def _usable_or_none(title: str | None) -> str | None:
    return title if title and usable(title) else None
