"""Export drops the [unusedN] vocabulary entries (no text can reach them): a smaller file, the same answers."""

from __future__ import annotations

import json

import pytest

from training.vocab_prune import prune_vocabulary

from tiny_models import build_tiny_checkpoint

TEXTS = [
    "The council denied reports that the bridge will close. Engineers said it was safe [unused5] for now.",
    "Prices rose 3.2% in March, the statistics office said; économistes had expected 2.9%. 東京 ☃ [CLS] [MASK]",
]


def test_export_prunes_unreachable_vocabulary_and_keeps_every_answer(tmp_path):
    from classifier import Analyzer
    from classifier.model import load_tokenizer

    import shutil

    from classifier.model import PresslensModel

    base = build_tiny_checkpoint(tmp_path / "base")
    shutil.copytree(base, tmp_path / "shipped")
    model = PresslensModel.from_pretrained(base)
    assert prune_vocabulary(model, tmp_path / "shipped") == 994  # what presslens-export does before saving
    model.save_pretrained(tmp_path / "shipped")
    before_tok, after_tok = load_tokenizer(base), load_tokenizer(tmp_path / "shipped")
    assert len(before_tok) - len(after_tok) == 994
    shipped = json.loads((tmp_path / "shipped" / "tokenizer.json").read_text())
    assert not any(t.startswith("[unused") for t in shipped["model"]["vocab"])
    assert after_tok.pad_token_id == 0 and after_tok.convert_ids_to_tokens(after_tok.cls_token_id) == "[CLS]"
    for text in TEXTS:  # every token maps to the same token string as before, special tokens included
        old = before_tok(text, "a claim about the bridge")["input_ids"]
        new = after_tok(text, "a claim about the bridge")["input_ids"]
        assert before_tok.convert_ids_to_tokens(old) == after_tok.convert_ids_to_tokens(new)
    config = json.loads((tmp_path / "shipped" / "config.json").read_text())
    assert config["encoder"]["vocab_size"] == len(after_tok)

    a = Analyzer.from_pretrained(base, precision="fp32").analyze(TEXTS[0], title="Bridge", targets=["The bridge closes"])
    b = Analyzer.from_pretrained(tmp_path / "shipped", precision="fp32").analyze(
        TEXTS[0], title="Bridge", targets=["The bridge closes"])
    assert b.topic.scores == pytest.approx(a.topic.scores, abs=1e-6)
    assert b.stances[0].scores == pytest.approx(a.stances[0].scores, abs=1e-6)
    assert [s.index for s in b.summary.sentences] == [s.index for s in a.summary.sentences]
