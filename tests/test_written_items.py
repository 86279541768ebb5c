"""The hand-written stance training items (training/written/, training/written_r4/, training/written_r5/): they load as the stance
stage reads them, every agree / disagree item's deciding passage is found in its body as inference reads
it, and no claim or body is also in either held-out suite (training on a suite item would make it no test)."""

from __future__ import annotations

import re

import pytest

from training.stance_data import WRITTEN_DIR, load_written, written_sentences
from training.stance_suites import DEV_SUITE, NEWS_SUITE, load_news

FOLDERS = [WRITTEN_DIR, WRITTEN_DIR.parent / "written_r4", WRITTEN_DIR.parent / "written_r5"]


def _key(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


@pytest.fixture(scope="module", params=FOLDERS, ids=lambda folder: folder.name)
def items(request) -> list[dict]:
    return load_written(request.param)


def test_the_items_load_with_unique_ids_and_a_label_each(items):
    assert len(items) >= 300
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert {item["label"] for item in items} == {"agree", "disagree", "discuss", "unrelated"}


def test_no_id_is_in_two_folders():
    load_written(",".join(str(folder) for folder in FOLDERS))  # raises on an id two items share


def test_every_agree_or_disagree_item_has_a_deciding_sentence_in_its_body(items):
    undecided = []
    for item in items:
        if item["label"] in ("agree", "disagree"):
            _, verdicts = written_sentences(item)
            if not any(verdict is not None for verdict in verdicts):
                undecided.append(item["id"])
    assert undecided == []


def test_no_claim_or_body_is_also_in_a_held_out_suite(items):
    suite = load_news(NEWS_SUITE) + load_news(DEV_SUITE)
    held_out = {_key(row[field]) for row in suite for field in ("claim", "text")}
    shared = [item["id"] for item in items if _key(item["claim"]) in held_out or _key(item["text"]) in held_out]
    assert shared == []
