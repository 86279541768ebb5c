"""How much encoder work an article asks for, counted in encoder windows (what the model's time goes into).

    count_windows(tokenizer, config, prepared, tasks)   # -> int, from the article's real token count

One document window for topic and summary (they read the first window only), and for stance per claim
either one short window of the sentences most related to it (checkpoints with stance_input "related") or
one pass over the whole article: ceil(body tokens / room per window). Sentences are packed whole, so the real
count can be a window or two more per claim; this is for budgets and scheduling, not for the analysis.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from typing import Any

from .encoding import tokenize_sentences
from .inputs import TASKS


def count_windows(tokenizer: Any, config: Any, article: Any, tasks: Iterable[str] | None) -> int:
    wanted = set(tasks) if tasks is not None else set(TASKS)
    windows = 1 if wanted & {"topic", "summary"} else 0
    if "stance" in wanted and article.targets and getattr(config, "stance_input", None) == "related":
        windows += len(article.targets)
    elif "stance" in wanted and article.targets:
        tokens = sum(len(ids) for ids in tokenize_sentences(tokenizer, list(article.sentences)))
        room = max(config.max_length - config.max_claim_tokens - 3, 1)  # [CLS] claim [SEP] body [SEP]
        windows += len(article.targets) * max(1, math.ceil(tokens / room))
    return windows
