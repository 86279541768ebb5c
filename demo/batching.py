"""Micro-batching with fair scheduling: many concurrent requests, one model, one worker thread.

    batcher = MicroBatcher(analyzer, max_pending=256, max_batch=32)
    batcher.start()
    future = batcher.submit([prepared], tasks=None, summary_sentences=3, costs=[2], deadline=time.monotonic() + 60)
    outcomes = future.result()          # one Analysis (or the PresslensError it raised) per article, in order
    batcher.close()

Why one worker: the model is the expensive shared resource; one forward pass per request from many threads
would fight over the CPU cores and batch nothing. Every surface (API, page) enqueues its articles, and the
worker turns whatever is waiting into `analyze_many` calls, which bucket by length and batch the encoder.

Fairness. Each job (one request's articles with the same options) carries its cost in encoder windows.
Light jobs (at most `unit_windows` windows together) that wait are analyzed together in one call. A heavy
job runs alone, with small encoder batches, and *before every encoder pass* the worker serves the light
jobs that arrived meanwhile (a nested `analyze_many` on the same thread, between two passes of the heavy
one). So a small request waits for at most one small encoder pass of a large one, never for all of it.

Faults stay with their article. A call that fails is redone one article at a time: a PresslensError or an
unexpected exception (logged with its traceback, handed back as AnalysisError) lands on its own article
only. A job whose client went away (its future cancelled) or whose deadline passed is dropped, and when
every job of the running call is gone the call is stopped at the next encoder pass.

Shutdown. `begin_shutdown(grace)` (SIGTERM) refuses new work, fails queued jobs at once with
BatcherClosedError (the API answers 503 + Retry-After), lets the running call finish within `grace` seconds
and stops it at the next encoder pass after that; `close()` then joins the worker thread, so no torch
work is running when the interpreter exits.
"""

from __future__ import annotations

import collections
import contextlib
import copy
import dataclasses
import itertools
import logging
import math
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from classifier.errors import AnalysisError, PresslensError
from classifier.memory import release_freed_memory

log = logging.getLogger("presslens.demo.batching")

Outcome = Any  # an Analysis, or the PresslensError that one article raised
HEAVY_BATCH_SIZE = 4  # encoder windows per pass in a heavy job: how often light jobs can cut in


class QueueFullError(Exception):
    """The server already holds as many articles as it may; the client should retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatcherClosedError(Exception):
    """The server is shutting down and takes no new work (or stopped the work it had)."""


class DeadlineExceeded(Exception):
    """The job's deadline passed before its analysis was done; the work was stopped."""


class _Stopped(BaseException):
    """Raised inside the model (by the encoder hook) to stop a call nobody waits for any more."""


@dataclasses.dataclass(eq=False)
class _Job:
    articles: Sequence[Any]  # PreparedArticle / ArticleInput
    costs: list[int]
    tasks: tuple[str, ...] | None
    summary_sentences: int
    future: Future
    deadline: float | None
    finished: bool = False

    @property
    def key(self) -> tuple[tuple[str, ...] | None, int]:
        """Jobs with the same key can share one `analyze_many` call."""
        return self.tasks, self.summary_sentences

    @property
    def cost(self) -> int:
        return sum(self.costs)

    def gone(self, now: float) -> bool:
        return self.future.cancelled() or (self.deadline is not None and now > self.deadline)


