"""Hostile input and faults in the library, the CLI and batch runs (issue 9): each test failed before.

Lone surrogates, JSON that json.loads cannot read, a truncated .jsonl.gz, a fatal header error, CSV
formulas, unexpected exceptions, --resume against another model or precision, the topic-only warning, the
one-way dependency rule, and the base-encoder key check.
"""

from __future__ import annotations

import ast
import csv
import gzip
import json
import logging
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from classifier.batch import BatchSettings, partial_files, plan_run, run_batch
from classifier.errors import BatchError, InputError

REPO = Path(__file__).resolve().parents[1]
BODY = ("The council approved the harbour budget on Monday. Officials said work would start in May. "
        "Critics said the plan was too small.")


def settings_for(tmp_path: Path, source: str = "in.jsonl", target: str = "out.jsonl", **options) -> BatchSettings:
    return BatchSettings(input=str(tmp_path / source), output=str(tmp_path / target), batch_size=4, **options)


def read_jsonl(path: Path) -> list[dict]:
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as stream:
        return [json.loads(line) for line in stream.read().splitlines()]


# ------------------------------------------------------------------------------------- lone surrogates
SURROGATE_RECORDS = [
    '{"id": "t", "text": "Bad \\ud800 text. ' + BODY + '"}',
    '{"id": "h", "title": "Head \\udc00 line", "text": "' + BODY + '"}',
    '{"id": "c", "targets": ["claim \\udfff here"], "text": "' + BODY + '"}',
    '{"id": "i\\ud800", "text": "' + BODY + '"}',
    '{"id": "ok", "text": "' + BODY + '"}',
]


