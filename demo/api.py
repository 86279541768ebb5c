"""The JSON HTTP API: `POST /api/v1/analyze` (one article or a list) and `GET /healthz`.

    curl -s localhost:7860/api/v1/analyze -H 'content-type: application/json' \\
         -d '{"title": "Harbour City reach the cup final", "text": "Harbour City will play ..."}'

Every request is checked by `classifier.inputs` (the one gate of every surface) and against `Limits`
before any model work, and every refusal is a JSON body `{"error": "<code>", "message": "<what was wrong
and what to do>"}`: 400 for a body that is not JSON (including nesting too deep and integers too long to
read), 404/405 for a wrong path or method, 413 for a body that is too large, 422 for anything else wrong
in it (a limit, the work budget in encoder windows, an article that cannot be analyzed), 503 + Retry-After
when the server is busy or stopping, 504 when the request's deadline passed. Articles are cleaned and
their encoder windows counted in a worker thread, then go through the shared `MicroBatcher`; a request
whose client disconnects, or whose deadline passes, is taken out of the model's work.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import ClientDisconnect

from classifier.errors import AnalysisError, InputError
from classifier.inputs import as_request_items, check_work, scrub

from .batching import BatcherClosedError, DeadlineExceeded, MicroBatcher, QueueFullError
from .schemas import AnalysisOut, ArticleErrorOut, ErrorOut, HealthOut, Limits, request_body_schema

__all__ = ["ApiError", "Limits", "api_error_handler", "build_router", "install_error_handlers"]
log = logging.getLogger("presslens.demo.api")
ANALYZE_PATH = "/api/v1/analyze"
_POLL_SECONDS = 0.25  # how often a waiting request looks whether its client is still there
LANGUAGE_OPTION = '"languages": ["en"]'  # named in the warning on an article in another language


# ---------------------------------------------------------------------------------------------- errors
class SafeJSONResponse(JSONResponse):
    """JSON as UTF-8 even when a message quotes input holding lone surrogates (they become U+FFFD)."""

    def render(self, content: Any) -> bytes:
        text = json.dumps(content, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
        return scrub(text).encode("utf-8")


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
        return SafeJSONResponse(body, status_code=self.status, headers=self.headers)


async def api_error_handler(request: Request, error: ApiError) -> JSONResponse:
    return error.response()


def install_error_handlers(app: Any) -> None:
    """ApiError, HTTP errors (404, 405) and any unexpected exception answer in the documented JSON shape."""

    async def http_error(request: Request, error: StarletteHTTPException) -> JSONResponse:
        codes = {404: "not_found", 405: "method_not_allowed"}
        message = {404: f"there is no {request.url.path}; the API is POST {ANALYZE_PATH} and GET /healthz",
                   405: f"{request.method} is not allowed here; see Allow"}.get(error.status_code, str(error.detail))
        return ApiError(error.status_code, codes.get(error.status_code, "http_error"), message,
                        headers=getattr(error, "headers", None)).response()

    async def unexpected(request: Request, error: Exception) -> JSONResponse:
        log.error("unexpected error in %s %s", request.method, request.url.path, exc_info=error)
        return ApiError(500, "internal_error", "something went wrong on the server; the details are in the "
                                               "server log").response()

    app.add_exception_handler(ApiError, api_error_handler)
    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(Exception, unexpected)


_ERROR_RESPONSES: dict[int | str, dict[str, Any]] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in {
        400: "The body is not JSON, or JSON that cannot be read (nested too deeply, integers too long).",
        413: "The body is larger than the limit.",
        422: "Wrong fields or types, a limit exceeded (articles, characters, claims, encoder windows), or an "
             "article that cannot be analyzed.",
        503: "The server is busy (its queue is full) or stopping; retry after Retry-After seconds.",
        504: "The analysis did not finish within the request deadline.",
    }.items()
}


# ---------------------------------------------------------------------------------------------- routes
def build_router(analyzer: Any, batcher: MicroBatcher, limits: Limits) -> APIRouter:
    router = APIRouter()
    counter = batcher.count_windows

    @router.post(
        ANALYZE_PATH,
        summary="Analyze one article or a list of articles",
        response_model=AnalysisOut | list[AnalysisOut | ArticleErrorOut],
        responses=_ERROR_RESPONSES,
        openapi_extra={"requestBody": request_body_schema(limits)},
        tags=["analysis"],
    )
    async def analyze(request: Request) -> JSONResponse:
        """Send one article object (answer: one result) or a list of them (answer: a list, same order).

        Limits: see `GET /healthz` (`limits`), also stated in this schema. The result of each article is
        the presslens output contract. In a list, an article that matches the schema but cannot be analyzed
        gets `{"id", "error", "message"}` in its place and the others are analyzed; a body that does not
        match the schema is refused whole (422, naming each article).
        """
        started = time.monotonic()
        with batcher.incoming():  # a model call about to start waits a few ms for this request to join it
            body = await _read_body(request, limits.max_body_bytes)
            # Parsing a few MB of JSON, cleaning and counting tokens take milliseconds of CPU: off the event loop.
            items, single = await run_in_threadpool(_checked_items, body, limits)
            request.state.articles = len(items)  # for the request log line
            prepared, costs, failed = await run_in_threadpool(_prepare_all, analyzer, counter, items, single, limits)
            futures = _submit(batcher, items, prepared, costs, started + limits.deadline_seconds)
        outcomes = await _analyze_through_queue(request, futures, items, started + limits.deadline_seconds,
                                                limits, single, failed)
        results = [outcome if isinstance(outcome, dict)
                   else analyzer.with_min_topic_score(outcome, options.min_topic_score).to_dict(include_text=options.include_text)
                   for outcome, (_, options) in zip(outcomes, items)]
        return SafeJSONResponse(results[0] if single else results)

    @router.api_route(ANALYZE_PATH, methods=["GET", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def analyze_other_methods(request: Request) -> JSONResponse:
        raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on {ANALYZE_PATH}; "
                                                  "send the articles with POST", headers={"Allow": "POST"})

    @router.get("/healthz", summary="Is the model loaded, which one, is the worker making progress, how busy",
                response_model=HealthOut, responses={503: {"model": HealthOut, "description": "Stopping or "
                                                            "stalled."}}, tags=["service"])
    async def healthz() -> JSONResponse:
        worker = batcher.health()
        body = {
            "status": worker["state"],
            "worker": worker,
            "model_loaded": True,  # the app is only built around a loaded analyzer
            "model": analyzer.model_info.to_dict(),
            "labels": analyzer.labels,
            "queue": {"pending_articles": batcher.pending, "capacity": batcher.max_pending},
            "limits": dataclasses.asdict(limits),
        }
        return SafeJSONResponse(body, status_code=200 if worker["state"] == "ok" else 503)

    @router.api_route("/healthz", methods=["POST", "PUT", "PATCH", "DELETE"], include_in_schema=False)
    async def healthz_other_methods(request: Request) -> JSONResponse:
        raise ApiError(405, "method_not_allowed", f"{request.method} is not allowed on /healthz; use GET",
                       headers={"Allow": "GET"})

    @router.api_route("/api/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                      include_in_schema=False)
    async def unknown_api_path(request: Request) -> JSONResponse:
        raise ApiError(404, "not_found", f"there is no {request.url.path}; the API is POST {ANALYZE_PATH} "
                                         "and GET /healthz")

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
    try:
        async for chunk in request.stream():  # also bounds bodies sent without a Content-Length (chunked)
            size += len(chunk)
            if size > limit:
                raise too_large
            chunks.append(chunk)
    except ClientDisconnect:  # expected (a client gave up, or sent its body too slowly): the request log says it
        raise ApiError(499, "client_closed_request", "the client closed the connection before sending the "
                                                     "whole body") from None
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
    except RecursionError:
        raise ApiError(400, "invalid_json", "the request body is JSON nested too deeply to read; an article is "
                                            'an object like {"text": "..."}') from None
    except ValueError as error:  # e.g. "Exceeds the limit (4300 digits) for integer string conversion"
        raise ApiError(400, "invalid_json", f"the request body cannot be read as JSON ({error})") from None


def _checked_items(body: bytes, limits: Limits) -> tuple[list, bool]:
    """The checked (ArticleInput, Options) items and whether one object (not a list) was sent."""
    payload = _parse_json(body)
    try:
        items, single, problems = as_request_items(payload, limits)
    except InputError as error:
        raise ApiError(422, error.code, str(error)) from None
    if problems:
        details = [{"index": p.index, "id": p.id, "message": p.message} for p in problems]
        if single:
            raise ApiError(422, problems[0].code, problems[0].message, errors=details)
        named = "; ".join(_named(p) for p in problems[:5]) + ("; ..." if len(problems) > 5 else "")
        raise ApiError(422, problems[0].code,
                       f"{len(problems)} of {len(payload)} articles do not match the request schema, so nothing was "
                       f"analyzed; fix or remove them and send the list again: {named}", errors=details)
    return items, single


def _named(problem: Any) -> str:
    """'article 2 (id 'x'): what is wrong' (the message starts with 'article 2: ')."""
    if problem.id is None:
        return problem.message
    prefix = f"article {problem.index}: "
    return f"article {problem.index} (id {problem.id!r}): " + problem.message.removeprefix(prefix)


def _prepare_all(analyzer: Any, counter: Any, items: list, single: bool,
                 limits: Limits) -> tuple[list, list[int], dict[int, dict]]:
    """Clean and segment every article and count its encoder windows (in a worker thread).

    One article alone that cannot be analyzed is a 422; in a list it gets its error in place (the returned
    `failed`: number -> {"id", "error", "message"}; its `prepared` entry is None) and the others go on."""
    prepared, costs, failed = [], [], {}
    for number, (article, options) in enumerate(items):
        try:
            ready = analyzer.prepare(article, languages=options.languages, language_option=LANGUAGE_OPTION,
                                     limits=limits.sizes)
        except InputError as error:  # its code says which limit, if a limit (article_too_long, input_too_large)
            failed[number] = {"id": article.id, "error": error.code, "message": str(error)}
        except Exception as error:  # a bug in cleaning: this request's article only
            log.error("preparing article %d failed", number, exc_info=True)
            failed[number] = {"id": article.id, "error": "analysis_failed", "message": f"analysis failed "
                              f"({type(error).__name__}); the details are in the server log"}
        else:
            prepared.append(ready)
            costs.append(counter(ready, options.tasks))
            if sum(costs) > limits.max_windows:
                break  # over the budget already: say so now instead of cleaning the rest first
            continue
        prepared.append(None)
        costs.append(0)
        if single:
            raise ApiError(422, failed[number]["error"], failed[number]["message"])
    ready = [p for p in prepared if p is not None]
    try:
        check_work(sum(costs), limit=limits.max_windows, articles=len(ready),
                   counted_all=len(prepared) == len(items), claims=sum(len(p.targets) for p in ready))
    except InputError as error:
        raise ApiError(422, error.code, str(error)) from None
    return prepared, costs, failed


def _submit(batcher: MicroBatcher, items: list, prepared: list, costs: list[int],
            deadline: float) -> list[tuple[list[int], Any]]:
    """Queue the articles, one job per distinct options: (article numbers, future) per job."""
    groups: dict[tuple, list[int]] = {}
    for number, (_, options) in enumerate(items):
        if prepared[number] is not None:  # None: an article with its error in place already
            groups.setdefault(options.key, []).append(number)
    futures: list[tuple[list[int], Any]] = []
    try:
        for key, numbers in groups.items():
            futures.append((numbers, batcher.submit(
                [prepared[n] for n in numbers], tasks=key[0], summary_sentences=key[1],
                costs=[costs[n] for n in numbers], deadline=deadline)))
    except QueueFullError as error:
        _cancel(futures)
        raise ApiError(503, "busy", str(error), headers={"Retry-After": str(error.retry_after)}) from None
    except BatcherClosedError as error:
        _cancel(futures)
        raise ApiError(503, "busy", str(error), headers={"Retry-After": "5"}) from None
    return futures


async def _analyze_through_queue(request: Request, futures: list[tuple[list[int], Any]], items: list,
                                 deadline: float, limits: Limits, single: bool, failed: dict[int, dict]) -> list:
    """Wait for the queued articles, watching the client and the deadline; outcomes in input order (an
    Analysis, or in a list the {"id", "error", "message"} of an article that failed)."""
    waiting = {asyncio.wrap_future(future): numbers for numbers, future in futures}
    outcomes: list[Any] = [failed.get(number) for number in range(len(items))]
    try:
        while waiting:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise DeadlineExceeded()
            done, _ = await asyncio.wait(waiting, timeout=min(_POLL_SECONDS, remaining))
            for task in done:
                numbers = waiting.pop(task)
                for number, outcome in zip(numbers, task.result()):
                    outcomes[number] = outcome
            if waiting and await request.is_disconnected():
                _cancel(futures)
                log.info("client went away: its %d articles were taken out of the work", len(items))
                raise ApiError(499, "client_closed_request", "the client closed the connection")
    except DeadlineExceeded:
        _cancel(futures)
        raise ApiError(504, "deadline_exceeded", "the analysis did not finish within the request deadline of "
                                                 f"{limits.deadline_seconds} s; send fewer "
                                                 "claims or shorter articles") from None
    except BatcherClosedError as error:
        raise ApiError(503, "busy", str(error), headers={"Retry-After": "10"}) from None
    for number, outcome in enumerate(outcomes):
        if isinstance(outcome, BaseException):
            code = "analysis_failed" if isinstance(outcome, AnalysisError) else getattr(outcome, "code", "invalid_article")
            if single:
                raise ApiError(422, code, str(outcome))
            outcomes[number] = {"id": items[number][0].id, "error": code, "message": str(outcome)}
    return outcomes


def _cancel(futures: list[tuple[list[int], Any]]) -> None:
    for _, future in futures:
        future.cancel()
