"""Bounded, timed connections for the server: idle or slow clients cannot use up its files or lock others out.

    guard = ConnectionGuard(max_connections=default_max_connections(), header_seconds=10, body_seconds=60)
    config = uvicorn.Config(app, http=guard.protocol_class(), ...)
    loop.set_exception_handler(guard.loop_exception_handler)   # (demo.server does both)

uvicorn accepts every connection and waits for its request forever: 1,100 idle sockets under a 1,024-file
limit left no file for the next accept(), so every client (and /healthz) was locked out, and asyncio logged
"socket.accept() out of system resource" on every retry. Here, per connection (a subclass of uvicorn's h11
protocol, the one uvicorn uses without httptools):

- at most `max_connections` are open, set below the file limit: a new connection over the bound closes
  the one that has waited longest for its request headers (an idle or slowloris socket), so a real client
  always gets in; when every open connection is busy with a request, the new one gets 503 + Retry-After;
- the request headers must arrive within `header_seconds` (also between keep-alive requests), the body
  within `body_seconds` of its headers; then the connection is closed;
- the listen backlog is kept small enough that one accept() burst fits in the files left over;
- each of these is logged once, then at most once a minute as a count (`LogOnce`), never per connection.
"""

from __future__ import annotations

import asyncio
import logging
import resource
import time
from typing import Any

log = logging.getLogger("presslens.demo.connections")

FILES_KEPT = 64  # files left for the model, logs, uploads and accept() itself, beyond the connections
MIN_CONNECTIONS = 16
BUSY_RESPONSE = (b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
                 b"Connection: close\r\nContent-Length: %d\r\n\r\n%s")
BUSY_BODY = (b'{"error":"busy","message":"the server has as many connections open as it can take; retry after '
             b'the time in Retry-After"}')


