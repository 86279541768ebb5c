"""One ASGI app: the JSON API (`/api/v1`, `/healthz`, `/docs`, `/openapi.json`) and the Gradio page at `/`.

    app = create_app(Analyzer.from_pretrained(path))
    uvicorn.run(app, host="127.0.0.1", port=7860)      # demo.server.serve does this, with SIGTERM handling

Both surfaces share the one loaded analyzer through one MicroBatcher, started and stopped with the app's
lifespan (so uvicorn's graceful shutdown on SIGTERM also stops the worker thread).
"""

from __future__ import annotations

import contextlib
import logging
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr
from fastapi import FastAPI
from fastapi_offline import FastAPIOffline
from starlette.requests import ClientDisconnect

from .api import build_router, install_error_handlers
from .batching import MicroBatcher, QueuedAnalyzer
from .render import CSS
from .schemas import Limits
from .ui import build_ui

log = logging.getLogger("presslens.demo.app")
request_log = logging.getLogger("presslens.demo.requests")

MAX_UPLOAD = "50mb"  # page uploads (an article file, a batch file)


def create_app(
    analyzer: Any,
    limits: Limits = Limits(),
    *,
    max_batch: int = 32,
    max_wait: float = 0.01,
    stall_seconds: float = 60.0,
    page_batch_records: int | None = None,
) -> FastAPI:
    """The whole web service around a loaded Analyzer."""
    batcher = MicroBatcher(analyzer, max_pending=limits.queue_articles, max_batch=max_batch, max_wait=max_wait,
                           stall_seconds=stall_seconds)
    work_dir = Path(tempfile.mkdtemp(prefix="presslens-demo-"))

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI):
        batcher.start()
        try:
            yield
        finally:
            batcher.close()
            shutil.rmtree(work_dir, ignore_errors=True)
            log.info("stopped: batch worker joined after %d batches, %d articles",
                     batcher.batches_run, batcher.articles_done)

    info = analyzer.model_info
    # FastAPIOffline: the /docs page serves Swagger UI's files itself instead of loading them from a CDN, so
    # it works on a machine without internet access (everything else here does too).
    app = FastAPIOffline(
        redoc_url=None,
        title="presslens API",
        version=info.version,
        summary="Topic, stance toward a claim and an extractive summary of news articles.",
        description=f"Model `{info.name}` {info.version}. The web page is at [/](/).",
        lifespan=lifespan,
    )
    app.state.batcher = batcher
    install_error_handlers(app)  # every API error in the documented JSON shape, 404/405/500 included
    app.include_router(build_router(analyzer, batcher, limits))
    app.add_middleware(RequestLogMiddleware)

    page = {"page_batch_records": page_batch_records} if page_batch_records else {}
    blocks = build_ui(QueuedAnalyzer(batcher, limits=limits.sizes), work_dir=work_dir, limits=limits, **page)
    theme = gr.themes.Soft(  # system fonts: the page loads nothing from outside the server
        font=["ui-sans-serif", "system-ui", "sans-serif"], font_mono=["ui-monospace", "monospace"]
    )
    # Mounted last: the API routes above take precedence over the catch-all mount at "/".
    app = gr.mount_gradio_app(app, blocks, path="/", theme=theme, css=CSS, max_file_size=MAX_UPLOAD,
                              footer_links=[], run_history=False, show_error=False)
    app.state.end_page_streams = _page_stream_closer(app)
    return app


def _page_stream_closer(app: Any) -> Any:
    """A function that ends the page's open session streams (Gradio's heartbeat), for a graceful stop.

    Each open page holds a heartbeat stream that ends only on Gradio's own stop event, which a mounted app
    never gets: on SIGTERM uvicorn waited out its whole grace period for them and then cancelled them with
    a traceback. The server's shutdown calls this first (demo.server)."""
    from starlette.routing import Mount

    mounted = [route.app for route in app.routes if isinstance(route, Mount) and hasattr(route.app, "stop_event")]

    def end() -> None:
        for gradio_app in mounted:
            gradio_app.stop_event.set()

    return end


class RequestLogMiddleware:
    """One log line per HTTP request: client, method, path, status, articles (API), duration."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = {"code": 500}  # what the client sees if the app fails before answering
        scope.setdefault("state", {})

        async def send_and_note(message: dict) -> None:
            if message["type"] == "http.response.start":
                status["code"] = message["status"]
            await send(message)

        note = ""
        try:
            await self.app(scope, receive, send_and_note)
        except ClientDisconnect:
            # The client went away while sending its body (a page upload, say): nobody to answer, nothing
            # broken on our side; this request's log line says so instead of two tracebacks and a 500.
            status["code"], note = 499, " (the client closed the connection before sending the whole body)"
        finally:
            client = scope.get("client") or ("-", 0)
            articles = scope["state"].get("articles")
            extra = f" articles={articles}" if articles is not None else ""
            path = scope.get("path", "")
            if scope.get("query_string"):
                path += "?" + scope["query_string"].decode("latin-1")
            request_log.info('%s "%s %s" %d%s %.3fs%s', client[0], scope["method"], path, status["code"], extra,
                             time.perf_counter() - started, note)
