"""training/soup.py: the mean of runs from one start is a loadable checkpoint with the mean weights."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file, save_file

from training.soup import main as soup_main, mean_state

from tiny_models import build_tiny_checkpoint


def _shifted_copy(source, target, shift: float):
    """Another 'run' from the same start: every float weight moved by `shift`, its last stage recorded."""
    shutil.copytree(source, target)
    state = {k: (v + shift if v.is_floating_point() else v) for k, v in load_file(str(source / "model.safetensors")).items()}
    save_file(state, str(target / "model.safetensors"), metadata={"format": "pt"})
    config = json.loads((target / "config.json").read_text())
    config["training"] = {"stages": [{"recipe": {"stage": "stance", "seed": 99}, "train_minutes": 2.5}]}
    (target / "config.json").write_text(json.dumps(config))
    return target


def test_soup_is_the_mean_and_loads_and_answers(tmp_path):
    from classifier import Analyzer
    from classifier.model import PresslensModel, trained_heads

    a = build_tiny_checkpoint(tmp_path / "a")
    config = json.loads((a / "config.json").read_text())
    config["training"] = {"stages": [{"recipe": {"tasks": "topic,stance,summary"}, "train_minutes": 10.0}], "train_minutes": 10.0}
    (a / "config.json").write_text(json.dumps(config))
    b = _shifted_copy(a, tmp_path / "b", 0.02)
    soup_main([str(a), str(b), "--output", str(tmp_path / "soup")])

    wa, wb = load_file(str(a / "model.safetensors")), load_file(str(b / "model.safetensors"))
    ws = load_file(str(tmp_path / "soup" / "model.safetensors"))
    assert set(ws) == set(wa)
    for name, tensor in ws.items():
        assert tensor.dtype == wa[name].dtype
        assert torch.allclose(tensor.double(), (wa[name].double() + wb[name].double()) / 2, atol=1e-6), name
    assert not torch.equal(ws[next(iter(ws))], wa[next(iter(ws))])  # the soup is neither ingredient

    model = PresslensModel.from_pretrained(tmp_path / "soup")
    stages = model.config.training["stages"]
    assert stages[-1]["recipe"]["stage"] == "soup" and stages[-1]["ingredients"][0]["recipe"]["seed"] == 99
    assert model.config.training["train_minutes"] == 12.5
    assert trained_heads(model.config) == ["topic", "stance", "summary"]  # averaging adds no untrained head

    result = Analyzer.from_pretrained(tmp_path / "soup", precision="fp32").analyze(
        "The council denied reports that the bridge will close. Engineers said it was safe.", title="Bridge",
        targets=["The bridge will close"])
    assert result.stances[0].label in ("agree", "disagree", "discuss", "unrelated")


def test_soup_of_one_run_twice_is_that_run(tmp_path):
    a = build_tiny_checkpoint(tmp_path / "a")
    soup_main([str(a), str(a), "--output", str(tmp_path / "soup")])
    wa, ws = load_file(str(a / "model.safetensors")), load_file(str(tmp_path / "soup" / "model.safetensors"))
    assert all(torch.equal(wa[k], ws[k]) for k in wa)


def test_runs_that_do_not_match_are_refused():
    x = {"w": torch.ones(2, 2), "ids": torch.tensor([1, 2])}
    with pytest.raises(ValueError, match="other tensors"):
        mean_state([x, {"w": torch.ones(2, 2)}])
    with pytest.raises(ValueError, match="shapes differ"):
        mean_state([x, {"w": torch.ones(3, 2), "ids": torch.tensor([1, 2])}])
    with pytest.raises(ValueError, match="integer tensor differs"):
        mean_state([x, {"w": torch.ones(2, 2), "ids": torch.tensor([1, 3])}])
    assert torch.equal(mean_state([x, {"w": torch.zeros(2, 2), "ids": torch.tensor([1, 2])}])["w"], torch.full((2, 2), 0.5))
