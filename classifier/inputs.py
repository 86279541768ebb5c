"""The one gate for what presslens accepts: an article (text, headline, claims, id), its options, the limits.

Every surface goes through here, so the rules and the messages are the same everywhere: the Python API
(`Analyzer.prepare`), `presslens analyze`, `presslens batch` (after a record is read), the HTTP API and the
web page. Pure Python (no torch), so that batch planning and the web layer can validate input cheaply:

    as_input({"text": "...", "title": "Headline", "targets": ["a claim"]})   # -> ArticleInput, or InputError
    as_request_items(json_body)            # the HTTP body: [(ArticleInput, Options)], single-object flag
    check_tasks("topic,summary")           # -> frozenset({"topic", "summary"})
    check_limits(article, options, limits) # the server's per-article limits

Two size limits, each with its own option and message (0 = no limit for either):

* `max_input_bytes` (MAX_INPUT_BYTES, 20 MiB) on the raw input as given: the page's HTML or the text, in
  bytes (a str counts its characters). Checked here, at the gate, before any work; a binary file (an image,
  a PDF) is named as such before its size is looked at. Readers never take in more than this plus one byte.
* `max_chars` (MAX_CHARS, 200,000) on the article's own text after reading (HTML main text, boilerplate
  removed): checked by the reading chain (`classifier.reading.read_article`) once extraction is done, so a
  2.5 MB news page with 20 KB of article passes.

The rules:

* `text` is a string (or bytes) with something in it; `title` a string or absent; `id` a string or an
  integer (returned as a string; "" counts as absent); `targets` one string or a list of strings.
* A blank claim (an empty CSV cell, "" in a list) is dropped, with a warning when it was in a list.
* Invalid Unicode (a lone surrogate such as "\\ud800", which JSON can carry but UTF-8 cannot) is replaced
  with U+FFFD, and the article gets a warning naming the field. It never reaches the tokenizer or an encoder.
* Field names in messages are the caller's (`presslens batch --text-field body` says 'body').
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any

from .errors import InputError
from .reading.clean import normalize_line

TASKS = ("topic", "stance", "summary")
ARTICLE_FIELDS = ("text", "title", "targets", "id")
OPTION_FIELDS = ("tasks", "summary_sentences", "include_text", "languages", "min_topic_score")
DEFAULT_SUMMARY_SENTENCES = 3
# Characters of article text (after reading: HTML's main text, boilerplate removed) per article, on every
# surface by default: a 30,000-word article fits; its windows are what the API's work budget counts.
MAX_CHARS = 200_000
MAX_TEXT_CHARS = MAX_CHARS  # the old name
# Bytes of raw input per article (the page's HTML or the text as given). Real news pages are 0.2-2.5 MB of
# HTML around 3-30 KB of article (scripts, styles, JSON blobs); 20 MiB is eight times the largest seen, and
# reading a page that size took 17 s and 275 MB RSS here (a synthetic 20 MB page, a busy core); readers take
# in at most this plus one byte, so a hostile 1 GB "page" costs nothing.
MAX_INPUT_BYTES = 20 * 1024 * 1024
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")


@dataclasses.dataclass(frozen=True)
class SizeLimits:
    """The two size limits of one surface (0 = no limit) and the option that lifts each, for messages:
    the CLI says "--max-chars", the server "presslens serve --max-chars", Python "max_chars=".

    `max_chars` counts the article's text after reading; `max_input_bytes` the raw input as given."""

    max_chars: int = MAX_CHARS
    max_input_bytes: int = MAX_INPUT_BYTES
    chars_option: str = "max_chars="
    bytes_option: str = "max_input_bytes="

    def __post_init__(self) -> None:
        for name in ("max_chars", "max_input_bytes"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(f"{name} must be an integer >= 0 (0 = no limit), got {value!r}")

    def too_long(self, chars: int, *, source: str = "") -> InputError:
        """The error for an article whose text, after reading, is over max_chars."""
        return InputError(f"the article's text is {chars:,} characters after reading{source}; the limit is "
                          f"{self.max_chars:,} characters of article text: pass a larger {self.chars_option} "
                          "(0 = no limit), or split it into articles", code="article_too_long")

    def too_large(self, size: int, field: str = "the input", *, unit: str = "bytes") -> InputError:
        """The error for raw input (HTML or text as given) over max_input_bytes."""
        # A reader stops at the limit + 1 (stdin, a file): all it knows then is "more than the limit".
        amount = f"more than {self.max_input_bytes:,}" if size == self.max_input_bytes + 1 else f"{size:,}"
        return InputError(f"{field} is {amount} {unit}; the limit for raw input (the page's HTML or the "
                          f"text as given) is {self.max_input_bytes:,} bytes per article: pass a larger "
                          f"{self.bytes_option} (0 = no limit)", code="input_too_large")


DEFAULT_LIMITS = SizeLimits()
CLI_LIMITS = SizeLimits(chars_option="--max-chars", bytes_option="--max-input-bytes")


@dataclasses.dataclass(frozen=True)
class ArticleInput:
    """One article as given: text (plain, HTML or bytes), optional headline, claims and id.

    `notes` are warnings from the gate itself (invalid Unicode replaced, blank claims dropped)."""

    text: str | bytes
    title: str | None = None
    targets: tuple[str, ...] = ()
    id: str | None = None
    notes: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class PreparedArticle:
    """An article cleaned, segmented and validated: ready for the model."""

    id: str | None
    title: str | None
    sentences: tuple[str, ...]
    targets: tuple[str, ...]  # the stance targets: the given claims, else the title, else none
    warnings: tuple[str, ...]
    language: str | None = None  # ISO 639-1 code found by reading, None when too short to tell
    metadata: tuple[tuple[str, str], ...] = ()  # ("date" | "author" | "site", value) the page had


@dataclasses.dataclass(frozen=True)
class Options:
    """What to compute for one article (HTTP API and page): the tasks (None = all), the summary length,
    whether to return the article's text, and the accepted languages (None = any)."""

    tasks: tuple[str, ...] | None = None
    summary_sentences: int = DEFAULT_SUMMARY_SENTENCES
    include_text: bool = False
    languages: frozenset[str] | None = None
    min_topic_score: float | None = None  # None: the checkpoint's own minimum

    @property
    def key(self) -> tuple[tuple[str, ...] | None, int]:
        return self.tasks, self.summary_sentences


# ------------------------------------------------------------------------------------------ one article
def as_input(article: Any, *, names: Mapping[str, str] | None = None,
             limits: SizeLimits = DEFAULT_LIMITS) -> ArticleInput:
    """Check one article and return it as an ArticleInput; InputError says what is wrong.

    `names` maps the fields to the caller's names for messages (batch: {"text": "body", ...}); `limits`
    gives the raw-input limit (the article-text limit is the reading chain's, see SizeLimits)."""
    label = _labeller(names)
    if isinstance(article, (str, bytes, bytearray)):
        article = ArticleInput(text=bytes(article) if isinstance(article, bytearray) else article)
    elif isinstance(article, Mapping):
        unknown = sorted(str(key) for key in article if key not in ARTICLE_FIELDS)
        if unknown:
            raise InputError(
                f"unknown article fields {scrub(str(unknown))}; an article has {', '.join(ARTICLE_FIELDS)}",
                code="invalid_request",
            )
        if article.get("text") is None:
            raise InputError(f"the article has no {(names or {}).get('text', 'text')!r} field; give the article's text",
                             code="invalid_request")
        article = ArticleInput(text=article["text"], title=article.get("title"), targets=article.get("targets"),
                               id=article.get("id"))
    elif not isinstance(article, ArticleInput):
        raise InputError(f"an article must be text, bytes, a dict or an ArticleInput, got {type(article).__name__}",
                         code="invalid_request")
    notes = list(article.notes)
    text = article.text
    if isinstance(text, bytearray):
        text = bytes(text)
    if not isinstance(text, (str, bytes)):
        raise InputError(f"{label('text')} must be a string, got {_a(json_kind(text))}", code="invalid_request")
    check_input_size(text, limits, label("text"))  # before any work on the text: a 1 GB "page" costs nothing
    if isinstance(text, str):
        text = _valid_unicode(text, label("text"), notes)
    if not text.strip():
        raise InputError(f"{label('text')} is empty: give the article's text (plain text or HTML)",
                         code="invalid_article")
    title = article.title
    if title is not None:
        if not isinstance(title, str):
            raise InputError(f"{label('title')} must be a string, got {_a(json_kind(title))}",
                             code="invalid_request")
        title = _valid_unicode(title, label("title"), notes).strip() or None
    targets = _check_targets(article.targets, label, notes)
    record_id = check_id(article.id, notes, names=names)
    return ArticleInput(text=text, title=title, targets=targets, id=record_id, notes=tuple(dict.fromkeys(notes)))


def _check_targets(targets: Any, label, notes: list[str]) -> tuple[str, ...]:
    if targets is None:
        return ()
    if isinstance(targets, str):
        claim = normalize_line(_valid_unicode(targets, label("targets"), notes))
        return (claim,) if claim else ()  # an empty CSV cell means no claim
    if not isinstance(targets, (list, tuple)):
        raise InputError(f"{label('targets')} must be a string or a list of strings, got {_a(json_kind(targets))}",
                         code="invalid_request")
    checked = []
    for number, target in enumerate(targets):
        if not isinstance(target, str):
            raise InputError(f"{label('targets')}[{number}]: every target (claim) must be a string, got "
                             f"{_a(json_kind(target))}", code="invalid_request")
        claim = normalize_line(_valid_unicode(target, f"{label('targets')}[{number}]", notes))
        if claim:
            checked.append(claim)
        else:
            notes.append(f"{label('targets')}[{number}] is blank; that claim was ignored")
    return tuple(checked)


def check_id(value: Any, notes: list[str], *, names: Mapping[str, str] | None = None) -> str | None:
    """An article id: a string or an integer, as a string; None or "" = no id. Notes get any repair."""
    label = _labeller(names)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InputError(f"{label('id')} must be a string or an integer, got {_a(json_kind(value))}",
                         code="invalid_request")
    return _valid_unicode(value, label("id"), notes) if isinstance(value, str) else str(value)


def _valid_unicode(value: str, field: str, notes: list[str]) -> str:
    if not _LONE_SURROGATE.search(value):
        return value
    notes.append(f"{field} held invalid Unicode (lone surrogate code points, e.g. from a '\\ud800' JSON escape); "
                 "replaced with U+FFFD")
    return _LONE_SURROGATE.sub("\ufffd", value)


def scrub(value: str) -> str:
    """`value` with lone surrogates replaced: safe to encode as UTF-8 (for messages that quote input)."""
    return _LONE_SURROGATE.sub("\ufffd", value)


def _labeller(names: Mapping[str, str] | None):
    names = names or {}

    def label(field: str) -> str:
        name = names.get(field, field)
        return f"'{name}'" if names else name

    return label


# ------------------------------------------------------------------------------------- options, limits
def check_tasks(tasks: Iterable[str] | None) -> frozenset[str]:
    if tasks is None:
        return frozenset(TASKS)
    if isinstance(tasks, str):
        tasks = [part.strip() for part in tasks.split(",") if part.strip()]
    wanted = frozenset(tasks)
    unknown = sorted(scrub(str(task)) for task in wanted - set(TASKS))
    if unknown or not wanted:
        found = f"unknown tasks {unknown}" if unknown else "no task"
        raise InputError(f"{found}; choose any of {', '.join(TASKS)}", code="invalid_request")
    return wanted


def check_summary_sentences(value: Any, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        shown = scrub(repr(value)) if not isinstance(value, int) or abs(value) < 10**12 else "a huge number"
        raise InputError(f"summary_sentences must be an integer >= 1, got {shown}", code="invalid_request")
    if maximum is not None and value > maximum:
        raise InputError(f"{value if value < 10**12 else 'a huge number'} summary sentences asked for; the limit "
                         f"is {maximum}", code="invalid_request")
    return value


def as_options(item: Mapping[str, Any], maximum_summary: int | None = None) -> Options:
    """The per-article options of an HTTP article object: `tasks` (a list or null) and `summary_sentences`."""
    tasks = item.get("tasks")
    if tasks is not None:
        if not isinstance(tasks, list):
            raise InputError(f"tasks must be a list of task names, got {_a(json_kind(tasks))}", code="invalid_request")
        if not tasks:
            raise InputError("an empty task list; choose any of topic, stance, summary (or leave tasks out for "
                             "all three)", code="invalid_request")
        for number, task in enumerate(tasks):
            if task not in TASKS:
                shown = scrub(repr(task))[:80]
                raise InputError(f"tasks[{number}]: unknown task {shown}; choose any of {', '.join(TASKS)}",
                                 code="invalid_request")
        tasks = tuple(dict.fromkeys(tasks))
    k = check_summary_sentences(item.get("summary_sentences", DEFAULT_SUMMARY_SENTENCES), maximum_summary)
    include_text = item.get("include_text", False)
    if not isinstance(include_text, bool):
        raise InputError(f"include_text must be true or false, got {_a(json_kind(include_text))}",
                         code="invalid_request")
    languages = item.get("languages")
    if languages is not None and not isinstance(languages, list):
        raise InputError(f"languages must be a list of language codes such as [\"en\"], got "
                         f"{_a(json_kind(languages))}", code="invalid_request")
    minimum = item.get("min_topic_score")
    if minimum is not None and (isinstance(minimum, bool) or not isinstance(minimum, (int, float))
                                or not 0.0 <= minimum <= 1.0):
        raise InputError(f"min_topic_score must be a number from 0 to 1 (or null for the model's own), got "
                         f"{scrub(repr(minimum))[:80]}", code="invalid_request")
    return Options(tasks, k, include_text, check_languages(languages),
                   None if minimum is None else float(minimum))


def check_languages(languages: Iterable[str] | str | None) -> frozenset[str] | None:
    """The languages a caller accepts ("en", "en,de", ["en"]) as lower-case ISO 639-1 codes; None = any."""
    if languages is None:
        return None
    if isinstance(languages, str):
        languages = [part.strip() for part in languages.split(",") if part.strip()]
    if not isinstance(languages, (list, tuple, set, frozenset)):
        raise InputError(f"languages must be a list of language codes, got {_a(json_kind(languages))}",
                         code="invalid_request")
    codes = []
    for code in languages:
        if not isinstance(code, str) or not re.fullmatch(r"[A-Za-z]{2,3}", code):
            shown = scrub(repr(code))[:40]
            raise InputError(f"languages must be ISO 639-1 codes such as en or de, got {shown}", code="invalid_request")
        codes.append(code.lower())
    if not codes:
        raise InputError("languages is empty; give one or more codes such as en (or leave it out for any)",
                         code="invalid_request")
    return frozenset(codes)


def check_input_size(text: str | bytes, limits: SizeLimits, field: str = "the input") -> None:
    """Raw input over max_input_bytes -> InputError; a binary file is named first, whatever its size
    (a 423 KB PNG is "a PNG image", not "too large")."""
    if isinstance(text, bytes):
        from .reading.decode import _binary_kind  # the signatures decoding refuses; one list for both

        kind = _binary_kind(text[:16])
        if kind:
            raise InputError(f"the input is {kind}, not an article's text; give the article as plain text or "
                             "HTML", code="invalid_article")
    limit = limits.max_input_bytes
    if limit and len(text) > limit:  # a str: its characters (at most its UTF-8 bytes), no copy made to count
        raise limits.too_large(len(text), field, unit="bytes" if isinstance(text, bytes) else "characters")


def check_limits(article: ArticleInput, *, max_targets: int, limits: SizeLimits = DEFAULT_LIMITS) -> None:
    """The server's limits for one article (raw input size, number of claims)."""
    check_input_size(article.text, limits)
    if len(article.targets) > max_targets:
        raise InputError(f"{len(article.targets)} targets (claims); the limit is {max_targets} per article",
                         code="too_many_targets")


def check_work(windows: int, *, limit: int, articles: int, claims: int, counted_all: bool = True) -> None:
    """The work budget of one request (HTTP) or one page analysis, in encoder windows."""
    if windows > limit:
        what = f"{articles} article{'s' if articles != 1 else ''}" if counted_all else f"the first {articles} articles"
        raise InputError(f"this request needs at least {windows:,} encoder windows ({what}, {claims} claims; each "
                         "claim reads the whole article, ~500 tokens a window); the limit is "
                         f"{limit:,} per request: send fewer claims or shorter articles, or split the request",
                         code="too_much_work")


# ------------------------------------------------------------------------------------ a JSON request body
@dataclasses.dataclass(frozen=True)
class ItemProblem:
    index: int
    id: str | None
    code: str
    message: str


def as_request_items(payload: Any, limits: Any) -> tuple[list[tuple[ArticleInput, Options]], bool, list[ItemProblem]]:
    """An HTTP body (one article object or a list): the checked items, whether one object was sent, problems.

    `limits` has max_articles, max_targets, max_summary_sentences and `sizes` (SizeLimits). Raises InputError for a body
    that is not an article or a list of them; per-article problems come back as ItemProblems."""
    single = isinstance(payload, dict)
    if not single and not isinstance(payload, list):
        raise InputError(f"the body is {_a(json_kind(payload))}; send an article object like "
                         '{"text": "..."} or a list of them', code="invalid_request")
    items = [payload] if single else payload
    if not items:
        raise InputError("the list of articles is empty; send at least one article", code="invalid_request")
    if len(items) > limits.max_articles:
        raise InputError(f"{len(items)} articles in one request; the limit is {limits.max_articles} per request: "
                         "split them over several", code="too_many_articles")
    checked, problems = [], []
    known = (*ARTICLE_FIELDS, *OPTION_FIELDS)
    for number, item in enumerate(items):
        where = "" if single else f"article {number}: "
        if not isinstance(item, dict):
            problems.append(ItemProblem(number, None, "invalid_request",
                                        f"{where}is {_a(json_kind(item))}, expected an article object"))
            continue
        raw_id = item.get("id")
        shown_id = scrub(raw_id) if isinstance(raw_id, str) else str(raw_id) if isinstance(raw_id, int) else None
        try:
            unknown = sorted(str(key) for key in item if key not in known)
            if unknown:  # here, so that the message lists the options too (as_input knows only the article)
                raise InputError(f"unknown article fields {scrub(str(unknown))}; an article has {', '.join(known)}",
                                 code="invalid_request")
            claims = item.get("targets")
            if isinstance(claims, list) and len(claims) > limits.max_targets:  # as given, blanks included
                raise InputError(f"{len(claims)} targets (claims); the limit is {limits.max_targets} per "
                                 "article", code="too_many_targets")
            options = as_options(item, limits.max_summary_sentences)
            sizes = limits.sizes
            article = as_input({key: value for key, value in item.items() if key not in OPTION_FIELDS},
                               limits=sizes)
            check_limits(article, max_targets=limits.max_targets, limits=sizes)
        except InputError as error:
            problems.append(ItemProblem(number, shown_id, error.code, where + str(error)))
            continue
        checked.append((article, options))
    return checked, single, problems


# ------------------------------------------------------------------------------------------------- words
def json_kind(value: Any) -> str:
    """The JSON name of a Python value's type, for messages."""
    kinds = {dict: "object", list: "array", tuple: "array", str: "string", bytes: "binary string",
             bool: "boolean", type(None): "null", int: "number", float: "number"}
    return kinds.get(type(value), type(value).__name__)


def _a(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind
