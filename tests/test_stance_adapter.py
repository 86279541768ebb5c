"""The stance adapter (classifier/adapter.py): stance-only low-rank updates of the encoder's top layer(s)."""

from __future__ import annotations

import pytest
import torch

from classifier.errors import ModelLoadError
from classifier.model import PresslensConfig, PresslensModel
from classifier.precision import prepare_model

from tiny_models import tiny_config
from test_model import _inputs, _outputs

ADAPTER = {"first_layer": 1, "rank": 4, "alpha": 8.0}


def _model(adapter=ADAPTER, seed=0) -> PresslensModel:
    torch.manual_seed(seed)
    return PresslensModel(tiny_config(1200, stance_adapter=dict(adapter) if adapter else {})).eval()


def _trained(model: PresslensModel) -> PresslensModel:
    """As if trained: non-zero updates (a fresh adapter's up-projections are zero)."""
    torch.manual_seed(5)
    with torch.no_grad():
        for weight in model.stance_adapter.up.values():
            weight.normal_(std=0.3)
    return model


def test_a_fresh_adapter_changes_nothing_and_touches_only_stance():
    plain, adapted = _model(adapter=None), _model()
    adapted.load_state_dict(plain.state_dict(), strict=False)  # same shared weights
    for before, after in zip(_outputs(plain), _outputs(adapted)):
        assert torch.equal(before, after)
    _trained(adapted)
    topic, sentences, stance, _ = _outputs(plain)
    topic2, sentences2, stance2, _ = _outputs(adapted)
    assert torch.equal(topic, topic2) and torch.equal(sentences, sentences2)  # topic and summary: shared encoder
    assert not torch.allclose(stance, stance2, atol=1e-4)


def test_folded_layers_give_the_outputs_of_the_adapter():
    model = _trained(_model())
    before = _outputs(model)
    model.fold_stance_adapter()
    assert model.stance_adapter is None and len(model.stance_layers) == 1
    for a, b in zip(before, _outputs(model)):
        assert torch.allclose(a, b, atol=1e-5)
    with pytest.raises(ValueError, match="folded"):
        model.save_pretrained("unused")


def test_adapter_round_trips_and_inference_models_fold_it(tmp_path):
    model = _trained(_model())
    model.save_pretrained(tmp_path / "ckpt")
    again = PresslensModel.from_pretrained(tmp_path / "ckpt")
    assert again.config.stance_adapter == ADAPTER
    for a, b in zip(_outputs(model), _outputs(again)):
        assert torch.equal(a, b)
    for precision in ("fp32", "bf16", "int8"):
        ready = prepare_model(PresslensModel.from_pretrained(tmp_path / "ckpt"), precision, copy_model=False)
        assert ready.stance_adapter is None and ready.stance_layers is not None
        ids, mask, _, _, types = _inputs(1200)
        with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
            stance, _ = ready.classify_pairs(ids, mask, types)
        tolerance = {"fp32": 1e-5, "bf16": 0.1, "int8": 0.1}[precision]
        assert torch.allclose(stance.float(), _outputs(model)[2], atol=tolerance), precision


def test_only_the_adapter_gets_gradients_through_the_stance_pass():
    model = _trained(_model()).train()
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith("stance_"))
    ids, mask, _, _, types = _inputs(1200)
    stance, _ = model.classify_pairs(ids, mask, types)
    stance.sum().backward()
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in model.stance_adapter.down.values())
    assert all(p.grad is None for n, p in model.named_parameters() if n.startswith("encoder."))


def test_bad_adapter_settings_are_refused(tmp_path):
    with pytest.raises(ValueError, match="stance_adapter"):
        tiny_config(1200, stance_adapter={"first_layer": 2, "rank": 4})  # the tiny encoder has layers 0..1
    with pytest.raises(ValueError, match="stance_adapter"):
        tiny_config(1200, stance_adapter={"first_layer": 0, "rank": 0})
    model = _trained(_model())
    model.save_pretrained(tmp_path / "ckpt")
    config = PresslensConfig.from_json_dict(
        __import__("json").loads((tmp_path / "ckpt" / "config.json").read_text()))
    assert config.stance_adapter == ADAPTER
    (tmp_path / "ckpt" / "config.json").write_text(
        (tmp_path / "ckpt" / "config.json").read_text().replace('"rank": 4', '"rank": 8'))
    with pytest.raises(ModelLoadError, match="do not match"):
        PresslensModel.from_pretrained(tmp_path / "ckpt")
