"""The JSON HTTP API: `POST /api/v1/analyze` (one article or a list) and `GET /healthz`.

    curl -s localhost:7860/api/v1/analyze -H 'content-type: application/json' \\
         -d '{"title": "Harbour City reach the cup final", "text": "Harbour City will play ..."}'

Requests are checked against `Limits` before any work is done, and every refusal is a JSON body
`{"error": "<code>", "message": "<what was wrong and what to do>"}` with a 4xx status (413 for a body that is
too large, 400 for a body that is not JSON, 422 for anything else wrong in it). Articles are cleaned in the
request's thread (so that cleaning overlaps with the model's work) and then go through the shared
`MicroBatcher`; a full queue is a 503 with a Retry-After header.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from pydantic import ValidationError

from classifier.errors import InputError

from .batching import BatcherClosedError, MicroBatcher, QueueFullError
from .schemas import (
    ARTICLE_LIST, AnalysisOut, ArticleRequest, ErrorOut, HealthOut, Limits, json_kind, request_body_schema,
)

__all__ = ["ApiError", "Limits", "api_error_handler", "build_router"]


# ---------------------------------------------------------------------------------------------- errors
class ApiError(Exception):
    """A refusal with an HTTP status, a stable code and a readable message (becomes the JSON body)."""

    def __init__(self, status: int, code: str, message: str, *, errors: list[dict] | None = None,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors, self.headers = status, code, message, errors, headers

    def response(self) -> JSONResponse:
        body: dict[str, Any] = {"error": self.code, "message": self.message}
        if self.errors:
            body["errors"] = self.errors
        return JSONResponse(body, status_code=self.status, headers=self.headers)


async def api_error_handler(request: Request, error: ApiError) -> JSONResponse:
    return error.response()


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "The body is not valid JSON.",
        413: "The body is larger than the limit.",
        422: "Wrong fields or types, a limit exceeded, or an article that cannot be analyzed.",
        503: "The server is busy (its queue is full) or stopping; retry after Retry-After seconds.",
    }.items()
}


# ---------------------------------------------------------------------------------------------- routes
def build_router(analyzer: Any, batcher: MicroBatcher, limits: Limits) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/v1/analyze",
        summary="Analyze one article or a list of articles",
        response_model=AnalysisOut | list[AnalysisOut],
        responses=_ERROR_RESPONSES,
        openapi_extra={"requestBody": request_body_schema()},
        tags=["analysis"],
    )
    async def analyze(request: Request) -> JSONResponse:
        """Send one article object (answer: one result) or a list of them (answer: a list, same order).

        Limits: see `GET /healthz` (`limits`). The result of each article is the presslens output contract.
        """
        body = await _read_body(request, limits.max_body_bytes)
        # Parsing a few MB of JSON and cleaning articles take milliseconds of CPU each: off the event loop.
        articles, single = await run_in_threadpool(lambda: _validate(_parse_json(body), limits))
        request.state.articles = len(articles)  # for the request log line
        prepared = await run_in_threadpool(_prepare_all, analyzer, articles, single)
        outcomes = await _analyze_through_queue(batcher, articles, prepared)
        results = [outcome.to_dict() for outcome in outcomes]
        return JSONResponse(results[0] if single else results)

    @router.get("/healthz", summary="Is the model loaded, which one, how busy", response_model=HealthOut,
                tags=["service"])
    async def healthz() -> JSONResponse:
        running = batcher.running
        body = {
            "status": "ok" if running else "stopping",
            "model_loaded": True,  # the app is only built around a loaded analyzer
            "model": analyzer.model_info.to_dict(),
            "labels": analyzer.labels,
            "queue": {"pending_articles": batcher.pending, "capacity": batcher.max_pending},
            "limits": dataclasses.asdict(limits),
        }
        return JSONResponse(body, status_code=200 if running else 503)

    return router


async def _read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` (before reading it all)."""
    too_large = ApiError(
        413, "request_too_large",
        f"the request body is larger than the limit of {limit:,} bytes; send fewer or shorter articles "
        "per request",
    )
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise too_large
    chunks, size = [], 0
    async for chunk in request.stream():  # also bounds bodies sent without a Content-Length (chunked)
        size += len(chunk)
        if size > limit:
            raise too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _parse_json(body: bytes) -> Any:
    if not body.strip():
        raise ApiError(400, "invalid_json", 'the request body is empty; send a JSON object like {"text": "..."} '
                                            "or a list of them")
    try:
        return json.loads(body)
    except UnicodeDecodeError:
        raise ApiError(400, "invalid_json", "the request body is not UTF-8 encoded JSON") from None
    except json.JSONDecodeError as error:
        raise ApiError(
            400, "invalid_json",
            f"the request body is not valid JSON ({error.msg} at line {error.lineno}, column {error.colno}); "
            'send an object like {"text": "..."} or a list of them',
        ) from None


