"""Baselines trained and scored on exactly the rows the model uses, so the model card compares like with like.

    topic:   TF-IDF (word 1-2 grams) + logistic regression;  fastText (supervised, bigrams)
    stance:  majority class;  TF-IDF similarity + linear (claim/body cosine and term features, logistic regression)
    summary: Lead-3;  TextRank (PageRank over the TF-IDF cosine graph of the sentences)
"""

from __future__ import annotations

import os
import tempfile
from collections import Counter
from collections.abc import Sequence

import numpy as np


def topic_tfidf_logreg(train_texts, train_labels, test_texts, seed: int = 0, c: float = 10.0) -> list[str]:
    """Word 1-2 gram TF-IDF + logistic regression. C=10 (weak regularisation) was the first setting tried and
    is the stronger of the two reported (the other is scikit-learn's default C=1); neither was tuned on
    validation."""
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline

    model = make_pipeline(
        TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True, min_df=1),
        LogisticRegression(C=c, max_iter=2000, random_state=seed),
    )
    model.fit(train_texts, train_labels)
    return list(model.predict(test_texts))


def topic_fasttext(train_texts, train_labels, test_texts, seed: int = 0) -> list[str]:
    import fasttext

    def line(text: str) -> str:
        return " ".join(text.lower().split())

    names = sorted(set(train_labels))
    tags = {name: f"__label__{i}" for i, name in enumerate(names)}
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as handle:
        for text, label in zip(train_texts, train_labels):
            handle.write(f"{tags[label]} {line(text)}\n")
        path = handle.name
    try:
        model = fasttext.train_supervised(path, epoch=25, lr=0.5, wordNgrams=2, dim=50, seed=seed, thread=1, verbose=0)
    finally:
        os.unlink(path)
    by_tag = {tag: name for name, tag in tags.items()}
    labels, _ = model.predict([line(text) for text in test_texts])  # list form: numpy-2 safe in 0.9.3
    return [by_tag[tags_of_row[0]] for tags_of_row in labels]


def stance_majority(train_labels: Sequence[str], n: int) -> list[str]:
    return [Counter(train_labels).most_common(1)[0][0]] * n


def stance_tfidf_linear(train_claims, train_bodies, train_labels, test_claims, test_bodies, seed: int = 0) -> list[str]:
    """The FNC-1 organisers' idea in its simplest linear form: how similar claim and body are (TF-IDF
    cosine), plus which words the claim and body use, into one logistic regression."""
    from scipy.sparse import csr_matrix, hstack
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.linear_model import LogisticRegression

    vectorizer = TfidfVectorizer(max_features=20000, sublinear_tf=True, stop_words="english")
    vectorizer.fit(list(set(train_claims)) + list(set(train_bodies)))

    def features(claims, bodies):
        c, b = vectorizer.transform(claims), vectorizer.transform(bodies)
        cosine = np.asarray(c.multiply(b).sum(axis=1))
        return hstack([csr_matrix(cosine * 10.0), c, b]).tocsr()

    model = LogisticRegression(max_iter=3000, C=4.0, class_weight="balanced", random_state=seed)
    model.fit(features(train_claims, train_bodies), train_labels)
    return list(model.predict(features(test_claims, test_bodies)))


def lead(sentences: Sequence[str], k: int = 3) -> list[int]:
    return list(range(min(k, len(sentences))))


def textrank(sentences: Sequence[str], k: int = 3, damping: float = 0.85) -> list[int]:
    """Indices (article order) of the k sentences with the highest PageRank on the cosine-similarity graph."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    if len(sentences) <= k:
        return list(range(len(sentences)))
    try:
        vectors = TfidfVectorizer().fit_transform(sentences)
    except ValueError:  # nothing but stop words / punctuation
        return lead(sentences, k)
    similarity = (vectors @ vectors.T).toarray()
    np.fill_diagonal(similarity, 0.0)
    row_sums = similarity.sum(axis=1, keepdims=True)
    transition = np.divide(similarity, row_sums, out=np.full_like(similarity, 1.0 / len(sentences)), where=row_sums > 0)
    rank = np.full(len(sentences), 1.0 / len(sentences))
    for _ in range(100):
        updated = (1 - damping) / len(sentences) + damping * transition.T @ rank
        if np.abs(updated - rank).sum() < 1e-8:
            rank = updated
            break
        rank = updated
    return sorted(np.argsort(-rank, kind="stable")[:k].tolist())
