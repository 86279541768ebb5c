"""The labelled articles of `presslens train-topics`: read with `presslens batch`'s readers, checked before
any training, split into training and validation rows.

    scan = scan_labels("labelled.csv", TopicFields(label="section"), multi_label=False)  # ScanResult or TopicDataError
    train_rows, val_rows = stratified_split(scan.labels, share=0.2, seed=0)

The file is read twice, both times streaming (memory stays flat): once here for the labels alone (so that
every problem is reported before the encoder runs), once by `features.py` for the texts.

Labels: single-label, a string (or a number) per record. Multi-label (`multi_label=True`): a JSON list of
strings (JSONL, Parquet, or a CSV cell holding a JSON list such as ["Politics", "Courts"]), or one string
with the labels separated by `separator` ("|" by default: "Politics|Courts").
"""

from __future__ import annotations

import dataclasses
import json
import random
from collections import Counter
from collections.abc import Iterator
from typing import Any

from ..errors import PresslensError
from ..records import FieldMap, RawRecord, read_records

MAX_LABELS = 200  # one linear layer over 384 features; a taxonomy this large wants a hierarchy, not one head
MIN_EXAMPLES_PER_LABEL = 2  # one to fit on, one to validate on
VALIDATION_SHARE = 0.2
DEFAULT_SEPARATOR = "|"
_EXAMPLES = 3  # how many skipped records a message names


class TopicDataError(PresslensError, ValueError):
    """The labelled data cannot train a topic head as given (the message says what to change)."""


@dataclasses.dataclass(frozen=True)
class TopicFields:
    """Which field (JSON key or column) holds each part; `title` None = "title" when records have it."""

    text: str = "text"
    label: str = "label"
    title: str | None = None

    def field_map(self) -> FieldMap:
        return FieldMap(text=self.text, title=self.title or "title")


@dataclasses.dataclass
class ScanResult:
    """What the first pass learned. `labels[n]` is record n's label names, None when it is skipped."""

    labels: list[tuple[str, ...] | None]
    names: list[str]  # sorted: the head's label order (style.md #2)
    counts: dict[str, int]
    skipped: dict[str, int]  # reason -> records
    skipped_examples: list[str]
    fields_seen: list[str]

    @property
    def kept(self) -> int:
        return sum(1 for labels in self.labels if labels is not None)


def scan_labels(path: str, fields: TopicFields, *, multi_label: bool = False,
                separator: str = DEFAULT_SEPARATOR, max_labels: int = MAX_LABELS) -> ScanResult:
    """Read every record's labels and check them all; TopicDataError says what is wrong and how to fix it.

    Records with an empty text, no label or an unreadable line are skipped and counted (not fatal); the
    data as a whole must name its fields right and give at least 2 labels, each with at least 2 examples,
    and at most `max_labels` labels.
    """
    if path == "-":
        raise TopicDataError("train-topics reads its data twice (labels, then texts): give a file, not stdin")
    labels: list[tuple[str, ...] | None] = []
    skipped: Counter[str] = Counter()
    examples: list[str] = []
    seen: dict[str, None] = {}
    title_seen = False

    def skip(number: int, reason: str, detail: str) -> None:
        skipped[reason] += 1
        labels.append(None)
        if len(examples) < _EXAMPLES:
            examples.append(f"record {number}: {detail}")

    for number, record in enumerate(_records(path, fields)):
        if record.fields is None:
            skip(number, "unreadable", record.error or "unreadable record")
            continue
        seen.update(dict.fromkeys(map(str, record.fields)))
        title_seen = title_seen or fields.field_map().title in record.fields
        text = record.fields.get(fields.text)
        if not isinstance(text, str) or not text.strip():
            skip(number, "empty text", f"no text in {fields.text!r}")
            continue
        try:
            names = parse_labels(record.fields.get(fields.label), multi_label, separator)
        except TopicDataError as error:
            raise TopicDataError(f"{path}, record {number}: {error}") from None
        if not names:
            skip(number, "no label", f"no label in {fields.label!r}")
            continue
        labels.append(names)
    _check_fields(path, fields, list(seen), title_seen, labels)
    counts = Counter(name for names in labels if names for name in names)
    _check_counts(path, counts, max_labels)
    return ScanResult(labels=labels, names=sorted(counts), counts=dict(sorted(counts.items())),
                      skipped=dict(skipped), skipped_examples=examples, fields_seen=list(seen))


