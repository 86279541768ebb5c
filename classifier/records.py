"""Batch records in and out: JSON Lines (optionally gzip), CSV (optionally gzip) and Parquet, streamed.

    for number, record in enumerate(read_records("articles.csv", FieldMap())):  # lazily, one at a time
        article = article_fields(record, FieldMap(), number)  # ArticleFields, or (id, error message)
    write_table(output_records, "results.parquet", "parquet")  # the flat schema, TABLE_COLUMNS

Readers never hold more than one record (JSONL, CSV) or one record batch (Parquet) in memory. A record that
cannot be read (an undecodable JSON line, a line that is not an object, a CSV row with too many fields, a
CSV quote never closed: `classifier/csv_rows.py`) is yielded as an error, never raised, so a batch run reports it and goes on; only a file that cannot be read at
all raises `BatchError`. Record numbers count records, not lines: blank JSONL lines are not records.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import io
import json
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any, BinaryIO

from .csv_rows import csv_rows
from .errors import BatchError
from .inputs import MAX_INPUT_BYTES, ArticleInput

FORMATS = ("jsonl", "jsonl.gz", "csv", "csv.gz", "parquet")
_SUFFIXES = {
    ".jsonl": "jsonl", ".ndjson": "jsonl", ".jsonl.gz": "jsonl.gz", ".ndjson.gz": "jsonl.gz",
    ".csv": "csv", ".csv.gz": "csv.gz", ".parquet": "parquet", ".pq": "parquet",
}
STDIO = "-"  # INPUT '-' is JSON Lines on stdin, OUTPUT '-' is JSON Lines on stdout
PARQUET_READ_ROWS = 1024  # rows per Parquet record batch read: bounded memory, amortised decoding
PARQUET_ROW_GROUP = 10_000  # rows per written Parquet row group
# A JSONL line longer than this is reported as an error record without being held in memory. It follows the
# raw-input limit (--max-input-bytes, 20 MiB by default): twice that, for JSON's escapes ("\"" and \uXXXX),
# and never less than 5 MiB; 0 = no limit. CSV: a record longer than that is an error record
# (classifier/csv_rows.py), read past in bounded pieces.
MIN_LINE_BYTES = 5 * 1024 * 1024
MAX_LINE_BYTES = 2 * MAX_INPUT_BYTES


def line_limit(max_input_bytes: int) -> int:
    """The longest JSONL line (bytes) or CSV record (characters) read for a raw-input limit; 0 = no limit."""
    return max(2 * max_input_bytes, MIN_LINE_BYTES) if max_input_bytes else 0
_SURROGATES = re.compile("[\udc80-\udcff]")  # what surrogateescape makes of undecodable bytes
_ANY_SURROGATE = re.compile("[\ud800-\udfff]")

# The flat schema of CSV and Parquet outputs (documented in `presslens batch --help`).
TABLE_COLUMNS = (
    "id", "error", "topic", "topic_score", "stance", "stance_score", "stance_target",
    "summary", "stances", "warnings", "notes", "model_name", "model_version", "result",
)
_FLOAT_COLUMNS = {"topic_score", "stance_score"}
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def detect_format(path: str) -> str:
    """The format named by a file's extension; `ValueError` with the supported list otherwise."""
    if path == STDIO:
        return "jsonl"
    name = Path(path).name.lower()
    for suffix in sorted(_SUFFIXES, key=len, reverse=True):
        if name.endswith(suffix):
            return _SUFFIXES[suffix]
    raise ValueError(
        f"cannot tell the format of {path!r} from its extension; use one of "
        + ", ".join(sorted(_SUFFIXES))
    )


@dataclasses.dataclass(frozen=True)
class FieldMap:
    """Which input fields (JSON keys or column names) hold each part of an article."""

    text: str = "text"
    title: str = "title"
    id: str = "id"
    targets: str = "targets"


@dataclasses.dataclass(frozen=True)
class RawRecord:
    """One input record as read: its fields, or why it could not be read; `notes` become output warnings."""

    fields: dict[str, Any] | None
    error: str | None = None
    notes: tuple[str, ...] = ()


# ----------------------------------------------------------------------------------------------- reading


