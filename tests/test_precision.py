"""int8 (dynamic quantisation of the encoder) and the precision choices; the tokenizers-only tokenizer."""

from __future__ import annotations

import pytest
import torch

from classifier import Analyzer, InputError
from classifier.fast_tokenizer import FastTokenizer, load_fast_tokenizer
from classifier.precision import PRECISIONS, resolve_precision

ARTICLE = ("Rates rise again\nThe central bank raised its main rate by a quarter point on Tuesday. "
           "Officials said inflation was still too high. Markets had expected the move. "
           "Banks are expected to pass the rise on to borrowers within weeks.")


def test_int8_quantises_the_encoder_of_a_copy(tiny_checkpoint):
    fp32 = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32")
    int8 = Analyzer(fp32.model, fp32.tokenizer, precision="int8")
    assert int8.precision == "int8"
    dynamic = torch.ao.nn.quantized.dynamic.Linear
    assert not any(type(m) is torch.nn.Linear for m in int8.model.encoder.modules())
    assert sum(isinstance(m, dynamic) for m in int8.model.encoder.modules()) == 2 * 6  # 6 Linear per layer
    assert all(type(m) is torch.nn.Linear for m in fp32.model.encoder.modules() if "Linear" in type(m).__name__)
    assert type(int8.model.topic_head) is torch.nn.Linear  # the heads stay float


def test_int8_results_are_close_to_fp32(tiny_checkpoint):
    fp32 = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32").analyze(ARTICLE, targets=["Rates fell"])
    int8 = Analyzer.from_pretrained(tiny_checkpoint, precision="int8").analyze(ARTICLE, targets=["Rates fell"])
    assert int8.to_dict().keys() == fp32.to_dict().keys()
    for label, score in fp32.topic.scores.items():
        assert abs(int8.topic.scores[label] - score) < 0.05
    for label, score in fp32.stances[0].scores.items():
        assert abs(int8.stances[0].scores[label] - score) < 0.05
    assert len(int8.summary.sentences) == len(fp32.summary.sentences)


def test_precision_choices():
    assert PRECISIONS == ("auto", "fp32", "bf16", "int8")
    assert resolve_precision("auto") in ("fp32", "bf16")  # int8 only when asked for
    assert resolve_precision("int8") == "int8"
    with pytest.raises(ValueError, match="precision"):
        resolve_precision("fp8")


def test_bad_precision_is_an_input_error(tiny_checkpoint):
    with pytest.raises(InputError, match="int8"):
        Analyzer.from_pretrained(tiny_checkpoint, precision="fp16")


def test_fast_tokenizer_gives_transformers_ids(tiny_checkpoint):
    transformers = pytest.importorskip("transformers")
    reference = transformers.AutoTokenizer.from_pretrained(str(tiny_checkpoint))
    ours = load_fast_tokenizer(tiny_checkpoint)
    assert isinstance(ours, FastTokenizer)
    texts = ["The U.S.-backed plan, worth $3.5bn, wasn't approved.", "Ça coûte 10€ — naïve café!", "",
             "x" * 300, "Mixed CASE and   spaces\tand\nnewlines 2024-11-30"]
    assert ours(texts, add_special_tokens=False)["input_ids"] == reference(texts, add_special_tokens=False)["input_ids"]
    assert ours(texts[0])["input_ids"] == reference(texts[0])["input_ids"]  # with [CLS] ... [SEP]
    for name in ("cls_token_id", "sep_token_id", "pad_token_id", "unk_token_id"):
        assert getattr(ours, name) == getattr(reference, name)
    assert len(ours) == len(reference)


def test_fast_tokenizer_absent_without_tokenizer_json(tmp_path):
    assert load_fast_tokenizer(tmp_path) is None  # the Analyzer then falls back to transformers


def test_loaded_weights_are_slimmed_without_changing_outputs(tiny_checkpoint):
    from classifier.model import PresslensModel

    reference = Analyzer(PresslensModel.from_pretrained(tiny_checkpoint), load_fast_tokenizer(tiny_checkpoint),
                         precision="bf16")
    slim = Analyzer.from_pretrained(tiny_checkpoint, precision="bf16")
    assert reference.model.encoder.embeddings.word_embeddings.weight.dtype == torch.float32  # a caller's model: untouched
    linear = slim.model.encoder.encoder.layer[0].attention.self.query
    assert linear.weight.dtype == torch.bfloat16
    # the tiny checkpoint is saved in float32 with values that are not all float16 numbers: kept float32
    assert slim.model.encoder.embeddings.word_embeddings.weight.dtype == torch.float32
    assert slim.analyze(ARTICLE).to_dict() == reference.analyze(ARTICLE).to_dict()


