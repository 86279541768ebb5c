"""Turn task rows into encoder windows and label tensors (through classifier.encoding, as inference does).

Each task gets a `TaskExamples`: a list of prepared examples and a `collate(examples) -> (inputs, labels)`.
Only the first window of each article is trained on: topic data is title + description (short), stance
bodies are read from their start, and oracle summary sentences sit overwhelmingly in the lead.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable, Sequence
from typing import Any

import torch

from classifier.encoding import Window, collate_documents, collate_pairs, pack_windows, tokenize_sentences
from classifier.stance_input import stance_window
from classifier.errors import InputError
from classifier.reading import read_article

_PARAGRAPH = re.compile(r"\n\s*\n|\n")


@dataclasses.dataclass
class TaskExamples:
    name: str
    examples: list[Any]
    collate: Callable[[Sequence[Any]], tuple[dict[str, torch.Tensor], torch.Tensor]]


def segment_body(text: str, segmenter) -> list[str]:
    """Paragraphs, then sentences inside each paragraph (paragraph ends are always sentence ends)."""
    sentences = []
    for paragraph in _PARAGRAPH.split(text):
        paragraph = " ".join(paragraph.split())
        if paragraph:
            sentences.extend(s.strip() for s in segmenter(paragraph) if s.strip())
    return sentences


def topic_examples(rows, tokenizer, label_ids: dict[str, int], max_length: int, max_title: int) -> TaskExamples:
    examples = []
    for row in rows:
        text = row["text"].replace("\\", " ")
        window = pack_windows(
            tokenizer, row["title"] or None, tokenize_sentences(tokenizer, [text]), max_length, max_title,
            pair=False, max_windows=1,
        ).windows[0]
        examples.append((window, label_ids[row["label"]]))

    def collate(batch):
        return collate_documents([w for w, _ in batch], tokenizer.pad_token_id), torch.tensor([y for _, y in batch])

    return TaskExamples("topic", examples, collate)


def stance_examples(rows, tokenizer, label_ids, max_length, max_claim, segmenter) -> TaskExamples:
    body_tokens: dict[int, list[list[int]]] = {}  # FNC repeats each body on many rows: segment it once
    examples = []
    for row in rows:
        if row["body_id"] not in body_tokens:
            body_tokens[row["body_id"]] = tokenize_sentences(tokenizer, segment_body(row["body"], segmenter))
        window = pack_windows(
            tokenizer, row["claim"], body_tokens[row["body_id"]], max_length, max_claim, pair=True, max_windows=1
        ).windows[0]
        examples.append((window, label_ids[row["label"]]))

    def collate(batch):
        return collate_pairs([w for w, _ in batch], tokenizer.pad_token_id), torch.tensor([y for _, y in batch])

    return TaskExamples("stance", examples, collate)


def body_sentences(body: str, claim: str) -> list[str]:
    """An FNC body read as inference reads an article (title given: no headline guessing); a body that is
    nothing but the headline again reads as no sentences, as the Analyzer would refuse it."""
    try:
        return list(read_article(body, title=claim).sentences)
    except InputError:
        return []


def stance_related_examples(rows, tokenizer, label_ids, max_length, max_claim) -> TaskExamples:
    """One short window per pair, built as the Analyzer builds it for a "related" checkpoint: the body is
    read by the same cleaning and sentence splitter as at inference, then the claim's sentences are picked."""
    bodies: dict[int, tuple[list[str], list[list[int]]]] = {}
    examples = []
    for row in rows:
        if row["body_id"] not in bodies:
            sentences = body_sentences(row["body"], row["claim"])
            bodies[row["body_id"]] = (sentences, tokenize_sentences(tokenizer, sentences))
        sentences, tokens = bodies[row["body_id"]]
        window, _ = stance_window(tokenizer, row["claim"], sentences, tokens, max_length, max_claim)
        examples.append((window, label_ids[row["label"]]))

    def collate(batch):
        return collate_pairs([w for w, _ in batch], tokenizer.pad_token_id), torch.tensor([y for _, y in batch])

    return TaskExamples("stance", examples, collate)


def summary_examples(articles, tokenizer, max_length: int) -> TaskExamples:
    """`articles`: [{sentences, labels}] from training.summary_labels (labels = oracle sentence indices)."""
    examples = []
    for article in articles:
        window = pack_windows(
            tokenizer, None, tokenize_sentences(tokenizer, article["sentences"]), max_length, 0,
            pair=False, max_windows=1,
        ).windows[0]
        chosen = set(article["labels"])
        targets = [1.0 if index in chosen else 0.0 for index in window.sentence_ids]
        examples.append((window, targets))

    def collate(batch: Sequence[tuple[Window, list[float]]]):
        inputs = collate_documents([w for w, _ in batch], tokenizer.pad_token_id)
        labels = torch.zeros(inputs["sentence_position"].shape)
        for row, (_, targets) in enumerate(batch):
            labels[row, : len(targets)] = torch.tensor(targets)
        return inputs, labels

    return TaskExamples("summary", examples, collate)
