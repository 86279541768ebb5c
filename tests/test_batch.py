"""`presslens batch` end to end on real small files with the tiny random checkpoint.

Each format in and out, bad records mixed in, order and ids, counts, the checks before a run, and the
resume guarantee: in-process interruptions at chosen points, then real SIGKILLs of a `python -m
classifier.cli batch` subprocess at random points followed by `--resume`.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from classifier import batch as batch_module
from classifier.batch import BatchSettings, partial_files, plan_run, run_batch
from classifier.errors import BatchError
from classifier.records import TABLE_COLUMNS, detect_format

REPO = Path(__file__).resolve().parents[1]
CONTRACT_KEYS = {"id", "topic", "stances", "summary", "warnings", "notes", "model"}
SENTENCES = [
    "The central bank raised interest rates by a quarter point on Tuesday.",
    "Officials said inflation had stayed above the target for a year.",
    "Shares in Tokyo fell 2.5% after the announcement, traders said.",
    "The opposition called the decision \u201ca mistake\u201d and asked for a vote.",
    "Analysts at Barclays expect another rise in March.",
    "The home team won 3-1 in front of 40,000 fans.",
    "Dr. Smith, who led the study, said the results were preliminary.",
    "Heavy rain closed several roads near the capital on Monday night.",
]


def body(i: int) -> str:
    return " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(2 + i % 4))


# ----------------------------------------------------------------------------------------------- fixtures
# Each builder writes a file and returns the expected outcome per record: (id, is_error, stance count).


def jsonl_fixture(path: Path, n: int = 36) -> list[tuple[str, bool, int | None]]:
    lines, expected = [], []
    for i in range(n):
        record = {"id": f"r{i}", "title": f"Markets move after decision {i}", "text": body(i)}
        outcome = (f"r{i}", False, 1)
        kind = i % 12
        if kind == 2:
            record["text"] = ""
            outcome = (f"r{i}", True, None)
        elif kind == 4:
            record["text"] = 12345
            outcome = (f"r{i}", True, None)
        elif kind == 5:
            record["targets"] = ["Rates went up", "Shares rose"]
            outcome = (f"r{i}", False, 2)
        elif kind == 6:
            record["targets"] = "The bank cut rates"
        elif kind == 7:
            del record["id"]
            outcome = (str(len(expected)), False, 1)
        elif kind == 8:
            record["targets"] = 7
            outcome = (f"r{i}", True, None)
        line = json.dumps(record)
        if kind == 9:
            line = '{"id": "broken", "text": "cut off'
            outcome = (str(len(expected)), True, None)
        elif kind == 10:
            line = '["not", "an", "object"]'
            outcome = (str(len(expected)), True, None)
        lines.append(line)
        if kind == 11:
            lines.append("")  # a blank line is not a record
        expected.append(outcome)
    data = ("\n".join(lines) + "\n").encode()
    if path.name.endswith(".gz"):
        with gzip.open(path, "wb") as stream:
            stream.write(data)
    else:
        path.write_bytes(data)
    return expected


def csv_fixture(path: Path, n: int = 30) -> list[tuple[str, bool, int | None]]:
    expected = []
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "title", "text", "targets"])
        for i in range(n):
            row, outcome = [f"c{i}", f"Headline {i}", body(i), ""], (f"c{i}", False, 1)
            kind = i % 10
            if kind == 1:
                row[2] = ""
                outcome = (f"c{i}", True, None)
            elif kind == 3:
                row[3] = json.dumps(["Rates went up", "Fans cheered"])
                outcome = (f"c{i}", False, 2)
            elif kind == 4:
                row[3] = "A single claim"
            elif kind == 5:
                row[3] = "[oops"
                outcome = (f"c{i}", True, None)
            elif kind == 6:
                row[0] = ""
                outcome = (str(i), False, 1)
            elif kind == 8:
                row.append("one field too many")
                outcome = (str(i), True, None)
            elif kind == 9:
                row[2] = body(i).replace(". ", ".\n\n")  # quoted newlines inside the field
            writer.writerow(row)
            expected.append(outcome)
    return expected


def parquet_fixture(path: Path, n: int = 30) -> list[tuple[str, bool, int | None]]:
    rows, expected = [], []
    for i in range(n):
        row = {"id": i, "title": f"Headline {i}", "text": body(i), "targets": None}
        outcome = (str(i), False, 1)
        if i % 7 == 1:
            row["text"] = None
            outcome = (str(i), True, None)
        elif i % 7 == 2:
            row["targets"] = ["Rates went up", "Fans cheered", "It rained"]
            outcome = (str(i), False, 3)
        elif i % 7 == 3:
            row["text"] = "   "
            outcome = (str(i), True, None)
        rows.append(row)
        expected.append(outcome)
    pq.write_table(pa.Table.from_pylist(rows), path, row_group_size=8)
    return expected


FIXTURES = {"jsonl": jsonl_fixture, "jsonl.gz": jsonl_fixture, "csv": csv_fixture, "parquet": parquet_fixture}


def read_output(path: Path) -> list[dict]:
    """Output records as contract dicts, whatever the format (tabular rows through their `result`)."""
    fmt = detect_format(str(path))
    if fmt.startswith("jsonl"):
        opener = gzip.open if fmt.endswith(".gz") else open
        with opener(path, "rb") as stream:
            data = stream.read()
        assert data == b"" or data.endswith(b"\n"), "the last line is cut"
        return [json.loads(line) for line in data.splitlines()]
    if fmt == "parquet":
        rows = pq.read_table(path).to_pylist()
    else:
        with open(path, newline="", encoding="utf-8") as stream:
            rows = list(csv.DictReader(stream))
    assert all(tuple(row) == TABLE_COLUMNS for row in rows)
    return [{"id": row["id"], "error": row["error"]} if row["error"] else json.loads(row["result"]) for row in rows]


def check_output(records: list[dict], expected: list[tuple[str, bool, int | None]], tasks=("topic", "stance", "summary")):
    assert [record["id"] for record in records] == [record_id for record_id, _, _ in expected]
    for record, (record_id, is_error, stances) in zip(records, expected):
        if is_error:
            assert set(record) == {"id", "error"} and record["error"], record
            continue
        assert "error" not in record, record
        keys = {"topic": "topic", "stance": "stances", "summary": "summary"}
        assert set(record) == {"id", "warnings", "notes", "model", *(keys[task] for task in tasks)}
        if "stance" in tasks:
            assert len(record["stances"]) == stances
        if "topic" in tasks:
            assert record["topic"]["label"] in record["topic"]["scores"]


def run(tmp_path: Path, analyzer, source: str, target: str, **options):
    settings = BatchSettings(input=str(tmp_path / source), output=str(tmp_path / target), batch_size=4, **options)
    return run_batch(plan_run(settings, resume=False, overwrite=False), analyzer)


# ----------------------------------------------------------------------------------------- formats, order


@pytest.mark.parametrize("out_fmt", ["jsonl", "jsonl.gz", "csv", "parquet"])
def test_jsonl_in_every_format_out(tmp_path, tiny_analyzer, out_fmt):
    expected = jsonl_fixture(tmp_path / "in.jsonl")
    report = run(tmp_path, tiny_analyzer, "in.jsonl", f"out.{out_fmt}")
    check_output(read_output(tmp_path / f"out.{out_fmt}"), expected)
    assert (report.ok, report.errors, report.skipped) == (
        sum(not e for _, e, _ in expected), sum(e for _, e, _ in expected), 0
    )
    assert not any(path.exists() for path in partial_files(str(tmp_path / f"out.{out_fmt}")))


@pytest.mark.parametrize("in_fmt", ["jsonl.gz", "csv", "parquet"])
def test_every_format_in(tmp_path, tiny_analyzer, in_fmt):
    expected = FIXTURES[in_fmt](tmp_path / f"in.{in_fmt}")
    report = run(tmp_path, tiny_analyzer, f"in.{in_fmt}", "out.jsonl")
    check_output(read_output(tmp_path / "out.jsonl"), expected)
    assert report.total == len(expected) and report.errors == sum(e for _, e, _ in expected)


def test_error_messages_say_what_is_wrong(tmp_path, tiny_analyzer):
    jsonl_fixture(tmp_path / "in.jsonl", n=12)
    run(tmp_path, tiny_analyzer, "in.jsonl", "out.jsonl")
    errors = [record["error"] for record in read_output(tmp_path / "out.jsonl") if "error" in record]
    assert errors == [
        "'text' is empty: give the article's text (plain text or HTML)",
        "'text' must be a string, got a number",
        "'targets' must be a string or a list of strings, got a number",
        "line 10 is not valid JSON (Unterminated string starting at column 26)",
        'line 11 is a JSON array, expected an object like {"text": ...}',
    ]


def test_tasks_and_fields_options(tmp_path, tiny_analyzer):
    (tmp_path / "in.jsonl").write_text(
        "".join(json.dumps({"key": f"k{i}", "body": body(i), "head": "A headline"}) + "\n" for i in range(5))
    )
    from classifier.records import FieldMap

    run(tmp_path, tiny_analyzer, "in.jsonl", "out.csv", tasks=("topic",),
        fields=FieldMap(text="body", title="head", id="key"))
    with open(tmp_path / "out.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["id"] for row in rows] == [f"k{i}" for i in range(5)]
    assert all(row["topic"] and not row["stance"] and not row["summary"] and not row["stances"] for row in rows)
    assert all(set(json.loads(row["result"])) == {"id", "topic", "warnings", "notes", "model"} for row in rows)


def test_stdout_output_streams_jsonl(tmp_path, tiny_analyzer, capfdbinary):
    expected = jsonl_fixture(tmp_path / "in.jsonl", n=10)
    settings = BatchSettings(input=str(tmp_path / "in.jsonl"), output="-", batch_size=4)
    run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    lines = capfdbinary.readouterr().out.splitlines()
    check_output([json.loads(line) for line in lines], expected)


# ------------------------------------------------------------------------------------ checks before a run


def settings_for(tmp_path: Path, **options) -> BatchSettings:
    return BatchSettings(input=str(tmp_path / "in.jsonl"), output=str(tmp_path / "out.csv"), batch_size=4, **options)


def test_existing_output_or_interrupted_run_needs_resume_or_overwrite(tmp_path, tiny_analyzer):
    jsonl_fixture(tmp_path / "in.jsonl", n=6)
    settings = settings_for(tmp_path)
    run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    with pytest.raises(BatchError, match="already exists; pass --resume.*--overwrite.*or delete it"):
        plan_run(settings, resume=False, overwrite=False)
    assert plan_run(settings, resume=True, overwrite=False).already_complete  # nothing to resume: fine
    Path(settings.output + ".partial.jsonl").write_text("")
    (tmp_path / "out.csv").unlink()
    with pytest.raises(BatchError, match="interrupted run .* pass --resume"):
        plan_run(settings, resume=False, overwrite=False)
    plan = plan_run(settings, resume=False, overwrite=True)  # clears the way
    assert not any(path.exists() for path in partial_files(settings.output))
    assert run_batch(plan, tiny_analyzer).total == 6


def test_output_same_as_input_or_in_a_missing_folder_is_refused(tmp_path):
    jsonl_fixture(tmp_path / "in.jsonl", n=2)
    with pytest.raises(BatchError, match="OUTPUT is the INPUT"):
        plan_run(BatchSettings(str(tmp_path / "in.jsonl"), str(tmp_path / "in.jsonl")), resume=False, overwrite=False)
    with pytest.raises(BatchError, match="folder of OUTPUT does not exist"):
        plan_run(BatchSettings(str(tmp_path / "in.jsonl"), str(tmp_path / "no" / "out.csv")), resume=False, overwrite=False)


class InterruptAfter:
    """The real analyzer, interrupted (as by Ctrl-C) when its `analyze_many` is called the n-th time."""

    def __init__(self, analyzer, calls: int):
        self.analyzer, self.calls = analyzer, calls

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, *args, **kwargs):
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return self.analyzer.analyze_many(*args, **kwargs)


def interrupted_run(tmp_path: Path, analyzer, settings: BatchSettings, calls: int = 2) -> None:
    with pytest.raises(KeyboardInterrupt):
        run_batch(plan_run(settings, resume=False, overwrite=False), InterruptAfter(analyzer, calls), commit_every=4)


def test_resume_refuses_another_input_or_other_options(tmp_path, tiny_analyzer):
    jsonl_fixture(tmp_path / "in.jsonl")
    settings = settings_for(tmp_path)
    interrupted_run(tmp_path, tiny_analyzer, settings)
    with pytest.raises(BatchError, match="tasks: was .*rerun with those"):
        plan_run(settings_for(tmp_path, tasks=("topic",)), resume=True, overwrite=False)
    with pytest.raises(BatchError, match="summary_sentences"):
        plan_run(settings_for(tmp_path, summary_sentences=2), resume=True, overwrite=False)
    with open(tmp_path / "in.jsonl", "a") as stream:
        stream.write('{"text": "one more record"}\n')
    with pytest.raises(BatchError, match="not the file the interrupted run read"):
        plan_run(settings, resume=True, overwrite=False)


def test_resume_after_interruption_drops_a_half_written_line(tmp_path, tiny_analyzer):
    expected = jsonl_fixture(tmp_path / "in.jsonl")
    settings = settings_for(tmp_path)
    interrupted_run(tmp_path, tiny_analyzer, settings, calls=3)
    state = json.loads(Path(settings.output + ".partial.json").read_text())
    assert state["records_done"] >= 8 and not state["finished"]
    with open(settings.output + ".partial.jsonl", "ab") as journal:
        journal.write(b'{"id": "r99", "topic": {"lab')  # as if killed in the middle of a write
    report = run_batch(plan_run(settings, resume=True, overwrite=False), tiny_analyzer, commit_every=4)
    assert report.skipped == state["records_done"] and report.total == len(expected)
    check_output(read_output(tmp_path / "out.csv"), expected)


def test_resume_after_a_kill_while_converting_the_output(tmp_path, tiny_analyzer, monkeypatch):
    expected = jsonl_fixture(tmp_path / "in.jsonl", n=10)
    settings = BatchSettings(input=str(tmp_path / "in.jsonl"), output=str(tmp_path / "out.parquet"), batch_size=4)

    def killed(plan):
        plan.temp_output.write_bytes(b"PAR1 half a file")
        raise KeyboardInterrupt

    monkeypatch.setattr(batch_module, "_finish", killed)
    with pytest.raises(KeyboardInterrupt):
        run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    monkeypatch.undo()
    assert not (tmp_path / "out.parquet").exists()  # OUTPUT only ever appears complete
    report = run_batch(plan_run(settings, resume=True, overwrite=False), InterruptAfter(tiny_analyzer, 0))
    assert report.skipped == len(expected)  # nothing analyzed again
    check_output(read_output(tmp_path / "out.parquet"), expected)
    assert not any(path.exists() for path in partial_files(settings.output))


# ------------------------------------------------------------------------ the resume guarantee, SIGKILL


def start_batch(source: Path, target: Path, model: Path, *extra: str) -> subprocess.Popen:
    command = [sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), "--model", str(model),
               "--batch-size", "2", "--precision", "fp32", "--no-progress", *extra]
    return subprocess.Popen(command, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def journal_lines(target: Path) -> int:
    try:
        return Path(str(target) + ".partial.jsonl").read_bytes().count(b"\n")
    except FileNotFoundError:
        return 0


def kill_when(process: subprocess.Popen, target: Path, lines: int, delay: float) -> bool:
    """SIGKILL the run once its journal has `lines` lines (then `delay` s more); False if it ended first."""
    deadline = time.monotonic() + 300
    while journal_lines(target) < lines and process.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(delay)
    if process.poll() is not None:
        return False
    process.send_signal(signal.SIGKILL)
    process.wait()
    return True


@pytest.mark.parametrize(("source_name", "target_name", "seed"), [("in.jsonl", "out.jsonl", 1), ("in.csv", "out.parquet", 2)])
def test_sigkill_at_random_points_then_resume_gives_each_record_exactly_once(
    tmp_path, tiny_checkpoint, source_name, target_name, seed
):
    rng = random.Random(seed)
    source, target = tmp_path / source_name, tmp_path / target_name
    # Enough records that a run outlasts the kills even with the tiny model on a fast, idle machine.
    expected = FIXTURES[detect_format(source_name)](source, n=1500)
    kills = []
    # First kill at a random moment from start-up on (often before any record is committed), then kills
    # once the journal has grown, each a random fraction of a second later (mid-batch, mid-write, ...).
    process = start_batch(source, target, tiny_checkpoint)
    time.sleep(rng.uniform(0.0, 1.5))
    if process.poll() is None:
        process.send_signal(signal.SIGKILL)
        process.wait()
        kills.append("early")
    for _ in range(3):
        process = start_batch(source, target, tiny_checkpoint, "--resume")
        if kill_when(process, target, journal_lines(target) + rng.randint(4, 20), rng.uniform(0.0, 0.2)):
            kills.append(journal_lines(target))
        else:
            assert process.returncode == 0, process.stderr.read().decode()
    process = start_batch(source, target, tiny_checkpoint, "--resume")
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err.decode()
    assert b"done: %d records" % len(expected) in err or b"already complete" in err, err.decode()
    assert len(kills) >= 2, f"the run ended before it could be killed: {kills}"
    check_output(read_output(target), expected)
    assert not any(path.exists() for path in partial_files(str(target)))


def test_sigkill_leaves_journal_lines_valid_up_to_the_commit(tmp_path, tiny_checkpoint):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    jsonl_fixture(source, n=200)
    process = start_batch(source, target, tiny_checkpoint)
    assert kill_when(process, target, 12, 0.1)
    state = json.loads(Path(str(target) + ".partial.json").read_text())
    journal = Path(str(target) + ".partial.jsonl").read_bytes()
    committed = journal[: state["journal_bytes"]].splitlines()
    assert len(committed) == state["records_done"] and all(json.loads(line) for line in committed)
    assert os.path.getsize(Path(str(target) + ".partial.jsonl")) >= state["journal_bytes"]
