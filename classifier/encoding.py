"""Turn segmented articles into encoder windows, and windows into tensors.

Training and inference both go through here, so the model always sees the same layout:

    document window:  [CLS] headline [SEP] sentence sentence ... [SEP]      (topic + summary heads)
    pair window:      [CLS] claim [SEP] sentence sentence ... [SEP]         (stance head)

Sentences are packed whole into a window until it is full; the next window starts with the next sentence,
so no sentence is ever cut, except one that alone is longer than a window (it is split, and reported).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

import torch

from .results import Note


@dataclasses.dataclass
class Window:
    """One encoder input. `token_sentence[i]` is the window-local sentence of token i, or -1."""

    input_ids: list[int]
    token_type_ids: list[int]
    token_sentence: list[int]
    sentence_ids: list[int]  # article-level index of each window-local sentence
    features: list[float] | None = None  # stance windows of a "related" checkpoint: classifier/stance_input.py
    relevance: list[float] | None = None  # ...and how much of the claim each window-local sentence shares


@dataclasses.dataclass
class Windows:
    windows: list[Window]
    split_sentences: int  # sentences too long for one window that had to be split


def tokenize_sentences(tokenizer, sentences: Sequence[str]) -> list[list[int]]:
    if not sentences:
        return []
    return tokenizer(list(sentences), add_special_tokens=False)["input_ids"]


def pack_windows(
    tokenizer,
    prefix: str | None,
    sentence_tokens: Sequence[list[int]],
    max_length: int,
    max_prefix_tokens: int,
    pair: bool,
    max_windows: int | None = None,
) -> Windows:
    """Pack sentences (already tokenized) after a prefix (headline or claim) into windows.

    `pair=True` marks the body as segment B (token_type 1), as the stance head expects.
    `max_windows` stops early (training reads only the first windows); None reads the whole article.
    """
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    head = [cls_id]
    if prefix:
        prefix_ids = tokenizer(prefix, add_special_tokens=False)["input_ids"][:max_prefix_tokens]
        head = [cls_id, *prefix_ids, sep_id]
    body_type = 1 if pair else 0
    budget = max_length - len(head) - 1  # room for body tokens between the head and the final [SEP]
    if budget < 8:
        raise ValueError(f"max_length {max_length} leaves no room for the article after the prefix")

    # Split sentences longer than a whole window into pieces that fit (the only cut we ever make).
    pieces: list[tuple[int, list[int]]] = []
    split = 0
    for index, tokens in enumerate(sentence_tokens):
        if len(tokens) > budget:
            split += 1
            pieces.extend((index, tokens[i : i + budget]) for i in range(0, len(tokens), budget))
        elif tokens:
            pieces.append((index, tokens))

    windows: list[Window] = []
    current: list[tuple[int, list[int]]] = []
    used = 0

    def flush() -> None:
        ids = list(head)
        types = [0] * len(head)
        owner = [-1] * len(head)
        sentence_ids: list[int] = []
        for local, (index, tokens) in enumerate(current):
            ids.extend(tokens)
            types.extend([body_type] * len(tokens))
            owner.extend([local] * len(tokens))
            sentence_ids.append(index)
        ids.append(sep_id)
        types.append(body_type if current else 0)
        owner.append(-1)
        windows.append(Window(ids, types, owner, sentence_ids))

    for piece in pieces:
        if used + len(piece[1]) > budget and current:
            flush()
            if max_windows is not None and len(windows) >= max_windows:
                return Windows(windows, split)
            current, used = [], 0
        current.append(piece)
        used += len(piece[1])
    if current or not windows:
        flush()
    return Windows(windows, split)


def first_document_window(tokenizer, title: str | None, tokens: list[list[int]], config) -> Windows:
    """The one document window the topic and summary heads read: headline + the article's first tokens.

    Training showed both heads only this window (topic data is title + description; oracle summary
    sentences sit in the lead). Scoring later windows too made summaries worse: on 1,000 CNN/DailyMail
    validation articles, ROUGE-1 fell from 41.2 to 39.3 (below Lead-3), as sentences deep in long articles
    got unreliable high scores. The Analyzer and evaluation (training/evaluate.py) both go through here.
    """
    return pack_windows(
        tokenizer, title, tokens, config.max_length, config.max_title_tokens, pair=False, max_windows=1
    )


def note_windows(count: int, split: int, max_length: int, warnings: list[str]) -> None:
    if count > 1:
        warnings.append(Note(f"read in {count} windows of up to {max_length} tokens"))
    if split:
        warnings.append("a sentence longer than one window was split")


def collate_documents(windows: Sequence[Window], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad document windows into the tensors `PresslensModel.encode_documents` takes."""
    length = max(len(w.input_ids) for w in windows)
    n_sent = max(1, max(len(w.sentence_ids) for w in windows))
    batch = len(windows)
    input_ids = torch.full((batch, length), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((batch, length), dtype=torch.long)
    sentence_index = torch.full((batch, length), -1, dtype=torch.long)
    sentence_position = torch.full((batch, n_sent), -1, dtype=torch.long)
    for row, w in enumerate(windows):
        n = len(w.input_ids)
        input_ids[row, :n] = torch.tensor(w.input_ids)
        attention_mask[row, :n] = 1
        sentence_index[row, :n] = torch.tensor(w.token_sentence)
        if w.sentence_ids:
            sentence_position[row, : len(w.sentence_ids)] = torch.tensor(w.sentence_ids)
    return {
        "input_ids": input_ids,
        "attention_mask": attention_mask,
        "sentence_index": sentence_index,
        "sentence_position": sentence_position,
    }


def collate_pairs(windows: Sequence[Window], pad_id: int) -> dict[str, torch.Tensor]:
    """Pad pair windows into the tensors `PresslensModel.classify_pairs` takes."""
    length = max(len(w.input_ids) for w in windows)
    batch = len(windows)
    input_ids = torch.full((batch, length), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((batch, length), dtype=torch.long)
    token_type_ids = torch.zeros((batch, length), dtype=torch.long)
    for row, w in enumerate(windows):
        n = len(w.input_ids)
        input_ids[row, :n] = torch.tensor(w.input_ids)
        attention_mask[row, :n] = 1
        token_type_ids[row, :n] = torch.tensor(w.token_type_ids)
    batch_tensors = {"input_ids": input_ids, "attention_mask": attention_mask, "token_type_ids": token_type_ids}
    if windows[0].features is not None:
        batch_tensors["features"] = torch.tensor([w.features for w in windows], dtype=torch.float32)
    return batch_tensors


def collate_pairs_by_sentence(windows: Sequence[Window], pad_id: int) -> dict[str, torch.Tensor | int]:
    """collate_pairs plus each token's window-local sentence (-1: claim, special tokens, padding) and the
    batch's sentence count: the inputs of `PresslensModel.classify_pairs_by_sentence`."""
    batch_tensors: dict[str, torch.Tensor | int] = dict(collate_pairs(windows, pad_id))
    length = batch_tensors["input_ids"].shape[1]
    sentence_index = torch.full((len(windows), length), -1, dtype=torch.long)
    for row, w in enumerate(windows):
        sentence_index[row, : len(w.token_sentence)] = torch.tensor(w.token_sentence)
    batch_tensors["sentence_index"] = sentence_index
    batch_tensors["n_sent"] = max((len(w.sentence_ids) for w in windows), default=0)
    return batch_tensors