def test_lone_surrogates_in_every_field_are_replaced_with_a_warning_by_the_batch_cli(tmp_path, tiny_checkpoint):
    """Before: UnicodeEncodeError in sentence splitting killed the run (rc 1, 0 records written)."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    source.write_text("\n".join(SURROGATE_RECORDS) + "\n", encoding="ascii")
    done = subprocess.run([sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), "--model",
                           str(tiny_checkpoint), "--precision", "fp32", "--no-progress"],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    records = read_jsonl(target)
    assert [r["id"] for r in records] == ["t", "h", "c", "i\ufffd", "ok"]
    assert all("error" not in r for r in records), records
    for record, field in zip(records, ["text", "title", "targets[0]", "id"]):
        # batch names the fields as the input file does, quoted ('text'); the rule and the words are the gate's
        assert any(w.replace("'", "").startswith(f"{field} held invalid Unicode") for w in record["warnings"]), \
            record["warnings"]
    assert "\ufffd" in records[2]["stances"][0]["target"]
    assert not any("invalid Unicode" in w for w in records[4]["warnings"])


def test_the_same_rule_and_message_for_the_python_api(tiny_analyzer):
    result = tiny_analyzer.analyze("Bad \ud800 text. " + BODY, title="T\udc00", targets=["x\udfff"], id="a\ud800")
    assert result.id == "a\ufffd" and result.stances[0].target == "x\ufffd"
    assert [w.split(" held")[0] for w in result.warnings if "invalid Unicode" in w] == ["text", "title",
                                                                                          "targets[0]", "id"]
    json.dumps(result.to_dict(), ensure_ascii=False).encode("utf-8")  # encodable: nothing invalid left


def test_unreadable_json_lines_are_error_records_not_a_crash(tmp_path, tiny_analyzer):
    """Before: a 5,000-digit integer raised ValueError and deep nesting RecursionError out of the reader."""
    (tmp_path / "in.jsonl").write_text(
        '{"id": 1, "text": "' + BODY + '"}\n'
        + '{"id": ' + "9" * 5000 + ', "text": "x"}\n'
        + "[" * 100_000 + "]" * 100_000 + "\n"
        + '{"id": 4, "text": "' + BODY + '"}\n', encoding="utf-8")
    report = run_batch(plan_run(settings_for(tmp_path), resume=False, overwrite=False), tiny_analyzer)
    records = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in records] == ["1", "1", "2", "4"]
    assert "cannot be read as JSON" in records[1]["error"] and "nested too deeply" in records[2]["error"]
    assert report.ok == 2 and report.errors == 2


# ------------------------------------------------------------------------------------- truncated .gz
def test_a_truncated_jsonl_gz_keeps_the_records_before_the_break(tmp_path, tiny_analyzer):
    """Before: BatchError at the break and none of the records before it were written."""
    lines = "".join(json.dumps({"id": f"r{i}", "text": f"Record {i}. " + BODY}) + "\n" for i in range(400))
    data = gzip.compress(lines.encode())
    (tmp_path / "in.jsonl.gz").write_bytes(data[: len(data) * 2 // 3])
    settings = settings_for(tmp_path, "in.jsonl.gz")
    report = run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
    records = read_jsonl(tmp_path / "out.jsonl")
    good, last = records[:-1], records[-1]
    assert len(good) > 50 and [r["id"] for r in good] == [f"r{i}" for i in range(len(good))]
    assert all("error" not in r for r in good)
    assert "truncated or damaged" in last["error"] and "EOFError" in last["error"]
    assert report.errors == 1 and report.ok == len(good)


# ---------------------------------------------------------------------------------- fatal header error
def test_a_missing_column_leaves_no_run_state_so_the_corrected_rerun_is_accepted(tmp_path, tiny_analyzer):
    """Before: the state file stayed behind and the corrected rerun was refused as 'an interrupted run'."""
    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "body"])
        writer.writerows([["a", BODY], ["b", BODY]])
    wrong = settings_for(tmp_path, "in.csv", "out.csv")
    with pytest.raises(BatchError, match="has no column 'text'"):
        run_batch(plan_run(wrong, resume=False, overwrite=False), tiny_analyzer)
    assert not any(path.exists() for path in partial_files(wrong.output))
    from classifier.records import FieldMap

    fixed = settings_for(tmp_path, "in.csv", "out.csv", fields=FieldMap(text="body"))
    report = run_batch(plan_run(fixed, resume=False, overwrite=False), tiny_analyzer)
    assert report.ok == 2


# ----------------------------------------------------------------------------------- formula injection
def test_csv_output_cells_cannot_start_a_formula(tmp_path, tiny_analyzer):
    records = [{"id": "=HYPERLINK(\"http://x\")", "text": BODY, "targets": ["+1 claim", "@SUM(A1)"]},
               {"id": "-2", "text": BODY, "title": "=cmd|' /C calc'!A0"},
               {"id": "plain", "text": BODY}]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    run_batch(plan_run(settings_for(tmp_path, target="out.csv"), resume=False, overwrite=False), tiny_analyzer)
    with open(tmp_path / "out.csv", newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    cells = [value for row in rows for value in row.values() if value]
    assert not [cell for cell in cells if cell[0] in "=+-@"], cells
    assert [row["id"] for row in rows] == ["'=HYPERLINK(\"http://x\")", "'-2", "plain"]
    assert rows[0]["stance_target"] == "'+1 claim"
    # The lossless `result` column (JSON) keeps the text as it was.
    assert json.loads(rows[0]["result"])["id"] == "=HYPERLINK(\"http://x\")"


# ------------------------------------------------------------------------------- unexpected exceptions
class FailsOn:
    """The real analyzer, with a fault injected: analyzing an article whose text holds `poison` raises
    an unexpected exception (as a bug deep in the model code would)."""

    def __init__(self, analyzer, poison: str):
        self.analyzer, self.poison = analyzer, poison

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, articles, **kwargs):
        articles = list(articles)
        if any(self.poison in " ".join(a.sentences) for a in articles):
            raise TypeError("TextEncodeInput must be Union[...] (injected)")
        return self.analyzer.analyze_many(articles, **kwargs)


def test_an_unexpected_exception_is_an_error_record_with_its_traceback_logged(tmp_path, tiny_analyzer, caplog):
    """Before: `except Exception: pass` swallowed it without a trace."""
    records = [{"id": f"r{i}", "text": f"Record {i}. " + BODY + (" POISON." if i == 2 else "")} for i in range(6)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="presslens.batch"):
        report = run_batch(plan_run(settings_for(tmp_path), resume=False, overwrite=False),
                           FailsOn(tiny_analyzer, "POISON"))
    out = read_jsonl(tmp_path / "out.jsonl")
    assert [r["id"] for r in out] == [f"r{i}" for i in range(6)]
    assert out[2]["error"] == "analysis failed: TypeError: TextEncodeInput must be Union[...] (injected)"
    assert all("topic" in r for i, r in enumerate(out) if i != 2)
    assert report.ok == 5 and report.errors == 1
    logged = [r for r in caplog.records if r.exc_info and r.exc_info[0] is TypeError]
    assert logged and any("record r2" in r.getMessage() for r in logged)


# ------------------------------------------------------------------------------------- resume identity
class InterruptAfter:
    def __init__(self, analyzer, calls: int):
        self.analyzer, self.calls = analyzer, calls

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, *args, **kwargs):
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return self.analyzer.analyze_many(*args, **kwargs)


def _interrupted(tmp_path: Path, analyzer, settings: BatchSettings) -> None:
    records = [{"id": f"r{i}", "text": f"Record {i}. " + BODY} for i in range(12)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    with pytest.raises(KeyboardInterrupt):
        run_batch(plan_run(settings, resume=False, overwrite=False), InterruptAfter(analyzer, 1), commit_every=4)


def test_resume_refuses_a_model_retrained_into_the_same_folder(tmp_path, tiny_checkpoint):
    """Before: only name + version were compared, so the results of two models were mixed in one file."""
    import torch

    from classifier import Analyzer

    model = tmp_path / "model"
    shutil.copytree(tiny_checkpoint, model)
    settings = settings_for(tmp_path, model=str(model))
    _interrupted(tmp_path, Analyzer.from_pretrained(model, precision="fp32"), settings)
    retrained = Analyzer.from_pretrained(model, precision="fp32")  # "retrained": same name and version
    with torch.no_grad():
        for parameter in retrained.model.parameters():
            parameter.add_(0.01)
    retrained.model.save_pretrained(model)
    with pytest.raises(BatchError, match="fingerprint: was"):
        run_batch(plan_run(settings, resume=True, overwrite=False), Analyzer.from_pretrained(model, precision="fp32"))


def test_resume_checks_the_resolved_precision_not_auto(tmp_path, tiny_checkpoint):
    """Before: precision was compared as the unresolved 'auto' (equal) although the runs computed differently."""
    from classifier import Analyzer

    settings = settings_for(tmp_path, model=str(tiny_checkpoint))  # precision "auto" both times
    _interrupted(tmp_path, Analyzer.from_pretrained(tiny_checkpoint, precision="fp32"), settings)
    with pytest.raises(BatchError, match="precision: was 'fp32', now 'bf16'"):
        run_batch(plan_run(settings, resume=True, overwrite=False),
                  Analyzer.from_pretrained(tiny_checkpoint, precision="bf16"))
    report = run_batch(plan_run(settings, resume=True, overwrite=False),
                       Analyzer.from_pretrained(tiny_checkpoint, precision="fp32"))
    assert report.total == 12 and report.skipped == 4


# ------------------------------------------------------------------------------------------ code reads
def test_topic_only_analysis_of_a_long_article_says_it_read_the_first_window(tiny_analyzer):
    text = " ".join(f"Sentence {i} tells part {i} of a long story about the harbour." for i in range(60))
    warnings = tiny_analyzer.analyze(text, title="Harbour story", tasks=["topic"]).notes
    assert any(w.startswith("topic judged from the first ") and "of 60 sentences" in w for w in warnings), warnings
    short = tiny_analyzer.analyze("One short sentence here.", title="Short", tasks=["topic"]).notes
    assert not any(w.startswith("topic judged") for w in short)


def test_classifier_never_imports_demo():
    """One-way dependency, demo -> classifier: `presslens serve` finds the app through an entry point."""
    offenders = []
    for path in (REPO / "classifier").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {name}" for name in names if name.split(".")[0] == "demo"]
    assert offenders == []


def test_serve_finds_the_web_app_through_its_entry_point():
    from classifier.cli import _server_entry_point
    from demo.server import serve_process

    assert _server_entry_point() is serve_process


def test_the_base_encoder_must_fit_except_for_its_pooler(tiny_checkpoint):
    pytest.importorskip("datasets")
    from classifier.model import PresslensModel
    from training.train import load_base_encoder

    model = PresslensModel.from_pretrained(tiny_checkpoint)
    state = dict(model.encoder.state_dict())
    hidden = model.config.encoder["hidden_size"]
    import torch

    load_base_encoder(model, {**state, "pooler.dense.weight": torch.zeros(hidden, hidden)})  # allowed
    missing = {k: v for k, v in state.items() if "layer.1." not in k}
    with pytest.raises(ValueError, match="missing"):
        load_base_encoder(model, missing)
    with pytest.raises(ValueError, match="unexpected"):
        load_base_encoder(model, {**state, "cls.predictions.bias": torch.zeros(3)})


def test_one_gate_same_message_on_every_surface(tiny_analyzer, tmp_path):
    """The Python API, a batch record and an HTTP body say the same about the same bad field."""
    from classifier.inputs import as_request_items
    from classifier.records import FieldMap, RawRecord, article_fields
    from demo.schemas import Limits

    bad = {"text": "Body.", "targets": ["fine", 3]}
    with pytest.raises(InputError) as library:
        tiny_analyzer.prepare(bad)
    _, batch_message = article_fields(RawRecord({"id": "x", **bad}), FieldMap(), 0)
    _, _, problems = as_request_items(bad, Limits())
    expected = "targets[1]: every target (claim) must be a string, got a number"
    assert str(library.value) == expected
    assert batch_message == "'targets'[1]: every target (claim) must be a string, got a number"
    assert problems[0].message == expected


# ===================================================================================== issue 21, round 2
def _cli(*args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "classifier.cli", "batch", *args], cwd=REPO, capture_output=True,
                          text=True, timeout=timeout)


def _interrupted_run_into(tmp_path: Path, analyzer, model: Path, target: str = "out.jsonl") -> BatchSettings:
    """A run interrupted after 4 of 12 records, with the options the CLI calls below use."""
    settings = settings_for(tmp_path, target=target, model=str(model), tasks=("topic", "stance", "summary"))
    _interrupted(tmp_path, analyzer, settings)
    assert Path(settings.output + ".partial.json").exists()
    return settings


@pytest.mark.parametrize("planted", [".partial.jsonl", ".partial.json.tmp", ".partial.json"])
def test_resume_never_follows_a_link_planted_at_a_run_state_file(tmp_path, tiny_analyzer, tiny_checkpoint, planted):
    """Before: --resume opened OUTPUT.partial.jsonl / .partial.json.tmp through the link, truncated and
    overwrote its target, and OUTPUT ended as a link to it."""
    settings = _interrupted_run_into(tmp_path, tiny_analyzer, tiny_checkpoint)
    link = Path(settings.output + planted)
    victim = tmp_path / "victim.txt"
    # Larger than the committed journal, so that the old code truncated it instead of refusing it as short.
    victim.write_bytes((link.read_bytes() if link.exists() else b"") + b"precious data\n" * 1000)
    before = victim.read_bytes()
    link.unlink(missing_ok=True)
    link.symlink_to(victim)
    done = _cli(settings.input, settings.output, "--resume", "--model", str(tiny_checkpoint), "--precision", "fp32",
                "--batch-size", "4", "--no-progress")
    assert victim.read_bytes() == before
    assert done.returncode == 1, done.stderr
    assert "symbolic link" in done.stderr and link.name in done.stderr and "Traceback" not in done.stderr
    assert not Path(settings.output).exists() and link.is_symlink()
    # --overwrite removes the link (not its target) and starts again.
    done = _cli(settings.input, settings.output, "--overwrite", "--model", str(tiny_checkpoint), "--precision",
                "fp32", "--no-progress")
    assert done.returncode == 0, done.stderr
    assert victim.read_bytes() == before
    assert not Path(settings.output).is_symlink() and len(read_jsonl(Path(settings.output))) == 12


def test_a_fresh_run_creates_its_files_without_following_a_dangling_link(tmp_path, tiny_analyzer):
    """A link whose target does not exist yet was followed too: the run created the target."""
    (tmp_path / "in.jsonl").write_text(json.dumps({"id": "a", "text": BODY}) + "\n", encoding="utf-8")
    settings = settings_for(tmp_path)
    victim = tmp_path / "elsewhere.txt"
    Path(settings.output + ".partial.json.tmp").symlink_to(victim)
    with pytest.raises(BatchError, match="interrupted run"):
        plan_run(settings, resume=False, overwrite=False)  # a dangling link is seen as a leftover too
    report = run_batch(plan_run(settings, resume=False, overwrite=True), tiny_analyzer)
    assert report.ok == 1 and not victim.exists() and not os.path.lexists(settings.output + ".partial.json.tmp")


def test_a_state_file_with_missing_keys_is_a_clear_error(tmp_path, tiny_analyzer, tiny_checkpoint):
    """Before: KeyError: 'input' (a traceback) from a state file with the right version and no other keys."""
    settings = _interrupted_run_into(tmp_path, tiny_analyzer, tiny_checkpoint)
    state_file = Path(settings.output + ".partial.json")
    state = json.loads(state_file.read_text())
    for broken in ({"presslens_batch_state": 1}, {**state, "records_done": "four"},
                   {key: value for key, value in state.items() if key != "journal_bytes"}):
        state_file.write_text(json.dumps(broken))
        with pytest.raises(BatchError, match=r"missing or wrong fields \(.*\).*--overwrite"):
            plan_run(settings, resume=True, overwrite=False)
    done = subprocess.run([sys.executable, "-m", "classifier.cli", "batch", settings.input, settings.output,
                           "--resume", "--no-progress"], cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1 and "Traceback" not in done.stderr and "missing or wrong fields" in done.stderr


def test_a_second_run_into_the_same_output_is_refused_while_the_first_runs(tmp_path, tiny_checkpoint):
    """Before: nothing stopped it; the two runs wrote one journal (once one died with a raw
    [Errno 2] ... .partial.json.tmp)."""
    source, target = tmp_path / "in.jsonl", tmp_path / "out.jsonl"
    records = [{"id": f"r{i}", "text": f"Record {i}. " + BODY} for i in range(3000)]
    source.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    common = ["--model", str(tiny_checkpoint), "--precision", "fp32", "--batch-size", "2", "--no-progress"]
    first = subprocess.Popen([sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), *common],
                             cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        journal = Path(str(target) + ".partial.jsonl")
        deadline = time.monotonic() + 120
        while not (journal.exists() and journal.stat().st_size) and first.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        outcomes = [_cli(str(source), str(target), flag, *common) for flag in ("--resume", "--overwrite")]
        assert first.poll() is None, f"the first run ended (rc {first.returncode}) before the second one was done"
    finally:
        out, err = first.communicate(timeout=600)
    for second in outcomes:
        assert second.returncode == 1, second.stderr
        assert f"another presslens batch run (process {first.pid}) is writing {target}" in second.stderr
        assert "Traceback" not in second.stderr
    assert first.returncode == 0, err.decode()
    assert [r["id"] for r in read_jsonl(target)] == [r["id"] for r in records]
    assert not os.path.lexists(str(target) + ".lock")


def test_a_csv_quote_never_closed_costs_one_record_not_the_rest_of_the_file(tmp_path, tiny_checkpoint):
    """Before: row 2 of 102 opened a quote that was never closed; 2 records came out, rc 0, no warning."""
    rows = [["id", "text"], ["r1", BODY]] + [[f"r{i}", f"Row {i}. " + BODY] for i in range(3, 103)]
    with open(tmp_path / "in.csv", "w", newline="", encoding="utf-8") as stream:
        csv.writer(stream).writerows(rows[:2])
        stream.write('r2,"An opening quote, never closed. ' + BODY + "\r\n")
        csv.writer(stream).writerows(rows[2:])
    done = _cli(str(tmp_path / "in.csv"), str(tmp_path / "out.jsonl"), "--model", str(tiny_checkpoint),
                "--precision", "fp32", "--no-progress")
    assert done.returncode == 0, done.stderr
    records = read_jsonl(tmp_path / "out.jsonl")
    assert len(records) == 102 and [r["id"] for r in records[2:]] == [f"r{i}" for i in range(3, 103)]
    assert records[1] == {"id": "1", "error": "the CSV record starting at line 3 has a quote that is never closed "
                                              "(it ran to the end of the file); it was skipped; reading went on at "
                                              "line 4"}
    assert "101 ok, 1 error," in done.stderr


class SlowModel:
    """The real analyzer, whose every model batch takes `seconds` longer (as on a loaded laptop)."""

    def __init__(self, analyzer, seconds: float):
        self.analyzer, self.seconds = analyzer, seconds

    def __getattr__(self, name):
        return getattr(self.analyzer, name)

    def analyze_many(self, articles, *, batch_size, **kwargs):
        for position, result in enumerate(self.analyzer.analyze_many(articles, batch_size=batch_size, **kwargs)):
            if position % batch_size == 0:
                time.sleep(self.seconds)
            yield result


def test_the_progress_bar_moves_within_a_chunk_and_at_least_every_second(tmp_path, tiny_analyzer, capsys):
    """Before: the bar moved once per chunk of 4 x batch size records (it sat at 0/56 for 23 s, then 100%)."""
    import re

    records = [{"id": f"r{i}", "text": f"Record {i}. " + BODY} for i in range(8)]
    (tmp_path / "in.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    settings = settings_for(tmp_path)  # batch size 4: one chunk of 16 holds all 8 records
    run_batch(plan_run(settings, resume=False, overwrite=False), SlowModel(tiny_analyzer, 1.6), progress=True)
    frames = [frame for frame in re.split(r"[\r\n]", capsys.readouterr().err) if "analyzing" in frame]
    shown = [(int(m.group(1)), m.group(2)) for frame in frames
             if (m := re.search(r"(\d+)(?:/8)? records? ?\[(\d\d:\d\d)", frame) or
                 re.search(r"(\d+)/8 \[(\d\d:\d\d)", frame))]
    assert any(count == 4 for count, _ in shown), frames  # half way, within the one chunk
    assert any(count == 0 and elapsed != "00:00" for count, elapsed in shown), frames  # refreshed while waiting
    assert shown[-1][0] == 8
