"""The `presslens` command line through click's CliRunner: every path, its exit code and its output."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from classifier.cli import main

ARTICLE = (
    "Central bank raises rates again\n\n"
    "The central bank raised interest rates by a quarter point on Tuesday. Officials said inflation had "
    "stayed above the target for a year. Shares in Tokyo fell 2.5% after the announcement, traders said.\n\n"
    "More news: Ten things to know today\n\n"
    "Analysts at Barclays expect another rise in March. Dr. Smith said the outlook was uncertain."
)
CONTRACT = {"topic", "stances", "summary", "warnings", "notes", "model"}


@pytest.fixture
def cli():
    runner = CliRunner()

    def invoke(*args, input=None):
        return runner.invoke(main, [str(arg) for arg in args], input=input)

    return invoke


@pytest.fixture
def article_file(tmp_path) -> Path:
    path = tmp_path / "article.txt"
    path.write_text(ARTICLE, encoding="utf-8")
    return path


# -------------------------------------------------------------------------------------------------- help


def test_help_and_version(cli):
    result = cli("--help")
    assert result.exit_code == 0 and "analyze" in result.output and "batch" in result.output
    analyze_help = cli("analyze", "--help").output
    assert "Examples:" in analyze_help and "--summary-sentences" in analyze_help and "--json" in analyze_help
    batch_help = cli("batch", "--help").output
    for text in ("--resume", ".jsonl.gz", ".parquet", "topic_score", "stance_target", "result", "Examples:"):
        assert text in batch_help
    version = cli("--version")
    assert version.exit_code == 0 and "presslens" in version.output


# ----------------------------------------------------------------------------------------------- analyze


def test_analyze_file_human_output(cli, article_file, tiny_checkpoint):
    result = cli("analyze", article_file, "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Headline: Central bank raises rates again" in out
    assert "Topic: " in out and all(label in out for label in ("Business", "Sci/Tech", "Sports", "World"))
    assert "Stance toward: \u201cCentral bank raises rates again\u201d" in out and "agree" in out
    assert "Summary:" in out and "Warnings:" in out and "boilerplate" in out
    assert "Model: presslens-tiny-test 0.0.1" in out


def test_analyze_json_is_the_contract(cli, article_file, tiny_checkpoint):
    result = cli("analyze", article_file, "--json", "--model", tiny_checkpoint, "--summary-sentences", 2,
                 "--target", "Rates went up", "--target", "Shares rose")
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert [stance["target"] for stance in data["stances"]] == ["Rates went up", "Shares rose"]
    assert len(data["summary"]["sentences"]) == 2
    assert data["model"] == {"name": "presslens-tiny-test", "version": "0.0.1"}
    assert data["topic"]["label"] in data["topic"]["scores"]


def test_analyze_tasks_switch_keys_off(cli, article_file, tiny_checkpoint):
    result = cli("analyze", article_file, "--json", "--tasks", "summary, topic", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == {"topic", "summary", "warnings", "notes", "model"}
    human = cli("analyze", article_file, "--tasks", "stance", "--model", tiny_checkpoint)
    assert human.exit_code == 0 and "Stance toward" in human.stdout and "Topic:" not in human.stdout


@pytest.mark.parametrize("args", [(), ("-",)])
def test_analyze_reads_stdin(cli, tiny_checkpoint, args):
    result = cli("analyze", *args, "--json", "--model", tiny_checkpoint, input=ARTICLE.encode())
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.stdout)) == CONTRACT


def test_analyze_text_option_and_title(cli, tiny_checkpoint):
    result = cli("analyze", "--text", "Rain closed roads. Fans still came to the match.", "--title", "Storm hits city",
                 "--json", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["stances"][0]["target"] == "Storm hits city"


def test_analyze_non_utf8_bytes_are_replaced_with_a_warning(cli, tmp_path, tiny_checkpoint):
    path = tmp_path / "latin1.txt"
    path.write_bytes("Caf\u00e9 prices rise in Par\u00eds\n\nThe caf\u00e9 owners said prices rose.".encode("latin-1"))
    result = cli("analyze", path, "--json", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    assert any("UTF-8" in warning or "decod" in warning for warning in json.loads(result.stdout)["warnings"])


def test_analyze_messy_example(cli, messy_example, tiny_checkpoint):
    result = cli("analyze", messy_example, "--json", "--model", tiny_checkpoint)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert set(data) == CONTRACT
    assert not any("More news" in s["text"] for s in data["summary"]["sentences"])


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("missing.txt",), "does not exist"),
        (("--tasks", "topic,sentiment"), "is not a list of tasks"),
        (("--tasks", ","), "is not a list of tasks"),
        (("--summary-sentences", "0"), "0 is not in the range x>=1"),
        (("--summary-sentences", "three"), "not a valid integer"),
        (("--precision", "fp16"), "'fp16' is not one of"),
        (("--tasks", "topic", "--target", "A claim"), "--target needs the stance task"),
        (("--text", "x", "ARTICLE"), "either FILE or --text"),
    ],
)
def test_analyze_bad_arguments_exit_2_with_a_message(cli, article_file, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    args = tuple(str(article_file) if arg == "ARTICLE" else arg for arg in args)
    if args[0] != "missing.txt" and "--text" not in args:
        args = (article_file, *args)
    result = cli("analyze", *args)
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_analyze_with_nothing_to_read_from_a_terminal_exits_2(cli, monkeypatch):
    monkeypatch.setattr("classifier.cli._stdin_is_terminal", lambda: True)
    result = cli("analyze")
    assert result.exit_code == 2 and "no article given" in result.output


def test_analyze_bad_model_paths_exit_1_naming_the_path(cli, article_file, tmp_path):
    missing = tmp_path / "no_such_model"
    result = cli("analyze", article_file, "--model", missing)
    assert result.exit_code == 1 and "Error:" in result.output and "no_such_model" in result.output
    empty = tmp_path / "empty_model"
    empty.mkdir()
    result = cli("analyze", article_file, "--model", empty)
    assert result.exit_code == 1 and "empty_model" in result.output and "config.json" in result.output


def test_analyze_default_model(cli, article_file):
    result = cli("analyze", article_file, "--json")
    default = Path(__file__).resolve().parents[1] / "classifier" / "default_model" / "config.json"
    if default.is_file():
        assert result.exit_code == 0, result.output
        assert set(json.loads(result.stdout)) == CONTRACT
    else:
        assert result.exit_code == 1 and "no default model" in result.output


def test_analyze_empty_article_exits_1(cli, tiny_checkpoint):
    result = cli("analyze", "-", "--model", tiny_checkpoint, input=b"  \n\n ")
    assert result.exit_code == 1 and "Error:" in result.output


# ------------------------------------------------------------------------------------------------- batch


def write_jsonl(path: Path, records: list) -> Path:
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in records), encoding="utf-8")
    return path


RECORDS = [
    {"id": "a", "title": "Rates rise", "text": "The bank raised rates. Shares fell."},
    {"id": "b", "text": ""},
    "{not json",
    {"text": "No id here. It gets its record number.", "targets": ["Shares fell", "Rates rose"]},
]


def test_batch_runs_and_prints_counts(cli, tmp_path, tiny_checkpoint):
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    result = cli("batch", source, tmp_path / "out.csv", "--model", tiny_checkpoint, "--batch-size", 2)
    assert result.exit_code == 0, result.output
    assert "done: 4 records" in result.stderr and "2 ok, 2 errors, 0 skipped" in result.stderr
    assert "id b: 'text' is empty" in result.stderr
    again = cli("batch", source, tmp_path / "out.csv", "--model", tiny_checkpoint)
    assert again.exit_code == 1 and "pass --resume" in again.output and "or delete it" in again.output
    resumed = cli("batch", source, tmp_path / "out.csv", "--model", tiny_checkpoint, "--resume")
    assert resumed.exit_code == 0 and "already complete" in resumed.output
    overwritten = cli("batch", source, tmp_path / "out.csv", "--model", tiny_checkpoint, "--overwrite")
    assert overwritten.exit_code == 0 and "done: 4 records" in overwritten.stderr


def test_batch_stdin_to_stdout(cli, tmp_path, tiny_checkpoint):
    data = "".join((r if isinstance(r, str) else json.dumps(r)) + "\n" for r in RECORDS).encode()
    result = cli("batch", "-", "-", "--model", tiny_checkpoint, "--tasks", "topic", "--progress", input=data)
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["id"] for r in records] == ["a", "b", "2", "3"]
    assert set(records[0]) == {"id", "topic", "warnings", "notes", "model"} and "error" in records[2]
    assert "records" in result.stderr  # the progress bar, forced on


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("IN", "out.json"), "cannot tell the format"),
        (("in.txt", "out.jsonl"), "does not exist"),
        (("IN", "out.csv", "--resume", "--overwrite"), "contradict"),
        (("IN", "-", "--resume"), "--resume needs OUTPUT to be a file"),
        (("-", "out.csv", "--resume"), "--resume needs INPUT to be a file"),
        (("IN", "out.csv", "--batch-size", "0"), "0 is not in the range"),
        (("IN", "out.csv", "--tasks", "nope"), "is not a list of tasks"),
    ],
)
def test_batch_bad_arguments_exit_2(cli, tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    result = cli("batch", *(source if arg == "IN" else arg for arg in args))
    assert result.exit_code == 2, result.output
    assert message in result.output


def test_batch_fatal_problems_exit_1(cli, tmp_path, tiny_checkpoint):
    source = write_jsonl(tmp_path / "in.jsonl", RECORDS)
    bad_model = cli("batch", source, tmp_path / "out.jsonl", "--model", tmp_path / "nowhere")
    assert bad_model.exit_code == 1 and "nowhere" in bad_model.output
    (tmp_path / "in.csv").write_text("id,body\n1,hello\n")
    no_column = cli("batch", tmp_path / "in.csv", tmp_path / "out2.jsonl", "--model", tiny_checkpoint)
    assert no_column.exit_code == 1 and "--text-field" in no_column.output
    (tmp_path / "bad.parquet").write_bytes(b"not parquet")
    unreadable = cli("batch", tmp_path / "bad.parquet", tmp_path / "out3.jsonl", "--model", tiny_checkpoint)
    assert unreadable.exit_code == 1 and "Parquet" in unreadable.output
    missing_folder = cli("batch", source, tmp_path / "nope" / "out.jsonl", "--model", tiny_checkpoint)
    assert missing_folder.exit_code == 1 and "does not exist" in missing_folder.output


# ------------------------------------------------------------------------------------------------- serve


def test_serve_help_and_bad_arguments(cli):
    assert cli("serve", "--help").exit_code == 0
    assert cli("serve", "--port", "0").exit_code == 2


def test_serve_with_a_bad_model_fails_before_serving(cli, tmp_path):
    result = cli("serve", "--port", "59999", "--model", tmp_path / "no_model")
    assert result.exit_code == 1, result.output
    assert "no_model" in result.output or "demo extra" in result.output


# ------------------------------------------------------------------- each surface names its own option
GERMAN_PAGE = Path(__file__).parent / "pages" / "german_page.html"


def _language_warning(warnings: list[str]) -> str:
    found = [w for w in warnings if "not English" in w]
    assert len(found) == 1, warnings
    return found[0]


def test_the_language_warning_names_the_option_of_each_surface(cli, tiny_checkpoint, tiny_analyzer, tmp_path):
    """Before: every surface said `pass languages=en`, the Python spelling, also to CLI users (issue 21)."""
    analyzed = cli("analyze", GERMAN_PAGE, "--json", "--model", tiny_checkpoint)
    assert analyzed.exit_code == 0, analyzed.output
    warning = _language_warning(json.loads(analyzed.stdout)["warnings"])
    assert warning.endswith("(pass --languages en to refuse such articles)"), warning
    source = tmp_path / "in.jsonl"
    source.write_text(json.dumps({"id": "de", "text": GERMAN_PAGE.read_text(encoding="utf-8")}) + "\n",
                      encoding="utf-8")
    assert cli("batch", source, tmp_path / "out.jsonl", "--model", tiny_checkpoint, "--no-progress").exit_code == 0
    record = json.loads((tmp_path / "out.jsonl").read_text(encoding="utf-8"))
    assert _language_warning(record["warnings"]).endswith("(pass --languages en to refuse such articles)")
    python = _language_warning(tiny_analyzer.analyze(GERMAN_PAGE.read_bytes()).warnings)
    assert python.endswith("(pass languages=[\"en\"] to refuse such articles)"), python
