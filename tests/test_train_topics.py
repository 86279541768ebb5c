"""`presslens train-topics` / `train_topics(...)` on the tiny random checkpoint with small real files.

What must hold: the output is a normal checkpoint with the new labels; stance and summary are the base's bit
for bit; the new head reads exactly the features it was fitted on; bad data fails before any training with
a one-line message; "none of these" below the minimum score; untrained heads are never silently random.
"""

from __future__ import annotations

import csv
import json
import warnings
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main
from classifier.topics import MAX_LABELS, TopicDataError

EXAMPLE_CSV = Path(__file__).resolve().parents[1] / "demo" / "examples" / "own_topics.csv"
ARTICLES = [
    {"title": "Court rejects appeal over river pollution",
     "text": "The appeal court rejected the water company's appeal on Friday. Judges said the fines for "
             "polluting the river were fair. The company has paid 2 million so far. Campaigners welcomed the ruling."},
    {"title": "Clinic opens in the old town hall",
     "text": "A new health clinic opened in the old town hall. It will see 200 patients a week. Nurses will "
             "also visit housebound residents at home."},
]


def _rows(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def _write_csv(path: Path, rows: list[dict]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


def _write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def single(tiny_checkpoint, tmp_path_factory):
    from classifier.topics import train_topics

    out = tmp_path_factory.mktemp("single") / "model"
    report = train_topics(EXAMPLE_CSV, out, label_field="section", base=tiny_checkpoint, precision="fp32")
    return out, report


def test_single_label_checkpoint_loads_with_the_new_labels(single):
    from classifier import Analyzer

    out, report = single
    analyzer = Analyzer.from_pretrained(out, precision="fp32")
    assert analyzer.labels["topic"] == ["Climate", "Courts", "Health", "Local"] == report.labels
    result = analyzer.analyze(ARTICLES[0]["text"], title=ARTICLES[0]["title"])
    assert result.topic.label in report.labels or result.topic.label is None
    assert abs(sum(result.topic.scores.values()) - 1.0) < 1e-6
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["counts"] == {"Climate": 6, "Courts": 6, "Health": 6, "Local": 6}
    assert metrics["train_rows"] + metrics["validation_rows"] == 24 and metrics["validation_rows"] == 4  # 1 per label
    card = (out / "README.md").read_text()
    for text in ("presslens-tiny-test 0.0.1", "| Courts | 6 |", "Confusion", "TF-IDF", "validation"):
        assert text in card
    config = json.loads((out / "config.json").read_text())
    assert config["training"]["trained_heads"] == ["topic", "stance", "summary"]
    assert config["training"]["stages"][-1]["recipe"]["stage"] == "topics"


def test_stance_and_summary_are_the_base_models_bit_for_bit(single, tiny_checkpoint):
    from safetensors.torch import load_file

    from classifier import Analyzer

    out, _ = single
    base, new = (Analyzer.from_pretrained(path, precision="fp32") for path in (tiny_checkpoint, out))
    for article in ARTICLES:
        a, b = base.analyze(article), new.analyze(article)
        assert a.to_dict()["stances"] == b.to_dict()["stances"] and a.stances == b.stances
        assert a.to_dict()["summary"] == b.to_dict()["summary"] and a.summary == b.summary
    before, after = load_file(str(tiny_checkpoint / "model.safetensors")), load_file(str(out / "model.safetensors"))
    assert set(before) == set(after)
    for name in before:
        if not name.startswith("topic_head."):
            assert before[name].dtype == after[name].dtype and before[name].equal(after[name]), name


def test_the_head_reads_what_it_was_fitted_on(single):
    """The analyzer's topic logits equal the new head applied to the features train-topics computes."""
    import torch

    from classifier import Analyzer
    from classifier.postprocess import probabilities
    from classifier.topics.features import pooled_states

    out, _ = single
    analyzer = Analyzer.from_pretrained(out, precision="fp32")
    prepared = [analyzer.prepare(article) for article in ARTICLES]
    features = pooled_states(analyzer, prepared)
    with torch.inference_mode():
        logits = analyzer.model.topic_head(features).tolist()
    for article, row in zip(ARTICLES, logits):
        expected = probabilities(row, analyzer.config.topic_labels, analyzer.config.temperatures["topic"])
        got = analyzer.analyze(article, tasks=["topic"]).topic.scores
        assert got == pytest.approx(expected, abs=1e-5)


def test_multi_label_from_lists_and_separated_strings(tiny_checkpoint, tmp_path):
    from classifier import Analyzer
    from classifier.topics import train_topics

    rows = []
    for i, row in enumerate(_rows(EXAMPLE_CSV)):
        extra = "Local" if i % 3 == 0 and row["section"] != "Local" else None
        labels = [row["section"]] + ([extra] if extra else [])
        rows.append({"headline": row["title"], "body": row["text"],
                     "tags": labels if i % 2 else "|".join(labels)})  # both forms in one file
    data = _write_jsonl(tmp_path / "tags.jsonl", rows)
    out = tmp_path / "multi"
    report = train_topics(data, out, text_field="body", title_field="headline", label_field="tags",
                          multi_label=True, base=tiny_checkpoint, precision="fp32")
    assert report.labels == ["Climate", "Courts", "Health", "Local"]
    assert "micro_f1" in report.metrics["model"] and set(report.metrics["thresholds"]) == set(report.labels)
    analyzer = Analyzer.from_pretrained(out, precision="fp32")
    assert analyzer.config.topic_multi_label
    topic = analyzer.analyze(ARTICLES[1]).topic
    assert topic.topics is not None and set(topic.topics) <= set(report.labels)
    assert all(topic.scores[label] >= analyzer.config.topic_thresholds[label] for label in topic.topics)
    assert topic.label == (topic.topics[0] if topic.topics else None)
    assert "topics" in analyzer.analyze(ARTICLES[1]).to_dict()["topic"]
    assert "Topics (multi-label)" in (out / "README.md").read_text() or "micro-F1" in (out / "README.md").read_text()


# ------------------------------------------------------------------------------------------ bad data


def _scan(path, **kwargs):
    from classifier.topics.data import TopicFields, scan_labels

    fields = TopicFields(**{k: v for k, v in kwargs.items() if k in ("text", "label", "title")})
    return scan_labels(str(path), fields, **{k: v for k, v in kwargs.items() if k in ("multi_label", "max_labels")})


def test_unknown_fields_are_named_with_the_fields_found(tmp_path):
    from classifier.errors import BatchError

    rows = [{"body": f"text {i}", "desk": "A" if i % 2 else "B"} for i in range(6)]
    jsonl = _write_jsonl(tmp_path / "d.jsonl", rows)
    with pytest.raises(TopicDataError, match=r"no field 'text' \(fields: body, desk\); name it with --text-field"):
        _scan(jsonl)
    with pytest.raises(TopicDataError, match=r"no field 'label' \(fields: body, desk\); name it with --label-field"):
        _scan(jsonl, text="body")
    with pytest.raises(TopicDataError, match="no field 'headline'"):
        _scan(jsonl, text="body", label="desk", title="headline")
    with pytest.raises(BatchError, match=r"no column 'text' \(columns: body, desk\)"):
        _scan(_write_csv(tmp_path / "d.csv", rows))
    assert _scan(jsonl, text="body", label="desk").names == ["A", "B"]


def test_label_counts_are_checked_before_training(tmp_path):
    one = _write_csv(tmp_path / "one.csv", [{"text": f"t {i}", "label": "Only"} for i in range(5)])
    with pytest.raises(TopicDataError, match="at least 2 labels; found only 'Only'"):
        _scan(one)
    rare = _write_csv(tmp_path / "rare.csv", [{"text": f"t {i}", "label": "A"} for i in range(4)]
                      + [{"text": "x", "label": "B"}])
    with pytest.raises(TopicDataError, match=r"at least 2 examples .* too few: 'B' \(1\)"):
        _scan(rare)
    many = _write_csv(tmp_path / "many.csv", [{"text": f"t {i}", "label": f"L{i // 2}"} for i in range(2 * (MAX_LABELS + 1))])
    with pytest.raises(TopicDataError, match=f"{MAX_LABELS + 1} labels; train-topics fits at most {MAX_LABELS}"):
        _scan(many)
    two = _write_jsonl(tmp_path / "two.jsonl", [{"text": "t", "label": ["A", "B"]}, {"text": "u", "label": "A"}])
    with pytest.raises(TopicDataError, match="record 0: 2 labels .* pass --multi-label"):
        _scan(two)


def test_empty_texts_and_missing_labels_are_skipped_and_counted(tiny_checkpoint, tmp_path):
    from classifier.topics import train_topics

    rows = _rows(EXAMPLE_CSV) + [{"title": "t", "text": "  ", "section": "Health"},
                                 {"title": "t", "text": "", "section": "Courts"},
                                 {"title": "t", "text": "No label here.", "section": ""}]
    data = _write_csv(tmp_path / "gaps.csv", rows)
    scan = _scan(data, label="section")
    assert scan.skipped == {"empty text": 2, "no label": 1} and scan.kept == 24
    report = train_topics(data, tmp_path / "out", label_field="section", base=tiny_checkpoint, precision="fp32")
    assert report.metrics["skipped"] == {"empty text": 2, "no label": 1}
    assert "skipped: 2 empty text, 1 no label" in (tmp_path / "out" / "README.md").read_text()


def test_output_in_the_way_is_refused(tiny_checkpoint, tmp_path):
    from classifier.errors import PresslensError
    from classifier.topics import train_topics

    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "keep.txt").write_text("mine")
    with pytest.raises(PresslensError, match="exists and is not empty"):
        train_topics(EXAMPLE_CSV, tmp_path / "out", label_field="section", base=tiny_checkpoint)
    assert (tmp_path / "out" / "keep.txt").read_text() == "mine"


# --------------------------------------------------------------------------------------- none of these


def test_none_of_these_below_the_minimum_score(tiny_analyzer):
    article = ARTICLES[0]
    plain = tiny_analyzer.analyze(article, tasks=["topic"])
    assert plain.topic.label is not None  # the tiny fixture's minimum is 0: always a label
    strict = tiny_analyzer.analyze(article, tasks=["topic"], min_topic_score=1.0)
    assert strict.topic.label is None and strict.topic.score == plain.topic.score
    assert strict.to_dict()["topic"]["label"] is None
    assert any("none of these" in warning for warning in strict.warnings)
    low = tiny_analyzer.analyze(article, tasks=["topic"], min_topic_score=plain.topic.score)
    assert low.topic.label == plain.topic.label  # the minimum itself still fits
    with pytest.raises(ValueError, match="min_topic_score must be a number from 0 to 1"):
        tiny_analyzer.analyze(article, min_topic_score=1.5)


def test_decide_topic():
    from classifier.postprocess import decide_topic

    scores = {"A": 0.6, "B": 0.3, "C": 0.1}
    assert decide_topic(scores) == ("A", 0.6, None)
    assert decide_topic(scores, min_score=0.7) == (None, 0.6, None)
    multi = {"A": 0.9, "B": 0.4, "C": 0.35}
    assert decide_topic(multi, thresholds={"A": 0.5, "B": 0.3, "C": 0.5}) == ("A", 0.9, ("A", "B"))
    assert decide_topic(multi, thresholds={"A": 0.95, "B": 0.3}, min_score=0.2) == ("B", 0.9, ("B",))  # C: 0.5 by default
    assert decide_topic(multi, thresholds={"A": 0.95, "B": 0.5, "C": 0.5}) == (None, 0.9, ())


def test_default_minimum_keeps_95_percent_of_the_right_validation_answers():
    import torch

    from classifier.topics.train import _default_min_score

    right = torch.linspace(0.5, 0.99, 40)
    scores = torch.stack([right, 1 - right], dim=1)
    targets = torch.zeros(40, dtype=torch.long)
    assert _default_min_score(scores, targets) == pytest.approx(float(right[2]))  # 2 of 40 fall below it
    few = scores[:5]
    assert _default_min_score(few, targets[:5]) == pytest.approx(0.9 * 0.5)  # few rows: just under the lowest
    assert _default_min_score(scores, torch.ones(40, dtype=torch.long)) == 0.0  # nothing right: no minimum


def test_checkpoint_minimum_is_the_default_and_the_cli_overrides_it(single, tmp_path):
    from classifier import Analyzer

    out, report = single
    analyzer = Analyzer.from_pretrained(out, precision="fp32")
    assert analyzer.config.min_topic_score == report.metrics["min_topic_score"]  # random tiny model: maybe 0
    data = _write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    result = CliRunner().invoke(main, ["batch", str(data), str(tmp_path / "res.jsonl"), "--model", str(out),
                                       "--min-topic-score", "1", "--tasks", "topic"])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "res.jsonl").read_text().splitlines()]
    assert [r["topic"]["label"] for r in records] == [None, None]


