"""What the API takes and gives: the request limits, the request body and (for the OpenAPI docs) the output.

The output models mirror `classifier.results` (the output contract); the API returns `Analysis.to_dict()`
directly, so these only document it.
"""

from __future__ import annotations

import dataclasses
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictInt, StrictStr, TypeAdapter, field_validator

Task = Literal["topic", "stance", "summary"]


@dataclasses.dataclass(frozen=True)
class Limits:
    """What one request may ask for, and how much work the server holds at once."""

    max_body_bytes: int = 5 * 1024 * 1024
    max_articles: int = 64  # per request
    max_chars: int = 200_000  # per article text: a 20,000-word article fits
    max_targets: int = 16  # claims per article
    max_summary_sentences: int = 20
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
class ArticleRequest(BaseModel):
    """One article, with the same fields as a batch record plus the per-article options."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "a1",
                    "title": "Fenwick Foods to close 14 stores and cut 400 jobs",
                    "text": "Fenwick Foods said on Thursday it would close 14 of its smallest shops ...",
                    "targets": ["Fenwick Foods is cutting jobs"],
                    "tasks": ["topic", "stance", "summary"],
                    "summary_sentences": 3,
                }
            ]
        },
    )

    text: StrictStr = Field(description="The article: plain text or HTML. A first line that looks like a "
                                        "headline is taken as the title when no title is given.")
    title: StrictStr | None = Field(None, description="The headline (optional).")
    id: str | None = Field(None, description="A string or an integer, copied to the output (as a string).")
    targets: list[StrictStr] = Field(
        default_factory=list,
        description="Claims to check the article's stance toward (a string or a list); none = the headline.",
    )
    tasks: list[Task] | None = Field(None, description="Which analyses to run; default all three.")
    summary_sentences: StrictInt = Field(3, ge=1, description="How many sentences the summary has.")

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: Any) -> Any:
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)  # as batch input does: ids come back as strings
        if value is not None and not isinstance(value, str):
            raise ValueError(f"must be a string or an integer, got a JSON {json_kind(value)}")
        return value

    @field_validator("targets", mode="before")
    @classmethod
    def _one_claim_as_list(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


ARTICLE_LIST = TypeAdapter(list[ArticleRequest])


def request_body_schema() -> dict[str, Any]:
    # The body is parsed by hand (for readable errors and the size limit), so its schema is given explicitly.
    article = ArticleRequest.model_json_schema(ref_template="#/components/schemas/{model}")
    return {
        "required": True,
        "content": {
            "application/json": {
                "schema": {"anyOf": [article, {"type": "array", "items": article}]},
            }
        },
    }


# ----------------------------------------------------------------------- response (for the OpenAPI docs)
class SentenceOut(BaseModel):
    index: int = Field(description="Position in the cleaned article's sentence list.")
    text: str
    score: float | None = None


class TopicOut(BaseModel):
    label: str
    score: float
    scores: dict[str, float]


class StanceOut(BaseModel):
    target: str
    label: str
    score: float
    scores: dict[str, float]
    evidence: list[SentenceOut]


class SummaryOut(BaseModel):
    text: str
    sentences: list[SentenceOut]


class ModelOut(BaseModel):
    name: str
    version: str


class AnalysisOut(BaseModel):
    """The output contract for one article; the key of a task that was not asked for is absent."""

    id: str | None = None
    topic: TopicOut | None = None
    stances: list[StanceOut] | None = None
    summary: SummaryOut | None = None
    warnings: list[str]
    model: ModelOut


class ErrorOut(BaseModel):
    error: str = Field(description="A stable code: request_too_large, invalid_json, invalid_request, "
                                   "too_many_articles, article_too_long, too_many_targets, invalid_article, busy")
    message: str = Field(description="What was wrong and what to do about it.")
    errors: list[dict[str, Any]] | None = Field(None, description="Per-article details, when there are several.")


class HealthOut(BaseModel):
    status: Literal["ok", "stopping"]
    model_loaded: bool
    model: ModelOut
    labels: dict[str, list[str]]
    queue: dict[str, int]
    limits: dict[str, int]



def json_kind(value: Any) -> str:
    return {str: "string", bool: "boolean", type(None): "null", int: "number", float: "number"}.get(
        type(value), type(value).__name__
    )
