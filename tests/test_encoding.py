"""pack_windows and the collate functions: sentences are never cut, except one longer than a window."""

from __future__ import annotations

import pytest

from classifier.encoding import collate_documents, collate_pairs, pack_windows, tokenize_sentences


@pytest.fixture(scope="module")
def tokenizer(tiny_checkpoint):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(str(tiny_checkpoint))


SENTENCES = [
    "The central bank raised interest rates by half a point on Tuesday.",
    "Analysts had expected a smaller move.",
    "Shares in lenders rose 3.5% in early trading while bonds fell.",
    "The governor said inflation was still too high.",
    "Unions warned that mortgage costs would hurt families across the country.",
    "The next meeting is in June.",
]


def _body(window, tokenizer):
    """The body token ids of a window per article-level sentence index."""
    out: dict[int, list[int]] = {}
    for token, local in zip(window.input_ids, window.token_sentence):
        if local >= 0:
            out.setdefault(window.sentence_ids[local], []).append(token)
    return out


def test_every_sentence_lands_whole_in_exactly_one_window(tokenizer):
    tokens = tokenize_sentences(tokenizer, SENTENCES)
    packed = pack_windows(tokenizer, "Rates rise again", tokens, max_length=40, max_prefix_tokens=8, pair=False)
    assert packed.split_sentences == 0
    assert len(packed.windows) > 1
    seen = [index for window in packed.windows for index in window.sentence_ids]
    assert seen == list(range(len(SENTENCES)))  # each once, in article order
    for window in packed.windows:
        assert len(window.input_ids) <= 40
        assert window.input_ids[0] == tokenizer.cls_token_id and window.input_ids[-1] == tokenizer.sep_token_id
        for index, body in _body(window, tokenizer).items():
            assert body == tokens[index]  # the whole sentence, uncut


def test_headline_is_repeated_in_every_window_and_cut_to_its_budget(tokenizer):
    tokens = tokenize_sentences(tokenizer, SENTENCES)
    title = "A very long headline about the central bank and its surprising decision on rates today"
    title_ids = tokenizer(title, add_special_tokens=False)["input_ids"][:5]
    packed = pack_windows(tokenizer, title, tokens, max_length=48, max_prefix_tokens=5, pair=False)
    for window in packed.windows:
        assert window.input_ids[1:7] == [*title_ids, tokenizer.sep_token_id]
        assert window.token_sentence[:7] == [-1] * 7


def test_a_sentence_longer_than_a_window_is_split_and_reported(tokenizer):
    giant = " ".join(["word"] * 150) + "."
    sentences = ["A short opening sentence.", giant, "A short closing sentence."]
    tokens = tokenize_sentences(tokenizer, sentences)
    packed = pack_windows(tokenizer, None, tokens, max_length=32, max_prefix_tokens=8, pair=False)
    assert packed.split_sentences == 1
    pieces = [body for w in packed.windows for index, body in _body(w, tokenizer).items() if index == 1]
    assert len(pieces) > 1
    assert [t for piece in pieces for t in piece] == tokens[1]  # the pieces put back together are the sentence
    assert all(len(w.input_ids) <= 32 for w in packed.windows)
    firsts = [index for w in packed.windows for index in w.sentence_ids]
    assert firsts[0] == 0 and firsts[-1] == 2


def test_pair_windows_mark_the_body_as_segment_b(tokenizer):
    tokens = tokenize_sentences(tokenizer, SENTENCES)
    packed = pack_windows(tokenizer, "Rates will rise", tokens, max_length=64, max_prefix_tokens=16, pair=True)
    for window in packed.windows:
        for kind, local in zip(window.token_type_ids, window.token_sentence):
            if local >= 0:
                assert kind == 1
        assert window.token_type_ids[0] == 0


def test_max_windows_stops_early(tokenizer):
    tokens = tokenize_sentences(tokenizer, SENTENCES)
    packed = pack_windows(tokenizer, None, tokens, max_length=24, max_prefix_tokens=8, pair=False, max_windows=1)
    assert len(packed.windows) == 1


def test_no_room_for_the_body_is_an_error(tokenizer):
    with pytest.raises(ValueError, match="no room"):
        pack_windows(tokenizer, "a headline", [[1, 2]], max_length=10, max_prefix_tokens=8, pair=False)


def test_collate_pads_and_keeps_sentence_maps(tokenizer):
    tokens = tokenize_sentences(tokenizer, SENTENCES)
    windows = pack_windows(tokenizer, "Rates", tokens, max_length=40, max_prefix_tokens=8, pair=False).windows
    batch = collate_documents(windows, tokenizer.pad_token_id)
    longest = max(len(w.input_ids) for w in windows)
    assert batch["input_ids"].shape == (len(windows), longest)
    assert batch["attention_mask"].sum().item() == sum(len(w.input_ids) for w in windows)
    for row, window in enumerate(windows):
        assert batch["sentence_position"][row, : len(window.sentence_ids)].tolist() == window.sentence_ids
    pairs = collate_pairs(windows, tokenizer.pad_token_id)
    assert pairs["token_type_ids"].shape == pairs["input_ids"].shape
