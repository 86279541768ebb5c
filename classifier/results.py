"""What `Analyzer.analyze` returns: frozen dataclasses whose `to_dict()` is the output contract of design.md.

One return type whatever the flags: a switched-off task is `None` here and its key is absent in `to_dict()`.
`warnings` are problems (something removed, replaced, cut or doubtful); `notes` say how the article was read
(how many sentences a stance pass read, how many windows, where the summary was picked from).
"""

from __future__ import annotations

import dataclasses
from typing import Any


class Note(str):
    """A how-it-was-read note, collected beside the warnings while analysing: `Analysis.notes` gets it."""


@dataclasses.dataclass(frozen=True)
class Sentence:
    """A sentence of the article: its index in the article's sentence list, its text, and a score."""

    index: int
    text: str
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "text": self.text}
        if self.score is not None:
            data["score"] = round(self.score, 4)
        return data


@dataclasses.dataclass(frozen=True)
class Topic:
    """`label` is None when no label reaches the minimum topic score ("none of these"); `score` is the best
    label's score either way. `topics` (multi-label checkpoints only): every label whose score reaches its
    threshold, best first; `scores` are then independent per-label probabilities that need not sum to 1."""

    label: str | None
    score: float
    scores: dict[str, float]
    topics: tuple[str, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"label": self.label, "score": round(self.score, 4), "scores": _rounded(self.scores)}
        if self.topics is not None:
            data["topics"] = list(self.topics)
        return data


@dataclasses.dataclass(frozen=True)
class Evidence:
    """A sentence the stance decision rests on and, where the model reads it (0.4.0 on), what it says about
    the claim on its own ("supports" / "refutes" / "neutral") and how sure that reading is."""

    index: int
    text: str
    says: str | None = None
    score: float | None = None

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"index": self.index, "text": self.text}
        if self.says is not None:
            data["says"] = self.says
            data["score"] = round(self.score or 0.0, 4)
        return data


@dataclasses.dataclass(frozen=True)
class Stance:
    target: str
    label: str
    score: float
    scores: dict[str, float]
    evidence: tuple[Evidence, ...]
    # "low" when the answer is unsure: a top score under 0.5, or agree / disagree that no sentence of the
    # article carries on its own (see Analyzer._stance); "high" otherwise.
    confidence: str = "high"

    def to_dict(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "label": self.label,
            "score": round(self.score, 4),
            "scores": _rounded(self.scores),
            "confidence": self.confidence,
            "evidence": [e.to_dict() for e in self.evidence],
        }


@dataclasses.dataclass(frozen=True)
class Summary:
    sentences: tuple[Sentence, ...]  # in article order

    @property
    def text(self) -> str:
        return " ".join(s.text for s in self.sentences)

    def to_dict(self) -> dict[str, Any]:
        return {"text": self.text, "sentences": [s.to_dict() for s in self.sentences]}


@dataclasses.dataclass(frozen=True)
class ModelInfo:
    name: str
    version: str

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "version": self.version}


@dataclasses.dataclass(frozen=True)
class Analysis:
    """The analysis of one article."""

    model: ModelInfo
    sentences: tuple[str, ...]  # the cleaned article's sentences; indices in results point here
    title: str | None = None
    language: str | None = None  # ISO 639-1 code found by reading
    metadata: tuple[tuple[str, str], ...] = ()  # ("date" | "author" | "site", value) from the page
    id: str | None = None
    topic: Topic | None = None
    stances: tuple[Stance, ...] | None = None
    summary: Summary | None = None
    warnings: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()  # how the article was read; not problems
    error: str | None = None  # analyze_many(errors="record"): why this article could not be analyzed

    def to_dict(self, include_text: bool = False) -> dict[str, Any]:
        """The output contract (design.md). Keys of switched-off tasks are absent; an article that could not
        be analyzed (`error` set) is {"id": ..., "error": "..."}, id only when known.

        include_text adds "article": the headline, language, page metadata and the sentences that every
        summary and evidence `index` points into.
        """
        data: dict[str, Any] = {}
        if self.id is not None:
            data["id"] = self.id
        if self.error is not None:  # as `presslens batch` writes a bad record: {"id": ..., "error": ...}
            data["error"] = self.error
            return data
        if self.topic is not None:
            data["topic"] = self.topic.to_dict()
        if self.stances is not None:
            data["stances"] = [s.to_dict() for s in self.stances]
        if self.summary is not None:
            data["summary"] = self.summary.to_dict()
        if include_text:
            data["article"] = self.article_dict()
        data["warnings"] = list(self.warnings)
        data["notes"] = list(self.notes)
        data["model"] = self.model.to_dict()
        return data

    def article_dict(self) -> dict[str, Any]:
        """{"title", "language", ["date", "author", "site" when known], "sentences"}."""
        return {"title": self.title, "language": self.language, **dict(self.metadata), "sentences": list(self.sentences)}


def _rounded(scores: dict[str, float]) -> dict[str, float]:
    return {label: round(value, 4) for label, value in scores.items()}
