"""What the API takes and gives: the request limits, the request body and (for the OpenAPI docs) the output.

The output models mirror `classifier.results` (the output contract); the API returns `Analysis.to_dict()`
directly, so these only document it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, Field

from classifier.inputs import MAX_CHARS, MAX_INPUT_BYTES, TASKS, SizeLimits


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may ask for, and how much work the server holds at once."""

    # A request body: one page within max_input_bytes sent as JSON (escapes grow it) fits; the work a
    # request may cost is bounded by max_windows, not by its size.
    max_body_bytes: int = 24 * 1024 * 1024
    max_articles: int = 64  # per request
    max_chars: int = MAX_CHARS  # article text after reading (HTML: its main text), as `presslens analyze`; 0 = none
    max_input_bytes: int = MAX_INPUT_BYTES  # raw input per article (the page's HTML as sent); 0 = none
    max_targets: int = 16  # claims per article
    max_summary_sentences: int = 20
    max_windows: int = 512  # encoder windows per request (one per ~500 tokens per claim, + 1 per article)
    deadline_seconds: int = 300  # a request not done by then is stopped (504)
    queue_articles: int = 256  # articles queued or being analyzed, across all requests

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            lowest = 0 if field.name in ("max_chars", "max_input_bytes") else 1  # 0 = no limit
            if getattr(self, field.name) < lowest:
                raise ValueError(f"{field.name} must be at least {lowest}, got {getattr(self, field.name)}")
        if self.queue_articles < self.max_articles:
            raise ValueError(
                f"queue_articles ({self.queue_articles}) must be at least max_articles ({self.max_articles}), "
                "or a full-size request could never be accepted"
            )


# ------------------------------------------------------------------------------------------ request body
# The body is parsed and checked by hand (classifier.inputs, the one gate every surface uses), for readable
# messages and the size limit; this schema states exactly what that gate accepts, limits included, so
# that a client generated from /openapi.json sends only what the server takes (tests/test_demo_fuzz.py
# checks both directions with schemathesis).
    @property
    def sizes(self) -> SizeLimits:
        """The two size limits as the input gate and the reading chain take them, named as the server's options."""
        return SizeLimits(max_chars=self.max_chars, max_input_bytes=self.max_input_bytes,
                          chars_option="--max-chars of the server (presslens serve)",
                          bytes_option="--max-input-bytes of the server (presslens serve)")


def article_schema(limits: Limits) -> dict[str, Any]:
    text_or_null = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "title": "Article",
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "pattern": r"\S",
                     **({"maxLength": limits.max_input_bytes} if limits.max_input_bytes else {}),
                     "description": "The article: plain text or HTML (a whole page: its main text is read). A "
                                    "first line that looks like a headline is taken as the title when no title "
                                    f"is given. At most {limits.max_input_bytes:,} characters as sent, and "
                                    f"{limits.max_chars:,} characters of article text after reading (0 = no "
                                    "limit)."},
            "title": {**text_or_null, "description": "The headline (optional)."},
            "id": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}],
                   "description": "A string or an integer, copied to the output (as a string)."},
            "targets": {
                "anyOf": [{"type": "string"},
                          {"type": "array", "items": {"type": "string"}, "maxItems": limits.max_targets},
                          {"type": "null"}],
                "description": "Claims to check the article's stance toward (a string or a list); none = the "
                               "headline. Blank claims are ignored (with a warning).",
            },
            "tasks": {
                "anyOf": [{"type": "array", "items": {"enum": list(TASKS)}, "minItems": 1}, {"type": "null"}],
                "description": "Which analyses to run; default all three.",
            },
            "summary_sentences": {"type": "integer", "minimum": 1, "maximum": limits.max_summary_sentences,
                                  "default": 3, "description": "How many sentences the summary has."},
            "include_text": {"type": "boolean", "default": False,
                             "description": "Add \"article\": headline, language, date/author/site when known, "
                                            "and the sentences that summary and evidence indices point into."},
            "min_topic_score": {
                "anyOf": [{"type": "number", "minimum": 0, "maximum": 1}, {"type": "null"}],
                "description": "Below this best-label score the topic is \"none of these\": its label is null "
                               "(with a warning). Default (null): the model's own minimum (0 for the shipped "
                               "model; `presslens train-topics` fits one on validation).",
            },
            "languages": {
                "anyOf": [{"type": "array", "items": {"type": "string", "pattern": "^[A-Za-z]{2,3}$"}, "minItems": 1},
                          {"type": "null"}],
                "description": "Only analyze the article if it is in one of these languages (ISO 639-1 codes, "
                               "e.g. [\"en\"]); otherwise it is refused (422 invalid_article). Default: any, "
                               "with a warning when not English.",
            },
        },
        "examples": [{
            "id": "a1",
            "title": "Fenwick Foods to close 14 stores and cut 400 jobs",
            "text": "Fenwick Foods said on Thursday it would close 14 of its smallest shops ...",
            "targets": ["Fenwick Foods is cutting jobs"],
            "tasks": ["topic", "stance", "summary"],
            "summary_sentences": 3,
        }],
    }


