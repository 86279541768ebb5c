"""presslens inference: topic, stance toward a claim and an extractive summary of news articles.

    from classifier import Analyzer
    analyzer = Analyzer.from_pretrained()            # or Analyzer.from_pretrained("path/to/checkpoint")
    print(analyzer.analyze(article_text).to_dict())

Importing this package is cheap: torch and transformers load only when the Analyzer is first used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .errors import BatchError, InputError, ModelLoadError, PresslensError
from .inputs import ArticleInput, PreparedArticle
from .results import Analysis, ModelInfo, Sentence, Stance, Summary, Topic

if TYPE_CHECKING:
    from .analyzer import Analyzer

__all__ = [
    "Analysis",
    "Analyzer",
    "ArticleInput",
    "BatchError",
    "InputError",
    "ModelInfo",
    "ModelLoadError",
    "PreparedArticle",
    "PresslensError",
    "Sentence",
    "Stance",
    "Summary",
    "Topic",
]

_LAZY = {"Analyzer"}


def __getattr__(name: str) -> Any:
    # PEP 562: the analyzer module imports torch, so it is imported on first use, not with the package.
    if name in _LAZY:
        from . import analyzer

        return getattr(analyzer, name)
    raise AttributeError(f"module 'classifier' has no attribute {name!r}")
