"""The checkpoint format: save/load round trip and a clear ModelLoadError for every kind of bad checkpoint."""

from __future__ import annotations

import json
import shutil

import pytest
import torch

from classifier.errors import ModelLoadError
from classifier.model import CONFIG_FILE, WEIGHTS_FILE, PresslensModel, load_config

TOPIC_LABELS = ["Business", "Sci/Tech", "Sports", "World"]  # as in conftest.tiny_config
STANCE_LABELS = ["agree", "disagree", "discuss", "unrelated"]


def _inputs(vocab_size: int):
    generator = torch.Generator().manual_seed(1)
    ids = torch.randint(1000, vocab_size, (2, 12), generator=generator)
    mask = torch.ones_like(ids)
    mask[1, 9:] = 0
    sentence_index = torch.tensor([[-1] + [0] * 5 + [1] * 5 + [-1], [-1] + [0] * 7 + [-1] * 4])
    sentence_position = torch.tensor([[0, 1], [2, -1]])
    types = torch.zeros_like(ids)
    types[:, 4:] = 1
    return ids, mask, sentence_index, sentence_position, types


def _outputs(model):
    ids, mask, sentence_index, sentence_position, types = _inputs(model.config.encoder["vocab_size"])
    with torch.inference_mode():
        topic, sentences = model.encode_documents(ids, mask, sentence_index, sentence_position)
        stance, weights = model.classify_pairs(ids, mask, types)
    return topic, sentences, stance, weights


@pytest.fixture
def checkpoint_copy(tiny_checkpoint, tmp_path):
    target = tmp_path / "checkpoint"
    shutil.copytree(tiny_checkpoint, target)
    return target


def test_round_trip_gives_the_same_outputs(tiny_checkpoint, tmp_path):
    model = PresslensModel.from_pretrained(tiny_checkpoint)
    model.save_pretrained(tmp_path / "again")
    again = PresslensModel.from_pretrained(tmp_path / "again")
    for before, after in zip(_outputs(model), _outputs(again)):
        assert torch.equal(before, after)
    assert again.config == model.config
    assert not again.training


def test_outputs_have_the_documented_shapes(tiny_checkpoint):
    topic, sentences, stance, weights = _outputs(PresslensModel.from_pretrained(tiny_checkpoint))
    assert topic.shape == (2, len(TOPIC_LABELS))
    assert sentences.shape == (2, 2) and torch.isinf(sentences[1, 1])  # padding slot
    assert stance.shape == (2, len(STANCE_LABELS))
    assert torch.allclose(weights.sum(-1), torch.ones(2))


def test_labels_come_from_the_checkpoint(tiny_checkpoint):
    config = load_config(tiny_checkpoint)
    assert config.topic_labels == TOPIC_LABELS and config.stance_labels == STANCE_LABELS
    data = json.loads((tiny_checkpoint / CONFIG_FILE).read_text())
    assert data["heads"]["topic"]["id2label"] == {str(i): name for i, name in enumerate(TOPIC_LABELS)}


def test_float16_checkpoint_loads_as_float32_with_close_outputs(tiny_checkpoint, tmp_path):
    model = PresslensModel.from_pretrained(tiny_checkpoint)
    model.save_pretrained(tmp_path / "half", dtype=torch.float16)
    half = PresslensModel.from_pretrained(tmp_path / "half")
    assert all(p.dtype == torch.float32 for p in half.parameters())
    for before, after in zip(_outputs(model), _outputs(half)):
        assert torch.allclose(before, after, atol=1e-2, equal_nan=True)


def test_missing_directory(tmp_path):
    with pytest.raises(ModelLoadError, match="no such checkpoint directory"):
        PresslensModel.from_pretrained(tmp_path / "nope")


def test_missing_config(checkpoint_copy):
    (checkpoint_copy / CONFIG_FILE).unlink()
    with pytest.raises(ModelLoadError, match=f"{CONFIG_FILE}: missing"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_config_that_is_not_json(checkpoint_copy):
    (checkpoint_copy / CONFIG_FILE).write_text("{not json")
    with pytest.raises(ModelLoadError, match="not valid JSON"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_config_without_labels(checkpoint_copy):
    path = checkpoint_copy / CONFIG_FILE
    data = json.loads(path.read_text())
    del data["heads"]["stance"]["id2label"]
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="id2label"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_wrong_format_version(checkpoint_copy):
    path = checkpoint_copy / CONFIG_FILE
    data = json.loads(path.read_text())
    data["format_version"] = 99
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError, match="format_version 99"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_not_a_presslens_config(checkpoint_copy):
    (checkpoint_copy / CONFIG_FILE).write_text(json.dumps({"model_type": "bert"}))
    with pytest.raises(ModelLoadError, match="not a presslens config"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_missing_weights(checkpoint_copy):
    (checkpoint_copy / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelLoadError, match=f"{WEIGHTS_FILE}: missing"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_corrupt_weights(checkpoint_copy):
    path = checkpoint_copy / WEIGHTS_FILE
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(ModelLoadError, match="not a readable safetensors file"):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_weights_that_do_not_match_the_config(checkpoint_copy):
    path = checkpoint_copy / CONFIG_FILE
    data = json.loads(path.read_text())
    data["heads"]["topic"]["id2label"]["4"] = "Extra"
    path.write_text(json.dumps(data))
    with pytest.raises(ModelLoadError):
        PresslensModel.from_pretrained(checkpoint_copy)


def test_error_names_the_path(checkpoint_copy):
    (checkpoint_copy / WEIGHTS_FILE).unlink()
    with pytest.raises(ModelLoadError) as info:
        PresslensModel.from_pretrained(checkpoint_copy)
    assert str(checkpoint_copy) in str(info.value)


def test_summary_context_layers_round_trip_and_see_the_whole_window(tiny_checkpoint, tmp_path):
    import dataclasses

    base = PresslensModel.from_pretrained(tiny_checkpoint)
    torch.manual_seed(0)
    model = PresslensModel(dataclasses.replace(base.config, summary_context_layers=1))
    model.load_state_dict(base.state_dict(), strict=False)
    model.eval()
    model.save_pretrained(tmp_path / "context")
    again = PresslensModel.from_pretrained(tmp_path / "context")
    assert again.config.summary_context_layers == 1
    for before, after in zip(_outputs(model), _outputs(again)):
        assert torch.equal(before, after)
    _, sentences, _, _ = _outputs(again)
    assert torch.isfinite(sentences[0]).all() and torch.isinf(sentences[1, 1])  # a one-sentence row: no NaN
    # With context, a sentence's score depends on its neighbour; without, it does not.
    vectors = torch.randn(1, 2, base.config.encoder["hidden_size"])
    other = vectors.clone()
    other[0, 1] += torch.linspace(-1.0, 1.0, other.shape[-1])  # not a constant shift: LayerNorm would erase that
    positions = torch.tensor([[0, 1]])
    with torch.inference_mode():
        assert not torch.equal(again.score_sentences(vectors, positions)[0, 0], again.score_sentences(other, positions)[0, 0])
        assert torch.equal(base.score_sentences(vectors, positions)[0, 0], base.score_sentences(other, positions)[0, 0])


def test_context_layers_are_bounded():
    from classifier.model import PresslensConfig

    with pytest.raises(ValueError, match="summary_context_layers"):
        PresslensConfig(encoder={"hidden_size": 8}, topic_labels=["a"], stance_labels=["b"], summary_context_layers=9)