def parse_labels(value: Any, multi_label: bool, separator: str) -> tuple[str, ...]:
    """One record's label names (stripped, no duplicates, in the order given); () for no label."""
    if value is None:
        return ()
    if isinstance(value, str) and value.strip().startswith("[") and multi_label:
        try:
            value = json.loads(value)  # a CSV cell holding a JSON list
        except json.JSONDecodeError:
            raise TopicDataError(f"the label {value[:60]!r} starts with '[' but is not a JSON list of strings") from None
    if isinstance(value, (list, tuple)):
        if not all(isinstance(item, (str, int)) and not isinstance(item, bool) for item in value):
            raise TopicDataError(f"labels must be strings, got {value!r:.80}")
        names = [str(item).strip() for item in value]
    elif isinstance(value, bool) or not isinstance(value, (str, int, float)):
        raise TopicDataError(f"a label must be a string, got {type(value).__name__}")
    else:
        text = str(value).strip() if not isinstance(value, float) or not value.is_integer() else str(int(value))
        names = [part.strip() for part in text.split(separator)] if multi_label else [text]
    names = list(dict.fromkeys(name for name in names if name))
    if len(names) > 1 and not multi_label:
        raise TopicDataError(f"{len(names)} labels ({', '.join(names)}); one label per article, or pass "
                             "--multi-label (multi_label=True) for several")
    return tuple(names)


def stratified_split(labels: list[tuple[str, ...] | None], share: float = VALIDATION_SHARE,
                     seed: int = 0) -> tuple[list[int], list[int]]:
    """(training record numbers, validation record numbers): `share` of each label's records (rounded,
    at least 1, and always leaving at least 1 for training) go to validation. A multi-label record counts
    for its rarest label (a simple stand-in for iterative stratification)."""
    counts = Counter(name for names in labels if names for name in names)
    groups: dict[str, list[int]] = {}
    for number, names in enumerate(labels):
        if names:
            key = min(names, key=lambda name: (counts[name], name))
            groups.setdefault(key, []).append(number)
    rng = random.Random(seed)
    train, validation = [], []
    for key in sorted(groups):
        members = groups[key]
        rng.shuffle(members)
        n_val = min(max(1, round(share * len(members))), len(members) - 1) if len(members) > 1 else 0
        validation += members[:n_val]
        train += members[n_val:]
    return sorted(train), sorted(validation)


def _records(path: str, fields: TopicFields) -> Iterator[RawRecord]:
    yield from read_records(path, fields.field_map())


def _check_fields(path: str, fields: TopicFields, seen: list[str], title_seen: bool,
                  labels: list[tuple[str, ...] | None]) -> None:
    available = ", ".join(seen) or "none"
    if not seen:
        raise TopicDataError(f"{path} has no readable records")
    for option, name in (("--text-field", fields.text), ("--label-field", fields.label)):
        if name not in seen:
            raise TopicDataError(f"{path} has no field {name!r} (fields: {available}); name it with {option}")
    if fields.title is not None and not title_seen:
        raise TopicDataError(f"{path} has no field {fields.title!r} (fields: {available}); "
                             "name the headline with --title-field, or leave the option out")
    if not any(labels):
        raise TopicDataError(f"{path}: no record has both a text and a label")


def _check_counts(path: str, counts: Counter[str], max_labels: int) -> None:
    if len(counts) < 2:
        found = f"only {next(iter(counts))!r}" if counts else "none"
        raise TopicDataError(f"{path}: a topic head needs at least 2 labels; found {found}")
    if len(counts) > max_labels:
        raise TopicDataError(f"{path}: {len(counts)} labels; train-topics fits at most {max_labels} (group "
                             "rare labels, or train one model per branch of the taxonomy)")
    rare = sorted((name for name, n in counts.items() if n < MIN_EXAMPLES_PER_LABEL), key=str.lower)
    if rare:
        shown = ", ".join(f"{name!r} ({counts[name]})" for name in rare[:10]) + (" ..." if len(rare) > 10 else "")
        raise TopicDataError(f"{path}: every label needs at least {MIN_EXAMPLES_PER_LABEL} examples (one to fit, "
                             f"one to validate); too few: {shown}. Add examples or drop those labels")