# ------------------------------------------------------------------------------------- untrained heads


def test_untrained_heads_are_announced_at_load_and_in_results(tmp_path):
    from tiny_models import build_tiny_checkpoint

    from classifier import Analyzer

    path = build_tiny_checkpoint(tmp_path / "topic_only", training={"trained_heads": ["topic"]})
    with pytest.warns(RuntimeWarning, match=r"untrained stance and summary head\(s\)"):
        analyzer = Analyzer.from_pretrained(path, precision="fp32")
    result = analyzer.analyze(ARTICLES[0])
    assert "this checkpoint's stance head was never trained: its stance output is random" in result.warnings
    assert "this checkpoint's summary head was never trained: its summary output is random" in result.warnings
    assert not any("never trained" in w for w in analyzer.analyze(ARTICLES[0], tasks=["topic"]).warnings)


def test_trained_heads_read_from_older_recipes():
    from tiny_models import tiny_config

    from classifier.model import trained_heads, untrained_heads

    fresh = tiny_config(100, training={"recipe": {"tasks": "topic"}})
    assert untrained_heads(fresh) == ["stance", "summary"]
    staged = tiny_config(100, training={"stages": [{"recipe": {"tasks": "topic,stance"}}, {"recipe": {"stage": "summary"}}]})
    assert trained_heads(staged) == ["topic", "stance", "summary"] and untrained_heads(staged) == []
    assert trained_heads(tiny_config(100)) is None and untrained_heads(tiny_config(100)) == []


