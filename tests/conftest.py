"""Shared fixtures: a tiny random presslens checkpoint (2 layers, hidden 32, real label maps), built once.

    def test_something(tiny_checkpoint):          # a pathlib.Path to a checkpoint directory
        analyzer = Analyzer.from_pretrained(tiny_checkpoint)

max_length is 64 tokens, so ordinary test articles already need several windows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tiny_models import (  # noqa: F401 (re-exported for older imports)
    DEFAULT_MODEL, MESSY_EXAMPLE, STANCE_LABELS, TOPIC_LABELS, build_tiny_checkpoint, tiny_config,
)


@pytest.fixture(scope="session")
def tiny_checkpoint(tmp_path_factory) -> Path:
    """Path to a tiny random checkpoint directory (shared by the whole session: do not modify it)."""
    return build_tiny_checkpoint(tmp_path_factory.mktemp("tiny_checkpoint"))


@pytest.fixture(scope="session")
def tiny_related_checkpoint(tmp_path_factory) -> Path:
    """A tiny random checkpoint whose stance head reads one short "related" window with overlap features."""
    from classifier.stance_input import FEATURES

    return build_tiny_checkpoint(
        tmp_path_factory.mktemp("tiny_related_checkpoint"),
        stance_input="related", stance_max_length=48, stance_features=len(FEATURES),
    )


@pytest.fixture(scope="session")
def tiny_analyzer(tiny_checkpoint):
    from classifier import Analyzer

    return Analyzer.from_pretrained(tiny_checkpoint, batch_size=4, precision="fp32")


@pytest.fixture
def messy_example() -> Path:
    if not MESSY_EXAMPLE.is_file():
        pytest.skip(f"{MESSY_EXAMPLE} is not available")
    return MESSY_EXAMPLE
