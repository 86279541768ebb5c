"""Record readers and writers (classifier/records.py) on real small files: no model needed."""

from __future__ import annotations

import csv
import gzip
import json
import re

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifier.errors import BatchError
from classifier.records import (
    TABLE_COLUMNS, FieldMap, RawRecord, article_fields, count_records, detect_format,
    encode_line, flat_row, read_records, write_table,
)

FIELDS = FieldMap()


@pytest.mark.parametrize(
    ("name", "fmt"),
    [("a.jsonl", "jsonl"), ("a.NDJSON", "jsonl"), ("dir.x/a.jsonl.gz", "jsonl.gz"), ("a.csv", "csv"),
     ("a.csv.gz", "csv.gz"), ("a.parquet", "parquet"), ("-", "jsonl")],
)
def test_detect_format(name, fmt):
    assert detect_format(name) == fmt


@pytest.mark.parametrize("name", ["a.json", "a.txt", "a.gz", "jsonl"])
def test_detect_format_rejects_unknown_extensions_listing_the_known_ones(name):
    with pytest.raises(ValueError, match=r"\.jsonl.*\.parquet|\.csv"):
        detect_format(name)


# ------------------------------------------------------------------------------------------------ JSONL


def write_bytes(path, data: bytes, gz: bool = False):
    if gz:
        with gzip.open(path, "wb") as stream:
            stream.write(data)
    else:
        path.write_bytes(data)
    return str(path)


JSONL = (
    b'\xef\xbb\xbf{"id": "a", "text": "First."}\n'
    b"\n"
    b'{"text": "no id"}\n'
    b'{"broken": \n'
    b"[1, 2]\n"
    b"   \n"
    b'{"id": 7, "text": "caf\xe9 bytes"}\n'
    b'"just a string"\n'
    b'{"text": "last, no newline"}'
)


@pytest.mark.parametrize("gz", [False, True])
def test_jsonl_records_blank_lines_skipped_bad_lines_reported(tmp_path, gz):
    path = write_bytes(tmp_path / ("in.jsonl.gz" if gz else "in.jsonl"), JSONL, gz)
    records = list(read_records(path, FIELDS))
    assert len(records) == 7 == count_records(path)
    assert records[0].fields == {"id": "a", "text": "First."}  # byte-order mark dropped
    assert records[1].fields == {"text": "no id"}
    assert records[2].fields is None and "line 4 is not valid JSON" in records[2].error
    assert records[3].fields is None and "line 5 is a JSON array" in records[3].error
    assert records[4].fields == {"id": 7, "text": "caf\ufffd bytes"}
    assert "not valid UTF-8" in records[4].notes[0]
    assert "JSON string" in records[5].error
    assert records[6].fields == {"text": "last, no newline"}


def test_jsonl_skip_counts_records_not_lines(tmp_path):
    path = write_bytes(tmp_path / "in.jsonl", JSONL)
    everything = list(read_records(path, FIELDS))
    for skip in range(len(everything) + 2):
        assert list(read_records(path, FIELDS, skip=skip)) == everything[skip:]


def test_unreadable_gzip_is_fatal(tmp_path):
    path = tmp_path / "in.jsonl.gz"
    path.write_bytes(b"this is not gzip at all\n")
    with pytest.raises(BatchError, match="cannot read"):
        list(read_records(str(path), FIELDS))


# -------------------------------------------------------------------------------------------------- CSV


def test_csv_records_quotes_newlines_bad_rows_and_bytes(tmp_path):
    data = (
        b'id,title,text,targets\r\n'
        b'1,Head,"Body with, comma\nand a newline.",\r\n'
        b'2,,plain,"[""claim one"", ""claim two""]"\r\n'
        b'\r\n'
        b'3,T,too,many,fields\r\n'
        b'4,T,caf\xe9\r\n'
        b'5,T\r\n'
    )
    path = write_bytes(tmp_path / "in.csv", data)
    records = list(read_records(path, FIELDS))
    assert len(records) == 5 == count_records(path)
    assert records[0].fields == {"id": "1", "title": "Head", "text": "Body with, comma\nand a newline.", "targets": ""}
    assert records[1].fields["targets"] == '["claim one", "claim two"]'
    assert records[2].fields is None and "5 fields, the header has 4" in records[2].error
    assert records[3].fields["text"] == "caf\ufffd" and records[3].notes
    assert records[4].fields == {"id": "5", "title": "T"}  # a short row: missing fields are absent
    assert [r.fields for r in read_records(path, FIELDS, skip=3)] == [records[3].fields, records[4].fields]


