"""The hand-written news stance suite (training/suites/news_stance.jsonl) and its harness (training/stance_suites.py).

The suite checks need nothing but the file; the harness runs end to end on the tiny random checkpoint, so
its figures are meaningless, but every figure must be there and agree with the per-item predictions.
"""

from __future__ import annotations

import json
import tomllib
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from training import stance_suites
from training.stance_suites import DEV_SUITE, LABELS, NEWS_FIELDS, NEWS_SUITE, WHERE

ROOT = Path(__file__).resolve().parents[1]
REFUTATION_KINDS = {"denial", "debunk", "retraction", "correction", "number_contradiction", "satire_traced",
                    "self_denial", "test_result"}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    return [json.loads(line) for line in NEWS_SUITE.read_text(encoding="utf-8").splitlines() if line.strip()]


def test_every_item_has_the_fields_and_a_valid_label(items):
    assert len(items) >= 240
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for item in items:
        assert set(NEWS_FIELDS) <= set(item), item["id"]
        assert item["label"] in LABELS, item["id"]
        assert item["where"] in WHERE, item["id"]
        assert all(isinstance(item[f], str) and item[f].strip() for f in ("claim", "title", "text")), item["id"]
        assert item["kind"] in REFUTATION_KINDS | {"confirmation", "report", "unrelated"}, item["id"]
        assert (item["label"] == "unrelated") == (item["kind"] == "unrelated") == (item["where"] == "none"), item["id"]


@pytest.mark.parametrize("suite", [NEWS_SUITE, DEV_SUITE], ids=["news", "dev"])
def test_decisive_sentences_are_in_the_text_and_where_follows_them(suite):
    for item in stance_suites.load_news(suite):
        assert isinstance(item["decisive"], list), item["id"]
        if item["label"] == "unrelated":
            assert item["decisive"] == [], item["id"]
            continue
        assert item["decisive"], f"{item['id']}: no deciding sentence"
        for sentence in item["decisive"]:
            assert sentence in item["text"], f"{item['id']}: {sentence!r} is not in its text"
        assert stance_suites.where_of(item["text"], item["decisive"]) == item["where"], item["id"]


def test_bodies_are_news_length(items):
    for item in items:
        sentences = len(stance_suites._SENTENCE_END.findall(item["text"])) + 1
        assert 6 <= sentences <= 14, f"{item['id']}: {sentences} sentences"


def test_groups_are_minimal_pairs(items):
    groups: dict[str, list[dict]] = defaultdict(list)
    for item in items:
        groups[item["group"]].append(item)
    for name, members in groups.items():
        assert len(members) >= 2, name
        assert len({m["label"] for m in members}) >= 2, name
        stories = [m for m in members if m["kind"] != "unrelated"]
        assert len({m["claim"] for m in stories if "text_of" not in m}) == 1, f"{name}: one claim per story"


def test_reused_texts_are_exact_copies_and_unrelated_texts_come_from_another_story(items):
    by_id = {item["id"]: item for item in items}
    for item in items:
        if "text_of" not in item:
            continue
        source = by_id[item["text_of"]]
        assert "text_of" not in source, item["id"]
        assert (item["title"], item["text"]) == (source["title"], source["text"]), item["id"]
        if item["label"] == "unrelated":
            assert source["group"] != item["group"], item["id"]
        else:  # a counterfactual claim on the same text: its label must differ from the source's or be discuss
            assert source["group"] == item["group"] and item["claim"] != source["claim"], item["id"]
            assert item["label"] != source["label"] or item["label"] == "discuss", item["id"]


def test_label_and_kind_shares(items):
    share = {label: n / len(items) for label, n in Counter(i["label"] for i in items).items()}
    assert 0.25 <= share["agree"] <= 0.35 and 0.25 <= share["disagree"] <= 0.35, share
    assert 0.20 <= share["discuss"] <= 0.30 and 0.10 <= share["unrelated"] <= 0.20, share
    refutations = Counter(i["kind"] for i in items if i["label"] == "disagree")
    assert set(refutations) >= REFUTATION_KINDS
    assert min(refutations[k] for k in REFUTATION_KINDS) >= 5, refutations
    where = Counter(i["where"] for i in items if i["label"] in ("agree", "disagree"))
    assert where["lead"] >= 30 and where["late"] >= 30, where