def test_float16_embeddings_give_the_same_outputs(tmp_path, tiny_checkpoint):
    import shutil

    from classifier.model import PresslensModel

    half = tmp_path / "half"
    shutil.copytree(tiny_checkpoint, half)
    PresslensModel.from_pretrained(tiny_checkpoint).save_pretrained(half, dtype=torch.float16)  # as shipped
    reference = Analyzer(PresslensModel.from_pretrained(half), load_fast_tokenizer(half), precision="fp32")
    slim = Analyzer.from_pretrained(half, precision="fp32")
    assert slim.model.encoder.embeddings.word_embeddings.weight.dtype == torch.float16
    assert slim.analyze(ARTICLE).to_dict() == reference.analyze(ARTICLE).to_dict()


@pytest.mark.parametrize("precision", ["fp32", "bf16", "int8"])
def test_weights_load_straight_into_the_dtypes_slimming_would_leave(tmp_path, tiny_checkpoint, precision):
    """Analyzer.from_pretrained converts each weight once (precision.load_dtypes); the result is exactly the
    float32 load followed by in-place slimming, weight for weight, dtype for dtype."""
    import shutil

    from classifier.model import PresslensModel
    from classifier.precision import prepare_model

    half = tmp_path / "half"
    shutil.copytree(tiny_checkpoint, half)
    PresslensModel.from_pretrained(tiny_checkpoint).save_pretrained(half, dtype=torch.float16)  # as shipped
    for checkpoint in (tiny_checkpoint, half):
        two_steps = prepare_model(PresslensModel.from_pretrained(checkpoint), precision, copy_model=False)
        one_step = Analyzer.from_pretrained(checkpoint, precision=precision).model
        expected, loaded = two_steps.state_dict(), one_step.state_dict()
        assert expected.keys() == loaded.keys()
        tensors = [name for name, value in expected.items() if isinstance(value, torch.Tensor)]
        assert len(tensors) > 20
        for name in tensors:
            assert loaded[name].dtype == expected[name].dtype, name
            assert torch.equal(loaded[name], expected[name]), name
        if precision == "bf16":
            assert one_step.encoder.encoder.layer[0].attention.self.query.weight.dtype == torch.bfloat16


def test_cli_takes_int8(tiny_checkpoint):
    import json

    from click.testing import CliRunner

    from classifier.cli import main

    result = CliRunner().invoke(main, ["analyze", "--text", ARTICLE, "--json", "--precision", "int8",
                                       "--model", str(tiny_checkpoint)])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) >= {"topic", "stances", "summary"}
    bad = CliRunner().invoke(main, ["analyze", "--text", ARTICLE, "--precision", "fp16"])
    assert bad.exit_code == 2 and "int8" in bad.output


# -- 'auto' follows what oneDNN will really run ---------------------------------------------------------
def _auto_in_subprocess(env_updates: dict[str, str]) -> str:
    """resolve_precision('auto') in a fresh interpreter (oneDNN reads its ISA cap once, at first use)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    env = {k: v for k, v in os.environ.items() if k not in ("ONEDNN_MAX_CPU_ISA", "DNNL_MAX_CPU_ISA")}
    env.update(env_updates, PYTHONPATH=str(Path(__file__).resolve().parents[1]))
    code = "from classifier.precision import resolve_precision; print(resolve_precision('auto'))"
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


def _cpu_has_bf16_units() -> bool:
    return any(getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported",
                                                                       "_is_amx_tile_supported"))


@pytest.mark.parametrize("env", [{"ONEDNN_MAX_CPU_ISA": "AVX2"}, {"DNNL_MAX_CPU_ISA": "avx2"},
                                 {"ONEDNN_MAX_CPU_ISA": "AVX512_CORE"}])
def test_auto_is_not_bf16_under_an_isa_cap_below_bf16(env):
    assert _auto_in_subprocess(env) == "fp32"


def test_auto_is_bf16_where_the_cpu_has_it_and_nothing_caps_it():
    if not _cpu_has_bf16_units():
        pytest.skip("this CPU has no AVX512-BF16/AMX: 'auto' is fp32 everywhere here")
    assert _auto_in_subprocess({}) == "bf16"
    assert _auto_in_subprocess({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_BF16"}) == "bf16"
    assert _auto_in_subprocess({"ONEDNN_MAX_CPU_ISA": "ALL"}) == "bf16"


def test_onednn_isa_cap_is_read_as_onednn_reads_it():
    from classifier.precision import onednn_isa_cap

    assert onednn_isa_cap({}) is None
    assert onednn_isa_cap({"ONEDNN_MAX_CPU_ISA": "avx2"}) == "AVX2"
    assert onednn_isa_cap({"DNNL_MAX_CPU_ISA": "AVX2"}) == "AVX2"
    assert onednn_isa_cap({"ONEDNN_MAX_CPU_ISA": "AVX512_CORE_AMX", "DNNL_MAX_CPU_ISA": "AVX2"}) == "AVX512_CORE_AMX"
    assert onednn_isa_cap({"ONEDNN_MAX_CPU_ISA": "ALL"}) is None
    assert onednn_isa_cap({"ONEDNN_MAX_CPU_ISA": "no-such-isa"}) is None