def read_records(path: str, fields: FieldMap, *, skip: int = 0,
                 max_input_bytes: int = MAX_INPUT_BYTES) -> Iterator[RawRecord]:
    """Yield the records of `path` (format by extension, '-' = JSONL on stdin) after the first `skip`.

    `max_input_bytes` (0 = none) bounds what is read of one record: see `line_limit`."""
    fmt = detect_format(path)
    read = 0
    limit = line_limit(max_input_bytes)
    try:
        if fmt == "parquet":
            records = _read_parquet(path, fields, skip)
        elif path == STDIO:
            records = _read_jsonl(sys.stdin.buffer, skip, limit)
        elif fmt.startswith("jsonl"):
            records = _with_stream(path, lambda stream: _read_jsonl(stream, skip, limit))
        else:
            records = _with_stream(path, lambda stream: _read_csv(stream, fields, skip, path, limit,
                                                                  max_input_bytes))
        for record in records:
            read += 1
            yield record
    except (OSError, EOFError, zlib.error) as error:  # OSError covers gzip's BadGzipFile too
        if read == 0 or fmt == "parquet":
            raise BatchError(f"cannot read {path}: {error}") from error
        # The file breaks after some records (a truncated download, a cut .gz): the records before the
        # break are kept, the break itself becomes one error record, and the run ends normally.
        yield RawRecord(None, f"{path} cannot be read after the previous record ({type(error).__name__}: "
                              f"{error}); the file is truncated or damaged from here on")


def _with_stream(path: str, read: Any) -> Iterator[RawRecord]:
    with _open_binary(path) as stream:
        yield from read(stream)


def count_records(path: str, *, max_input_bytes: int = MAX_INPUT_BYTES) -> int:
    """How many records `read_records` will yield (for the progress bar's total); reads the file once."""
    fmt = detect_format(path)
    if fmt == "parquet":
        import pyarrow.parquet as pq

        return pq.ParquetFile(path).metadata.num_rows
    limit = line_limit(max_input_bytes)
    with _open_binary(path) as stream:
        if fmt.startswith("jsonl"):
            return sum(1 for line, size in _bounded_lines(stream, limit) if size > len(line) or line.strip())
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
        return max(sum(1 for _, _, row, _ in csv_rows(text, limit) if row != []) - 1, 0)  # minus the header row


def _open_binary(path: str) -> BinaryIO:
    return gzip.open(path, "rb") if path.lower().endswith(".gz") else open(path, "rb")


def _read_jsonl(stream: BinaryIO, skip: int, limit: int = MAX_LINE_BYTES) -> Iterator[RawRecord]:
    number = 0
    for line_number, (line, size) in enumerate(_bounded_lines(stream, limit), start=1):
        if size <= len(line) and not line.strip():
            continue  # a blank line is not a record
        number += 1
        if number <= skip:
            continue  # resuming: counted, not parsed
        if size > len(line):
            yield RawRecord(None, f"line {line_number} is {size / 2**20:,.1f} MiB; a record may be at most "
                                  f"{limit / 2**20:.0f} MiB (twice the raw-input limit, --max-input-bytes; "
                                  "0 = no limit)")
            continue
        yield _parse_json_line(line, line_number)


def _bounded_lines(stream: BinaryIO, limit: int = MAX_LINE_BYTES) -> Iterator[tuple[bytes, int]]:
    """(line, its size in bytes); a line over `limit` (0 = none) comes back empty, read past in chunks, not held."""
    while True:
        line = stream.readline(limit + 1 if limit else -1)
        if not line:
            return
        if not limit or len(line) <= limit or line.endswith(b"\n"):
            yield line, len(line)
            continue
        size = len(line)
        del line
        while True:
            chunk = stream.readline(1 << 20)
            size += len(chunk)
            if not chunk or chunk.endswith(b"\n"):
                break
        yield b"", size


def _parse_json_line(line: bytes, line_number: int) -> RawRecord:
    notes: tuple[str, ...] = ()
    if line_number == 1 and line.startswith(b"\xef\xbb\xbf"):
        line = line[3:]  # a UTF-8 byte-order mark some editors write
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        # One bad byte should not cost the whole article: decode with replacement and say so.
        text = line.decode("utf-8", errors="replace")
        notes = ("input line was not valid UTF-8; undecodable bytes were replaced with U+FFFD",)
    try:
        value = json.loads(text.rstrip("\r\n"))
    except json.JSONDecodeError as error:
        reason = error.msg.removesuffix(" at")  # json's messages for some errors end in "... at"
        return RawRecord(None, f"line {line_number} is not valid JSON ({reason} at column {error.colno})")
    except RecursionError:
        return RawRecord(None, f"line {line_number} is JSON nested too deeply to read")
    except ValueError as error:  # e.g. an integer of more than 4,300 digits
        return RawRecord(None, f"line {line_number} cannot be read as JSON ({error})")
    if not isinstance(value, dict):
        kind = _json_kind(value)
        return RawRecord(None, f"line {line_number} is a JSON {kind}, expected an object like {{\"text\": ...}}")
    return RawRecord(value, notes=notes)


