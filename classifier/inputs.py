"""What the Analyzer accepts, checked: one article (text, headline, claims, id) and the tasks asked for.

Pure Python (no torch), so that batch planning and the web layer can validate input cheaply:

    as_input({"text": "...", "title": "Headline", "targets": ["a claim"]})   # -> ArticleInput, or InputError
    check_tasks("topic,summary")                                           # -> frozenset({"topic", "summary"})
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InputError
from .text import normalize_line

TASKS = ("topic", "stance", "summary")
_INPUT_FIELDS = ("text", "title", "targets", "id")


@dataclasses.dataclass(frozen=True)
class ArticleInput:
    """One article as given: text (plain, HTML or bytes), optional headline, claims and id."""

    text: str | bytes
    title: str | None = None
    targets: tuple[str, ...] = ()
    id: str | None = None


@dataclasses.dataclass(frozen=True)
class PreparedArticle:
    """An article cleaned, segmented and validated: ready for the model."""

    id: str | None
    title: str | None
    sentences: tuple[str, ...]
    targets: tuple[str, ...]  # the stance targets: the given claims, else the title, else none
    warnings: tuple[str, ...]


def as_input(article: Any) -> ArticleInput:
    if isinstance(article, (str, bytes, bytearray)):
        article = ArticleInput(text=bytes(article) if isinstance(article, bytearray) else article)
    elif isinstance(article, Mapping):
        unknown = sorted(str(key) for key in article if key not in _INPUT_FIELDS)
        if unknown:
            raise InputError(f"unknown article fields {unknown}; an article has {', '.join(_INPUT_FIELDS)}")
        if article.get("text") is None:
            raise InputError("the article has no 'text' field; give the article's text")
        article = ArticleInput(
            text=article["text"], title=article.get("title"), targets=article.get("targets") or (), id=article.get("id")
        )
    elif not isinstance(article, ArticleInput):
        raise InputError(
            f"an article must be text, bytes, a dict or an ArticleInput, got {type(article).__name__}"
        )
    if not isinstance(article.text, (str, bytes)):
        raise InputError(f"article text must be a string (or bytes), got {type(article.text).__name__}")
    if article.title is not None and not isinstance(article.title, str):
        raise InputError(f"title must be a string, got {type(article.title).__name__}")
    return dataclasses.replace(article, targets=_check_targets(article.targets), id=_check_id(article.id))


def _check_targets(targets: Any) -> tuple[str, ...]:
    if targets is None:
        return ()
    if isinstance(targets, str):
        targets = (targets,)
    if not isinstance(targets, (list, tuple)):
        raise InputError(f"targets must be a string or a list of strings, got {type(targets).__name__}")
    checked = []
    for target in targets:
        if not isinstance(target, str):
            raise InputError(f"every target (claim) must be a string, got {type(target).__name__}: {target!r}")
        target = normalize_line(target)
        if target:  # an empty claim (an empty CSV cell) means no claim
            checked.append(target)
    return tuple(checked)


def _check_id(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"id must be a string or an integer, got {type(value).__name__}")
    return str(value)


def check_tasks(tasks: Iterable[str] | None) -> frozenset[str]:
    if tasks is None:
        return frozenset(TASKS)
    if isinstance(tasks, str):
        tasks = [part.strip() for part in tasks.split(",") if part.strip()]
    wanted = frozenset(tasks)
    unknown = sorted(str(task) for task in wanted - set(TASKS))
    if unknown or not wanted:
        found = f"unknown tasks {unknown}" if unknown else "no task"
        raise InputError(f"{found}; choose any of {', '.join(TASKS)}")
    return wanted
