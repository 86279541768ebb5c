"""Model outputs -> what users read: probabilities per label, summary sentences, evidence sentences.

Small pure functions on plain Python numbers (no torch), shared by inference and training's evaluation:

    probabilities(logits=[2.0, 0.1], labels=["agree", "disagree"], temperature=1.3)
    select_summary(scores=[0.9, 0.2, 0.8], sentences=[...], k=2)   # -> [0, 2]
    select_summary_among({0: 0.9, 2: 0.8}, sentences=[...], k=1)     # -> [0]: only scored sentences compete
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence

MIN_SUMMARY_WORDS = 4
_WORD = re.compile(r"\w+")


def probabilities(logits: Sequence[float], labels: Sequence[str], temperature: float = 1.0) -> dict[str, float]:
    """Softmax of `logits / temperature` as {label: probability}, in the labels' order."""
    if len(logits) != len(labels):
        raise ValueError(f"{len(logits)} logits for {len(labels)} labels")
    return dict(zip(labels, softmax(logits, temperature)))


def decide_topic(
    scores: dict[str, float], *, min_score: float = 0.0, thresholds: Mapping[str, float] | None = None
) -> tuple[str | None, float, tuple[str, ...] | None]:
    """(label, its score, topics) from topic probabilities.

    Single-label (`thresholds` None): the best label, or None ("none of these") when its score is below
    `min_score`; topics None. Multi-label (`thresholds` {label: threshold}, labels without one: 0.5): topics
    = the labels whose score reaches both their threshold and `min_score`, best first; label = the first of
    them, None when there is none. The score returned is the best label's, whether it fits or not.
    """
    label, score = best(scores)
    if thresholds is None:
        return (label if score >= min_score else None), score, None
    order = sorted(scores, key=lambda name: -scores[name])
    topics = tuple(name for name in order if scores[name] >= max(thresholds.get(name, 0.5), min_score))
    return (topics[0] if topics else None), score, topics


def softmax(logits: Sequence[float], temperature: float = 1.0) -> list[float]:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    scaled = [float(x) / temperature for x in logits]
    top = max(scaled)
    exps = [math.exp(x - top) for x in scaled]
    total = sum(exps)
    return [e / total for e in exps]


def sigmoid(logit: float, temperature: float = 1.0) -> float:
    if temperature <= 0:
        raise ValueError(f"temperature must be > 0, got {temperature}")
    x = float(logit) / temperature
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)  # the other branch, so a very negative logit cannot overflow exp
    return e / (1.0 + e)


def average(distributions: Sequence[dict[str, float]]) -> dict[str, float]:
    """Mean of several {label: probability} dicts with the same labels (e.g. one per window)."""
    if not distributions:
        raise ValueError("nothing to average")
    labels = list(distributions[0])
    return {label: sum(d[label] for d in distributions) / len(distributions) for label in labels}


def best(scores: dict[str, float]) -> tuple[str, float]:
    """The most probable label and its probability (the first label wins a tie)."""
    label = max(scores, key=scores.__getitem__)
    return label, scores[label]


def select_summary(scores: Sequence[float], sentences: Sequence[str], k: int) -> list[int]:
    """Indices of the summary sentences, in article order.

    Top-k by score, skipping a candidate that shares a word trigram with a sentence already picked (the
    usual redundancy filter of extractive news summarisers, e.g. BertSum's trigram blocking), and sentences
    under MIN_SUMMARY_WORDS words or not ending like a sentence (a subheading such as "What happens next",
    a table label) unless nothing else is left. A redundant sentence is never added, so
    the summary may hold fewer than k sentences. Ties go to the earlier sentence.
    """
    if len(scores) != len(sentences):
        raise ValueError(f"{len(scores)} scores for {len(sentences)} sentences")
    if k < 1:
        return []
    order = sorted(range(len(scores)), key=lambda i: (-_finite(scores[i]), i))
    words = [_WORD.findall(sentence.lower()) for sentence in sentences]
    minor = [len(w) < MIN_SUMMARY_WORDS or not _ENDS_LIKE_SENTENCE.search(s.rstrip()) for w, s in zip(words, sentences)]
    picked: list[int] = []
    seen: set[tuple[str, ...]] = set()
    for allow_short in (False, True):
        for i in order:
            if len(picked) >= k:
                break
            if i in picked or minor[i] != allow_short:
                continue
            grams = _trigrams(words[i])
            if grams & seen:
                continue
            picked.append(i)
            seen |= grams
    return sorted(picked)


def select_summary_among(scores: Mapping[int, float], sentences: Sequence[str], k: int) -> list[int]:
    """select_summary over only the sentences that have a score ({article index: score}, e.g. the sentences
    of the window the model read); returns article indices in article order."""
    candidates = sorted(scores)
    picked = select_summary([scores[i] for i in candidates], [sentences[i] for i in candidates], k)
    return [candidates[j] for j in picked]


def top_sentences(mass: Sequence[float], n: int) -> list[int]:
    """Indices of the n sentences with the largest mass (ties: earlier first), in article order."""
    order = sorted(range(len(mass)), key=lambda i: (-_finite(mass[i]), i))
    return sorted(order[: max(n, 0)])


# How a sentence ends (also "...", a closing quote or bracket, CJK full stops); a subheading ends bare.
_ENDS_LIKE_SENTENCE = re.compile(r"[.!?:;\u2026\u3002\uff01\uff1f][\"'\u201d\u2019)\]\u300d]*$")


def _trigrams(words: list[str]) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + 3]) for i in range(len(words) - 2)}


def _finite(score: float) -> float:
    score = float(score)
    return score if not math.isnan(score) else float("-inf")
