"""HTML to plain text for article cleaning: block boundaries become blank lines, page furniture is dropped.

    text, title, dropped = html_to_text("<html><body><h1>Headline</h1><p>Body ...</p></body></html>")

Uses beautifulsoup4 with the standard library's `html.parser` (no lxml needed; it copes with broken markup).
The tree is walked iteratively, so deeply nested markup cannot hit Python's recursion limit.
"""

from __future__ import annotations

import re
from collections import Counter

from bs4 import BeautifulSoup, Comment, Declaration, Doctype, NavigableString, ProcessingInstruction, Tag

# Elements that never carry article text: code, navigation, forms, embedded media, page chrome.
DROPPED = frozenset(
    "script style noscript template nav footer aside form button select iframe svg canvas "
    "object embed video audio figure figcaption head".split()
)
# Elements that start a new block (paragraph) of text.
BLOCKS = frozenset(
    "address article blockquote body dd details dialog div dl dt fieldset figcaption figure h1 h2 h3 h4 "
    "h5 h6 hgroup hr html li main ol p pre section summary table tbody thead tfoot tr td th ul caption".split()
)
_NON_TEXT = (Comment, Declaration, Doctype, ProcessingInstruction)
_TAG_PATTERN = re.compile(
    r"<\s*(?:!doctype|html|head|body|p|div|br|span|a|article|section|h[1-6]|li|ul|ol|table|script|style|"
    r"meta|title|img|strong|em|b|i)\b[^<>]*>",
    re.IGNORECASE,
)
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


def looks_like_html(text: str) -> bool:
    """True when the text holds real markup (two or more known tags), not a stray `<` in prose."""
    count = 0
    for _ in _TAG_PATTERN.finditer(text[:200_000]):
        count += 1
        if count >= 2:
            return True
    return False


def html_to_text(markup: str) -> tuple[str, str | None, Counter[str]]:
    """-> (text with one block per paragraph separated by blank lines, page <title> or None, dropped tags)."""
    soup = BeautifulSoup(markup, "html.parser")
    page_title = None
    title_tag = soup.find("title")
    if title_tag is not None:
        page_title = _SPACES.sub(" ", title_tag.get_text()).strip() or None

    dropped: Counter[str] = Counter()
    blocks: list[str] = []
    current: list[str] = []

    def flush() -> None:
        # Within a block, <br> gives a line break; everything else is inline text.
        text = "".join(current)
        lines = (line.strip() for line in text.split("\n"))
        block = "\n".join(line for line in lines if line)
        if block:
            blocks.append(block)
        current.clear()

    # Iterative walk: the stack holds nodes to visit, plus a marker to close a block after its children.
    _CLOSE = object()
    stack: list[object] = list(reversed(soup.contents))
    while stack:
        node = stack.pop()
        if node is _CLOSE:
            flush()
            continue
        if isinstance(node, _NON_TEXT):
            continue
        if isinstance(node, NavigableString):
            current.append(_SPACES.sub(" ", str(node)))
            continue
        if not isinstance(node, Tag):
            continue
        name = (node.name or "").lower()
        if name in DROPPED or (name == "header" and _is_site_header(node)):
            if name != "head":
                dropped[name] += 1
            continue
        if name == "br":
            current.append("\n")
            continue
        if name in BLOCKS:
            flush()
            stack.append(_CLOSE)
        stack.extend(reversed(node.contents))
    flush()
    return "\n\n".join(blocks), page_title, dropped


def _is_site_header(node: Tag) -> bool:
    """A page-level <header> (logo, menu) is chrome; an article's own <header> holds its headline."""
    return node.find("h1") is None and node.find_parent(["article", "main"]) is None


def headline_from_page_title(page_title: str | None) -> str | None:
    """A page <title> is often "Headline | Site name": keep the longest part as the headline."""
    if not page_title:
        return None
    parts = [part.strip() for part in re.split(r"\s+[|\u2013\u2014]\s+", page_title) if part.strip()]
    return max(parts, key=len) if parts else None