def test_shipped_model_says_all_heads_trained():
    from tiny_models import DEFAULT_MODEL

    from classifier.model import load_config, untrained_heads

    if not (DEFAULT_MODEL / "config.json").is_file():
        pytest.skip("no shipped model")
    assert untrained_heads(load_config(DEFAULT_MODEL)) == []


# ------------------------------------------------------------------------------------------------- CLI


def test_cli_train_topics_then_batch_and_analyze(tiny_checkpoint, tmp_path):
    runner = CliRunner()
    out = tmp_path / "ours"
    result = runner.invoke(main, ["train-topics", str(EXAMPLE_CSV), str(out), "--label-field", "section",
                                  "--base", str(tiny_checkpoint), "--precision", "fp32", "--no-progress"])
    assert result.exit_code == 0, result.output
    assert "24 labelled articles in 4 labels" in result.output and "validation accuracy" in result.output
    data = _write_jsonl(tmp_path / "in.jsonl", ARTICLES)
    result = runner.invoke(main, ["batch", str(data), str(tmp_path / "res.jsonl"), "--model", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in (tmp_path / "res.jsonl").read_text().splitlines()]
    assert len(records) == 2 and all(set(r["topic"]["scores"]) == {"Climate", "Courts", "Health", "Local"} for r in records)
    result = runner.invoke(main, ["analyze", "--text", ARTICLES[1]["text"], "--model", str(out), "--json"])
    assert result.exit_code == 0 and json.loads(result.stdout)["model"]["name"] == "presslens-tiny-test-topics"
    again = runner.invoke(main, ["train-topics", str(EXAMPLE_CSV), str(out), "--label-field", "section",
                                 "--base", str(tiny_checkpoint)])
    assert again.exit_code == 1 and "exists and is not empty" in again.output


def test_cli_bad_data_is_one_line_and_exit_1(tmp_path):
    rows = [{"body": f"text {i}", "desk": "A"} for i in range(4)]
    data = _write_jsonl(tmp_path / "d.jsonl", rows)
    result = CliRunner().invoke(main, ["train-topics", str(data), str(tmp_path / "o"), "--text-field", "body",
                                       "--label-field", "desk"])
    assert result.exit_code == 1
    assert result.output.strip() == f"Error: {data}: a topic head needs at least 2 labels; found only 'A'"
    assert not (tmp_path / "o").exists()


def test_cli_analyze_readable_says_none_of_these(tiny_checkpoint):
    result = CliRunner().invoke(main, ["analyze", "--text", ARTICLES[0]["text"], "--model", str(tiny_checkpoint),
                                       "--tasks", "topic", "--min-topic-score", "1", "--precision", "fp32"])
    assert result.exit_code == 0, result.output
    assert "Topic: none of these (no label reaches the minimum topic score)" in result.output
    bad = CliRunner().invoke(main, ["analyze", "--text", "x", "--min-topic-score", "2"])
    assert bad.exit_code == 2 and "--min-topic-score" in bad.output


def test_temperature_is_not_driven_to_zero_by_a_perfect_validation_share():
    import torch

    from classifier.topics.head import fit_temperature

    logits = torch.tensor([[3.0, 0.0], [0.0, 2.0], [1.0, 0.5]])
    assert fit_temperature(logits, torch.tensor([0, 1, 0])) == 1.0  # all right: nothing to calibrate against
    confident_mistake = torch.tensor([[3.0, 0.0], [0.0, 2.0], [4.0, 0.0]])
    assert fit_temperature(confident_mistake, torch.tensor([0, 1, 1])) > 2.0  # a confident mistake: softer scores
    assert fit_temperature(torch.tensor([[2.0, -2.0]]), torch.tensor([[1.0, 0.0]]), multi_label=True) == 1.0
