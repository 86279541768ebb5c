"""Micro-batching: many concurrent requests, one model, one worker thread, one `analyze_many` call per batch.

    batcher = MicroBatcher(analyzer, max_pending=256, max_batch=32)
    batcher.start()
    future = batcher.submit([ArticleInput("text ...")], tasks=None, summary_sentences=3)
    outcomes = future.result()          # one Analysis (or the InputError it raised) per article, in order
    batcher.close()

Why: the model is the expensive shared resource. Running one forward pass per HTTP request from many threads
would fight over the 2 CPU cores and batch nothing. Instead every surface (API and web page) enqueues its
articles, and a single worker drains whatever is queued (waiting a few milliseconds for more when the batch
is not full) into one `analyze_many` call, which buckets by length and batches the encoder. Results are
handed back per request as soon as that request's last article is done.

Memory stays bounded: `max_pending` caps the articles that are queued or being analyzed; a submit beyond it
raises `QueueFullError` (the API answers 503 with Retry-After).
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import queue
import threading
import time
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future
from typing import Any

from classifier.errors import PresslensError

log = logging.getLogger("presslens.demo.batching")

Outcome = Any  # an Analysis, or the PresslensError that one article raised


class QueueFullError(Exception):
    """The server already holds as many articles as it may; the client should retry after `retry_after` s."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class BatcherClosedError(Exception):
    """The server is shutting down and takes no new work."""


@dataclasses.dataclass
class _Job:
    articles: Sequence[Any]  # ArticleInput
    tasks: tuple[str, ...] | None
    summary_sentences: int
    future: Future
    outcomes: list[Outcome] = dataclasses.field(default_factory=list)
    finished: bool = False

    @property
    def key(self) -> tuple[tuple[str, ...] | None, int]:
        """Jobs with the same key can share one `analyze_many` call."""
        return self.tasks, self.summary_sentences


_STOP = object()


