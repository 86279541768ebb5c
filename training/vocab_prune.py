"""Drop the vocabulary entries the tokenizer can never produce, and their embedding rows.

BERT's WordPiece vocabulary holds 994 `[unusedN]` placeholders (ids 1-99 and 104-998 of MiniLM's 30,522). They
are not added tokens, and the pre-tokenizer splits "[" and "]" off as punctuation, so no text ever maps to
them: their embedding rows (384 floats each, 0.76 MB in float16) are dead weight in the shipped file. Removing
them renumbers the vocabulary; the tokenizer is rewritten to match, so every text gets the same embeddings as
before and every output is unchanged (tests/test_vocab_prune.py checks both).
"""

from __future__ import annotations

import copy
import dataclasses
import json
import re
from pathlib import Path
from typing import Any

import torch

from classifier.model import PresslensModel

UNREACHABLE = re.compile(r"\[unused\d+\]")


def kept_ids(tokenizer_json: dict[str, Any]) -> list[int]:
    """Old ids to keep, in order; the new id of a kept token is its position in this list."""
    model = tokenizer_json["model"]
    if model.get("type") != "WordPiece" or (tokenizer_json.get("pre_tokenizer") or {}).get("type") != "BertPreTokenizer":
        return list(range(len(model["vocab"])))  # the argument above holds for BERT's tokenizer only
    added = {token["content"] for token in tokenizer_json.get("added_tokens", [])}
    vocab = model["vocab"]
    return sorted(i for token, i in vocab.items() if token in added or not UNREACHABLE.fullmatch(token))


def renumbered_tokenizer(tokenizer_json: dict[str, Any], keep: list[int]) -> dict[str, Any]:
    """tokenizer.json with the vocabulary, added tokens and post-processor ids renumbered to `keep`."""
    new_id = {old: new for new, old in enumerate(keep)}
    out = copy.deepcopy(tokenizer_json)
    out["model"]["vocab"] = {token: new_id[i] for token, i in tokenizer_json["model"]["vocab"].items() if i in new_id}
    for token in out.get("added_tokens", []):
        token["id"] = new_id[token["id"]]
    special = (out.get("post_processor") or {}).get("special_tokens", {})
    for entry in special.values():
        entry["ids"] = [new_id[i] for i in entry["ids"]]
    return out


def prune_vocabulary(model: PresslensModel, directory: Path) -> int:
    """Prune `model` (in place) and the tokenizer files in `directory` (the export's staging folder) to the
    reachable vocabulary; returns how many entries were dropped (0 when there is nothing to drop)."""
    path = directory / "tokenizer.json"
    if not path.is_file():
        return 0
    tokenizer_json = json.loads(path.read_text(encoding="utf-8"))
    keep = kept_ids(tokenizer_json)
    embeddings = model.encoder.embeddings.word_embeddings
    dropped = embeddings.num_embeddings - len(keep)
    if dropped <= 0 or len(tokenizer_json["model"]["vocab"]) != embeddings.num_embeddings:
        return 0
    pad = model.config.encoder.get("pad_token_id")
    rows = embeddings.weight.detach()[torch.tensor(keep)].clone()
    model.encoder.embeddings.word_embeddings = torch.nn.Embedding.from_pretrained(
        rows, freeze=False, padding_idx=keep.index(pad) if pad is not None else None)
    encoder = {**model.config.encoder, "vocab_size": len(keep)}
    if pad is not None:
        encoder["pad_token_id"] = keep.index(pad)
    model.config = dataclasses.replace(model.config, encoder=encoder)
    path.write_text(json.dumps(renumbered_tokenizer(tokenizer_json, keep), ensure_ascii=False, indent=2) + "\n",
                    encoding="utf-8")
    vocab_txt = directory / "vocab.txt"
    if vocab_txt.is_file():  # the slow tokenizer's copy must agree with tokenizer.json
        lines = vocab_txt.read_text(encoding="utf-8").splitlines()
        vocab_txt.write_text("".join(lines[i] + "\n" for i in keep), encoding="utf-8")
    return dropped
