"""Own taxonomies: fit a newsroom's topic labels on the frozen encoder of a presslens checkpoint.

    from classifier.topics import train_topics
    train_topics("labelled.csv", "models/ours", label_field="section")   # -> TrainTopicsReport

`presslens train-topics DATA OUTPUT_DIR` runs the same function. Modules: data.py (read and check the
labelled records, the stratified split), features.py (one frozen-encoder pass per article, as inference
reads it), head.py (the linear head, temperature, thresholds), metrics.py (validation figures, the TF-IDF
baseline), card.py (the model card), train.py (the steps in order, the checkpoint).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .data import MAX_LABELS, VALIDATION_SHARE, TopicDataError

if TYPE_CHECKING:
    from .train import TrainTopicsReport, train_topics

__all__ = ["MAX_LABELS", "VALIDATION_SHARE", "TopicDataError", "TrainTopicsReport", "train_topics"]


def __getattr__(name: str) -> Any:
    # train.py imports torch; the CLI's --help imports this package's data module only
    if name in ("train_topics", "TrainTopicsReport"):
        from . import train

        return getattr(train, name)
    raise AttributeError(f"module 'classifier.topics' has no attribute {name!r}")
