"""Stage 3 (training/stance_stage.py): the stance pass's own adapter and per-sentence verdict head, trained
on a mixture that includes news-style minimal pairs (training/stance_synth.py), with topic and summary kept
bit for bit. The data folder is written here (a few rows of each file), so no shared data is needed."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
import torch

from classifier.model import PresslensModel
from training.stance_synth import change_number, make_examples, negate

from tiny_models import build_tiny_checkpoint, tiny_config

SENTENCE_LABELS = ["neutral", "refutes", "supports"]


def test_negation_and_changed_numbers_make_counterfactual_claims():
    assert negate("The factory will close next year") == "The factory will not close next year"
    assert negate("Police have arrested three men") == "Police have not arrested three men"
    assert negate("The mayor did not resign") is None  # already negative: no double negation
    assert negate("Storms hit the coast") is None  # no auxiliary to negate
    changed = change_number("Flooding forced 300 families from their homes", random.Random(0))
    assert changed and changed != "Flooding forced 300 families from their homes" and "300" not in changed
    assert change_number("The vote was held in 2019", random.Random(0)) is None  # years are left alone


def test_synthetic_stories_are_minimal_pairs_with_the_deciding_sentence_marked():
    background = [f"Background sentence number {i} about the harbour and its long history." for i in range(6)]
    stories = [("The council will close the harbour next year", background),
               ("Three climbers were rescued from the ridge", background)]
    examples = make_examples(stories, random.Random(3))
    by_label = {}
    for ex in examples:
        by_label.setdefault(ex.label, []).append(ex)
        if ex.decisive >= 0:
            others = [s for i, s in enumerate(ex.sentences) if i != ex.decisive]
            assert all(s in background for s in others)  # only the deciding sentence differs
    assert {"agree", "disagree", "discuss"} <= set(by_label)
    refuted = next(ex for ex in by_label["disagree"] if ex.kind != "number_contradiction" and ex.kind != "negated_claim")
    assert ex.verdict in ("supports", "refutes", "neutral")
    assert "close the harbour" in refuted.sentences[refuted.decisive] or "rescued" in refuted.sentences[refuted.decisive]


def test_the_per_sentence_head_reads_the_same_pass_as_the_stance_head():
    from classifier.stance_input import FEATURES

    torch.manual_seed(0)
    config = tiny_config(1200, stance_input="related", stance_max_length=48, stance_features=len(FEATURES),
                         stance_sentence_labels=SENTENCE_LABELS,
                         stance_label_verdicts={"agree": "supports", "disagree": "refutes"})
    model = PresslensModel(config).eval()
    ids = torch.randint(5, 1200, (2, 20))
    mask = torch.ones_like(ids)
    types = torch.cat([torch.zeros(2, 6, dtype=torch.long), torch.ones(2, 14, dtype=torch.long)], dim=1)
    owner = torch.tensor([[-1] * 6 + [0] * 7 + [1] * 6 + [-1], [-1] * 6 + [0] * 13 + [-1]])
    features = torch.rand(2, len(FEATURES))
    logits, weights = model.classify_pairs(ids, mask, types, features)
    logits2, weights2, verdicts = model.classify_pairs_by_sentence(ids, mask, types, owner, 2, features)
    assert torch.equal(logits, logits2) and torch.equal(weights, weights2)
    assert verdicts.shape == (2, 2, 3)


def test_a_verdict_map_must_name_known_labels():
    with pytest.raises(ValueError, match="stance_label_verdicts"):
        tiny_config(1200, stance_input="related", stance_max_length=48, stance_sentence_labels=SENTENCE_LABELS,
                    stance_label_verdicts={"agree": "confirms"})


def _write(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with gzip.open(path, "wt", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row) + "\n")


def _data_dir(root: Path) -> Path:
    """A few rows of each file the mixture reads: fnc1, claim_evidence, cnn_dailymail."""
    rng = random.Random(0)
    stories = [("Flood closes the bridge at Ashford", "the bridge at ashford was closed after the river rose ."),
               ("Mayor resigns after budget row", "the mayor resigned on friday after the council rejected her budget ."),
               ("Club signs striker from rivals", "the club signed the striker for a record fee ."),
               ("School roof collapses in storm", "the roof of the primary school collapsed during the storm ."),
               ("Bank raises interest rates again", "the central bank raised interest rates for the third time ."),
               ("Museum returns stolen painting", "the museum returned the painting stolen in 1990 .")]
    fnc = []
    for i, (headline, body) in enumerate(stories):
        text = body.capitalize() + " Officials said more details would follow. Residents were told to wait."
        for label in ("agree", "discuss", "disagree"):
            fnc.append({"headline": headline, "body_id": i * 10 + len(fnc), "body": text, "stance": label})
        fnc.append({"headline": stories[(i + 1) % 6][0], "body_id": i * 10, "body": text, "stance": "unrelated"})
    _write(root / "fnc1" / "train.jsonl.gz", fnc)
    _write(root / "fnc1" / "validation.jsonl.gz", fnc[:4])
    evidence = [{"premise": "The bridge was closed on Monday.", "hypothesis": "The bridge is open.", "label3": label,
                 "label_orig": label, "split": "dev", "source": "x"} for label in ("support", "refute", "neutral")]
    arc = [{"premise": "I think the plan is a terrible idea. It will fail.", "hypothesis": "The plan will work",
            "label3": "refute", "label_orig": "disagree", "split": "train", "source": "arc"},
           {"premise": "Great plan. It will work.", "hypothesis": "The plan will work", "label3": "support",
            "label_orig": "agree", "split": "train", "source": "arc"}]
    from training.stance_data import EVIDENCE_SETS

    for name in EVIDENCE_SETS:
        _write(root / "claim_evidence" / f"{name}.jsonl.gz", evidence)
    _write(root / "claim_evidence" / "arc.jsonl.gz", arc)
    cnn = [{"id": str(i), "article": " ".join(
                f"sentence {j} of the story tells of weather and roads near town number {rng.randint(1, 99)} ." for j in range(8)),
            "highlights": f"the council will close {i} old libraries next year\nsecond line"} for i in range(4)]
    _write(root / "cnn_dailymail" / "train.jsonl.gz", cnn)
    return root


WRITTEN = [
    {"id": "w-1", "group": "w", "kind": "test_result", "label": "disagree", "claim": "The well water holds arsenic",
     "title": "Village well passes tests",
     "text": "The village well was tested last week after posts said it held arsenic. "
             "Laboratory results published on Monday found no arsenic in any sample. "
             "The well has served the village for a century.",
     "decisive": ["Laboratory results published on Monday found no arsenic in any sample."]},
    {"id": "w-2", "group": "w", "kind": "unrelated", "label": "unrelated", "claim": "The well water holds arsenic",
     "title": "Festival returns", "text": "The summer festival returns in June. Tickets go on sale on Friday. "
                                          "Organisers expect ten thousand visitors.", "decisive": []},
]


def _written_dir(root: Path) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "items.jsonl").write_text("".join(json.dumps(item) + "\n" for item in WRITTEN), encoding="utf-8")
    return root


def test_written_items_mark_their_deciding_sentences_and_nothing_else(tmp_path):
    from training.stance_data import load_written, written_sentences

    items = load_written(_written_dir(tmp_path))
    assert [item["id"] for item in items] == ["w-1", "w-2"]
    sentences, verdicts = written_sentences(items[0])
    assert len(sentences) == 3
    assert verdicts == [None, "refutes", None]  # background is not taught either way
    _, verdicts = written_sentences(items[1])
    assert verdicts == ["neutral"] * 3
    (tmp_path / "bad.jsonl").write_text(json.dumps({"id": "x", "label": "maybe"}) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="bad.jsonl:1"):
        load_written(tmp_path)
    assert load_written(tmp_path / "absent") == []


def test_written_items_come_from_several_folders_and_an_id_in_two_of_them_is_an_error(tmp_path):
    from training.stance_data import load_written

    first, second = _written_dir(tmp_path / "r1"), tmp_path / "r2"
    second.mkdir()
    renamed = [dict(item, id=item["id"] + "-r2") for item in WRITTEN]
    (second / "more.jsonl").write_text("".join(json.dumps(item) + "\n" for item in renamed), encoding="utf-8")
    items = load_written(f"{first},{second}")
    assert [item["id"] for item in items] == ["w-1", "w-2", "w-1-r2", "w-2-r2"]
    (second / "again.jsonl").write_text(json.dumps(WRITTEN[0]) + "\n", encoding="utf-8")
    with pytest.raises(ValueError, match="'w-1' is also at .*items.jsonl:1"):
        load_written(f"{first}, {second}")


def test_stage_three_trains_resumes_and_leaves_topic_and_summary_bit_for_bit(tmp_path):
    pytest.importorskip("datasets")
    from classifier import Analyzer
    from classifier.stance_input import FEATURES
    from training.stance_stage import StanceStageConfig, train_stance

    base = build_tiny_checkpoint(tmp_path / "base", stance_input="related", stance_max_length=48,
                                 stance_features=len(FEATURES))
    data = _data_dir(tmp_path / "data")
    settings = dict(output_dir=str(tmp_path / "run"), init_from=str(base), data_dir=str(data), adapter_layers=2,
                    adapter_rank=2, fnc_related=12, fnc_unrelated=4, arc_unrelated=0, synthetic_stories=4,
                    evidence_scale=0.002, batch_size=4, bf16=False, threads=1, max_steps=4,
                    written_dir=str(_written_dir(tmp_path / "written")), written_repeat=2)
    stopped = train_stance(StanceStageConfig(**settings, stop_after_steps=2))
    assert stopped.name == "checkpoint"
    state = json.loads((stopped / "trainer_state.json").read_text())
    assert state["step"] == 2
    final = train_stance(StanceStageConfig(**settings))  # the same command resumes and finishes
    assert final.name == "final"

    before = PresslensModel.from_pretrained(base).state_dict()
    after = PresslensModel.from_pretrained(final)
    assert after.config.stance_sentence_labels == SENTENCE_LABELS and after.config.stance_adapter["rank"] == 2
    for name, tensor in after.state_dict().items():
        if not name.startswith(("stance_", "sentence_stance_head")):
            assert torch.equal(tensor, before[name]), name  # shared encoder, topic and summary untouched

    text = "The council will close the harbour next year. Officials denied that the council will close it."
    base_result = Analyzer.from_pretrained(base, precision="fp32").analyze(text, title="Harbour", targets=["x"])
    result = Analyzer.from_pretrained(final, precision="fp32").analyze(text, title="Harbour", targets=["x"])
    # same weights, same answers (up to float rounding: kernels may differ with memory layout)
    assert result.topic.label == base_result.topic.label
    assert result.topic.scores == pytest.approx(base_result.topic.scores, abs=1e-6)
    assert [s.index for s in result.summary.sentences] == [s.index for s in base_result.summary.sentences]
    assert [s.score for s in result.summary.sentences] == pytest.approx(
        [s.score for s in base_result.summary.sentences], abs=1e-6)
    stance = result.to_dict()["stances"][0]
    assert stance["confidence"] in ("high", "low")
    assert all(e["says"] in SENTENCE_LABELS and 0 <= e["score"] <= 1 for e in stance["evidence"])

    # a warm start from this stage's own checkpoint trains its adapter on; topic and summary stay as they are
    warm = train_stance(StanceStageConfig(**{**settings, "output_dir": str(tmp_path / "warm"), "init_from": str(final),
                                             "learning_rate": 1e-2}))
    again = PresslensModel.from_pretrained(warm).state_dict()
    adapted = after.state_dict()
    assert any(not torch.equal(again[n], adapted[n]) for n in adapted if n.startswith("stance_adapter."))
    assert all(torch.equal(again[n], adapted[n]) for n in adapted if n.startswith(("topic_", "summary_")))
    assert len(PresslensModel.from_pretrained(warm).config.training["stages"]) == \
        len(after.config.training["stages"]) + 1
