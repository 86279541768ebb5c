"""Size limits that keep memory bounded: a huge article is refused at the input gate, a huge JSONL line is
reported without being held in memory, and a batch run goes on past both."""

from __future__ import annotations

import json

import pytest

from classifier import InputError
from classifier.batch import BatchSettings, plan_run, run_batch
from classifier.inputs import MAX_TEXT_CHARS, as_input
from classifier.records import MAX_LINE_BYTES, FieldMap, count_records, read_records


def test_text_limit_at_the_gate():
    assert as_input({"text": "x" * MAX_TEXT_CHARS}).text  # the limit itself is fine
    with pytest.raises(InputError, match=r"200,001 characters long; the limit is 200,000 per article"):
        as_input({"text": "x" * (MAX_TEXT_CHARS + 1)})
    with pytest.raises(InputError, match="the limit is 200,000"):
        as_input(b"y" * (MAX_TEXT_CHARS + 1))


def test_huge_jsonl_line_is_an_error_record_and_reading_goes_on(tmp_path):
    path = tmp_path / "in.jsonl"
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "a", "text": "First."}) + "\n")
        stream.write(json.dumps({"id": "huge", "text": "word " * (MAX_LINE_BYTES // 4)}) + "\n")
        stream.write("\n")
        stream.write(json.dumps({"id": "b", "text": "Last."}))  # no final newline
    records = list(read_records(str(path), FieldMap()))
    assert [r.fields["id"] if r.fields else None for r in records] == ["a", None, "b"]
    assert "line 2 is 6.3 MiB; a record may be at most 5 MiB" in records[1].error
    assert count_records(str(path)) == 3
    assert [r.fields["id"] for r in read_records(str(path), FieldMap(), skip=2)] == ["b"]


def test_batch_reports_huge_records_and_analyzes_the_rest(tmp_path, tiny_analyzer):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": "ok1", "text": "Rates rise. The bank raised rates."},
            {"id": "long", "text": "Long sentence here. " * 12_000},  # 240,000 characters: over the text limit
            {"id": "huge", "text": "x" * (MAX_LINE_BYTES + 10)},  # over the line limit
            {"id": "ok2", "text": "Markets fell. Investors sold shares."}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    settings = BatchSettings(input=str(source), output=str(target), batch_size=4)
    report = run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    outputs = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert (report.ok, report.errors) == (2, 2)
    assert [o["id"] for o in outputs] == ["ok1", "long", "2", "ok2"]
    assert "the limit is 200,000" in outputs[1]["error"]
    assert "a record may be at most 5 MiB" in outputs[2]["error"]
    assert "topic" in outputs[0] and "topic" in outputs[3]
