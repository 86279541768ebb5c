"""`backend="openvino"`: the encoder run by OpenVINO gives the torch backend's outputs within tolerance.

Tolerances (stated in README, Speed): fp32 - every probability within 1e-4 of torch fp32 and the same labels,
summary sentences and evidence; bf16 - within 0.05 (the shipped model measured: 0.003 on stance).
Skipped where openvino is not installed (it is the optional `[openvino]` extra).
"""

from __future__ import annotations

import json

import pytest
import torch

from classifier import Analyzer, InputError

ARTICLE = ("Rates rise again\nThe central bank raised its main rate by a quarter point on Tuesday. "
           "Officials said inflation was still too high. Markets had expected the move. "
           "Banks are expected to pass the rise on to borrowers within weeks. Some lenders moved at once.")
TARGETS = ["Rates fell", "The central bank raised rates"]


def _close(ours: dict, reference: dict, tolerance: float) -> None:
    assert ours.keys() == reference.keys()
    assert ours["topic"]["label"] == reference["topic"]["label"]
    for label, score in reference["topic"]["scores"].items():
        assert abs(ours["topic"]["scores"][label] - score) <= tolerance, ("topic", label)
    for mine, theirs in zip(ours["stances"], reference["stances"], strict=True):
        assert mine["label"] == theirs["label"]
        assert [e["index"] for e in mine["evidence"]] == [e["index"] for e in theirs["evidence"]]
        for label, score in theirs["scores"].items():
            assert abs(mine["scores"][label] - score) <= tolerance, ("stance", label)
    assert [s["index"] for s in ours["summary"]["sentences"]] == [s["index"] for s in reference["summary"]["sentences"]]
    for mine, theirs in zip(ours["summary"]["sentences"], reference["summary"]["sentences"]):
        assert abs(mine["score"] - theirs["score"]) <= tolerance


@pytest.fixture(scope="module")
def reference(tiny_checkpoint):
    pytest.importorskip("openvino")
    return Analyzer.from_pretrained(tiny_checkpoint, precision="fp32").analyze(ARTICLE, targets=TARGETS).to_dict()


def test_fp32_gives_torch_fp32_outputs(tiny_checkpoint, reference):
    analyzer = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32", backend="openvino")
    assert (analyzer.backend, analyzer.precision) == ("openvino", "fp32")
    from classifier.openvino_backend import OpenVINOEncoder

    assert isinstance(analyzer.model.encoder, OpenVINOEncoder)
    _close(analyzer.analyze(ARTICLE, targets=TARGETS).to_dict(), reference, 1e-4)


def test_many_articles_of_different_lengths_in_one_batch(tiny_checkpoint):
    """Dynamic batch and sequence dimensions, padding masked: the same results as torch, article by article."""
    pytest.importorskip("openvino")
    articles = [ARTICLE, "Short one\nIt rained.", ARTICLE.replace(". ", ". Then, again, ") * 3]
    torch_side = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32", batch_size=3)
    ov_side = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32", batch_size=3, backend="openvino")
    for ours, theirs in zip(ov_side.analyze_many(articles), torch_side.analyze_many(articles), strict=True):
        _close(ours.to_dict(), theirs.to_dict(), 1e-4)


def test_bf16_is_close_to_fp32(tiny_checkpoint, reference):
    from classifier.precision import native_bf16

    if not native_bf16():
        pytest.skip("no native bf16 here: OpenVINO would not compile bf16 kernels")
    analyzer = Analyzer.from_pretrained(tiny_checkpoint, precision="bf16", backend="openvino")
    _close(analyzer.analyze(ARTICLE, targets=TARGETS).to_dict(), reference, 0.05)


def test_a_callers_model_keeps_its_torch_encoder(tiny_checkpoint, reference):
    torch_side = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32")
    ov_side = Analyzer(torch_side.model, torch_side.tokenizer, precision="fp32", backend="openvino")
    assert ov_side.model is not torch_side.model
    assert type(torch_side.model.encoder).__name__ == "BertEncoder"
    _close(ov_side.analyze(ARTICLE, targets=TARGETS).to_dict(), reference, 1e-4)
    assert torch_side.analyze(ARTICLE, targets=TARGETS).to_dict() == reference