def request_body_schema(limits: Limits) -> dict[str, Any]:
    article = article_schema(limits)
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"anyOf": [article, {"type": "array", "items": article, "minItems": 1,
                                               "maxItems": limits.max_articles}]},
            }
        },
    }


# ----------------------------------------------------------------------- response (for the OpenAPI docs)
class SentenceOut(BaseModel):
    index: int = Field(description="Position in the cleaned article's sentence list.")
    text: str
    score: float | None = None


class TopicOut(BaseModel):
    label: str | None = Field(description="The best label; null when none reaches the minimum topic score "
                                          "(\"none of these\").")
    score: float = Field(description="The best label's score, whether it fits or not.")
    scores: dict[str, float]
    topics: list[str] | None = Field(None, description="Multi-label models only: every label whose score "
                                                       "reaches its threshold, best first.")


class EvidenceOut(BaseModel):
    index: int = Field(description="Position in the cleaned article's sentence list.")
    text: str
    says: str | None = Field(None, description="What this sentence says about the claim on its own "
                                                "(supports / refutes / neutral), for models that read it (0.4.0 on).")
    score: float | None = Field(None, description="How sure that reading of the sentence is.")


class StanceOut(BaseModel):
    target: str
    label: str
    score: float
    scores: dict[str, float]
    confidence: str = Field("high", description='"low" when the top score is under 0.5 or no sentence carries an '
                                                'agree / disagree on its own; "high" otherwise.')
    evidence: list[EvidenceOut]


class SummaryOut(BaseModel):
    text: str
    sentences: list[SentenceOut]


class ArticleOut(BaseModel):
    """The article as read (only with "include_text": true)."""

    title: str | None = Field(description="The given headline, else the page's (og:title / h1 / <title>).")
    language: str | None = Field(description="ISO 639-1 code found in the text; null when too short to tell.")
    date: str | None = None
    author: str | None = None
    site: str | None = None
    sentences: list[str] = Field(description="Every summary and evidence `index` points into this list.")


class ModelOut(BaseModel):
    name: str
    version: str


class AnalysisOut(BaseModel):
    """The output contract for one article; the key of a task that was not asked for is absent."""

    id: str | None = None
    topic: TopicOut | None = None
    stances: list[StanceOut] | None = None
    summary: SummaryOut | None = None
    article: ArticleOut | None = None
    warnings: list[str] = Field(description="Problems: what reading removed, replaced or cut, or found doubtful.")
    notes: list[str] = Field(description="How the article was read: the sentences each stance pass read, the "
                                         "windows, where the summary was picked from. Not problems.")
    model: ModelOut


class ArticleErrorOut(BaseModel):
    """In a list's answer, in the place of an article that matched the schema but could not be analyzed."""

    id: str | None = Field(description="The article's id, when it had one.")
    error: str = Field(description="invalid_article (nothing to analyze after reading, binary data, a language "
                                   "not in `languages`) or analysis_failed (details in the server log).")
    message: str = Field(description="What was wrong and what to do about it.")


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: request_too_large, invalid_json, invalid_request, "
                                   "too_many_articles, article_too_long, too_many_targets, too_much_work, "
                                   "invalid_article, analysis_failed, not_found, method_not_allowed, busy, "
                                   "deadline_exceeded, internal_error")
    message: str = Field(description="What was wrong and what to do about it.")
    errors: list[dict[str, Any]] | None = Field(None, description="Per-article details, when there are several.")


class WorkerOut(BaseModel):
    state: Literal["ok", "stalled", "stopping"]
    worker_alive: bool
    seconds_since_progress: float
    stall_after_seconds: float


class HealthOut(BaseModel):
    status: Literal["ok", "stalled", "stopping"]
    worker: WorkerOut
    model_loaded: bool
    model: ModelOut
    labels: dict[str, list[str]]
    queue: dict[str, int]
    limits: dict[str, int]
