"""MicroBatcher and QueuedAnalyzer with the real tiny analyzer: order, grouping, errors, bounds, shutdown."""

from __future__ import annotations

import concurrent.futures
import threading

import pytest

from classifier.errors import InputError
from demo.batching import BatcherClosedError, MicroBatcher, QueuedAnalyzer, QueueFullError


def article(n: int, **fields):
    from classifier.inputs import ArticleInput

    text = (f"Story {n} opens with a report from the harbour. Officials in town {n} confirmed the plan on "
            f"Monday. Critics said the budget for project {n} was far too small.")
    return ArticleInput(text, title=f"Story {n} headline", id=f"id-{n}", **fields)


@pytest.fixture
def batcher(tiny_analyzer):
    running = MicroBatcher(tiny_analyzer, max_pending=64, max_batch=8, max_wait=0.02).start()
    yield running
    running.close()


def test_results_come_back_per_request_in_input_order(batcher, tiny_analyzer):
    futures = [batcher.submit([article(n), article(n + 50)]) for n in range(6)]
    for n, future in enumerate(futures):
        outcomes = future.result(timeout=60)
        assert [o.id for o in outcomes] == [f"id-{n}", f"id-{n + 50}"]
        expected = tiny_analyzer.analyze(article(n))
        assert outcomes[0].topic.label == expected.topic.label
        assert outcomes[0].topic.scores == pytest.approx(expected.topic.scores, abs=1e-4)
    assert batcher.articles_done == 12
    assert batcher.batches_run < 12  # requests were grouped into shared analyze_many calls


def test_requests_with_different_tasks_share_the_queue_not_the_call(batcher):
    topic_only = batcher.submit([article(1)], tasks=("topic",))
    summary_two = batcher.submit([article(2)], tasks=("summary",), summary_sentences=2)
    everything = batcher.submit([article(3)])
    (a,), (b,), (c,) = (f.result(timeout=60) for f in (topic_only, summary_two, everything))
    assert a.topic is not None and a.summary is None and a.stances is None
    assert b.topic is None and len(b.summary.sentences) == 2
    assert c.topic is not None and c.summary is not None and c.stances is not None


def test_a_bad_article_fails_alone(batcher):
    from classifier.inputs import ArticleInput

    bad = ArticleInput("   ", id="blank")
    good_before, mixed, good_after = (batcher.submit(batch) for batch in (
        [article(1)], [article(2), bad, article(3)], [article(4)]))
    assert good_before.result(timeout=60)[0].id == "id-1"
    outcomes = mixed.result(timeout=60)
    assert outcomes[0].id == "id-2" and outcomes[2].id == "id-3"
    assert isinstance(outcomes[1], InputError) and "empty" in str(outcomes[1])
    assert "0-based" not in str(outcomes[1])  # the article's own message, not a position in a shared batch
    assert good_after.result(timeout=60)[0].id == "id-4"
    assert batcher.pending == 0


def test_analyze_raises_the_articles_own_error(batcher):
    from classifier.inputs import ArticleInput

    with pytest.raises(InputError, match="empty"):
        batcher.analyze(ArticleInput(""))


def test_a_full_queue_refuses_with_a_retry_time(tiny_analyzer):
    # max_wait keeps the first job waiting (for more work) long enough for the second submit to find no room.
    slow = MicroBatcher(tiny_analyzer, max_pending=2, max_batch=8, max_wait=2.0).start()
    try:
        first = slow.submit([article(1), article(2)])
        with pytest.raises(QueueFullError) as refused:
            slow.submit([article(3)])
        assert refused.value.retry_after >= 1
        assert "busy" in str(refused.value)
        assert len(first.result(timeout=60)) == 2
        assert slow.pending == 0
        assert len(slow.submit([article(3)]).result(timeout=60)) == 1  # room again
    finally:
        slow.close()


def test_close_finishes_queued_work_then_stops_the_thread(tiny_analyzer):
    batcher = MicroBatcher(tiny_analyzer, max_pending=64, max_batch=2, max_wait=0.0).start()
    futures = [batcher.submit([article(n)]) for n in range(5)]
    batcher.close()
    assert all(f.result(timeout=1)[0].id == f"id-{n}" for n, f in enumerate(futures))
    assert not batcher.running and not any(t.name == "presslens-batcher" and t.is_alive()
                                           for t in threading.enumerate())
    with pytest.raises(BatcherClosedError):
        batcher.submit([article(9)])


def test_submit_before_start_is_refused(tiny_analyzer):
    with pytest.raises(BatcherClosedError):
        MicroBatcher(tiny_analyzer).submit([article(1)])


def test_settings_are_checked(tiny_analyzer):
    with pytest.raises(ValueError):
        MicroBatcher(tiny_analyzer, max_pending=0)


def test_many_threads_at_once(batcher):
    def call(n):
        return n, batcher.submit([article(n)]).result(timeout=120)[0]

    with concurrent.futures.ThreadPoolExecutor(16) as pool:
        for n, outcome in pool.map(call, range(40)):
            assert outcome.id == f"id-{n}"
            assert all(f" {n} " in s.text for s in outcome.summary.sentences)


def test_queued_analyzer_looks_like_an_analyzer(batcher, tiny_analyzer):
    from classifier.inputs import ArticleInput

    queued = QueuedAnalyzer(batcher)
    assert queued.model_info == tiny_analyzer.model_info and queued.labels == tiny_analyzer.labels
    assert queued.analyze(article(1), tasks=["topic"]).summary is None
    results = list(queued.analyze_many([article(n) for n in range(20)], summary_sentences=1))  # > max_batch
    assert [r.id for r in results] == [f"id-{n}" for n in range(20)]
    with pytest.raises(InputError):
        list(queued.analyze_many([article(1), ArticleInput(" ")]))


def test_a_call_waits_only_for_requests_on_their_way(tiny_analyzer):
    """max_wait holds a call back only while a request is being read (incoming()): a lone request starts
    at once, an announced one joins the call of the request queued before it."""
    import time

    batcher = MicroBatcher(tiny_analyzer, max_wait=30).start()
    try:
        assert batcher.submit([article(1)]).result(timeout=20)[0].id == "id-1"  # not held for 30 s
        assert batcher.batches_run == 1
        with batcher.incoming():
            first = batcher.submit([article(2)])
            time.sleep(0.3)
            assert not first.done()  # held: a request is on its way
            second = batcher.submit([article(3)])
        assert first.result(timeout=20)[0].id == "id-2" and second.result(timeout=20)[0].id == "id-3"
        assert batcher.batches_run == 2  # both in one call
    finally:
        batcher.close()
