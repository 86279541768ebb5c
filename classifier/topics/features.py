"""What the topic head reads, computed once per article by the frozen encoder of the base checkpoint.

    features, failed = document_features(analyzer, "labelled.csv", fields, wanted=[0, 1, 5], progress=True)

Each article goes through the same reading chain and the same first document window as `presslens analyze`
(headline + lead, `classifier.encoding.first_document_window`), then one encoder pass in batches, in the
precision inference would use on this machine (bf16 autocast where the CPU has native bf16, else fp32), so
that the new head is fitted on exactly the vectors it will see. The result is the window's mean-pooled last
hidden state (`PresslensModel.document_states`), one row of `hidden_size` float32 per article: 100,000
articles are 154 MB. Records are streamed; only a chunk of `chunk` articles is held as text at a time.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable, Iterator
from typing import Any

import torch
from tqdm import tqdm

from ..encoding import collate_documents, first_document_window, tokenize_sentences
from ..errors import InputError
from ..precision import compute_context
from ..records import read_records
from .data import TopicFields


def document_features(analyzer: Any, path: str, fields: TopicFields, wanted: Iterable[int], *,
                      progress: bool = False, chunk: int = 64,
                      keep_text: set[int] | None = None, text_chars: int = 5000,
                      ) -> tuple[torch.Tensor, list[int], dict[int, str]]:
    """(features [len(wanted), H] in `wanted`'s order, positions in `wanted` whose article could not be read,
    {record number: headline + text cut to `text_chars`} for the records in `keep_text`, for baselines)."""
    wanted = list(wanted)
    row_of = {number: row for row, number in enumerate(wanted)}
    hidden = analyzer.model.encoder.settings["hidden_size"]
    features = torch.zeros((len(wanted), hidden), dtype=torch.float32)
    failed: list[int] = []
    texts: dict[int, str] = {}
    keep_text = keep_text or set()
    bar = tqdm(total=len(wanted), desc="encoding articles", unit="article", disable=not progress,
               dynamic_ncols=True)
    try:
        for batch in _chunks(_articles(path, fields, row_of, keep_text, texts, text_chars), chunk):
            prepared = []
            for number, text, title in batch:
                try:
                    prepared.append((number, analyzer.prepare({"text": text, "title": title})))
                except InputError:
                    failed.append(row_of[number])
            vectors = pooled_states(analyzer, [article for _, article in prepared])
            for (number, _), vector in zip(prepared, vectors):
                features[row_of[number]] = vector
            bar.update(len(batch))
    finally:
        bar.close()
    return features, sorted(failed), texts


def pooled_states(analyzer: Any, articles: list) -> torch.Tensor:
    """The topic head's input for prepared articles: the first document window's pooled encoder state."""
    if not articles:
        return torch.zeros((0, analyzer.model.encoder.settings["hidden_size"]))
    tokenizer, config = analyzer.tokenizer, analyzer.config
    flat = [sentence for article in articles for sentence in article.sentences]
    ids, start, windows = tokenize_sentences(tokenizer, flat), 0, []
    for article in articles:
        tokens = ids[start : start + len(article.sentences)]
        start += len(article.sentences)
        windows.append(first_document_window(tokenizer, article.title, tokens, config).windows[0])
    order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))  # less padding per batch
    out = torch.zeros((len(windows), analyzer.model.encoder.settings["hidden_size"]))
    size = analyzer.batch_size
    with compute_context(analyzer.precision):
        for begin in range(0, len(order), size):
            rows = order[begin : begin + size]
            batch = collate_documents([windows[i] for i in rows], tokenizer.pad_token_id)
            pooled, _ = analyzer.model.document_states(
                batch["input_ids"], batch["attention_mask"], batch["sentence_index"], batch["sentence_position"].shape[1]
            )
            out[rows] = pooled.float()
    return out


def _articles(path: str, fields: TopicFields, row_of: dict[int, int], keep_text: set[int],
              texts: dict[int, str], text_chars: int) -> Iterator[tuple[int, str, str | None]]:
    title_field = fields.field_map().title
    for number, record in enumerate(read_records(path, fields.field_map())):
        if number not in row_of:
            continue
        values = record.fields or {}
        text, title = values.get(fields.text), values.get(title_field)
        title = title if isinstance(title, str) and title.strip() else None
        if number in keep_text:
            texts[number] = ((title or "") + "\n" + text)[:text_chars]
        yield number, text, title


def _chunks(items: Iterator, size: int) -> Iterator[list]:
    while batch := list(itertools.islice(items, size)):
        yield batch