def test_load_news_rejects_broken_items(tmp_path):
    good = {"id": "a-1", "group": "a", "kind": "report", "label": "discuss", "claim": "c", "title": "t",
            "text": "x", "where": "late", "decisive": ["x"]}
    path = tmp_path / "suite.jsonl"
    path.write_text(json.dumps({**good, "label": "support"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="support"):
        stance_suites.load_news(path)
    path.write_text(json.dumps({k: v for k, v in good.items() if k != "decisive"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="decisive"):
        stance_suites.load_news(path)


def test_direction_figures_count_what_the_issue_asks():
    rows = [
        {"label": "agree", "kind": "confirmation", "where": "lead", "group": "g1"},
        {"label": "disagree", "kind": "denial", "where": "late", "group": "g1"},
        {"label": "disagree", "kind": "debunk", "where": "lead", "group": "g2"},
        {"label": "discuss", "kind": "report", "where": "late", "group": "g2"},
        {"label": "unrelated", "kind": "unrelated", "where": "none", "group": "g3"},
    ]
    predicted = ["agree", "agree", "disagree", "agree", "unrelated"]
    figures = stance_suites.direction_figures(rows, predicted)
    assert figures["confirm_refute_exact"] == pytest.approx(2 / 3)
    assert figures["refutations_called_agree"] == pytest.approx(0.5)
    assert figures["refutations_called_agree_count"] == 1 and figures["refutations_n"] == 2
    assert figures["by_kind"]["denial"] == {"accuracy": 0.0, "n": 1}
    assert figures["by_where"]["lead"] == {"accuracy": 1.0, "n": 2}
    assert figures["groups_all_right"] == pytest.approx(1 / 3)  # only g3


def test_stratified_sample_keeps_label_shares_and_is_seeded():
    rows = [{"label": "unrelated"}] * 700 + [{"label": "agree"}] * 200 + [{"label": "disagree"}] * 100
    rows = [dict(r, n=i) for i, r in enumerate(rows)]
    sample = stance_suites.stratified_sample(rows, 100, seed=3)
    assert Counter(r["label"] for r in sample) == {"unrelated": 70, "agree": 20, "disagree": 10}
    assert sample == stance_suites.stratified_sample(rows, 100, seed=3)
    assert sample != stance_suites.stratified_sample(rows, 100, seed=4)
    assert [r["n"] for r in sample] == sorted(r["n"] for r in sample)
    assert stance_suites.stratified_sample(rows, 0) == rows


def _small_suite(items, path: Path) -> list[dict]:
    """Two whole groups (confirm, refute, report, negation, unrelated) and one item of every label."""
    chosen = [i for i in items if i["group"] in ("water-01", "raid-12")]
    path.write_text("".join(json.dumps(i) + "\n" for i in chosen), encoding="utf-8")
    return chosen


def test_harness_runs_end_to_end_on_a_tiny_checkpoint(tiny_checkpoint, items, tmp_path, capsys):
    chosen = _small_suite(items, tmp_path / "suite.jsonl")
    assert {i["label"] for i in chosen} == set(LABELS)
    out = tmp_path / "out.json"
    stance_suites.main(["--model", str(tiny_checkpoint), "--suite", "news", "--news-file", str(tmp_path / "suite.jsonl"),
                        "--precision", "fp32", "--batch-size", "3", "--output", str(out)])
    printed = capsys.readouterr().out
    assert "== news ==" in printed and "confirm/refute exact" in printed and "refutations -> agree" in printed
    report = json.loads(out.read_text(encoding="utf-8"))
    figures = report["suites"]["news"]["systems"][str(tiny_checkpoint)]
    for key in ("accuracy", "macro_f1", "f1", "confusion", "fnc_score", "confirm_refute_exact",
                "refutations_called_agree", "by_kind", "by_kind_label", "by_where", "items", "seconds"):
        assert key in figures, key
    assert set(figures["f1"]) == set(LABELS)
    predicted = figures["items"]
    assert set(predicted) == {i["id"] for i in chosen} and set(predicted.values()) <= set(LABELS)
    # Every figure follows from the per-item predictions.
    gold = {i["id"]: i["label"] for i in chosen}
    assert figures["accuracy"] == pytest.approx(sum(predicted[k] == g for k, g in gold.items()) / len(gold))
    assert sum(sum(row.values()) for row in figures["confusion"].values()) == len(chosen)
    for g in LABELS:
        for p in LABELS:
            assert figures["confusion"][g][p] == sum(1 for k in gold if gold[k] == g and predicted[k] == p)
    refutations = [k for k, g in gold.items() if g == "disagree"]
    assert figures["refutations_called_agree_count"] == sum(predicted[k] == "agree" for k in refutations)


def test_harness_gives_one_article_many_claims_the_same_answer_as_one_at_a_time(tiny_checkpoint, items):
    from classifier import Analyzer

    analyzer = Analyzer.from_pretrained(tiny_checkpoint, precision="fp32", batch_size=4)
    rows = stance_suites.load_news(NEWS_SUITE)
    rows = [r for r in rows if r["group"] == "water-01"]  # shares texts between the claim and its negation
    together = stance_suites.model_predictions(analyzer, rows)
    alone = [analyzer.analyze(r["text"], title=r["title"], targets=[r["claim"]], tasks=["stance"]).stances[0].label
             for r in rows]
    assert together == alone


def test_missing_shared_data_skips_arc_honest_and_tfidf(tiny_checkpoint, tmp_path, capsys):
    out = tmp_path / "out.json"
    report = stance_suites.main(["--model", str(tiny_checkpoint), "--suite", "arc", "--suite", "honest", "--tfidf",
                                 "--data-dir", str(tmp_path / "nowhere"), "--precision", "fp32", "--output", str(out)])
    messages = capsys.readouterr().err
    assert "skipping suite arc" in messages and "skipping suite honest" in messages
    assert "arc.jsonl.gz not found" in report["suites"]["arc"]["skipped"]
    assert "fnc1" in report["suites"]["honest"]["skipped"]
    assert json.loads(out.read_text(encoding="utf-8"))["suites"]["arc"]["skipped"]


def test_arc_test_split_loads_when_the_shared_data_is_here():
    try:
        rows = stance_suites.load_arc()
    except stance_suites.MissingData as exc:
        pytest.skip(str(exc))
    assert len(rows) > 3000 and {r["label"] for r in rows} == set(LABELS)
    assert all(r["claim"] and r["body"] for r in rows)


def test_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    assert scripts["presslens-evaluate-stance"] == "training.stance_suites:main"


def test_calibrate_fits_the_stance_temperature_on_the_dev_suite_and_scores_with_it(tiny_checkpoint, items, tmp_path):
    import shutil

    model = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, model)
    dev = tmp_path / "dev.jsonl"
    _small_suite(items, dev)
    report = stance_suites.main(["--model", str(model), "--suite", "news", "--news-file", str(dev),
                                 "--dev-file", str(dev), "--calibrate", "--precision", "fp32"])
    fitted = report["calibrated"][str(model)]["after"]
    assert json.loads((model / "config.json").read_text())["temperatures"]["stance"] == fitted
    dev_figures = report["suites"]["dev"]["systems"][str(model)]
    assert {"ece", "mean top score right", "mean top score wrong"} <= set(dev_figures)
    # the fitted temperature is the best one on those rows: the dev suite's likelihood is no worse than at T=1
    from classifier import Analyzer

    rows = stance_suites.load_news(dev)
    scores = stance_suites.model_scores(Analyzer.from_pretrained(model, precision="fp32"), rows)
    assert stance_suites.fit_stance_temperature(rows, scores, fitted) == pytest.approx(fitted, rel=1e-2)