def _validate(payload: Any, limits: Limits) -> tuple[list[ArticleRequest], bool]:
    """Typed articles and whether one object (not a list) was sent; ApiError(422) says what is wrong."""
    single = isinstance(payload, dict)
    if not single and not isinstance(payload, list):
        raise ApiError(422, "invalid_request", f"the body is a JSON {json_kind(payload)}; send an article object "
                                               'like {"text": "..."} or a list of them')
    items = [payload] if single else payload
    if not items:
        raise ApiError(422, "invalid_request", "the list of articles is empty; send at least one article")
    if len(items) > limits.max_articles:
        raise ApiError(422, "too_many_articles", f"{len(items)} articles in one request; the limit is "
                                                 f"{limits.max_articles} per request: split them over several")
    try:
        articles = ARTICLE_LIST.validate_python(items)
    except ValidationError as error:
        raise ApiError(422, "invalid_request", _describe(error, single),
                       errors=[_error_detail(e, single) for e in error.errors()]) from None
    problems = []
    for number, article in enumerate(articles):
        where = "the article" if single else f"article {number}"
        if len(article.text) > limits.max_chars:
            problems.append(("article_too_long", f"{where} has {len(article.text):,} characters of text; the "
                                                 f"limit is {limits.max_chars:,} per article"))
        if len(article.targets) > limits.max_targets:
            problems.append(("too_many_targets", f"{where} has {len(article.targets)} targets (claims); the "
                                                 f"limit is {limits.max_targets} per article"))
        if article.summary_sentences > limits.max_summary_sentences:
            problems.append(("invalid_request", f"{where} asks for {article.summary_sentences} summary "
                                                f"sentences; the limit is {limits.max_summary_sentences}"))
        if article.tasks is not None and not article.tasks:
            problems.append(("invalid_request", f"{where} has an empty task list; choose any of topic, stance, "
                                                "summary (or leave tasks out for all three)"))
    if problems:
        raise ApiError(422, problems[0][0], "; ".join(message for _, message in problems[:5]))
    return articles, single


def _prepare_all(analyzer: Any, articles: list[ArticleRequest], single: bool) -> list[Any]:
    """Clean and segment every article (in a worker thread); all problems at once as one 422."""
    from classifier.inputs import ArticleInput

    prepared, errors = [], []
    for number, article in enumerate(articles):
        item = ArticleInput(article.text, title=article.title, targets=tuple(article.targets), id=article.id)
        try:
            prepared.append(analyzer.prepare(item))
        except InputError as error:
            errors.append({"index": number, "id": item.id, "message": str(error)})
    if errors:
        if single:
            raise ApiError(422, "invalid_article", errors[0]["message"])
        message = "; ".join(f"article {e['index']}: {e['message']}" for e in errors[:5])
        raise ApiError(422, "invalid_article", message, errors=errors)
    return prepared


async def _analyze_through_queue(batcher: MicroBatcher, articles: list[ArticleRequest], prepared: list) -> list:
    """Submit the articles (one job per distinct tasks/summary length) and wait; outcomes in input order."""
    groups: dict[tuple, list[int]] = {}
    for number, article in enumerate(articles):
        key = (tuple(article.tasks) if article.tasks else None, article.summary_sentences)
        groups.setdefault(key, []).append(number)
    try:
        futures = [
            (numbers, batcher.submit([prepared[n] for n in numbers], tasks=key[0], summary_sentences=key[1]))
            for key, numbers in groups.items()
        ]
    except QueueFullError as error:
        raise ApiError(503, "busy", str(error), headers={"Retry-After": str(error.retry_after)}) from None
    except BatcherClosedError as error:
        raise ApiError(503, "busy", str(error), headers={"Retry-After": "5"}) from None
    outcomes: list[Any] = [None] * len(articles)
    for numbers, future in futures:
        for number, outcome in zip(numbers, await asyncio.wrap_future(future)):
            if isinstance(outcome, BaseException):
                raise ApiError(422, "invalid_article", f"article {number}: {outcome}")
            outcomes[number] = outcome
    return outcomes


def _describe(error: ValidationError, single: bool) -> str:
    parts = [f"{_location(e['loc'], single)}: {_message(e)}" for e in error.errors()[:5]]
    more = error.error_count() - len(parts)
    return "; ".join(parts) + (f"; and {more} more problems" if more > 0 else "")


def _error_detail(error: Any, single: bool) -> dict[str, Any]:
    return {"location": _location(error["loc"], single), "message": _message(error)}


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field; an article has " + ", ".join(ArticleRequest.model_fields)
    if error["type"] == "missing":
        return "this field is required"
    if error["type"] == "value_error":
        return error["msg"].removeprefix("Value error, ")
    return error["msg"]


def _location(loc: tuple, single: bool) -> str:
    """(0, 'targets', 2) -> 'article 0: targets[2]' ('targets[2]' when one object was sent)."""
    parts = list(loc)
    prefix = ""
    if parts and isinstance(parts[0], int):
        number = parts.pop(0)
        prefix = "" if single else f"article {number}: "
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return prefix + (path or "body")