def test_csv_without_the_text_column_is_fatal_and_names_the_option(tmp_path):
    path = write_bytes(tmp_path / "in.csv.gz", b"id,body\n1,hello\n", gz=True)
    with pytest.raises(BatchError, match="--text-field"):
        list(read_records(path, FIELDS))
    assert [r.fields for r in read_records(path, FieldMap(text="body"))] == [{"id": "1", "body": "hello"}]


def test_csv_empty_file_has_no_records(tmp_path):
    path = write_bytes(tmp_path / "in.csv", b"")
    assert list(read_records(path, FIELDS)) == []


# A quote never closed (issue 21, item 3). Before: the rows after it vanished into one field, without a word.
def _rows(first: int, last: int) -> bytes:
    return b"".join(b"%d,Head %d,Body of row %d.\r\n" % (i, i, i) for i in range(first, last + 1))


def test_csv_quote_never_closed_is_a_bad_record_and_the_rows_after_it_are_read(tmp_path):
    data = b"id,title,text\r\n" + _rows(1, 1) + b'2,Head,"He said, and never stopped\r\n' + _rows(3, 102)
    path = write_bytes(tmp_path / "in.csv", data)
    records = list(read_records(path, FIELDS))
    assert len(records) == 102 == count_records(path)  # before: 2 records
    assert records[0].fields["id"] == "1"
    assert records[1].fields is None
    assert records[1].error == ("the CSV record starting at line 3 has a quote that is never closed (it ran to the end "
                                "of the file); it was skipped; reading went on at line 4")
    assert [r.fields["id"] for r in records[2:]] == [str(i) for i in range(3, 103)]
    assert [r.fields["id"] for r in read_records(path, FIELDS, skip=50)] == [str(i) for i in range(51, 103)]


def test_csv_quote_never_closed_in_the_last_line(tmp_path):
    path = write_bytes(tmp_path / "in.csv", b"id,text\n1,fine\n2,\"open")
    records = list(read_records(path, FIELDS))
    assert records[0].fields == {"id": "1", "text": "fine"}
    assert records[1].error == ("the CSV record starting at line 3 has a quote that is never closed (it ran to the end "
                                "of the file); it was skipped")


def test_csv_field_running_past_many_line_ends_is_a_bad_record(tmp_path):
    from classifier.csv_rows import MAX_LINE_ENDS

    rows = MAX_LINE_ENDS + 2_000
    good = b'7,"a field\nwith\n\nline ends",x\n'  # a few line ends inside quotes are fine
    path = write_bytes(tmp_path / "in.csv", b"id,text,title\n" + good + b'8,"open,x\n'
                       + b"".join(b"%d,row %d,x\n" % (i, i) for i in range(rows)))
    records = list(read_records(path, FIELDS))
    assert len(records) == rows + 2 == count_records(path)
    assert records[0].fields["text"] == "a field\nwith\n\nline ends"
    assert records[1].error == (f"the CSV record starting at line 6 runs past {MAX_LINE_ENDS:,} line ends (a quote "
                                "never closed?); it was skipped; reading went on at line 7")
    assert [r.fields["id"] for r in records[2:]] == [str(i) for i in range(rows)]


