"""The stance decision layer: a small linear map from the head's logits and the overlap features to the
final stance logits, fitted on the honest dev split (claims and bodies unseen in training) for macro-F1.

Why: training sees a stream with `unrelated` downsampled and `disagree` repeated, so the arg-max of the head
is not the decision that suits unseen claims; and on unseen claims the head leans on the claim's wording,
while the refuting/hedging counts of the sentences about the claim (classifier/stance_input.py) separate
`disagree` from `agree` better there. Two candidates are fitted, and the one with the better cross-fitted
macro-F1 is kept:

* offsets: the logits plus one offset per class (label-shift correction, searched on a grid);
* stacked: multinomial logistic regression on [logits, features] (balanced classes), then offsets.

Cross-fitted = fitted on half of the dev claims and scored on the other half, both ways, pooled: what the
layer is worth on claims it was not fitted on. The layer is stored in the checkpoint config as
`stance_decision = {"weight": [K x (K + F)], "bias": [K]}` (classifier/model.py applies it).
"""

from __future__ import annotations

import random
from collections.abc import Sequence

import numpy as np

from . import metrics

GRID = np.round(np.arange(-2.0, 2.01, 0.25), 2)


def _score(z: np.ndarray, gold: np.ndarray, labels: Sequence[str]) -> dict:
    names = np.array(labels)
    predicted = list(names[z.argmax(1)])
    report = metrics.classification_report(list(names[gold]), predicted, labels)
    report["fnc_score"] = metrics.fnc_score(list(names[gold]), predicted)
    return report


def _objective(z: np.ndarray, gold: np.ndarray, labels: Sequence[str]) -> float:
    report = _score(z, gold, labels)
    return report["macro_f1"] + 0.1 * report["fnc_score"]  # macro-F1 first, FNC score breaks ties


def fit_offsets(z: np.ndarray, gold: np.ndarray, labels: Sequence[str], rounds: int = 2) -> np.ndarray:
    """Coordinate search over GRID, class by class (the last class stays at 0: only differences matter)."""
    offsets = np.zeros(len(labels))
    best = _objective(z, gold, labels)
    for _ in range(rounds):
        for k in range(len(labels) - 1):
            for value in GRID:
                trial = offsets.copy()
                trial[k] = value
                score = _objective(z + trial, gold, labels)
                if score > best + 1e-9:
                    best, offsets = score, trial
    return offsets


def fit_layer(logits: np.ndarray, features: np.ndarray, gold: np.ndarray, labels: Sequence[str],
              kind: str) -> tuple[np.ndarray, np.ndarray]:
    """(weight [K, K+F], bias [K]) of one candidate layer, on [logits, features] inputs."""
    k, f = logits.shape[1], features.shape[1]
    inputs = np.hstack([logits, features])
    if kind == "offsets":
        weight = np.hstack([np.eye(k), np.zeros((k, f))])
        return weight, fit_offsets(logits, gold, labels)
    from sklearn.linear_model import LogisticRegression

    mean, scale = inputs.mean(0), inputs.std(0) + 1e-6
    model = LogisticRegression(C=1.0, class_weight="balanced", max_iter=2000)
    model.fit((inputs - mean) / scale, gold)
    coef = np.zeros((k, k + f))
    intercept = np.zeros(k)
    coef[model.classes_] = model.coef_
    intercept[model.classes_] = model.intercept_
    weight = coef / scale  # fold the standardisation into the layer
    bias = intercept - weight @ mean
    return weight, bias + fit_offsets(inputs @ weight.T + bias, gold, labels)


def crossfit(logits: np.ndarray, features: np.ndarray, gold: np.ndarray, groups: Sequence,
             labels: Sequence[str], kind: str) -> dict:
    unique = sorted(set(groups), key=str)
    random.Random(0).shuffle(unique)
    half = {g: i % 2 for i, g in enumerate(unique)}
    fold = np.array([half[g] for g in groups])
    z = np.zeros_like(logits)
    inputs = np.hstack([logits, features])
    for fit, test in ((0, 1), (1, 0)):
        if len(set(gold[fold == fit])) < 2 or not (fold == test).any():
            z[fold == test] = logits[fold == test]
            continue
        weight, bias = fit_layer(logits[fold == fit], features[fold == fit], gold[fold == fit], labels, kind)
        z[fold == test] = inputs[fold == test] @ weight.T + bias
    return _score(z, gold, labels)


def fit_decision(logits: np.ndarray, features: np.ndarray, gold: np.ndarray, groups: Sequence,
                 labels: Sequence[str]) -> dict:
    """Both candidates cross-fitted; the better one refitted on all rows. JSON-ready."""
    report: dict = {"none": _score(logits, gold, labels)}
    for kind in ("offsets", "stacked"):
        report[kind] = crossfit(logits, features, gold, groups, labels, kind)
    chosen = max(("offsets", "stacked"), key=lambda kind: report[kind]["macro_f1"])
    weight, bias = fit_layer(logits, features, gold, labels, chosen)
    report["chosen"] = chosen
    report["layer"] = {"kind": chosen, "weight": np.round(weight, 5).tolist(), "bias": np.round(bias, 5).tolist()}
    return report