class MicroBatcher:
    """A bounded queue of articles served by one worker thread that calls `analyzer.analyze_many`."""

    def __init__(
        self,
        analyzer: Any,
        *,
        max_pending: int = 256,
        max_batch: int = 32,
        max_wait: float = 0.01,
    ) -> None:
        if max_pending < 1 or max_batch < 1 or max_wait < 0:
            raise ValueError("max_pending and max_batch must be >= 1 and max_wait >= 0")
        self.analyzer = analyzer
        self.max_pending = max_pending
        self.max_batch = max_batch
        self.max_wait = max_wait
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pending = 0
        self._closed = False
        self._thread: threading.Thread | None = None
        # Recent speed, for an honest Retry-After: exponentially averaged seconds per article.
        self._seconds_per_article = 0.1
        self.batches_run = 0
        self.articles_done = 0

    # ------------------------------------------------------------------------------------------ lifecycle
    def start(self) -> "MicroBatcher":
        if self._thread is None:
            # daemon: even if close() is never called, the process can still exit
            self._thread = threading.Thread(target=self._work, name="presslens-batcher", daemon=True)
            self._thread.start()
        return self

    def close(self, timeout: float = 30.0) -> None:
        """Refuse new work, finish what is queued, stop the worker thread."""
        with self._lock:
            if self._closed:
                return
            self._closed = True
        if self._thread is not None:
            self._queue.put(_STOP)
            self._thread.join(timeout)
            if self._thread.is_alive():
                log.warning("batch worker did not stop within %.0f s; leaving it (daemon thread)", timeout)
        self._fail_leftovers()

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and not self._closed

    @property
    def pending(self) -> int:
        """Articles queued or being analyzed right now."""
        return self._pending

    # ---------------------------------------------------------------------------------------------- submit
    def submit(
        self, articles: Sequence[Any], *, tasks: Sequence[str] | None = None, summary_sentences: int = 3
    ) -> Future:
        """Queue articles for analysis; the future's result is one outcome per article, in input order.

        Raises QueueFullError when the articles do not fit, BatcherClosedError after close().
        """
        future: Future = Future()
        count = len(articles)
        if count == 0:
            future.set_result([])
            return future
        with self._lock:
            if self._closed or self._thread is None:
                raise BatcherClosedError("the server is shutting down (or was never started); retry later")
            if self._pending + count > self.max_pending:
                raise QueueFullError(
                    f"the server is busy: {self._pending} articles are waiting and it holds at most "
                    f"{self.max_pending}; retry after the time in the Retry-After header",
                    self._retry_after(),
                )
            self._pending += count
        task_key = tuple(tasks) if tasks is not None else None
        self._queue.put(_Job(list(articles), task_key, summary_sentences, future))
        return future

    def analyze(self, article: Any, *, tasks: Sequence[str] | None = None, summary_sentences: int = 3,
                timeout: float | None = None) -> Any:
        """One article through the queue, waiting for it; raises the article's own PresslensError."""
        (outcome,) = self.submit([article], tasks=tasks, summary_sentences=summary_sentences).result(timeout)
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    def _retry_after(self) -> int:
        return max(1, min(60, math.ceil(self._pending * self._seconds_per_article)))

    # ---------------------------------------------------------------------------------------------- worker
    def _work(self) -> None:
        stop = False
        while not stop:
            first = self._queue.get()
            if first is _STOP:
                break
            jobs, stop = self._gather(first)
            for group in _groups(jobs):
                self._run_group(group)

    def _gather(self, first: _Job) -> tuple[list[_Job], bool]:
        """The first job plus whatever arrives within max_wait, up to max_batch articles."""
        jobs, count = [first], len(first.articles)
        deadline = time.monotonic() + self.max_wait
        while count < self.max_batch:
            remaining = deadline - time.monotonic()
            try:
                job = self._queue.get(timeout=remaining) if remaining > 0 else self._queue.get_nowait()
            except queue.Empty:
                break
            if job is _STOP:
                return jobs, True
            jobs.append(job)
            count += len(job.articles)
        return jobs, False

    def _run_group(self, jobs: list[_Job]) -> None:
        """One analyze_many call for jobs that share tasks and summary length; outcomes go back per job."""
        tasks, summary_sentences = jobs[0].key
        articles = [article for job in jobs for article in job.articles]
        started = time.perf_counter()
        try:
            results = self.analyzer.analyze_many(articles, tasks=tasks, summary_sentences=summary_sentences)
            self._deliver(jobs, results)
        except PresslensError:
            # One bad article must not fail the others that happened to share its batch: redo the jobs not
            # answered yet one article at a time, so that the error lands on its own article only.
            unanswered = [job for job in jobs if not job.finished]
            try:
                self._deliver(unanswered, self._one_by_one(unanswered, tasks, summary_sentences))
            except BaseException as error:
                self._fail(unanswered, error)
        except BaseException as error:  # a bug or out of memory: every waiting request learns of it
            self._fail(jobs, error)
        elapsed = time.perf_counter() - started
        self.batches_run += 1
        self.articles_done += len(articles)
        self._seconds_per_article = 0.8 * self._seconds_per_article + 0.2 * (elapsed / len(articles))
        log.debug("analyzed a batch of %d articles from %d requests in %.3f s", len(articles), len(jobs), elapsed)

    def _one_by_one(self, jobs: list[_Job], tasks, summary_sentences) -> Iterator[Outcome]:
        for article in (article for job in jobs for article in job.articles):
            try:
                prepared = self.analyzer.prepare(article)  # its InputError names no batch position
                yield from self.analyzer.analyze_many([prepared], tasks=tasks, summary_sentences=summary_sentences)
            except PresslensError as error:
                yield error

    def _deliver(self, jobs: list[_Job], results: Iterable[Outcome]) -> None:
        """Hand each job its outcomes as soon as its last article is done (results come in input order)."""
        results = iter(results)
        for job in jobs:
            job.outcomes = list(itertools.islice(results, len(job.articles)))
            if len(job.outcomes) != len(job.articles):
                raise RuntimeError(
                    f"analyze_many returned {len(job.outcomes)} results for {len(job.articles)} articles"
                )
            self._finish(job)

    def _fail(self, jobs: list[_Job], error: BaseException) -> None:
        log.error("a batch failed: %s", error, exc_info=error)
        for job in jobs:
            if not job.finished:
                self._finish(job, error=error)

    def _finish(self, job: _Job, error: BaseException | None = None) -> None:
        job.finished = True
        with self._lock:
            self._pending -= len(job.articles)
        # False when the waiting side cancelled (a client that went away): nobody to answer then.
        if job.future.set_running_or_notify_cancel():
            if error is None:
                job.future.set_result(job.outcomes)
            else:
                job.future.set_exception(error)

    def _fail_leftovers(self) -> None:
        """Jobs still queued after the worker stopped (it timed out) get an error instead of hanging."""
        while True:
            try:
                job = self._queue.get_nowait()
            except queue.Empty:
                return
            if job is not _STOP and not job.finished:
                self._finish(job, error=BatcherClosedError("the server shut down before this request ran"))


def _groups(jobs: list[_Job]) -> list[list[_Job]]:
    """Jobs grouped by (tasks, summary length), each group in arrival order."""
    groups: dict[Any, list[_Job]] = {}
    for job in jobs:
        groups.setdefault(job.key, []).append(job)
    return list(groups.values())


class QueuedAnalyzer:
    """An Analyzer look-alike whose analyses go through the shared MicroBatcher.

    The web page and the batch tab use it, so that they share the one model (and its queue) with the API
    instead of running forward passes beside it. `prepare` runs in the caller's thread, like in the API.
    """

    def __init__(self, batcher: MicroBatcher, *, patience: float = 600.0) -> None:
        self.batcher = batcher
        self.analyzer = batcher.analyzer
        self.patience = patience  # how long analyze_many (a batch file) waits for room in a full queue

    @property
    def model_info(self) -> Any:
        return self.analyzer.model_info

    @property
    def labels(self) -> dict[str, list[str]]:
        return self.analyzer.labels

    def prepare(self, article: Any) -> Any:
        return self.analyzer.prepare(article)

    def analyze(self, article: Any, *, tasks: Sequence[str] | None = None, summary_sentences: int = 3) -> Any:
        """One article; QueueFullError right away when the server is busy (a person is waiting)."""
        return self.batcher.analyze(self.prepare(article), tasks=tasks, summary_sentences=summary_sentences)

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
