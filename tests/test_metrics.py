"""Metrics, oracle labels and baselines against values computed by hand."""

import numpy as np
import pytest

pytest.importorskip("sklearn")

from training import baselines, metrics
from training.summary_labels import detokenize, oracle, split_sentences


def test_fnc_score_by_hand():
    gold = ["agree", "unrelated", "discuss", "disagree"]
    predicted = ["agree", "unrelated", "agree", "unrelated"]
    # points: 1.0 (exact related) + 0.25 (unrelated) + 0.25 (related, wrong stance) + 0 = 1.5 of 3.25
    assert metrics.fnc_score(gold, predicted) == pytest.approx(1.5 / 3.25)
    assert metrics.fnc_score(gold, gold) == 1.0


def test_classification_report_by_hand():
    report = metrics.classification_report(["a", "a", "b", "b"], ["a", "b", "b", "b"], ["a", "b"])
    assert report["accuracy"] == 0.75
    # a: precision 1, recall 0.5 -> F1 2/3; b: precision 2/3, recall 1 -> F1 0.8
    assert report["f1"]["a"] == pytest.approx(2 / 3)
    assert report["f1"]["b"] == pytest.approx(0.8)
    assert report["macro_f1"] == pytest.approx((2 / 3 + 0.8) / 2)


def test_ece_by_hand():
    # bin of 0.9: accuracy 0.5 -> gap 0.4, half the rows; bin of 0.6: accuracy 1 -> gap 0.4, half the rows
    assert metrics.expected_calibration_error([0.9, 0.9, 0.6, 0.6], [True, False, True, True]) == pytest.approx(0.4)
    assert metrics.expected_calibration_error([1.0, 1.0], [True, True]) == pytest.approx(0.0)


def test_fit_temperature_recovers_known_scale():
    # logits +-4 whose true frequency is sigmoid(4 / 2): the best temperature is 2
    positives = round(1000 * (1 / (1 + np.exp(-2.0))))
    logits = np.array([4.0] * 1000 + [-4.0] * 1000)
    targets = np.array([1] * positives + [0] * (1000 - positives) + [0] * positives + [1] * (1000 - positives))
    assert metrics.fit_temperature(logits, targets, binary=True) == pytest.approx(2.0, abs=0.02)
    # multi-class: an overconfident model (logits x3 of the truth) needs T ~ 3
    rng = np.random.default_rng(0)
    true_logits = rng.normal(size=(4000, 4))
    p = metrics.softmax(true_logits)
    y = np.array([rng.choice(4, p=row) for row in p])
    assert metrics.fit_temperature(true_logits * 3, y) == pytest.approx(3.0, rel=0.1)


def test_rouge_identity_and_disjoint():
    pytest.importorskip("rouge_score")
    same = metrics.rouge(["the cat sat on the mat"], ["the cat sat on the mat"])
    assert same == {"rouge1": 100.0, "rouge2": 100.0, "rougeL": 100.0}
    assert metrics.rouge(["dogs bark"], ["the cat sat"])["rouge1"] == 0.0
    # stemming on: "running" matches "runs"
    assert metrics.rouge(["running"], ["runs"])["rouge1"] == 100.0


def test_margin_interval_brackets_the_mean_difference_and_narrows_with_more_articles():
    rng = np.random.default_rng(3)
    baseline = rng.uniform(30, 50, 400)
    system = baseline + 0.5 + rng.normal(0, 8, 400)
    low, high = metrics.margin_interval(system, baseline)
    assert low < float(np.mean(system - baseline)) < high
    small_low, small_high = metrics.margin_interval(system[:100], baseline[:100])
    assert small_high - small_low > high - low
    assert metrics.margin_interval([2.0, 2.0], [1.0, 1.0]) == (1.0, 1.0)  # no spread, no interval
    with pytest.raises(ValueError, match="no articles"):
        metrics.margin_interval([], [])


def test_ptb_sentences_and_detokenisation():
    article = 'he said : " we wo n\'t go . " then -lrb- cnn -rrb- it left . the u.s. agreed !'
    sentences = split_sentences(article)
    assert sentences == ['he said: " we won\'t go. "', "then (cnn) it left.", "the u.s. agreed!"]
    assert detokenize("it 's $ 5 , or 3 %") == "it's $5, or 3%"


def test_oracle_picks_the_matching_sentences():
    sentences = ["dogs bark loudly at night", "the cat sat on the mat", "markets fell sharply today"]
    assert oracle(sentences, "the cat sat on the mat") == [1]
    assert oracle(sentences, "the cat sat on the mat\nmarkets fell sharply") == [1, 2]
    assert oracle(["nothing shared here"], "completely different words") == []


def test_lead_and_textrank():
    sentences = [
        "The central bank raised interest rates on Tuesday.",
        "Interest rates rose for the third time this year, the bank said.",
        "My cat likes sleeping in the sun.",
        "Analysts expect the bank to raise rates again.",
    ]
    assert baselines.lead(sentences, 3) == [0, 1, 2]
    picked = baselines.textrank(sentences, 3)
    assert picked == sorted(picked) and len(picked) == 3
    assert 2 not in picked  # the off-topic sentence is the least central


def test_topic_and_stance_baselines_learn_something():
    texts = ["stocks shares market profit"] * 10 + ["football match goal team"] * 10
    labels = ["Business"] * 10 + ["Sports"] * 10
    assert baselines.topic_tfidf_logreg(texts, labels, ["market profit", "goal team"]) == ["Business", "Sports"]
    assert baselines.stance_majority(["a", "b", "b"], 2) == ["b", "b"]
