"""The hand-written development stance suite (training/suites/news_stance_dev.jsonl), used to calibrate
decision thresholds, so that the held-out suite (news_stance.jsonl) stays a test.

These checks need nothing but the two files: the schema, the deciding sentences, the minimal-pair groups,
and that no claim, headline or body of the dev suite is also in the held-out suite.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import pytest

from training import stance_suites
from training.stance_suites import DEV_SUITE, LABELS, NEWS_FIELDS, NEWS_SUITE, WHERE
KINDS = {"confirmation", "denial", "self_denial", "debunk", "retraction", "correction", "number_contradiction",
         "test_result", "satire_traced", "report", "unrelated"}


@pytest.fixture(scope="module")
def items() -> list[dict]:
    lines = DEV_SUITE.read_text(encoding="utf-8").splitlines()
    return [json.loads(line) for line in lines if line.strip()]


def test_items_have_exactly_the_fields_and_valid_values(items):
    assert len(items) >= 250
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids)), [i for i, n in Counter(ids).items() if n > 1]
    for item in items:
        assert set(item) == set(NEWS_FIELDS), item["id"]
        assert item["id"].startswith(item["group"] + "-"), item["id"]
        assert item["label"] in LABELS, item["id"]
        assert item["kind"] in KINDS, item["id"]
        assert item["where"] in WHERE, item["id"]
        assert all(isinstance(item[f], str) and item[f].strip() for f in ("claim", "title", "text")), item["id"]
        assert (item["label"] == "unrelated") == (item["kind"] == "unrelated") == (item["where"] == "none"), item["id"]
        if item["kind"] == "report":
            assert item["label"] == "discuss", item["id"]


# Deciding sentences and `where` are checked for both suites in tests/test_stance_suites.py.


def test_bodies_are_news_length(items):
    for item in items:
        sentences = len(stance_suites._SENTENCE_END.findall(item["text"])) + 1
        assert 6 <= sentences <= 12, f"{item['id']}: {sentences} sentences"


def test_groups_are_minimal_pairs_with_varied_labels_and_placement(items):
    groups = defaultdict(list)
    for item in items:
        groups[item["group"]].append(item)
    assert len(groups) >= 55
    for group, members in groups.items():
        assert 3 <= len(members) <= 6, group
        assert len({m["label"] for m in members}) >= 3, group
    labels = Counter(item["label"] for item in items)
    # roughly agree 25 %, disagree 30 %, discuss 25 %, unrelated 20 %
    for label, share in {"agree": 0.25, "disagree": 0.30, "discuss": 0.25, "unrelated": 0.20}.items():
        assert abs(labels[label] / len(items) - share) < 0.06, (label, labels)
    where = Counter(item["where"] for item in items if item["label"] != "unrelated")
    assert min(where["lead"], where["late"]) >= 0.3 * sum(where.values()), where


def test_headlines_do_not_restate_the_claim(items):
    for item in items:
        assert item["title"].strip(". ").lower() != item["claim"].strip(". ").lower(), item["id"]


def test_dev_suite_shares_no_claim_headline_or_body_with_the_held_out_suite(items):
    if not NEWS_SUITE.exists():
        pytest.skip("the held-out suite is not in this checkout")
    held_out = [json.loads(line) for line in NEWS_SUITE.read_text(encoding="utf-8").splitlines() if line.strip()]
    for field in ("claim", "title", "text"):
        shared = {item[field] for item in items} & {item[field] for item in held_out}
        assert not shared, (field, sorted(shared)[:3])
