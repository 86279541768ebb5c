"""Fit a linear topic head on cached document features, and calibrate it on validation rows.

    head = fit_head(features, targets, multi_label=False)          # LinearHead: weight [C, H], bias [C]
    temperature = fit_temperature(head.logits(val_x), val_y, multi_label=False)
    thresholds = fit_thresholds(probabilities, val_y)              # multi-label: one per label

The head is the checkpoint's own `topic_head` (`nn.Linear(hidden, labels)`) on the window's mean-pooled
state, so inference cost and code do not change. It is L2-regularised logistic regression (softmax, or one
sigmoid per label for multi-label) fitted with full-batch L-BFGS on standardised features; the
standardisation is folded back into the weights, so the saved head reads the raw pooled state. Plain torch:
no scikit-learn needed.
"""

from __future__ import annotations

import dataclasses
import math

import torch

DEFAULT_C = 1.0  # inverse regularisation strength, as in scikit-learn's LogisticRegression (benchmarks/train_topics_curve.py)


@dataclasses.dataclass
class LinearHead:
    weight: torch.Tensor  # [C, H], reads raw pooled features
    bias: torch.Tensor  # [C]

    def logits(self, features: torch.Tensor) -> torch.Tensor:
        return features @ self.weight.T + self.bias


def fit_head(features: torch.Tensor, targets: torch.Tensor, *, multi_label: bool = False, c: float = DEFAULT_C,
             max_iter: int = 200) -> LinearHead:
    """Logistic regression: mean loss + ||W||^2 / (2 C n), the scaled form of scikit-learn's objective.

    `targets`: class indices [N] (single-label) or a 0/1 matrix [N, C] (multi-label). Features are
    standardised for the fit (a well-conditioned problem for L-BFGS), then folded back into the weights.
    """
    # float32 throughout: 100,000 articles x 384 features are 154 MB per copy (float64 would double each)
    x = features.float()
    mean, std = x.mean(0), x.std(0, unbiased=False).clamp(min=1e-6)
    z = (x - mean) / std
    n, width = z.shape
    classes = targets.shape[1] if multi_label else int(targets.max()) + 1
    weight = torch.zeros((classes, width), requires_grad=True)
    bias = torch.zeros(classes, requires_grad=True)
    y = targets.float() if multi_label else targets.long()
    optimizer = torch.optim.LBFGS([weight, bias], lr=1.0, max_iter=max_iter, tolerance_grad=1e-6,
                                  tolerance_change=1e-9, history_size=20, line_search_fn="strong_wolfe")
    penalty = 1.0 / (2.0 * c * n)

    def closure() -> torch.Tensor:
        optimizer.zero_grad()
        logits = z @ weight.T + bias
        if multi_label:
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits, y, reduction="sum") / n
        else:
            loss = torch.nn.functional.cross_entropy(logits, y)
        loss = loss + penalty * (weight * weight).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        optimizer.step(closure)
    w = weight.detach() / std  # z = (x - mean) / std  ->  W z + b = (W / std) x + (b - (W / std) mean)
    b = bias.detach() - w @ mean
    return LinearHead(weight=w, bias=b)


def fit_temperature(logits: torch.Tensor, targets: torch.Tensor, *, multi_label: bool = False) -> float:
    """The temperature T > 0 that minimises the validation log-loss of logits / T (Guo et al. 2017),
    searched on a log grid then refined; 1.0 when there is nothing to fit on.

    Also 1.0 when every validation article is classified right (single-label: each best label is the gold
    one; multi-label: every sigmoid on the right side of 0.5): the log-loss then only falls as T -> 0, and
    the fitted "temperature" would make every score ~1.0, so that no minimum score could ever say "none of
    these" (measured: T hit the grid's floor, 0.045, on 4 of 7 BBC draws of 8-32 articles per label)."""
    if logits.shape[0] == 0:
        return 1.0
    logits = logits.double()
    separated = (((logits > 0) == (targets > 0.5)).all() if multi_label
                 else bool((logits.argmax(-1) == targets.long()).all()))
    if separated:
        return 1.0

    def loss(t: float) -> float:
        scaled = logits / t
        if multi_label:
            return float(torch.nn.functional.binary_cross_entropy_with_logits(scaled, targets.double()))
        return float(torch.nn.functional.cross_entropy(scaled, targets.long()))

    grid = [math.exp(v / 10) for v in range(-30, 31)]  # 0.05 .. 20
    best = min(grid, key=loss)
    fine = [best * math.exp(v / 100) for v in range(-10, 11)]
    return round(min(fine, key=loss), 4)


def fit_thresholds(scores: torch.Tensor, targets: torch.Tensor, labels: list[str]) -> dict[str, float]:
    """Per label, the score threshold that maximises that label's F1 on validation (ties: the middle of the
    best run, so a threshold does not sit on one example); 0.5 where validation has no positive."""
    thresholds = {}
    for j, label in enumerate(labels):
        s, y = scores[:, j].tolist(), targets[:, j].tolist()
        if not any(y):
            thresholds[label] = 0.5
            continue
        candidates = sorted(set(s))
        f1s = [_f1([v >= t for v in s], y) for t in candidates]
        top = max(f1s)
        best = [t for t, f in zip(candidates, f1s) if f == top]
        # Between the lowest best cut and the score below it: generous to positives close to the cut.
        low = best[0]
        below = max((v for v in candidates if v < low), default=0.0)
        thresholds[label] = round(max(min((low + below) / 2, 0.99), 0.01), 4)
    return thresholds


def _f1(predicted: list[bool], gold: list[int]) -> float:
    tp = sum(1 for p, g in zip(predicted, gold) if p and g)
    fp = sum(1 for p, g in zip(predicted, gold) if p and not g)
    fn = sum(1 for p, g in zip(predicted, gold) if not p and g)
    return 2 * tp / (2 * tp + fp + fn) if tp else 0.0