def test_csv_record_longer_than_the_limit_is_a_bad_record_and_not_held(tmp_path):
    MAX_CHARS = 5 * 1024 * 1024  # records.line_limit of a raw-input limit up to 2.5 MiB
    huge = b"x" * (MAX_CHARS + 10)
    path = write_bytes(tmp_path / "in.csv", b'id,text\n1,"' + huge + b'"\n2,after\n3,"' + huge[:1000] + b'\n'
                       + huge + b'"\n4,last\n')
    records = list(read_records(path, FIELDS, max_input_bytes=1_000_000))
    assert [r.fields and r.fields["id"] for r in records] == [None, "2", None, "4"]
    assert count_records(path, max_input_bytes=1_000_000) == 4
    assert records[0].error == (f"the CSV record starting at line 2 is longer than {MAX_CHARS:,} characters (a quote "
                                "never closed, or a field over the raw-input limit: twice --max-input-bytes; 0 = no "
                                "limit); it was skipped; reading went on at line 3")
    assert records[2].error.startswith("the CSV record starting at line 4 is longer than")


# ---------------------------------------------------------------------------------------------- Parquet


def write_parquet(path, rows, row_group_size):
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=row_group_size)
    return str(path)


def test_parquet_reads_only_the_needed_columns_and_skips_by_row_group(tmp_path):
    rows = [
        {"id": i, "text": f"text {i}", "extra": "x" * 10, "targets": ["a", "b"] if i % 2 else None}
        for i in range(25)
    ]
    path = write_parquet(tmp_path / "in.parquet", rows, row_group_size=7)
    records = list(read_records(path, FIELDS))
    assert [r.fields for r in records] == [
        {"id": i, "text": f"text {i}", "targets": ["a", "b"] if i % 2 else None} for i in range(25)
    ]
    assert count_records(path) == 25
    for skip in (0, 1, 6, 7, 8, 14, 24, 25, 30):
        assert list(read_records(path, FIELDS, skip=skip)) == records[skip:]


def test_parquet_errors(tmp_path):
    missing = write_parquet(tmp_path / "m.parquet", [{"body": "x"}], row_group_size=10)
    with pytest.raises(BatchError, match="no column 'text'"):
        list(read_records(missing, FIELDS))
    junk = tmp_path / "junk.parquet"
    junk.write_bytes(b"not parquet")
    with pytest.raises(BatchError, match="Parquet"):
        list(read_records(str(junk), FIELDS))


# ------------------------------------------------------------------------------------- record -> article


def fields_of(values: dict, number: int = 5):
    return article_fields(RawRecord(values), FIELDS, number)


def test_article_fields_accepts_what_users_write():
    from classifier.inputs import ArticleInput

    assert fields_of({"text": "Body.", "title": " Head ", "id": 12, "targets": "Claim"}) == ArticleInput(
        "Body.", "Head", ("Claim",), "12"
    )
    assert fields_of({"text": "Body."}) == ArticleInput("Body.", None, (), "5")  # id = record number
    assert fields_of({"text": "Body.", "id": "", "title": "", "targets": []}).id == "5"
    assert fields_of({"text": "B", "targets": ["x", " y "]}).targets == ("x", "y")
    assert fields_of({"text": "B", "targets": '["x", "y"]'}).targets == ("x", "y")  # CSV: a JSON list
    assert fields_of({"text": b"bytes body"}).text == b"bytes body"  # Parquet binary: decoded by the cleaner


def test_article_fields_blank_claims_are_dropped_with_a_note_as_everywhere():
    article = fields_of({"text": "B", "targets": ["ok", " "]})
    assert article.targets == ("ok",) and article.notes == ("'targets'[1] is blank; that claim was ignored",)


def test_article_fields_replace_lone_surrogates_with_a_note():
    article = fields_of({"text": "Body \ud800 text.", "title": "T\udc00", "id": "x\ud800",
                         "targets": ["c\udfff"]})
    assert article.text == "Body \ufffd text." and article.title == "T\ufffd" and article.id == "x\ufffd"
    assert article.targets == ("c\ufffd",)
    assert len(article.notes) == 4 and all("invalid Unicode" in note for note in article.notes)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({}, "no 'text' field"),
        ({"text": None, "title": "t"}, "no 'text' field"),
        ({"text": ""}, "'text' is empty"),
        ({"text": "  \n "}, "'text' is empty"),
        ({"text": 42}, "'text' must be a string, got a number"),
        ({"text": ["a"]}, "got an array"),
        ({"text": True}, "got a boolean"),
        ({"text": "B", "title": 3}, "'title' must be a string, got a number"),
        ({"text": "B", "targets": 3}, "'targets' must be a string or a list of strings, got a number"),
        ({"text": "B", "targets": ["ok", 3]}, r"'targets'\[1\]: every target \(claim\) must be a string"),
        ({"text": "B", "targets": "[not json"}, "not a JSON list"),
    ],
)
def test_article_fields_reports_bad_records(values, message):
    result = fields_of({"id": "r1", **values})
    assert isinstance(result, tuple)
    record_id, error = result
    assert record_id == "r1"
    assert re.search(message, error), error


