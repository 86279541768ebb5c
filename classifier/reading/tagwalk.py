"""The last fallback of HTML extraction: every block of the page as text, page furniture dropped.

    text, title, dropped = html_to_text("<html><body><h1>Headline</h1><p>Body ...</p></body></html>")

Used only when trafilatura finds no main text even in its recall mode (see extract.py). Block boundaries
become blank lines. beautifulsoup4 with the standard library's `html.parser` copes with any broken markup;
the tree is walked iteratively, so deeply nested markup cannot hit Python's recursion limit. A <form> that
holds the article (ASP.NET pages wrap the whole page in one) is read, not dropped.
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
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


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
        if (name in DROPPED and not (name == "form" and holds_article(node))) or (
            name == "header" and _is_site_header(node)
        ):
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


def holds_article(form: Tag) -> bool:
    """A form with paragraphs of prose in it is a page wrapper, not a search box or a login form."""
    return any(len(p.get_text()) >= 150 for p in form.find_all("p", limit=50))
