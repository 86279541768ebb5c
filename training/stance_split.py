"""An honest stance split: validation stories share no claim and no body with training.

FNC-1's official test set pairs new headlines with new bodies. The shipped fnc1 files are split by body
only, and the same headlines recur on both sides, so a model scored there looks ten points better than it
is on the test (0.877 there, 0.782 on the test for 0.2.0). Here the rows of both files are grouped into
*stories*: a headline and a body belong to one story when the pair is related (agree / disagree /
discuss), and headlines that are near-duplicates (same content words, up to a little rewording) are one
headline. A seeded draw of stories becomes `dev`; training keeps only pairs whose claim and body are both
in training stories; `dev` keeps the related pairs of its stories and, like FNC-1 did, makes its
`unrelated` pairs by pairing its claims with bodies of other dev stories, in the test's proportion.

    from training.stance_split import stance_split
    train_rows, dev_rows = stance_split()     # lists of {"claim", "body", "body_id", "label"}
    python -m training.stance_split           # prints the split's sizes and label counts
"""

from __future__ import annotations

import random
import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from .data import load_task

DEV_STORY_FRACTION = 0.15
TEST_UNRELATED_SHARE = 0.722  # FNC-1 competition test: 18,349 of 25,413 pairs
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "a an and the of to in on for at by with from as is are was were be been it its this that after over "
    "says said say will would could may might has have had not no new up out about into".split()
)


def headline_words(text: str) -> frozenset[str]:
    return frozenset(w for w in _WORD.findall(text.lower()) if w not in _STOP)


class _Groups:
    """Union-find over hashable keys."""

    def __init__(self) -> None:
        self.parent: dict = {}

    def find(self, key):
        self.parent.setdefault(key, key)
        while self.parent[key] != key:
            self.parent[key] = self.parent[self.parent[key]]
            key = self.parent[key]
        return key

    def union(self, a, b) -> None:
        self.parent[self.find(a)] = self.find(b)


def _stories(rows: Sequence[dict], near_duplicate: float) -> tuple[_Groups, dict[str, tuple]]:
    groups = _Groups()
    claim_key = {}
    for row in rows:
        claim_key.setdefault(row["claim"], ("claim", " ".join(sorted(headline_words(row["claim"])))))
    for row in rows:
        groups.find(("body", row["body_id"]))
        groups.find(claim_key[row["claim"]])
        if row["label"] != "unrelated":
            groups.union(claim_key[row["claim"]], ("body", row["body_id"]))
    # Near-duplicate headlines (reworded copies of one claim) must not straddle the split either.
    keys = sorted(set(claim_key.values()))
    words = [frozenset(key[1].split()) for key in keys]
    by_word: dict[str, list[int]] = defaultdict(list)
    for i, ws in enumerate(words):
        for w in ws:
            by_word[w].append(i)
    for i, ws in enumerate(words):
        seen = set()
        for w in ws:
            for j in by_word[w]:
                if j > i and j not in seen:
                    seen.add(j)
                    if ws and len(ws & words[j]) / len(ws | words[j]) >= near_duplicate:
                        groups.union(keys[i], keys[j])
    return groups, claim_key


def stance_split(
    data_dir: str | None = None,
    dev_fraction: float = DEV_STORY_FRACTION,
    seed: int = 0,
    near_duplicate: float = 0.6,
) -> tuple[list[dict], list[dict]]:
    """(train rows, dev rows) from fnc1 train + validation, disjoint in stories (claims and bodies)."""
    rows = [dict(r) for part in ("train", "validation") for r in load_task("stance", part, data_dir)]
    groups, claim_key = _stories(rows, near_duplicate)
    story_of_claim = {claim: groups.find(key) for claim, key in claim_key.items()}
    story_of_body = {row["body_id"]: groups.find(("body", row["body_id"])) for row in rows}
    related_per_story = Counter(story_of_claim[r["claim"]] for r in rows if r["label"] != "unrelated")
    stories = sorted(related_per_story, key=repr)
    random.Random(seed).shuffle(stories)
    goal, dev_stories, taken = dev_fraction * sum(related_per_story.values()), set(), 0
    for story in stories:
        if taken >= goal or len(dev_stories) >= len(stories) - 1:  # training keeps at least one story
            break
        dev_stories.add(story)
        taken += related_per_story[story]

    def side(row) -> str | None:
        claim_dev = story_of_claim[row["claim"]] in dev_stories
        body_dev = story_of_body[row["body_id"]] in dev_stories
        return None if claim_dev != body_dev else ("dev" if claim_dev else "train")

    train = [r for r in rows if side(r) == "train"]
    dev = [r for r in rows if side(r) == "dev" and r["label"] != "unrelated"]
    dev.extend(_unrelated_pairs(dev, story_of_claim, story_of_body, random.Random(seed + 1)))
    random.Random(seed + 2).shuffle(dev)
    return train, dev


def _unrelated_pairs(related: list[dict], story_of_claim, story_of_body, rng: random.Random) -> list[dict]:
    """Claims of dev stories paired with bodies of other dev stories, as FNC-1 built its unrelated pairs."""
    wanted = round(len(related) * TEST_UNRELATED_SHARE / (1 - TEST_UNRELATED_SHARE))
    claims = sorted({r["claim"] for r in related})
    bodies = {r["body_id"]: r["body"] for r in related}
    body_ids = sorted(bodies)
    pairs: set[tuple[str, int]] = set()
    attempts = 0
    while len(pairs) < wanted and attempts < wanted * 50:
        attempts += 1
        claim, body_id = rng.choice(claims), rng.choice(body_ids)
        if story_of_claim[claim] != story_of_body[body_id]:
            pairs.add((claim, body_id))
    return [
        {"claim": c, "body": bodies[b], "body_id": b, "label": "unrelated"} for c, b in sorted(pairs, key=repr)
    ]


def describe(train: list[dict], dev: list[dict]) -> str:
    def counts(rows):
        c = Counter(r["label"] for r in rows)
        return ", ".join(f"{k} {c[k]}" for k in sorted(c))

    shared_claims = {r["claim"] for r in train} & {r["claim"] for r in dev}
    shared_bodies = {r["body_id"] for r in train} & {r["body_id"] for r in dev}
    return (
        f"train {len(train)} pairs ({counts(train)}), {len({r['body_id'] for r in train})} bodies\n"
        f"dev   {len(dev)} pairs ({counts(dev)}), {len({r['body_id'] for r in dev})} bodies, "
        f"{len({r['claim'] for r in dev})} claims\n"
        f"shared claims {len(shared_claims)}, shared bodies {len(shared_bodies)}"
    )


if __name__ == "__main__":
    print(describe(*stance_split()))