def test_article_fields_bad_id_and_unreadable_record_use_the_record_number():
    assert fields_of({"id": {"x": 1}, "text": "B"}, number=3) == (
        "3", "'id' must be a string or an integer, got an object"
    )
    assert article_fields(RawRecord(None, "line 4 is not valid JSON"), FIELDS, 9) == ("9", "line 4 is not valid JSON")


# -------------------------------------------------------------------------------------------------- writing


RESULT = {
    "id": "a1",
    "topic": {"label": "World", "score": 0.9, "scores": {"World": 0.9, "Sports": 0.1}},
    "stances": [{"target": "Claim", "label": "agree", "score": 0.7, "scores": {"agree": 0.7, "disagree": 0.3},
                 "evidence": [{"index": 0, "text": "S0"}]}],
    "summary": {"text": "S0 S1", "sentences": [{"index": 0, "text": "S0", "score": 0.8}]},
    "warnings": ["removed 1 boilerplate line"],
    "notes": ["stance toward \"Claim\" read 1 of 2 sentences"],
    "model": {"name": "m", "version": "1"},
}
ERROR = {"id": "a2", "error": "field 'text' is empty"}


def test_flat_row_schema():
    row = flat_row(RESULT)
    assert tuple(row) == TABLE_COLUMNS
    assert row["topic"] == "World" and row["topic_score"] == 0.9
    assert (row["stance"], row["stance_score"], row["stance_target"]) == ("agree", 0.7, "Claim")
    assert row["summary"] == "S0 S1" and row["error"] is None
    assert json.loads(row["result"]) == RESULT and json.loads(row["stances"]) == RESULT["stances"]
    assert json.loads(row["warnings"]) == RESULT["warnings"] and json.loads(row["notes"]) == RESULT["notes"]
    error_row = flat_row(ERROR)
    assert error_row["id"] == "a2" and error_row["error"] == ERROR["error"] and error_row["result"] is None
    no_tasks = flat_row({"id": "x", "warnings": [], "model": {"name": "m", "version": "1"}})
    assert no_tasks["topic"] is None and no_tasks["stances"] is None and no_tasks["summary"] is None


@pytest.mark.parametrize("fmt", ["csv", "csv.gz", "parquet"])
def test_write_table_round_trip(tmp_path, fmt):
    path = tmp_path / f"out.{fmt}"
    write_table(iter([RESULT, ERROR]), str(path), fmt)
    if fmt == "parquet":
        rows = pq.read_table(path).to_pylist()
        assert pq.read_schema(path).field("topic_score").type == pa.float64()
    else:
        opener = gzip.open if fmt.endswith(".gz") else open
        with opener(path, "rt", encoding="utf-8", newline="") as stream:
            rows = list(csv.DictReader(stream))
    assert [row["id"] for row in rows] == ["a1", "a2"]
    assert json.loads(rows[0]["result"]) == RESULT
    assert rows[1]["error"] == ERROR["error"]


def test_write_parquet_of_nothing_is_a_readable_empty_file(tmp_path):
    path = tmp_path / "empty.parquet"
    write_table(iter([]), str(path), "parquet")
    assert pq.read_table(path).num_rows == 0


def test_encode_line_keeps_lone_surrogates_as_valid_json():
    line = encode_line({"id": "x", "text": "a\udc80b \u00e9"})
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    line.decode("utf-8")  # valid UTF-8
    assert json.loads(line) == {"id": "x", "text": "a\udc80b \u00e9"}
    assert flat_row({"id": "x\udc80", "error": "e"})["id"] == "x\ufffd"
