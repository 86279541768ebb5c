"""The MicroBatcher under faults and load (issue 9), with the real tiny analyzer: a failing neighbour, fair
scheduling of a small job beside a heavy one, cancellation, deadlines, shutdown and stall detection."""

from __future__ import annotations

import threading
import time

import pytest

from classifier.errors import AnalysisError
from demo.batching import BatcherClosedError, DeadlineExceeded, MicroBatcher


def article(n: int, sentences: int = 3, **fields):
    from classifier.inputs import ArticleInput

    text = " ".join(f"Sentence {k} of story {n} is about the harbour budget in town {n}." for k in range(sentences))
    return ArticleInput(text, title=f"Story {n} headline", id=f"id-{n}", **fields)


def heavy(n: int = 0):
    """About a thousand 64-token windows per claim with the tiny model: seconds of work."""
    return article(n, sentences=2000, targets=tuple(f"Claim {k} about story {n}" for k in range(8)))


class FailsOn:
    """The real analyzer with a fault injected: a call that includes an article whose id is `poison`
    raises an unexpected exception (as the tokenizer did on lone surrogates before the input gate)."""

    def __init__(self, analyzer, poison: str):
        self.analyzer, self.poison = analyzer, poison

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, articles, **kwargs):
        articles = [self.analyzer.prepare(a) for a in articles]
        if any(a.id == self.poison for a in articles):
            raise TypeError("TextEncodeInput must be Union[...] (injected)")
        return self.analyzer.analyze_many(articles, **kwargs)


def test_an_unexpected_failure_stays_with_its_article_never_a_neighbour(tiny_analyzer, caplog):
    """Before: a non-PresslensError failed every request of the shared micro-batch."""
    batcher = MicroBatcher(FailsOn(tiny_analyzer, "id-2"), max_batch=16, max_wait=0.2).start()
    try:
        futures = [batcher.submit([article(n)]) for n in range(5)]  # all within one micro-batch
        outcomes = [future.result(timeout=60)[0] for future in futures]
    finally:
        batcher.close()
    assert [getattr(o, "id", None) for o in outcomes] == ["id-0", "id-1", None, "id-3", "id-4"]
    assert isinstance(outcomes[2], AnalysisError) and "server log" in str(outcomes[2])
    assert any(r.exc_info and r.exc_info[0] is TypeError for r in caplog.records)  # the traceback is logged


def test_a_small_job_is_served_while_a_heavy_one_runs(tiny_analyzer):
    """Before: the small request waited for the whole heavy one (one analyze_many call for both)."""
    batcher = MicroBatcher(tiny_analyzer, max_batch=8, max_wait=0.0, unit_windows=16).start()
    try:
        big = batcher.submit([heavy()], costs=[3000])
        time.sleep(0.3)  # the heavy job is running
        small = batcher.submit([article(1)], costs=[2])
        (result,) = small.result(timeout=120)
        assert result.id == "id-1"
        assert not big.done(), "the small job should not have waited for the heavy one"
        assert big.result(timeout=600)[0].id == "id-0"
    finally:
        batcher.close()


def test_a_cancelled_job_stops_at_the_next_encoder_pass(tiny_analyzer):
    batcher = MicroBatcher(tiny_analyzer, max_batch=8, max_wait=0.0, unit_windows=16).start()
    try:
        big = batcher.submit([heavy()], costs=[3000])
        time.sleep(0.3)
        assert batcher.pending == 1
        started = time.monotonic()
        assert big.cancel()  # the client went away
        while batcher.pending and time.monotonic() - started < 30:
            time.sleep(0.02)
        assert batcher.pending == 0
        assert batcher.submit([article(2)]).result(timeout=60)[0].id == "id-2"  # the worker goes on
    finally:
        batcher.close()


def test_a_job_past_its_deadline_is_stopped(tiny_analyzer):
    batcher = MicroBatcher(tiny_analyzer, max_batch=8, max_wait=0.0, unit_windows=16).start()
    try:
        big = batcher.submit([heavy()], costs=[3000], deadline=time.monotonic() + 0.5)
        with pytest.raises(DeadlineExceeded):
            big.result(timeout=60)
        late = batcher.submit([article(3)], deadline=time.monotonic() - 1)
        with pytest.raises(DeadlineExceeded):
            late.result(timeout=60)
    finally:
        batcher.close()


def test_shutdown_fails_queued_jobs_at_once_and_stops_the_running_one_after_the_grace(tiny_analyzer):
    batcher = MicroBatcher(tiny_analyzer, max_batch=8, max_wait=0.0, unit_windows=16).start()
    big = batcher.submit([heavy(0)], costs=[3000])
    time.sleep(0.3)
    queued = batcher.submit([heavy(1)], costs=[3000])  # waits behind the first heavy job
    started = time.monotonic()
    batcher.begin_shutdown(grace=0.5)
    with pytest.raises(BatcherClosedError, match="not started"):
        queued.result(timeout=5)
    with pytest.raises(BatcherClosedError, match="stopped before it was done"):
        big.result(timeout=30)
    assert time.monotonic() - started < 15
    batcher.close(timeout=10)
    assert not any(t.name == "presslens-batcher" and t.is_alive() for t in threading.enumerate())
    with pytest.raises(BatcherClosedError):
        batcher.submit([article(4)])


class Stuck:
    """The real analyzer, stuck (as in a deadlock) for `seconds` before it starts: no encoder pass."""

    def __init__(self, analyzer, seconds: float):
        self.analyzer, self.seconds = analyzer, seconds

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, articles, **kwargs):
        time.sleep(self.seconds)
        return self.analyzer.analyze_many(articles, **kwargs)


def test_health_reports_a_stalled_worker(tiny_analyzer):
    """Before: /healthz said ok whatever the worker did."""
    batcher = MicroBatcher(Stuck(tiny_analyzer, 2.0), max_wait=0.0, stall_seconds=0.5).start()
    try:
        assert batcher.health()["state"] == "ok"
        future = batcher.submit([article(1)])
        time.sleep(1.2)
        health = batcher.health()
        assert health["state"] == "stalled" and health["seconds_since_progress"] >= 0.5
        future.result(timeout=60)
        assert batcher.health()["state"] == "ok"
    finally:
        batcher.close()