class MicroBatcher:
    """A bounded queue of articles served fairly by one worker thread that calls `analyzer.analyze_many`."""

    def __init__(
        self,
        analyzer: Any,
        *,
        max_pending: int = 256,
        max_batch: int = 32,
        max_wait: float = 0.01,
        unit_windows: int = 64,
        stall_seconds: float = 60.0,
    ) -> None:
        if max_pending < 1 or max_batch < 1 or max_wait < 0 or unit_windows < 1 or stall_seconds <= 0:
            raise ValueError("max_pending, max_batch and unit_windows must be >= 1, max_wait >= 0, "
                             "stall_seconds > 0")
        self.analyzer = analyzer
        self.max_pending, self.max_batch, self.max_wait = max_pending, max_batch, max_wait
        self.unit_windows, self.stall_seconds = unit_windows, stall_seconds
        self._waiting: collections.deque[_Job] = collections.deque()
        self._cond = threading.Condition()
        self._pending = 0
        self._closed = False  # no new work
        self._stop_at: float | None = None  # begin_shutdown: running work is stopped after this time
        self._thread: threading.Thread | None = None
        self._running: list[list[_Job]] = []  # the jobs of the running call, and of a nested one
        self._progress_at: float | None = None  # last encoder pass (or call start) while working
        self._hook: Any = None
        self._incoming = 0  # requests announced by incoming() and not submitted yet
        self._count_lock = threading.Lock()
        self._count_tokenizer: Any = None
        self._seconds_per_window = 0.2  # recent speed, for an honest Retry-After
        self.batches_run = 0
        self.articles_done = 0

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> "MicroBatcher":
        if self._thread is None:
            encoder = getattr(getattr(self.analyzer, "model", None), "encoder", None)
            if encoder is not None and hasattr(encoder, "register_forward_pre_hook"):
                self._hook = encoder.register_forward_pre_hook(self._before_encoder_pass)
            # daemon: even if close() is never called, the process can still exit
            self._thread = threading.Thread(target=self._work, name="presslens-batcher", daemon=True)
            self._thread.start()
        return self

    def begin_shutdown(self, grace: float) -> None:
        """SIGTERM: take nothing new, fail what waits (503), stop the running call after `grace` seconds."""
        with self._cond:
            self._closed = True
            self._stop_at = time.monotonic() + max(grace, 0.0)
            waiting, self._waiting = list(self._waiting), collections.deque()
            self._cond.notify_all()
        for job in waiting:
            self._finish(job, error=BatcherClosedError("the server is shutting down; this request was not "
                                                       "started; retry after the time in Retry-After"))

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new work, finish what is queued (unless begin_shutdown came first), stop the worker."""
        with self._cond:
            self._closed = True
            self._cond.notify_all()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("batch worker did not stop within %.0f s; leaving it (daemon thread)", timeout)
        if self._hook is not None:
            self._hook.remove()
            self._hook = None
        with self._cond:
            leftovers, self._waiting = list(self._waiting), collections.deque()
        for job in leftovers:
            self._finish(job, error=BatcherClosedError("the server shut down before this request ran"))

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closed

    @property
    def pending(self) -> int:
        """Articles queued or being analyzed right now."""
        return self._pending

    def health(self) -> dict[str, Any]:
        """The worker's state for /healthz: ok, stalled (no encoder pass for stall_seconds, or the thread
        died) or stopping."""
        now = time.monotonic()
        alive = self._thread is not None and self._thread.is_alive()
        since = self._progress_at
        quiet = 0.0 if since is None else now - since
        if self._closed:
            state = "stopping"
        elif not alive or quiet > self.stall_seconds:
            state = "stalled"
        else:
            state = "ok"
        return {"state": state, "worker_alive": alive, "seconds_since_progress": round(quiet, 1),
                "stall_after_seconds": self.stall_seconds}

    # ---------------------------------------------------------------------------------------------- submit
    def submit(
        self, articles: Sequence[Any], *, tasks: Sequence[str] | None = None, summary_sentences: int = 3,
        costs: Sequence[int] | None = None, deadline: float | None = None,
    ) -> Future:
        """Queue articles for analysis; the future's result is one outcome per article, in input order.

        `costs`: encoder windows per article (default: an estimate from the text length); `deadline`: a
        time.monotonic() after which the work is dropped (the future then fails with DeadlineExceeded).
        Cancel the future to drop the work (a client that went away). Raises QueueFullError when the
        articles do not fit, BatcherClosedError after close() or begin_shutdown().
        """
        future: Future = Future()
        count = len(articles)
        if count == 0:
            future.set_result([])
            return future
        costs = list(costs) if costs is not None else [estimate_windows(a, tasks) for a in articles]
        job = _Job(list(articles), costs, tuple(tasks) if tasks is not None else None, summary_sentences,
                   future, deadline)
        with self._cond:
            if self._closed or self._thread is None:
                raise BatcherClosedError("the server is shutting down (or was never started); retry later")
            if self._pending + count > self.max_pending:
                raise QueueFullError(
                    f"the server is busy: {self._pending} articles are waiting and it holds at most "
                    f"{self.max_pending}; retry after the time in the Retry-After header",
                    self._retry_after(),
                )
            self._pending += count
            self._waiting.append(job)
            self._cond.notify_all()
        return future

    @contextlib.contextmanager
    def incoming(self) -> Iterator[None]:
        """Around reading and cleaning a request before its submit(): the worker, about to start a call,
        waits up to max_wait for announced requests to join it (and not at all when none is announced)."""
        with self._cond:
            self._incoming += 1
        try:
            yield
        finally:
            with self._cond:
                self._incoming -= 1
                self._cond.notify_all()

    def analyze(self, article: Any, *, tasks: Sequence[str] | None = None, summary_sentences: int = 3,
                timeout: float | None = None) -> Any:
        """One article through the queue, waiting for it; raises the article's own PresslensError."""
        (outcome,) = self.submit([article], tasks=tasks, summary_sentences=summary_sentences).result(timeout)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def count_windows(self, prepared: Any, tasks: Sequence[str] | None) -> int:
        """The encoder windows one prepared article costs (classifier.workload), for budgets and scheduling.
        Callable from any thread: it tokenizes with a copy of the tokenizer of its own, one call at a time."""
        from classifier.workload import count_windows

        with self._count_lock:
            if self._count_tokenizer is None:
                self._count_tokenizer = copy.deepcopy(self.analyzer.tokenizer)
            return count_windows(self._count_tokenizer, self.analyzer.config, prepared, tasks)

    def _retry_after(self) -> int:
        waiting = sum(job.cost for job in self._waiting)
        return max(1, min(60, math.ceil(waiting * self._seconds_per_window)))

    # ---------------------------------------------------------------------------------------------- worker
    def _work(self) -> None:
        while True:
            with self._cond:
                while not self._waiting and not self._closed:
                    self._cond.wait()
                if not self._waiting and self._closed:
                    return
                # Requests that are being read and cleaned right now (incoming()) may join this call: wait
                # for them, up to max_wait. With none on the way (a lone client) the call starts at once.
                until = time.monotonic() + self.max_wait
                while (self._incoming and not self._closed
                       and sum(len(job.articles) for job in self._waiting) < self.max_batch
                       and (left := until - time.monotonic()) > 0):
                    self._cond.wait(left)
            unit = self._take(light_only=False)
            if unit:
                self._run_unit(unit)
                release_freed_memory()  # the call's activations leave the process (classifier/memory.py)

    def _take(self, *, light_only: bool) -> list[_Job]:
        """The next call's jobs: light jobs (same options, together at most unit_windows windows and
        max_batch articles) in arrival order, or the first job alone when it is heavy. Gone jobs are
        dropped on the way."""
        now = time.monotonic()
        dropped, unit = [], []
        with self._cond:
            kept: collections.deque[_Job] = collections.deque()
            windows = articles = 0
            while self._waiting:
                job = self._waiting.popleft()
                if job.gone(now):
                    dropped.append(job)
                    continue
                heavy = job.cost > self.unit_windows
                fits = (not unit or job.key == unit[0].key) and windows + job.cost <= self.unit_windows \
                    and articles + len(job.articles) <= self.max_batch
                if not unit and heavy and not light_only:
                    unit.append(job)  # a heavy job runs alone
                    break
                if not heavy and (fits or not unit):
                    unit.append(job)
                    windows += job.cost
                    articles += len(job.articles)
                else:
                    kept.append(job)
            self._waiting.extendleft(reversed(kept))
        for job in dropped:
            self._finish(job, error=self._why_gone(job))
        return unit

    def _run_unit(self, jobs: list[_Job]) -> None:
        """One analyze_many call for jobs that share tasks and summary length; outcomes go back per job."""
        tasks, summary_sentences = jobs[0].key
        articles = [article for job in jobs for article in job.articles]
        heavy = len(jobs) == 1 and jobs[0].cost > self.unit_windows
        started = time.perf_counter()
        self._running.append(jobs)
        self._progress_at = time.monotonic()
        try:
            results = list(self.analyzer.analyze_many(
                articles, tasks=tasks, summary_sentences=summary_sentences,
                **({"batch_size": HEAVY_BATCH_SIZE} if heavy else {})))
            self._deliver(jobs, results)
        except _Stopped:
            self._fail_stopped(jobs)
        except Exception as error:
            # One article must not fail the others that happened to share its call: redo the jobs one
            # article at a time, so that the error lands on its own article only.
            if isinstance(error, PresslensError):
                log.info("a shared call failed (%s); analysing its %d articles one by one", error, len(articles))
            else:
                log.warning("a shared call failed; analysing its %d articles one by one", len(articles),
                            exc_info=True)
            try:
                self._deliver(jobs, self._one_by_one(jobs, tasks, summary_sentences))
            except _Stopped:
                self._fail_stopped(jobs)
            except BaseException as fatal:  # out of memory and the like: every waiting request learns of it
                self._fail(jobs, fatal)
        except BaseException as fatal:
            self._fail(jobs, fatal)
        finally:
            self._running.pop()
            self._progress_at = time.monotonic() if self._running else None
        elapsed = time.perf_counter() - started
        self.batches_run += 1
        self.articles_done += len(articles)
        windows = max(sum(job.cost for job in jobs), 1)
        self._seconds_per_window = 0.8 * self._seconds_per_window + 0.2 * (elapsed / windows)
        log.debug("analyzed %d articles from %d requests in %.3f s", len(articles), len(jobs), elapsed)

    def _one_by_one(self, jobs: list[_Job], tasks, summary_sentences) -> Iterator[Outcome]:
        for job in jobs:
            for article in job.articles:
                if job.gone(time.monotonic()):
                    yield None  # nobody waits for it (dropped with its job)
                    continue
                try:
                    prepared = self.analyzer.prepare(article)  # its InputError names no batch position
                    yield from self.analyzer.analyze_many([prepared], tasks=tasks,
                                                          summary_sentences=summary_sentences)
                except PresslensError as error:
                    yield error
                except Exception as error:
                    log.error("analysing article %r failed", getattr(article, "id", None), exc_info=True)
                    yield AnalysisError(f"analysis failed ({type(error).__name__}); the details are in the "
                                        "server log")

    # ------------------------------------------------------------------------------ between encoder passes
    def _before_encoder_pass(self, module: Any, args: Any) -> None:
        """Runs before every encoder forward pass (a torch pre-hook): progress, stops, light jobs first."""
        if threading.current_thread() is not self._thread or not self._running:
            return
        now = time.monotonic()
        self._progress_at = now
        jobs = self._running[-1]
        if (self._stop_at is not None and now > self._stop_at) or all(job.gone(now) for job in jobs):
            raise _Stopped()
        if len(self._running) == 1 and len(jobs) == 1 and jobs[0].cost > self.unit_windows:
            # A heavy call is running: serve the light jobs that wait, between two of its passes.
            while self._stop_at is None and (unit := self._take(light_only=True)):
                self._run_unit(unit)
            self._progress_at = time.monotonic()

    # ------------------------------------------------------------------------------------------- outcomes
    def _deliver(self, jobs: list[_Job], results: Iterable[Outcome]) -> None:
        """Hand each job its outcomes as soon as its last article is done (results come in input order)."""
        results = iter(results)
        for job in jobs:
            outcomes = list(itertools.islice(results, len(job.articles)))
            if len(outcomes) != len(job.articles):
                raise RuntimeError(f"analyze_many returned {len(outcomes)} results for {len(job.articles)} articles")
            if job.gone(time.monotonic()):
                self._finish(job, error=self._why_gone(job))
            else:
                self._finish(job, outcomes=outcomes)

    def _fail_stopped(self, jobs: list[_Job]) -> None:
        for job in jobs:
            if not job.finished:
                self._finish(job, error=self._why_gone(job))

    def _why_gone(self, job: _Job) -> BaseException:
        if self._stop_at is not None:
            return BatcherClosedError("the server is shutting down; this request was stopped before it was "
                                      "done; retry after the time in Retry-After")
        return DeadlineExceeded("the analysis did not finish before the request's deadline")

    def _fail(self, jobs: list[_Job], error: BaseException) -> None:
        log.error("a batch failed: %s", error, exc_info=error)
        for job in jobs:
            if not job.finished:
                self._finish(job, error=error)

    def _finish(self, job: _Job, *, outcomes: list[Outcome] | None = None, error: BaseException | None = None) -> None:
        if job.finished:
            return
        job.finished = True
        with self._cond:
            self._pending -= len(job.articles)
        # False when the waiting side cancelled (a client that went away): nobody to answer then.
        if job.future.set_running_or_notify_cancel():
            if error is None:
                job.future.set_result(outcomes)
            else:
                job.future.set_exception(error)


