"""Metrics for the three heads, and temperature scaling.

Classification scores come from scikit-learn, ROUGE from Google's `rouge-score` (stemming on); what is
ours is the FNC-1 weighted score (its definition: 0.25 for getting related/unrelated right, 0.75 more for
the exact related stance), the expected calibration error and the temperature fit.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

FNC_UNRELATED = "unrelated"


def classification_report(gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]) -> dict:
    from sklearn.metrics import accuracy_score, f1_score

    per_class = f1_score(gold, predicted, labels=list(labels), average=None, zero_division=0)
    return {
        "accuracy": float(accuracy_score(gold, predicted)),
        "macro_f1": float(f1_score(gold, predicted, labels=list(labels), average="macro", zero_division=0)),
        "f1": {label: float(score) for label, score in zip(labels, per_class)},
        "n": len(gold),
    }


def fnc_score(gold: Sequence, predicted: Sequence, unrelated=FNC_UNRELATED) -> float:
    """FNC-1 weighted score as a fraction of the best possible score on these rows. Labels may be names or
    class ids (then pass the id of `unrelated`); numpy throughout, since decision fitting calls it often."""
    gold, predicted = np.asarray(gold), np.asarray(predicted)
    if gold.size == 0:
        return 0.0
    same, related = gold == predicted, gold != unrelated
    points = 0.25 * same + 0.50 * (same & related) + 0.25 * (related & (predicted != unrelated))
    return float(points.sum() / np.where(related, 1.0, 0.25).sum())


def expected_calibration_error(confidence: Sequence[float], correct: Sequence[bool], bins: int = 15) -> float:
    """ECE with equal-width bins: sum over bins of |accuracy - mean confidence| weighted by bin share.

    For a multi-class head pass the top probability and whether the top label was right; for the binary
    summary head pass each sentence's probability and whether it is in the oracle summary.
    """
    confidence = np.asarray(confidence, dtype=float)
    correct = np.asarray(correct, dtype=float)
    if confidence.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    which = np.clip(np.digitize(confidence, edges[1:-1], right=True), 0, bins - 1)
    total = 0.0
    for b in range(bins):
        mask = which == b
        if mask.any():
            total += mask.mean() * abs(correct[mask].mean() - confidence[mask].mean())
    return float(total)


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    z = logits / temperature
    z = z - z.max(axis=1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=1, keepdims=True)


def sigmoid(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-logits / temperature))


def fit_temperature(logits: np.ndarray, targets: np.ndarray, binary: bool = False) -> float:
    """The temperature T minimising the negative log-likelihood of softmax(logits / T) (Guo et al. 2017).

    A one-dimensional convex-enough problem: a golden-section search over log T is exact enough and
    needs no optimiser state.
    """
    logits = np.asarray(logits, dtype=float)
    targets = np.asarray(targets)

    def nll(log_t: float) -> float:
        t = math.exp(log_t)
        if binary:
            p = np.clip(sigmoid(logits, t), 1e-12, 1 - 1e-12)
            return float(-(targets * np.log(p) + (1 - targets) * np.log(1 - p)).mean())
        p = softmax(logits, t)
        return float(-np.log(np.clip(p[np.arange(len(targets)), targets], 1e-12, None)).mean())

    lo, hi = math.log(0.05), math.log(20.0)
    ratio = (math.sqrt(5) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = nll(a), nll(b)
    for _ in range(60):
        if fa < fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = nll(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = nll(b)
    return round(math.exp((lo + hi) / 2), 4)


def rouge(predictions: Sequence[str], references: Sequence[str]) -> dict[str, float]:
    """Mean ROUGE-1/2/L F1 x 100 (rouge-score, Porter stemming; ROUGE-L is the summary-level Lsum, with
    sentences on separate lines as the CNN/DM literature reports it)."""
    rows = rouge_per_article(predictions, references)
    n = max(1, len(rows))
    return {key: round(100 * sum(row[key] for row in rows) / n, 2) for key in ("rouge1", "rouge2", "rougeL")}


def rouge_per_article(predictions: Sequence[str], references: Sequence[str]) -> list[dict[str, float]]:
    """ROUGE-1/2/L F1 (0..1) of each prediction against its reference, as `rouge` averages them."""
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rouge1", "rouge2", "rougeLsum"], use_stemmer=True)
    rows = []
    for prediction, reference in zip(predictions, references):
        scores = scorer.score(reference, prediction)
        rows.append({"rouge1": scores["rouge1"].fmeasure, "rouge2": scores["rouge2"].fmeasure,
                     "rougeL": scores["rougeLsum"].fmeasure})
    return rows


def margin_interval(system: Sequence[float], baseline: Sequence[float], level: float = 0.95,
                    rounds: int = 2000, seed: int = 0) -> tuple[float, float]:
    """Bootstrap interval (resampling articles, paired) of mean(system - baseline): how far a margin over a
    baseline measured on these articles could move on another sample of the same size."""
    differences = np.asarray(system, dtype=float) - np.asarray(baseline, dtype=float)
    if not len(differences):
        raise ValueError("no articles")
    rng = np.random.default_rng(seed)
    means = differences[rng.integers(0, len(differences), (rounds, len(differences)))].mean(axis=1)
    tail = (1.0 - level) / 2
    return float(np.quantile(means, tail)), float(np.quantile(means, 1.0 - tail))
