"""Run the web page and the API in one process: `presslens serve`, or `python -m demo.server` for every knob.

    presslens serve --port 7860 --model path/to/checkpoint
    python -m demo.server --port 7860 --queue-articles 64 --max-articles 16    # limits too (tests use this)

The model loads once, before the server accepts connections. On SIGTERM or Ctrl-C the server stops
accepting; requests still queued are answered at once with 503 + Retry-After (JSON); the analysis running
may finish within STOP_RUNNING_SECONDS, after which it is stopped at its next encoder pass and its requests
get the same 503; uvicorn closes the connections (at most GRACEFUL_SECONDS), the app's lifespan joins the
batch worker thread, and the process exits with status 0.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from classifier.precision import BACKENDS, PRECISIONS

from .schemas import Limits

GRACEFUL_SECONDS = 10
# Articles per model call. Small on purpose: on 2 cores a 512-token pass is compute-bound at a batch of one or
# two already, so bigger calls add little throughput but activation memory (and waiting). Measured on the idle
# machine, 8 clients (`benchmarks/serve_latency.py --variant="--max-batch 2" --variant="--max-batch 4"`, and
# `--variant "" --variant="--max-batch 32"`; docs/serve.md): steady RSS 595 / 603-608 / 671 MiB and 10.8 /
# 11.3-11.4 / 11.6 articles/s for 2 / 4 / 32. 2 keeps the server under 600 MiB for ~5 % of the throughput.
DEFAULT_MAX_BATCH = 2
HEADER_SECONDS = 10.0  # a connection sends its request headers within this (slowloris sockets are closed)
BODY_SECONDS = 120.0  # ... and its body within this after them (a 50 MB page upload at ~0.5 MB/s)
STOP_RUNNING_SECONDS = 5  # of the grace period, for the analysis in progress; the rest answers and closes
log = logging.getLogger("presslens.demo.server")


def serve(
    host: str = "127.0.0.1",
    port: int = 7860,
    model_path: str | Path | None = None,
    precision: str = "auto",
    backend: str = "torch",
    *,
    limits: Limits | None = None,
    max_batch: int = DEFAULT_MAX_BATCH,
    max_wait: float = 0.01,
    stall_seconds: float = 60.0,
    max_connections: int | None = None,
    header_seconds: float = HEADER_SECONDS,
    body_seconds: float = BODY_SECONDS,
    page_batch_records: int | None = None,
) -> None:
    """Load the model, then serve the page at / and the API under /api/v1 until SIGTERM or Ctrl-C.

    `max_connections` (None: the open-file limit less what the process needs, see demo.connections),
    `header_seconds` / `body_seconds`: how long a connection may take to send its request headers / body.

    Raises ModelLoadError for a bad checkpoint and OSError when the port cannot be used (both before any
    server starts), so that the caller can print one clear line.
    """
    os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # no calls home from a news-analysis server
    _configure_logging()
    _check_port_free(host, port)
    from .connections import ConnectionGuard, accept_backlog, default_max_connections, raise_file_limit

    file_limit = raise_file_limit()
    guard = ConnectionGuard(max_connections=max_connections or default_max_connections(file_limit),
                            header_seconds=header_seconds, body_seconds=body_seconds)

    import uvicorn

    from classifier.analyzer import Analyzer

    from .app import create_app

    log.info("loading the model from %s", model_path or "the default model shipped with presslens")
    analyzer = Analyzer.from_pretrained(model_path, precision=precision, backend=backend)
    info = analyzer.model_info
    log.info("model %s %s loaded (precision %s, backend %s)", info.name, info.version, analyzer.precision,
             analyzer.backend)
    app = create_app(analyzer, limits or Limits(), max_batch=max_batch, max_wait=max_wait,
                     stall_seconds=stall_seconds, page_batch_records=page_batch_records)
    shown_host = f"[{host}]" if ":" in host else host
    log.info("serving on http://%s:%d  (page /, API /api/v1/analyze, API docs /docs)", shown_host, port)
    log.info("at most %d connections open (file limit %d); request headers within %g s, bodies within %g s",
             guard.max_connections, file_limit, guard.header_seconds, guard.body_seconds)
    config = uvicorn.Config(
        app, host=host, port=port, log_config=None, access_log=False,  # RequestLogMiddleware logs requests
        timeout_graceful_shutdown=GRACEFUL_SECONDS, http=guard.protocol_class(),
        # asyncio accepts up to `backlog` connections in one go before any of them can make room: keep that
        # burst inside the files left over, so accept() does not run out of them
        backlog=accept_backlog(file_limit, guard.max_connections),
    )
    server = _server_class(uvicorn)(config, app.state.batcher, guard, app.state.end_page_streams)
    with _exit_zero_after_sigterm(server):
        server.run()


def _server_class(uvicorn: Any) -> type:
    class Server(uvicorn.Server):
        """uvicorn's server, plus: when shutdown begins, queued work is refused at once (503 JSON) and the
        running analysis is given STOP_RUNNING_SECONDS, so every open request is answered within the grace
        period and no torch work is running when the interpreter exits."""

        def __init__(self, config: Any, batcher: Any, guard: Any, end_page_streams: Any) -> None:
            super().__init__(config)
            self.batcher, self.guard, self.end_page_streams = batcher, guard, end_page_streams

        async def startup(self, sockets: Any = None) -> None:
            import asyncio

            # accept() failing for lack of files is logged once, not on every retry (issue 21 item 10)
            asyncio.get_running_loop().set_exception_handler(self.guard.loop_exception_handler)
            await super().startup(sockets)

        async def shutdown(self, sockets: Any = None) -> None:
            log.info("stopping: queued requests get 503, the running analysis gets %d s", STOP_RUNNING_SECONDS)
            self.batcher.begin_shutdown(STOP_RUNNING_SECONDS)
            self.end_page_streams()  # open pages' heartbeat streams would hold the stop for the grace period
            await super().shutdown(sockets)

    return Server


@contextlib.contextmanager
def _exit_zero_after_sigterm(server: Any) -> Iterator[None]:
    """After a graceful stop uvicorn re-raises the signal it caught, so the process would die by SIGTERM.
    A stop that went well is a success: this handler (which uvicorn restores and then "re-raises" into)
    only asks the server to exit, so the process ends with status 0. Ctrl-C keeps Python's behaviour."""
    if threading.current_thread() is not threading.main_thread():
        yield  # signal handlers can only be set from the main thread; uvicorn then ignores signals too
        return

    def request_exit(signum: int, frame: Any) -> None:
        server.should_exit = True  # also covers a SIGTERM that lands before uvicorn installs its handler

    previous = signal.signal(signal.SIGTERM, request_exit)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _configure_logging() -> None:
    root = logging.getLogger()
    if not root.handlers:  # leave an embedding application's logging alone
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("httpx", "httpcore", "multipart"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _check_port_free(host: str, port: int) -> None:
    """Fail before the (slow) model load when the address is taken, with a message that says what to do."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                raise OSError(error.errno, f"port {port} on {host} is already in use; stop the other server "
                                           "or choose another port with --port") from None
            raise OSError(error.errno, f"cannot listen on {host}:{port}: {error.strerror}") from None


def main(argv: list[str] | None = None) -> int:
    defaults = Limits()
    parser = argparse.ArgumentParser(prog="python -m demo.server", description=__doc__.split("\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument("--port", type=int, default=7860, help="port to listen on")
    parser.add_argument("--model", default=None, help="checkpoint directory; none = the shipped model")
    parser.add_argument("--precision", default="auto", choices=list(PRECISIONS), help="inference precision")
    parser.add_argument("--backend", default="torch", choices=list(BACKENDS), help="what runs the encoder")
    parser.add_argument("--max-body-bytes", type=int, default=defaults.max_body_bytes, help="request body size (413 above)")
    parser.add_argument("--max-articles", type=int, default=defaults.max_articles, help="articles per request")
    parser.add_argument("--max-chars", type=int, default=defaults.max_chars,
                        help="characters of article text per article, after reading (HTML: its main text); 0 = no limit")
    parser.add_argument("--max-input-bytes", type=int, default=defaults.max_input_bytes,
                        help="raw input per article (the page's HTML or the text as sent); 0 = no limit")
    parser.add_argument("--max-targets", type=int, default=defaults.max_targets, help="claims per article")
    parser.add_argument("--max-summary-sentences", type=int, default=defaults.max_summary_sentences,
                        help="largest summary_sentences a request may ask for")
    parser.add_argument("--max-windows", type=int, default=defaults.max_windows,
                        help="encoder windows per request (~500 tokens per claim, + 1 per article); more -> 422")
    parser.add_argument("--deadline-seconds", type=int, default=defaults.deadline_seconds,
                        help="a request not done by then is stopped and answered 504")
    parser.add_argument("--stall-seconds", type=float, default=60.0,
                        help="/healthz says 'stalled' (503) when the worker made no progress for this long")
    parser.add_argument("--queue-articles", type=int, default=defaults.queue_articles,
                        help="articles queued or in analysis at once; more -> 503")
    parser.add_argument("--max-batch", type=int, default=DEFAULT_MAX_BATCH,
                        help="articles per model call")
    parser.add_argument("--max-wait", type=float, default=0.01, help="seconds a model call waits for requests being read to join it")
    parser.add_argument("--page-batch-records", type=int, default=1000,
                        help="records per batch file on the page (bigger files: presslens batch)")
    parser.add_argument("--max-connections", type=int, default=None,
                        help="connections open at once (default: the open-file limit less 64 or 1/8 of it); "
                             "over it the one idle longest is closed, or the new one answered 503")
    parser.add_argument("--header-timeout", type=float, default=HEADER_SECONDS,
                        help="seconds a connection has to send its request headers")
    parser.add_argument("--body-timeout", type=float, default=BODY_SECONDS,
                        help="seconds a request has to send its body after its headers")
    args = parser.parse_args(argv)
    from classifier.errors import PresslensError

    try:
        limits = Limits(
            max_body_bytes=args.max_body_bytes, max_articles=args.max_articles, max_chars=args.max_chars,
            max_input_bytes=args.max_input_bytes, max_targets=args.max_targets, max_summary_sentences=args.max_summary_sentences,
            max_windows=args.max_windows, deadline_seconds=args.deadline_seconds,
            queue_articles=args.queue_articles,
        )
        serve(args.host, args.port, args.model, args.precision, args.backend, limits=limits, max_batch=args.max_batch,
              max_wait=args.max_wait, stall_seconds=args.stall_seconds, max_connections=args.max_connections,
              header_seconds=args.header_timeout, body_seconds=args.body_timeout,
              page_batch_records=args.page_batch_records)
    except (PresslensError, OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # Ctrl-C: uvicorn already stopped gracefully, then re-raised the signal
        return 130
    return 0


def serve_process(*, max_chars: int | None = None, max_input_bytes: int | None = None, **options: Any) -> None:
    """`presslens serve` (the `presslens.servers` entry point): serve() in this process, then end the process
    at once after a clean stop (see _exit_now). Errors before the server starts are raised as by serve().
    `max_chars` / `max_input_bytes`: the size limits (`presslens serve --max-chars ...`), else the defaults."""
    sizes = {key: value for key, value in (("max_chars", max_chars), ("max_input_bytes", max_input_bytes))
             if value is not None}
    if sizes:
        options["limits"] = Limits(**sizes)
    try:
        serve(**options)
    except KeyboardInterrupt:  # Ctrl-C: uvicorn already stopped gracefully, then re-raised the signal
        _exit_now(130)
    _exit_now(0)


def _exit_now(code: int) -> None:
    """End the process once the server has stopped: flush, run the atexit handlers, skip the interpreter's
    module teardown (seconds with torch and gradio loaded, which would push the exit past the grace period)."""
    import atexit

    logging.shutdown()
    sys.stdout.flush()
    sys.stderr.flush()
    atexit._run_exitfuncs()
    os._exit(code)


if __name__ == "__main__":
    _exit_now(main())
