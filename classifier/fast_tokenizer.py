"""Load a checkpoint's tokenizer with the `tokenizers` library alone (no transformers import: ~2 s saved).

    tokenizer = load_fast_tokenizer(path)            # path holds tokenizer.json (+ tokenizer_config.json)
    tokenizer(["One sentence.", "Two."], add_special_tokens=False)["input_ids"]    # as transformers returns
    tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.pad_token_id

transformers' fast tokenizers are this same `tokenizers.Tokenizer` underneath, so the ids are the same
(tests/test_fast_tokenizer.py compares them). Inference only needs the calls above; training keeps
`classifier.model.load_tokenizer` (it saves tokenizers with transformers).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .errors import ModelLoadError

_SPECIAL = {"cls_token": "[CLS]", "sep_token": "[SEP]", "pad_token": "[PAD]", "unk_token": "[UNK]"}


class FastTokenizer:
    """The subset of a transformers tokenizer that presslens inference calls."""

    def __init__(self, backend: Any, special: dict[str, str]) -> None:
        backend.no_truncation()  # windows are packed by presslens; never cut or pad here
        backend.no_padding()
        self.backend = backend
        ids = {}
        for name, token in special.items():
            token_id = backend.token_to_id(token)
            if token_id is None:
                raise ModelLoadError(f"the tokenizer has no {name} {token!r}")
            ids[name] = token_id
        self.cls_token_id, self.sep_token_id = ids["cls_token"], ids["sep_token"]
        self.pad_token_id, self.unk_token_id = ids["pad_token"], ids["unk_token"]

    def __call__(self, text: str | Sequence[str], add_special_tokens: bool = True) -> dict[str, Any]:
        if isinstance(text, str):
            return {"input_ids": self.backend.encode(text, add_special_tokens=add_special_tokens).ids}
        encodings = self.backend.encode_batch(list(text), add_special_tokens=add_special_tokens)
        return {"input_ids": [encoding.ids for encoding in encodings]}

    def __len__(self) -> int:
        return self.backend.get_vocab_size(with_added_tokens=True)


def load_fast_tokenizer(path: str | Path) -> FastTokenizer | None:
    """The checkpoint's tokenizer.json as a FastTokenizer; None when the checkpoint has no tokenizer.json."""
    path = Path(path)
    if not (path / "tokenizer.json").is_file():
        return None
    from tokenizers import Tokenizer

    special = dict(_SPECIAL)
    config_path = path / "tokenizer_config.json"
    try:
        backend = Tokenizer.from_file(str(path / "tokenizer.json"))
        if config_path.is_file():
            config = json.loads(config_path.read_text(encoding="utf-8"))
            for name in special:
                value = config.get(name)
                if isinstance(value, dict):  # older configs store AddedToken dicts
                    value = value.get("content")
                if isinstance(value, str):
                    special[name] = value
    except Exception as exc:  # tokenizers raises a plain Exception for a broken file
        raise ModelLoadError(f"{path}: cannot load the tokenizer ({exc})") from exc
    return FastTokenizer(backend, special)