def raise_file_limit() -> int:
    """Raise the soft open-file limit to the hard one (what servers usually do) and return it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = hard if hard != resource.RLIM_INFINITY else max(soft, 65536)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError):
            pass
    return soft if soft != resource.RLIM_INFINITY else 65536


def default_max_connections(file_limit: int) -> int:
    """Connections the server keeps open at most: the file limit less what the rest of the process needs."""
    return max(MIN_CONNECTIONS, file_limit - max(FILES_KEPT, file_limit // 8))


def accept_backlog(file_limit: int, max_connections: int) -> int:
    """The listen backlog: asyncio accepts up to this many connections in one burst, before the protocol
    of any of them runs, so the burst must fit in the files beyond `max_connections`."""
    return max(8, min(2048, (file_limit - max_connections) // 2))


class LogOnce:
    """A condition logged when it first happens, then at most once per `every` seconds with a count."""

    def __init__(self, message: str, every: float = 60.0, level: int = logging.WARNING) -> None:
        self.message, self.every, self.level = message, every, level
        self.count = 0  # in all
        self._unlogged = 0
        self._logged_at: float | None = None

    def __call__(self) -> None:
        self.count += 1
        self._unlogged += 1
        now = time.monotonic()
        if self._logged_at is None:
            log.log(self.level, "%s (said once; then at most once a minute, as a count)", self.message)
        elif now - self._logged_at >= self.every:
            log.log(self.level, "%s: %d more times in the last %.0f s", self.message, self._unlogged - 1,
                    now - self._logged_at)
        else:
            return
        self._logged_at, self._unlogged = now, 0


class ConnectionGuard:
    """The shared limits and log lines of every connection of one server."""

    def __init__(self, *, max_connections: int, header_seconds: float = 10.0, body_seconds: float = 60.0) -> None:
        if max_connections < 1 or header_seconds <= 0 or body_seconds <= 0:
            raise ValueError("max_connections must be >= 1 and the timeouts > 0")
        self.max_connections, self.header_seconds, self.body_seconds = max_connections, header_seconds, body_seconds
        self.evicted = LogOnce(f"{max_connections} connections are open (the bound below the file limit): "
                               "closing the one that has waited longest for its request to make room")
        self.refused = LogOnce(f"{max_connections} connections are open and all are busy: answering new "
                               "ones 503")
        self.slow_headers = LogOnce(f"closed a connection that did not send its request headers within "
                                    f"{header_seconds:g} s", level=logging.INFO)
        self.slow_body = LogOnce(f"closed a connection that did not send its request body within "
                                 f"{body_seconds:g} s", level=logging.INFO)
        self.out_of_files = LogOnce("socket.accept() out of system resource (too many open files): new "
                                    "connections wait until some close", level=logging.ERROR)

    def loop_exception_handler(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        """asyncio's handler, except that accept() failing for lack of files is logged once, not per retry."""
        if str(context.get("message", "")).startswith("socket.accept() out of system resource"):
            self.out_of_files()
        else:
            loop.default_exception_handler(context)

    def protocol_class(self) -> type:
        from uvicorn.protocols.http.h11_impl import H11Protocol

        guard = self

        class GuardedH11Protocol(H11Protocol):
            """uvicorn's h11 protocol with the bound and the two read timeouts of ConnectionGuard."""

            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, **kwargs)
                self._waiting_since: float | None = None  # waiting for request headers since (None: not)
                self._read_timer: asyncio.TimerHandle | None = None

            def connection_made(self, transport: Any) -> None:
                super().connection_made(transport)
                self._await_headers()
                if len(self.connections) > guard.max_connections:
                    self._make_room()

            def connection_lost(self, exc: Exception | None) -> None:
                self._stop_timer()
                self._waiting_since = None
                super().connection_lost(exc)

            def handle_events(self) -> None:
                super().handle_events()
                if self.transport.is_closing():
                    return
                cycle = self.cycle
                if self._waiting_since is not None and cycle is not None and not cycle.response_complete:
                    # The headers are in: the body must follow within body_seconds.
                    self._waiting_since = None
                    self._start_timer(guard.body_seconds, self._body_too_slow)
                if self._waiting_since is None and cycle is not None and not cycle.more_body:
                    self._stop_timer()  # the whole request is in; the app's own deadline applies now

            def on_response_complete(self) -> None:
                super().on_response_complete()  # may start a pipelined request (handle_events)
                if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
                    self._await_headers()  # the next request on a keep-alive connection

            def handle_websocket_upgrade(self, event: Any) -> None:
                self._stop_timer()  # the WebSocket protocol takes the connection over
                self._waiting_since = None
                super().handle_websocket_upgrade(event)

            # ------------------------------------------------------------------------------ internals
            def _await_headers(self) -> None:
                self._waiting_since = time.monotonic()
                self._start_timer(guard.header_seconds, self._headers_too_slow)

            def _start_timer(self, seconds: float, callback: Any) -> None:
                self._stop_timer()
                self._read_timer = self.loop.call_later(seconds, callback)

            def _stop_timer(self) -> None:
                if self._read_timer is not None:
                    self._read_timer.cancel()
                    self._read_timer = None

            def _headers_too_slow(self) -> None:
                if self._waiting_since is not None and not self.transport.is_closing():
                    if self.cycle is None or self.cycle.response_complete:
                        guard.slow_headers()
                    self.transport.close()

            def _body_too_slow(self) -> None:
                if self.cycle is not None and self.cycle.more_body and not self.transport.is_closing():
                    guard.slow_body()
                    self.transport.close()  # the app reads a disconnect: one short line, no traceback

            def _make_room(self) -> None:
                """Over the bound: close the connection waiting longest for its headers, or refuse this one."""
                idle = [c for c in self.connections if c is not self and getattr(c, "_waiting_since", None)
                        is not None and not c.transport.is_closing()]
                if idle:
                    oldest = min(idle, key=lambda c: c._waiting_since)
                    guard.evicted()
                    oldest.transport.close()
                else:
                    guard.refused()
                    self._waiting_since = None
                    self.transport.write(BUSY_RESPONSE % (len(BUSY_BODY), BUSY_BODY))
                    self.transport.close()

        return GuardedH11Protocol