def _read_csv(stream: BinaryIO, fields: FieldMap, skip: int, path: str, limit: int = MAX_LINE_BYTES,
              max_input_bytes: int = MAX_INPUT_BYTES) -> Iterator[RawRecord]:
    # A record over `limit` characters is an error record (classifier/csv_rows.py holds at most that much of
    # it): a 100 MB cell costs a bounded read, not gigabytes.
    # surrogateescape keeps undecodable bytes recoverable per field, so only the records that hold them
    # get a warning (errors="replace" would hide which ones).
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="surrogateescape", newline="")
    rows = csv_rows(text, limit)
    for _, _, header, error in rows:
        if error is not None:
            raise BatchError(f"{path}: cannot read the CSV header: {error}")
        if header:
            break
    else:
        return  # an empty file has no records
    header = [_fix_surrogates(name)[0] for name in header]
    if fields.text not in header:
        raise BatchError(
            f"{path} has no column {fields.text!r} (columns: {', '.join(header)}); "
            "name the text column with --text-field"
        )
    number = 0
    for _, last_line, row, error in rows:
        if row == []:
            continue  # csv yields [] for a blank line; not a record
        number += 1
        if number <= skip:
            continue
        yield RawRecord(None, error) if error is not None else _csv_record(header, row, last_line)


def _csv_record(header: list[str], row: list[str], line_number: int) -> RawRecord:
    if len(row) > len(header):
        return RawRecord(
            None, f"CSV row ending at line {line_number} has {len(row)} fields, the header has {len(header)}"
        )
    values: dict[str, Any] = {}
    replaced = False
    for name, value in zip(header, row):
        values[name], bad = _fix_surrogates(value)
        replaced = replaced or bad
    notes = ("input row was not valid UTF-8; undecodable bytes were replaced with U+FFFD",) if replaced else ()
    return RawRecord(values, notes=notes)


def _fix_surrogates(value: str) -> tuple[str, bool]:
    if not _SURROGATES.search(value):
        return value, False
    return value.encode("utf-8", "surrogateescape").decode("utf-8", "replace"), True


def _read_parquet(path: str, fields: FieldMap, skip: int) -> Iterator[RawRecord]:
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as error:  # pyarrow raises ArrowInvalid & co. for a file that is not Parquet
        raise BatchError(f"cannot read {path} as Parquet: {error}") from error
    names = parquet.schema_arrow.names
    if fields.text not in names:
        raise BatchError(
            f"{path} has no column {fields.text!r} (columns: {', '.join(names)}); "
            "name the text column with --text-field"
        )
    wanted = [name for name in dict.fromkeys(dataclasses.astuple(fields)) if name in names]
    # Skip whole row groups from the footer's row counts, then the rest of the skip inside the first one.
    first, to_skip = 0, skip
    while first < parquet.num_row_groups and to_skip >= parquet.metadata.row_group(first).num_rows:
        to_skip -= parquet.metadata.row_group(first).num_rows
        first += 1
    groups = list(range(first, parquet.num_row_groups))
    if not groups:
        return
    try:
        for batch in parquet.iter_batches(PARQUET_READ_ROWS, row_groups=groups, columns=wanted):
            if to_skip:
                dropped = min(to_skip, batch.num_rows)
                batch, to_skip = batch.slice(dropped), to_skip - dropped
            for row in batch.to_pylist():
                yield RawRecord(row)
    except OSError:
        raise
    except Exception as error:
        raise BatchError(f"cannot read {path} as Parquet: {error}") from error


def _json_kind(value: Any) -> str:
    kinds = {dict: "object", list: "array", str: "string", bytes: "binary string", bool: "boolean", type(None): "null"}
    return kinds.get(type(value), "number")


def _a(kind: str) -> str:
    return ("an " if kind[0] in "aeiou" else "a ") + kind


# --------------------------------------------------------------------------------------- record -> article


def article_fields(record: RawRecord, fields: FieldMap, number: int,
                   limits: Any = None) -> ArticleInput | tuple[str, str]:
    """The article of one record, checked by the one input gate (`classifier.inputs.as_input`), or
    `(id, error message)` when the record cannot be analyzed.

    `number` is the 0-based record number: the id of a record without one (or with a bad one). The only
    batch-specific step is decoding `targets` given as a JSON list inside a CSV cell.
    """
    from .errors import InputError
    from .inputs import CLI_LIMITS, as_input, check_id, scrub

    values = record.fields
    fallback_id = str(number)
    if values is None:
        return fallback_id, record.error or "unreadable record"
    names = {"text": fields.text, "title": fields.title, "id": fields.id, "targets": fields.targets}
    article = {part: values.get(name) for part, name in names.items()}
    notes: list[str] = []
    try:
        record_id = check_id(article["id"], notes, names=names) or fallback_id
    except InputError as error:
        return fallback_id, str(error)
    if article["text"] is None:
        present = scrub(", ".join(sorted(map(str, values)))) or "none"
        return record_id, (f"no {fields.text!r} field (fields: {present}); name the text field with "
                           "--text-field")
    targets = _targets_cell(article["targets"], fields.targets)
    if isinstance(targets, tuple):
        return record_id, targets[0]
    try:
        checked = as_input({**article, "targets": targets, "id": None}, names=names, limits=limits or CLI_LIMITS)
    except InputError as error:
        return record_id, str(error)
    return dataclasses.replace(checked, id=record_id, notes=(*record.notes, *notes, *checked.notes))


