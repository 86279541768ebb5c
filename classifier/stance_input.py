"""What the stance head reads for one claim: one short window and a few overlap features.

    window = stance_window(tokenizer, claim, sentences, sentence_tokens, max_length=192, max_claim=48)
    # [CLS] claim [SEP] lead sentence + the sentences most related to the claim, in article order [SEP]

Why one short window instead of the whole body: on claims and bodies never seen in training, a classifier
that reads the claim next to the body sentences about it does as well as one that reads the body from its
start, and far better than averaging over every window of a long body (0.2.0 did that: the windows far
from the claim voted "discuss"/"agree" by default). It is also one 192-token pass per claim instead of
two or three of 512. The chosen sentences are the candidates for the evidence.

The features say, in numbers the head cannot easily count itself, how much of the claim the body covers
and whether the sentences about it refute or hedge (FNC-1's own baseline used such cues; `disagree` pairs
are 2% of the data, so every cheap signal for them counts). Training (training/examples.py) and the
Analyzer both build the window here, so the model always reads what it was trained on.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence

from .encoding import Window

LEAD_SENTENCES = 1
_WORD = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
_STOP = frozenset(
    """a an and the of to in on for at by with from as is are was were be been being it its this that these
    those after over says said say will would could may might has have had about into than then there their
    they he she his her him we our you your i me my who whom which what when where why how or but if so do
    does did up out new just also more most some any all can one two""".split()
)
# Words that refute or deny (after FNC-1's baseline feature list, extended) and words that hedge.
REFUTE = frozenset(
    """fake fakes faked fraud hoax hoaxes false falsely deny denies denied denying refute refutes refuted
    debunk debunks debunked bogus untrue nope retract retracts retracted retraction prank pranks doubt
    doubts doubted misleading fabricated fabrication satire satirical myth rumor's nonsense incorrect
    wrong not no never neither nor isn't wasn't aren't weren't didn't doesn't don't hasn't haven't won't""".split()
)
HEDGE = frozenset(
    """reportedly allegedly alleged claim claims claimed claiming rumor rumors rumour rumours unconfirmed
    unverified purportedly purported apparently speculation speculated may might could possibly
    according report reports suggests suggest appears appear seems""".split()
)
FEATURES = (
    "claim coverage by the body",
    "claim coverage by the best sentence",
    "claim coverage by the chosen sentences",
    "claim word pairs found in the body",
    "share of body sentences about the claim",
    "refuting words in sentences about the claim",
    "hedging words in sentences about the claim",
    "claim itself refutes or hedges",
)


def words(text: str) -> list[str]:
    return _WORD.findall(text.lower())


def stems(tokens: Sequence[str]) -> list[str]:
    """Content words, crudely stemmed (plural s off, first six letters) so that 'denies'/'denied' meet."""
    out = []
    for token in tokens:
        if token in _STOP or len(token) < 2:
            continue
        if len(token) > 3 and token.endswith("s") and not token.endswith("ss"):
            token = token[:-1]
        out.append(token[:6])
    return out


def related_order(claim: str, sentences: Sequence[str]) -> tuple[list[float], list[float]]:
    """(score of each sentence for the claim, features). Score: claim words and word pairs it shares."""
    claim_stems = stems(words(claim))
    claim_set = set(claim_stems)
    claim_pairs = set(zip(claim_stems, claim_stems[1:]))
    scores, coverage, sentence_words = [], [], []
    body_set: set[str] = set()
    body_pairs: set[tuple[str, str]] = set()
    for sentence in sentences:
        tokens = words(sentence)
        sentence_stems = stems(tokens)
        found = claim_set.intersection(sentence_stems)
        pairs = claim_pairs.intersection(zip(sentence_stems, sentence_stems[1:]))
        body_set.update(found)
        body_pairs.update(pairs)
        scores.append(len(found) + 0.5 * len(pairs))
        coverage.append(len(found) / len(claim_set) if claim_set else 0.0)
        sentence_words.append(tokens)
    about = [i for i, c in enumerate(coverage) if c >= 0.34 and scores[i] >= 2]
    top = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:3]
    top_stems = set().union(*(stems(sentence_words[i]) for i in top))
    refute = sum(1 for i in about for w in sentence_words[i] if w in REFUTE)
    hedge = sum(1 for i in about for w in sentence_words[i] if w in HEDGE)
    claim_words = set(words(claim))
    features = [
        len(body_set) / len(claim_set) if claim_set else 0.0,
        max(coverage, default=0.0),
        len(claim_set & top_stems) / len(claim_set) if claim_set else 0.0,
        len(body_pairs) / len(claim_pairs) if claim_pairs else 0.0,
        len(about) / len(sentences) if sentences else 0.0,
        math.log1p(refute) / 2.0,
        math.log1p(hedge) / 2.0,
        1.0 if claim_words & (REFUTE | HEDGE) else 0.0,
    ]
    return scores, features


def stance_window(
    tokenizer,
    claim: str,
    sentences: Sequence[str],
    sentence_tokens: Sequence[list[int]],
    max_length: int,
    max_claim: int,
) -> tuple[Window, int]:
    """The claim's window (features attached) and how many body sentences it holds.

    Sentences are taken lead first, then by how much of the claim they share (earlier first on ties),
    while they fit; a sentence longer than the room left is skipped, unless nothing else fits (then its
    start is used). They are laid out in article order.
    """
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    claim_ids = tokenizer(claim, add_special_tokens=False)["input_ids"][:max_claim]
    head = [cls_id, *claim_ids, sep_id]
    budget = max_length - len(head) - 1
    scores, features = related_order(claim, sentences)
    order = list(range(min(LEAD_SENTENCES, len(sentences))))
    order += sorted((i for i in range(len(sentences)) if i >= LEAD_SENTENCES and scores[i] > 0),
                    key=lambda i: (-scores[i], i))
    chosen: dict[int, list[int]] = {}
    used = 0
    for index in order:
        tokens = sentence_tokens[index]
        if tokens and used + len(tokens) <= budget:
            chosen[index] = tokens
            used += len(tokens)
    if not chosen and sentence_tokens:  # one huge first sentence: read its start rather than nothing
        first = next((i for i, t in enumerate(sentence_tokens) if t), None)
        if first is not None:
            chosen[first] = sentence_tokens[first][:budget]
    ids, types, owner, sentence_ids = list(head), [0] * len(head), [-1] * len(head), []
    for local, index in enumerate(sorted(chosen)):
        ids.extend(chosen[index])
        types.extend([1] * len(chosen[index]))
        owner.extend([local] * len(chosen[index]))
        sentence_ids.append(index)
    ids.append(sep_id)
    types.append(1 if chosen else 0)
    owner.append(-1)
    relevance = [scores[i] for i in sentence_ids]
    return Window(ids, types, owner, sentence_ids, features=features, relevance=relevance), len(chosen)