def test_int8_and_unknown_backends_are_input_errors(tiny_checkpoint):
    with pytest.raises(InputError, match="int8"):
        Analyzer.from_pretrained(tiny_checkpoint, precision="int8", backend="openvino")
    with pytest.raises(InputError, match="backend"):
        Analyzer.from_pretrained(tiny_checkpoint, backend="onnx")


def test_missing_openvino_says_how_to_install_it(tiny_checkpoint, monkeypatch):
    import sys

    from classifier.errors import ModelLoadError

    monkeypatch.setitem(sys.modules, "openvino", None)  # as if not installed: `import openvino` fails
    with pytest.raises(ModelLoadError, match=r"presslens\[openvino\]"):
        Analyzer.from_pretrained(tiny_checkpoint, precision="fp32", backend="openvino")


def test_cli_takes_backend(tiny_checkpoint, reference):
    from click.testing import CliRunner

    from classifier.cli import main

    result = CliRunner().invoke(main, ["analyze", "--text", ARTICLE, "--json", "--backend", "openvino",
                                       "--precision", "fp32", "--model", str(tiny_checkpoint)]
                                + [arg for target in TARGETS for arg in ("--target", target)])
    assert result.exit_code == 0, result.output
    _close(json.loads(result.output), reference, 1e-4)
    bad = CliRunner().invoke(main, ["analyze", "--text", ARTICLE, "--backend", "onnx"])
    assert bad.exit_code == 2 and "openvino" in bad.output


def test_batch_runs_on_openvino(tmp_path, tiny_checkpoint):
    pytest.importorskip("openvino")
    from click.testing import CliRunner

    from classifier.cli import main

    source = tmp_path / "in.jsonl"
    source.write_text("\n".join(json.dumps({"id": str(i), "text": ARTICLE}) for i in range(3)) + "\n")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(main, ["batch", str(source), str(out), "--backend", "openvino", "--precision",
                                       "fp32", "--model", str(tiny_checkpoint), "--no-progress"])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["0", "1", "2"] and all("topic" in r for r in rows)
    torch.testing.assert_close(rows[0]["topic"]["score"], rows[1]["topic"]["score"])  # same text, same answer


def test_a_stance_adapter_runs_in_its_own_graph(tmp_path):
    """0.4.0's stance pass has its own (folded) layers: OpenVINO compiles a second graph for them, and the
    stance answers, evidence verdicts included, are torch's."""
    pytest.importorskip("openvino")
    from classifier.stance_input import FEATURES
    from tiny_models import build_tiny_checkpoint

    adapter = {"first_layer": 0, "rank": 2, "alpha": 4.0}
    path = build_tiny_checkpoint(
        tmp_path / "adapted", stance_input="related", stance_max_length=48, stance_features=len(FEATURES),
        stance_adapter=adapter, stance_sentence_labels=["neutral", "refutes", "supports"],
        stance_label_verdicts={"agree": "supports", "disagree": "refutes"})
    from classifier.model import PresslensModel

    model = PresslensModel.from_pretrained(path)
    torch.manual_seed(3)
    with torch.no_grad():  # as if trained: a fresh adapter changes nothing
        for weight in model.stance_adapter.up.values():
            weight.normal_(std=0.5)
    model.save_pretrained(path)
    reference = Analyzer.from_pretrained(path, precision="fp32").analyze(ARTICLE, targets=TARGETS).to_dict()
    plain = Analyzer.from_pretrained(path, precision="fp32")
    plain.model.stance_layers = None  # the shared layers only: differs, so the adapter matters here
    assert plain.analyze(ARTICLE, targets=TARGETS).to_dict()["stances"] != reference["stances"]
    ours = Analyzer.from_pretrained(path, precision="fp32", backend="openvino").analyze(ARTICLE, targets=TARGETS).to_dict()
    _close(ours, reference, 1e-4)
    for mine, theirs in zip(ours["stances"], reference["stances"]):
        assert [(e["says"], round(e["score"], 3)) for e in mine["evidence"]] == \
               [(e["says"], round(e["score"], 3)) for e in theirs["evidence"]]