def _targets_cell(value: Any, name: str) -> Any:
    """A string holding a JSON list (how CSV carries several claims) -> the list; anything else as it is."""
    if isinstance(value, str) and value.strip().startswith("["):
        try:
            return json.loads(value)
        except (json.JSONDecodeError, RecursionError):
            return (
                f"field {name!r} starts with '[' but is not a JSON list; give a JSON list of strings "
                'like ["claim one", "claim two"] or a single claim',
            )
    return value


# ----------------------------------------------------------------------------------------------- writing


def encode_line(record: dict[str, Any]) -> bytes:
    """One JSONL line. Lone surrogates (from '\\udXXX' escapes in the input) stay valid JSON escapes."""
    return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode(
        "utf-8", "backslashreplace"
    )


def flat_row(record: dict[str, Any]) -> dict[str, Any]:
    """The CSV/Parquet row of one output record (TABLE_COLUMNS); absent parts are None."""
    row: dict[str, Any] = dict.fromkeys(TABLE_COLUMNS)
    row["id"] = record.get("id")
    if "error" in record:
        row["error"] = record["error"]
        return {key: _valid_utf8(value) for key, value in row.items()}
    topic = record.get("topic")
    if topic:
        row["topic"], row["topic_score"] = topic["label"], topic["score"]
    stances = record.get("stances")
    if stances is not None:
        row["stances"] = _json(stances)
        if stances:
            first = stances[0]
            row["stance"], row["stance_score"], row["stance_target"] = first["label"], first["score"], first["target"]
    summary = record.get("summary")
    if summary is not None:
        row["summary"] = summary["text"]
    row["warnings"] = _json(record.get("warnings", []))
    row["notes"] = _json(record.get("notes", []))
    model = record.get("model") or {}
    row["model_name"], row["model_version"] = model.get("name"), model.get("version")
    row["result"] = _json(record)
    return {key: _valid_utf8(value) for key, value in row.items()}


def write_table(records: Iterable[dict[str, Any]], path: str | BinaryIO, fmt: str) -> None:
    """Write output records to `path` (a file name, or a binary stream left open) as `fmt` ('csv', 'csv.gz'
    or 'parquet') in the flat schema, streaming."""
    if fmt == "parquet":
        _write_parquet(records, path)
        return
    if isinstance(path, str):
        with open(path, "wb") as stream:
            write_table(records, stream, fmt)
        return
    compressed = gzip.GzipFile(fileobj=path, mode="wb") if fmt == "csv.gz" else None
    text = io.TextIOWrapper(compressed or path, encoding="utf-8", newline="")
    writer = csv.DictWriter(text, fieldnames=TABLE_COLUMNS)
    writer.writeheader()
    for record in records:
        writer.writerow({key: csv_safe(value) for key, value in flat_row(record).items()})
    text.flush()
    text.detach()  # closing the wrapper would close the caller's stream
    if compressed is not None:
        compressed.close()  # writes the gzip trailer; `path` stays open


def _write_parquet(records: Iterable[dict[str, Any]], path: str | BinaryIO) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema = pa.schema(
        [pa.field(name, pa.float64() if name in _FLOAT_COLUMNS else pa.string()) for name in TABLE_COLUMNS]
    )
    with pq.ParquetWriter(path, schema, compression="zstd") as writer:
        rows: list[dict[str, Any]] = []
        for record in records:
            rows.append(flat_row(record))
            if len(rows) >= PARQUET_ROW_GROUP:
                writer.write_table(pa.Table.from_pylist(rows, schema=schema))
                rows = []
        # Written even when empty so that a run over an empty input still yields a readable file.
        writer.write_table(pa.Table.from_pylist(rows, schema=schema))


def csv_safe(value: Any) -> Any:
    """A CSV cell that a spreadsheet will not run as a formula: text starting with = + - @ (or a tab or
    carriage return, which some spreadsheets skip before looking) gets a leading apostrophe, as OWASP
    recommends. Only CSV output does this; JSON Lines and Parquet keep the text as it is."""
    if isinstance(value, str) and value[:1] in _FORMULA_STARTS:
        return "'" + value
    return value


def _json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False)


def _valid_utf8(value: Any) -> Any:
    if isinstance(value, str):
        return _ANY_SURROGATE.sub("\ufffd", value)  # Arrow and UTF-8 files cannot hold lone surrogates
    return value
