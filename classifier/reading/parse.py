"""HTML to an lxml tree the way a browser reads it, and the page's text measured from the markup itself.

    tree = parse_html(markup)          # None when it cannot be parsed at all
    page_text_chars(markup)            # non-space characters of the page's text (scripts and styles left out)

Why not trafilatura's own `load_html`: libxml2's HTML parser stops at 256 open elements unless told to
allow "huge" documents, and old HTML leaves elements open: an unclosed <span> or <font> in each of 300
paragraphs nests them 300 deep, and libxml2 silently dropped everything past the 127th paragraph (254
nested divs lost the rest of the page). With `huge_tree` it nests up to 2,048; a page deeper than that
(libxml2 reports "Excessive depth"), or with many <div>s never closed, is parsed again with its
<div>/<span>/<font> tags taken out, which keeps every word. Text after </body> or </html> goes into the
body, as in a browser, and a <title> never closed does not swallow the page. The measure of the page's
text comes from the markup, not from the tree, so that a parser that drops text cannot make the "kept N
of M characters" warning look better than it is.
"""

from __future__ import annotations

import html
import re
import threading

_LOCAL = threading.local()  # lxml parsers must not be shared between threads (the server prepares in several)
# Tags that only group or style text: taking them out keeps all the words of a page nested too deep.
_GROUPING_TAGS = re.compile(r"</?(?:div|span|font|section|center|small|big)\b[^<>]*>", re.IGNORECASE)
_INVISIBLE = re.compile(r"<(script|style|noscript|template|svg|head)\b[^>]*>.*?</\1\s*>|<!--.*?-->",
                        re.IGNORECASE | re.DOTALL)
_TAG = re.compile(r"<[^<>]*>")
_END_TAGS = re.compile(r"</(?:body|html)\s*>", re.IGNORECASE)
_DIV_TAGS = re.compile(r"<(/?)div\b", re.IGNORECASE)
UNCLOSED_DIVS = 32  # more <div> than </div> tags: sloppy markup, not a page's own layout
_TITLE_OPEN = re.compile(r"<title\b[^<>]*>", re.IGNORECASE)
_TITLE_CLOSE = re.compile(r"</title\s*>", re.IGNORECASE)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]*\?>", re.IGNORECASE)


def _parser():
    parser = getattr(_LOCAL, "parser", None)
    if parser is None:
        from lxml.html import HTMLParser

        # As trafilatura's parser (no ids collected, no comments or processing instructions), plus huge_tree.
        parser = _LOCAL.parser = HTMLParser(collect_ids=False, default_doctype=False, encoding="utf-8",
                                            remove_comments=True, remove_pis=True, huge_tree=True)
    return parser


def parse_html(markup: str):
    """The page's lxml tree (an HtmlElement), or None when lxml cannot parse it."""
    # A browser puts what follows </body> or </html> into the body; libxml2 drops it: so the end tags go.
    markup = _END_TAGS.sub(" ", markup)
    if _TITLE_OPEN.search(markup) and not _TITLE_CLOSE.search(markup):
        # A <title> never closed holds the rest of the page as its text (the parser reads it raw up to
        # </title>): seen on saved pages cut short or mangled. Its tag goes; its text is the page's.
        markup = _TITLE_OPEN.sub(" ", markup, count=1)
    tree = _parse(markup)
    if tree is not None and (_too_deep() or _unclosed_groups(markup)):
        flat = _parse(_GROUPING_TAGS.sub(" ", markup))
        tree = tree if flat is None else flat
    return tree


def _parse(markup: str):
    from lxml import etree
    from lxml.html import fromstring

    from trafilatura.utils import repair_faulty_html

    markup = repair_faulty_html(_XML_DECLARATION.sub("", markup, count=1), markup[:50].lower())
    data = markup.encode("utf-8", "surrogatepass")  # bytes: lxml refuses str with an encoding declaration
    try:
        tree = fromstring(data, parser=_parser())
    except (etree.ParserError, ValueError, TypeError):
        return None
    return tree if tree is not None and len(tree) else None


def _unclosed_groups(markup: str) -> bool:
    """Old HTML that leaves <div>s open nests every later paragraph one level deeper (as browsers do too,
    but extractors then keep only the deepest few): read such a page without its grouping tags."""
    opened = closed = 0
    for match in _DIV_TAGS.finditer(markup):
        if match.group(1):
            closed += 1
        else:
            opened += 1
    return opened - closed > UNCLOSED_DIVS


def _too_deep() -> bool:
    return any("Excessive depth" in entry.message for entry in _parser().error_log)


def page_text_chars(markup: str) -> int:
    """Non-space characters of the page's text: everything outside tags, but scripts, styles, the <head>
    and comments."""
    text = html.unescape(_TAG.sub(" ", _INVISIBLE.sub(" ", markup)))
    return len(text) - sum(text.count(space) for space in (" ", "\n", "\t", "\r", "\xa0"))