def estimate_windows(article: Any, tasks: Sequence[str] | None) -> int:
    """A cheap cost estimate when the caller counted nothing: ~4 characters a token, 500 tokens a window,
    one pass per claim (stance) plus one document window (topic, summary)."""
    sentences = getattr(article, "sentences", None)
    chars = sum(len(s) for s in sentences) if sentences is not None else len(getattr(article, "text", "") or "")
    per_pass = max(1, math.ceil(chars / 2000))
    wanted = set(tasks) if tasks is not None else {"topic", "stance", "summary"}
    claims = len(getattr(article, "targets", ()) or ()) or (1 if getattr(article, "title", None) else 0)
    return (1 if wanted & {"topic", "summary"} else 0) + (per_pass * claims if "stance" in wanted else 0)


class QueuedAnalyzer:
    """An Analyzer look-alike whose analyses go through the shared MicroBatcher.

    The web page and the batch tab use it, so that they share the one model (and its queue) with the API
    instead of running forward passes beside it. `prepare` runs in the caller's thread, like in the API.
    """

    def __init__(self, batcher: MicroBatcher, *, patience: float = 600.0, limits: Any = None) -> None:
        self.batcher = batcher
        self.analyzer = batcher.analyzer
        self.patience = patience  # how long analyze_many (a batch file) waits for room in a full queue
        self.limits = limits  # the server's SizeLimits (None: the defaults), for the page and its batch tab

    @property
    def model_info(self) -> Any:
        return self.analyzer.model_info

    @property
    def labels(self) -> dict[str, list[str]]:
        return self.analyzer.labels

    def prepare(self, article: Any, **options: Any) -> Any:
        if self.limits is not None:
            options.setdefault("limits", self.limits)
        return self.analyzer.prepare(article, **options)

    def analyze(self, article: Any, *, tasks: Sequence[str] | None = None, summary_sentences: int = 3,
                max_windows: int | None = None) -> Any:
        """One article; QueueFullError right away when the server is busy (a person is waiting).
        `max_windows`: the work budget (InputError too_much_work above it), as in the API."""
        from classifier.inputs import check_work

        with self.batcher.incoming():
            prepared = self.prepare(article)
            cost = self.batcher.count_windows(prepared, tasks)
            if max_windows is not None:
                check_work(cost, limit=max_windows, articles=1, claims=len(prepared.targets))
            future = self.batcher.submit([prepared], tasks=tasks, summary_sentences=summary_sentences,
                                         costs=[cost])
        (outcome,) = future.result()
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def analyze_many(self, articles: Iterable[Any], *, tasks: Sequence[str] | None = None,
                     summary_sentences: int = 3, batch_size: int | None = None) -> Iterator[Any]:
        """Like Analyzer.analyze_many for one chunk of a batch file: waits for room when the queue is full."""
        articles = [self.prepare(article) for article in articles]
        # Slices of one micro-batch each: they fit the queue whatever its size, and API requests that
        # arrive meanwhile are served between them instead of after the whole chunk.
        step = max(1, min(self.batcher.max_batch, self.batcher.max_pending))
        futures = [
            self._submit_patiently(articles[start : start + step], tasks, summary_sentences)
            for start in range(0, len(articles), step)
        ]
        for future in futures:
            for outcome in future.result():
                if isinstance(outcome, BaseException):
                    raise outcome
                yield outcome

    def _submit_patiently(self, articles: list, tasks: Sequence[str] | None, summary_sentences: int) -> Future:
        deadline = time.monotonic() + self.patience
        while True:
            try:
                return self.batcher.submit(articles, tasks=tasks, summary_sentences=summary_sentences)
            except QueueFullError as error:
                if time.monotonic() > deadline:
                    raise
                time.sleep(min(error.retry_after, 1.0))
