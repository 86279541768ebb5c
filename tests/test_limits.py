"""Size limits: the raw input has a byte limit (--max-input-bytes, 20 MiB), the article's own text after
reading has a character limit (--max-chars, 200,000); 0 = no limit for either, on every surface; every
message names the option that lifts it; a binary file is named before its size is looked at; no reader
takes in more than the limit plus one byte (stdin, files, JSONL lines, CSV cells)."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from click.testing import CliRunner
from synthetic_pages import ARTICLE_PARAGRAPHS, HEADLINE, big_news_page

from classifier import InputError
from classifier.batch import BatchSettings, plan_run, run_batch
from classifier.cli import main
from classifier.inputs import CLI_LIMITS, MAX_INPUT_BYTES, SizeLimits, as_input
from classifier.reading import read_article
from classifier.records import FieldMap, count_records, line_limit, read_records

ROOT = Path(__file__).resolve().parent.parent
PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1_700  # 435 KB of "image"
LONG_TEXT = "The council met again on Tuesday and talked about the harbour. " * 4_000  # 252,000 characters


@pytest.fixture(scope="module")
def page() -> str:
    return big_news_page(2.5)


@pytest.fixture
def cli():
    runner = CliRunner()
    return lambda *args, **kw: runner.invoke(main, [str(arg) for arg in args], **kw)


# ------------------------------------------------------------------------------------------- the gate
def test_raw_input_limit_at_the_gate_names_its_option():
    small = SizeLimits(max_input_bytes=1_000)
    assert as_input(b"y" * 1_000, limits=small).text
    with pytest.raises(InputError, match=r"more than 1,000 bytes; the limit for raw input .* is 1,000 bytes per article: "
                                         r"pass a larger max_input_bytes= \(0 = no limit\)") as error:
        as_input(b"y" * 1_001, limits=small)
    assert error.value.code == "input_too_large"
    with pytest.raises(InputError, match="--max-input-bytes"):
        as_input("y" * 1_001, limits=SizeLimits(max_input_bytes=1_000, bytes_option="--max-input-bytes"))
    assert as_input(b"y" * 30_000_000, limits=SizeLimits(max_input_bytes=0)).text  # 0 = no limit


def test_an_image_over_the_limit_says_it_is_an_image(tmp_path, cli):
    """Before: a 423 KB PNG got "the article has 435,000 characters; the limit is 200,000"."""
    assert len(PNG) > 400_000
    with pytest.raises(InputError, match="a PNG image, not an article's text"):
        as_input(PNG, limits=SizeLimits(max_input_bytes=100_000))
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    result = cli("analyze", path, "--max-input-bytes", 100_000)
    assert result.exit_code == 1 and "a PNG image" in result.output and "limit" not in result.output


def test_the_character_limit_counts_the_article_not_the_page(page):
    """Before: the 200,000-character limit was applied to the raw HTML and refused a 2.5 MB page."""
    assert len(page) > 2_000_000
    article = read_article(page, max_chars=200_000)
    assert article.title == HEADLINE
    assert " ".join(article.sentences).startswith(ARTICLE_PARAGRAPHS[0])
    with pytest.raises(InputError, match=r"the article's text is 1,\d{3} characters after reading \(out of "
                                         r"2,\d{3},\d{3} characters of HTML\); the limit is 1,000 .* pass a larger "
                                         r"--max-chars") as error:
        read_article(page, max_chars=1_000, chars_option="--max-chars")
    assert error.value.code == "article_too_long"
    assert read_article(LONG_TEXT, max_chars=0).sentences  # 0 = no limit


# ------------------------------------------------------------------------------------------------ CLI
def test_cli_reads_a_multi_megabyte_page_with_the_defaults(tmp_path, cli, tiny_checkpoint, page):
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    result = cli("analyze", path, "--json", "--include-text", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["article"]["title"] == HEADLINE and len(data["article"]["sentences"]) == len(ARTICLE_PARAGRAPHS)


def test_cli_max_chars_0_is_no_limit(tmp_path, cli, tiny_checkpoint):
    """Before: `--max-chars 0` still refused an article over 200,000 characters after the model loaded."""
    path = tmp_path / "long.txt"
    path.write_text("Harbour talks go on\n\n" + LONG_TEXT, encoding="utf-8")
    refused = cli("analyze", path, "--tasks", "topic", "--model", tiny_checkpoint)
    assert refused.exit_code == 1 and "--max-chars" in refused.output and "after reading" in refused.output
    assert cli("analyze", path, "--max-chars", 0, "--tasks", "topic", "--model", tiny_checkpoint).exit_code == 0


def test_cli_input_over_the_byte_limit_names_max_input_bytes(tmp_path, cli):
    path = tmp_path / "big.txt"
    path.write_bytes(b"word " * 1_000)
    result = cli("analyze", path, "--max-input-bytes", 2_000)
    assert result.exit_code == 1
    assert "more than 2,000 bytes" in result.output and "--max-input-bytes (0 = no limit)" in result.output


@pytest.mark.parametrize("how", ["stdin", "file"])
def test_cli_reads_at_most_the_limit_plus_one_byte_of_dev_zero(how):
    """Before: `presslens analyze - < /dev/zero` grew without bound (400 MB of stdin took 818 MB)."""
    if not Path("/dev/zero").exists():
        pytest.skip("no /dev/zero here")
    command = [sys.executable, "-m", "classifier.cli", "analyze", "--max-input-bytes", "5000000"]
    with open("/dev/zero", "rb") as zero:
        done = subprocess.run(command + (["-"] if how == "stdin" else ["/dev/zero"]),
                              stdin=zero if how == "stdin" else subprocess.DEVNULL,
                              capture_output=True, text=True, timeout=120, cwd=ROOT,
                              env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert done.returncode == 1, done.stderr
    assert "more than 5,000,000 bytes" in done.stderr and "--max-input-bytes" in done.stderr


# ---------------------------------------------------------------------------------------------- batch
def test_batch_reads_a_multi_megabyte_page_with_the_defaults(tmp_path, tiny_analyzer, page):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": "page", "text": page}, {"id": "long", "text": LONG_TEXT},
            {"id": "ok", "text": "Markets fell. Investors sold shares."}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    settings = BatchSettings(input=str(source), output=str(target), batch_size=4, include_text=True)
    report = run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    outputs = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert (report.ok, report.errors) == (2, 1)
    assert outputs[0]["article"]["title"] == HEADLINE
    assert "the limit is 200,000 characters of article text: pass a larger --max-chars" in outputs[1]["error"]


def test_batch_max_chars_0_and_the_byte_limit(tmp_path, tiny_analyzer):
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    rows = [{"id": "long", "text": LONG_TEXT}, {"id": "big", "text": "x " * 60_000}]
    source.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    limits = SizeLimits(max_chars=0, max_input_bytes=300_000, chars_option="--max-chars",
                        bytes_option="--max-input-bytes")
    settings = BatchSettings(input=str(source), output=str(target), tasks=("topic",), limits=limits)
    run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    outputs = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert "topic" in outputs[0]  # 252,000 characters of article: no character limit
    assert "topic" in outputs[1]
    settings = BatchSettings(input=str(source), output=str(target), tasks=("topic",),
                             limits=SizeLimits(max_input_bytes=100_000, bytes_option="--max-input-bytes"))
    run_batch(plan_run(settings, resume=False, overwrite=True), tiny_analyzer)
    outputs = [json.loads(line) for line in target.read_text(encoding="utf-8").splitlines()]
    assert "'text' is 252,000 characters" in outputs[0]["error"] and "--max-input-bytes" in outputs[0]["error"]


def test_a_huge_jsonl_line_is_an_error_record_and_reading_goes_on(tmp_path):
    path = tmp_path / "in.jsonl"
    limit = line_limit(MAX_INPUT_BYTES)
    assert limit == 2 * MAX_INPUT_BYTES and line_limit(0) == 0 and line_limit(1000) == 5 * 2**20
    with open(path, "w", encoding="utf-8") as stream:
        stream.write(json.dumps({"id": "a", "text": "First."}) + "\n")
        stream.write(json.dumps({"id": "huge", "text": "word " * 2_000_000}) + "\n")  # 10 MB
        stream.write("\n")
        stream.write(json.dumps({"id": "b", "text": "Last."}))  # no final newline
    records = list(read_records(str(path), FieldMap(), max_input_bytes=1_000_000))
    assert [r.fields["id"] if r.fields else None for r in records] == ["a", None, "b"]
    assert "line 2 is 9.5 MiB; a record may be at most 5 MiB" in records[1].error
    assert "--max-input-bytes" in records[1].error
    assert count_records(str(path), max_input_bytes=1_000_000) == 3
    assert len(list(read_records(str(path), FieldMap()))) == 3 and list(read_records(str(path), FieldMap()))[1].fields


def _csv_with_a_huge_cell(path: Path, megabytes: int, *, quoted: bool) -> None:
    with open(path, "w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "text"])
        writer.writerow(["a", "First article."])
        writer.writerow(["huge", "x" * (megabytes * 1_000_000)])  # one line, one cell
        if quoted:  # a quoted cell on one line (one over many lines is the CSV reader's own problem)
            writer.writerow(["quoted", '"' + "y" * (megabytes * 500_000)])
        writer.writerow(["b", "Last article."])


def test_a_huge_csv_cell_is_read_in_bounded_memory_and_the_rows_after_it_are_read(tmp_path):
    """Before: a 100 MB cell was read whole (1.0-1.6 GB RSS in batch) before the record was refused. Now a
    record is held up to records.line_limit (twice the raw-input limit, at least 5 Mi characters), then read
    past in pieces."""
    path = tmp_path / "in.csv"
    _csv_with_a_huge_cell(path, 40, quoted=True)
    tracemalloc.start()
    try:
        records = list(read_records(str(path), FieldMap(), max_input_bytes=200_000))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert [r.fields["id"] if r.fields else None for r in records] == ["a", None, None, "b"]
    assert "5,242,880" in records[1].error and "--max-input-bytes" in records[1].error  # over the record limit
    assert "5,242,880" in records[2].error
    assert peak < 32_000_000, f"reading held {peak / 1e6:.1f} MB of a 40 MB cell"
    assert count_records(str(path), max_input_bytes=200_000) == 4


def test_a_csv_cell_within_the_limit_is_read_whole(tmp_path):
    path = tmp_path / "in.csv"
    _csv_with_a_huge_cell(path, 1, quoted=True)
    records = list(read_records(str(path), FieldMap(), max_input_bytes=CLI_LIMITS.max_input_bytes))
    assert [len(r.fields["text"]) for r in records] == [14, 1_000_000, 500_001, 13]
