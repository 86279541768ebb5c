"""What the API takes and gives: the request limits, the request body and (for the OpenAPI docs) the output.

The output models mirror `classifier.results` (the output contract); the API returns `Analysis.to_dict()`
directly, so these only document it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, Field

from classifier.inputs import MAX_CHARS, TASKS


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may ask for, and how much work the server holds at once."""

    max_body_bytes: int = 5 * 1024 * 1024
    max_articles: int = 64  # per request
    max_chars: int = MAX_CHARS  # per article text: a 20,000-word article fits (as `presslens analyze`)
    max_targets: int = 16  # claims per article
    max_summary_sentences: int = 20
    max_windows: int = 512  # encoder windows per request (one per ~500 tokens per claim, + 1 per article)
    deadline_seconds: int = 300  # a request not done by then is stopped (504)
    queue_articles: int = 256  # articles queued or being analyzed, across all requests

    def __post_init__(self) -> None:
        for field in dataclasses.fields(self):
            if getattr(self, field.name) < 1:
                raise ValueError(f"{field.name} must be at least 1, got {getattr(self, field.name)}")
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
def article_schema(limits: Limits) -> dict[str, Any]:
    text_or_null = {"anyOf": [{"type": "string"}, {"type": "null"}]}
    return {
        "title": "Article",
        "type": "object",
        "additionalProperties": False,
        "required": ["text"],
        "properties": {
            "text": {"type": "string", "minLength": 1, "maxLength": limits.max_chars, "pattern": r"\S",
                     "description": "The article: plain text or HTML. A first line that looks like a headline "
                                    "is taken as the title when no title is given."},
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


class StanceOut(BaseModel):
    target: str
    label: str
    score: float
    scores: dict[str, float]
    evidence: list[SentenceOut]


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
    warnings: list[str]
    model: ModelOut


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
