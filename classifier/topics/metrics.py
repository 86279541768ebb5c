"""Validation figures for the model card, and the TF-IDF baseline fitted on the same rows.

    single_label_metrics(gold, predicted, labels)   # accuracy, macro_f1, confusion
    multi_label_metrics(gold_sets, predicted_sets, labels)   # micro_f1, macro_f1, exact_match
    tfidf_baseline(train_texts, train_labels, val_texts, multi_label=False)   # predictions, or None without scikit-learn
"""

from __future__ import annotations

from collections.abc import Sequence


def single_label_metrics(gold: Sequence[str], predicted: Sequence[str | None], labels: Sequence[str]) -> dict:
    """Accuracy, macro-F1 over `labels` and the confusion matrix {gold: {predicted: n}} (None counts as wrong)."""
    n = len(gold)
    correct = sum(1 for g, p in zip(gold, predicted) if g == p)
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        f1s.append(2 * tp / (2 * tp + fp + fn) if tp else 0.0)
    confusion = {g: {p: 0 for p in labels} for g in labels}
    for g, p in zip(gold, predicted):
        if p in confusion[g]:
            confusion[g][p] += 1
    return {"n": n, "accuracy": correct / n if n else 0.0, "macro_f1": sum(f1s) / len(f1s) if f1s else 0.0,
            "confusion": confusion}


def multi_label_metrics(gold: Sequence[set[str]], predicted: Sequence[set[str]], labels: Sequence[str]) -> dict:
    tp_all = fp_all = fn_all = 0
    f1s, per_label = [], {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if label in g and label in p)
        fp = sum(1 for g, p in zip(gold, predicted) if label not in g and label in p)
        fn = sum(1 for g, p in zip(gold, predicted) if label in g and label not in p)
        tp_all, fp_all, fn_all = tp_all + tp, fp_all + fp, fn_all + fn
        f1 = 2 * tp / (2 * tp + fp + fn) if tp else 0.0
        f1s.append(f1)
        per_label[label] = round(f1, 4)
    micro = 2 * tp_all / (2 * tp_all + fp_all + fn_all) if tp_all else 0.0
    exact = sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold) if gold else 0.0
    return {"n": len(gold), "micro_f1": micro, "macro_f1": sum(f1s) / len(f1s), "exact_match": exact,
            "f1_per_label": per_label}


def tfidf_baseline(train_texts: Sequence[str], train_labels: Sequence, val_texts: Sequence[str], *,
                   multi_label: bool = False, labels: Sequence[str] = (), seed: int = 0) -> list | None:
    """Word 1-2 gram TF-IDF + logistic regression (C=10, as training/baselines.py), one-vs-rest at 0.5 for
    multi-label. None when scikit-learn (the [train] extra) is not installed: the card then says so."""
    try:
        from sklearn.feature_extraction.text import TfidfVectorizer
        from sklearn.linear_model import LogisticRegression
        from sklearn.multiclass import OneVsRestClassifier
        from sklearn.pipeline import make_pipeline
    except ImportError:
        return None
    classifier = LogisticRegression(C=10.0, max_iter=2000, random_state=seed)
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1)
    if not multi_label:
        model = make_pipeline(vectorizer, classifier)
        model.fit(list(train_texts), list(train_labels))
        return list(model.predict(list(val_texts)))
    import numpy as np

    y = np.array([[1 if label in names else 0 for label in labels] for names in train_labels])
    keep = [j for j in range(len(labels)) if 0 < y[:, j].sum() < len(y)]  # a one-class column cannot be fitted
    model = make_pipeline(vectorizer, OneVsRestClassifier(classifier))
    model.fit(list(train_texts), y[:, keep])
    predicted = model.predict(list(val_texts))
    return [{labels[keep[j]] for j in range(len(keep)) if row[j]} for row in predicted]
