"""Reading an article: raw bytes or text (plain or HTML) in, its headline, sentences and language out.

    from classifier.reading import read_article
    article = read_article(open("page.html", "rb").read())
    article.title, article.sentences, article.language, article.date, article.warnings

One chain, one module per stage: decode (bytes -> text; binary input refused) -> extract (HTML: main text
and metadata) -> clean (normalise, headline, boilerplate lines) -> sentences (segment; only article
sentences) -> language. Every stage reports what it removed or noticed in `warnings`.
"""

from __future__ import annotations

import dataclasses

from ..errors import InputError
from .clean import clean_text, normalize_line
from .decode import decode
from .extract import Page, extract_page, looks_like_html
from .language import identify
from .sentences import segment

__all__ = ["Article", "read_article", "normalize_line", "looks_like_html"]


@dataclasses.dataclass(frozen=True)
class Article:
    """An article as read: headline (given or found), sentences, language, page metadata, warnings."""

    title: str | None
    sentences: tuple[str, ...]
    language: str | None = None  # ISO 639-1, None when there was too little text to tell
    date: str | None = None  # from the page's metadata (HTML only), as the page gives it (YYYY-MM-DD)
    author: str | None = None
    site: str | None = None
    warnings: tuple[str, ...] = ()


def read_article(raw: str | bytes, title: str | None = None, *, max_chars: int = 0,
                 chars_option: str = "max_chars=") -> Article:
    """Read one article. `title` (the given headline) always wins over one found in the text.

    Raises InputError when the input is not text, is empty, or has no article sentences left, and when
    the article's own text (after extraction and cleaning, before segmentation) is over `max_chars`
    (0 = no limit; `chars_option` is what lifts it, named in the message).
    """
    if title is not None and not isinstance(title, str):
        raise InputError(f"title must be a string, got {type(title).__name__}")
    warnings: list[str] = []
    text = decode(raw, warnings)
    if not text.strip():
        raise InputError("the article is empty: give the article's text (plain text or HTML)")
    html = looks_like_html(text)
    page = extract_page(text, warnings) if html else Page(text=text)
    body = clean_text(page.text, title or page.title, warnings, from_html=html)
    if max_chars:
        chars = sum(len(paragraph) for paragraph in body.paragraphs) + 2 * max(len(body.paragraphs) - 1, 0)
        if chars > max_chars:
            from ..inputs import SizeLimits  # here: classifier.inputs imports this package

            source = f" (out of {len(text):,} characters of HTML)" if html else ""
            raise SizeLimits(max_chars=max_chars, chars_option=chars_option).too_long(chars, source=source)
    sentences = segment(body.paragraphs, body.title, warnings)
    if not sentences:
        removed = f" ({'; '.join(warnings)})" if warnings else ""
        raise InputError(f"nothing is left of the article after cleaning{removed}; give the article's body text")
    if page.listing or body.listing:
        warnings.append("this looks like a listing or home page (mostly short link lines), not one article: "
                        "the results mix several stories")
    language = identify(sentences, warnings)
    return Article(
        title=body.title or (normalize_line(page.title) if page.title else None),
        sentences=tuple(sentences),
        language=language,
        date=page.date,
        author=page.author,
        site=page.site,
        warnings=tuple(warnings),
    )
