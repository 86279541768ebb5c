"""`presslens batch --engine ray` against a real local Ray runtime (no mocks), with the tiny random checkpoint.

Shards of every input format with bad records mixed in; both output formats compared row by row with the
local engine's output of the same files (Parquet with an analyzer actor SIGKILLed while it analyzes a batch,
JSON Lines after the CLI driver was SIGKILLed mid-run and the run finished with --resume). Ray is kept small (2 CPUs, a small object store, no
dashboard); the file takes a few minutes, mostly actors importing torch. Skipped when ray is not installed.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from classifier.batch import BatchSettings, plan_run, run_batch
from classifier.cli import main
from classifier.errors import BatchError
from classifier.records import TABLE_COLUMNS, flat_row
from classifier.scale.shards import MANIFEST, list_shards

REPO = Path(__file__).resolve().parents[1]
SENTENCES = [
    "The central bank raised interest rates by a quarter point on Tuesday.",
    "Officials said inflation had stayed above the target for a year.",
    "Shares in Tokyo fell 2.5% after the announcement, traders said.",
    "The home team won 3-1 in front of 40,000 fans.",
    "Heavy rain closed several roads near the capital on Monday night.",
    "Dr. Smith, who led the study, said the results were preliminary.",
]
# Scores are rounded to 4 decimals in the output; fp32 on both sides, but a batch of other articles (other
# padding) can move a score by ~1e-7 and so flip its last printed digit.
TOLERANCE = 1.0001e-4


def body(i: int) -> str:
    return " ".join(SENTENCES[(i + k) % len(SENTENCES)] for k in range(2 + i % 4))


# ----------------------------------------------------------------------------------------------- inputs


def jsonl_lines(prefix: str, n: int) -> list[str]:
    """Good records and bad ones: broken JSON, not an object, no text, empty text, wrong types, no id."""
    lines = []
    for i in range(n):
        record: dict = {"id": f"{prefix}{i}", "title": f"Markets move after decision {i}", "text": body(i)}
        kind = i % 10
        if kind == 1:
            del record["text"]
        elif kind == 2:
            record["text"] = 12345
        elif kind == 3:
            record["targets"] = ["Rates went up", "Shares rose"]
        elif kind == 4:
            record["targets"] = 7
        elif kind == 5:
            del record["id"]
        elif kind == 6:
            record["title"] = ["not", "a", "string"]
        line = json.dumps(record)
        if kind == 7:
            line = '{"id": "broken", "text": "cut off'
        elif kind == 8:
            line = '["not", "an", "object"]'
        lines.append(line)
        if kind == 9:
            lines.append("")  # a blank line is not a record
    return lines


def write_corpus(folder: Path) -> int:
    """Five shards (JSONL, JSONL.gz, CSV, Parquet, an empty one): 300 records. Returns the record count."""
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(jsonl_lines("a", 110)) + "\n")
    with gzip.open(folder / "b.jsonl.gz", "wt") as stream:
        stream.write("\n".join(jsonl_lines("b", 70)) + "\n")
    with open(folder / "c.csv", "w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "title", "text", "targets"])
        for i in range(60):
            row = [f"c{i}", f"Headline {i}", body(i), ""]
            if i % 6 == 1:
                row[2] = ""
            elif i % 6 == 2:
                row[3] = "[oops"
            elif i % 6 == 3:
                row.append("one field too many")
            elif i % 6 == 4:
                row[3] = json.dumps(["Rates went up", "Fans cheered"])
            writer.writerow(row)
    rows = [{"id": i, "title": f"Headline {i}", "text": None if i % 7 == 1 else body(i)} for i in range(60)]
    pq.write_table(pa.Table.from_pylist(rows), folder / "d.parquet", row_group_size=16)
    (folder / "e.jsonl").write_text("")
    (folder / "_SUCCESS").write_text("")  # not a shard
    return 300


def read_part(path: Path) -> list[dict]:
    if path.name.endswith(".parquet"):
        return pq.read_table(path).to_pylist()
    return [json.loads(line) for line in path.read_bytes().splitlines()]


def parts_by_input(output: Path) -> dict[str, list[dict]]:
    manifest = json.loads((output / MANIFEST).read_text())
    fmt = manifest["format"]
    assert set(manifest["done"]) == {f"part-{i:05d}.{fmt}" for i in range(len(manifest["shards"]))}
    return {
        Path(shard["uri"]).name: read_part(output / f"part-{i:05d}.{fmt}")
        for i, shard in enumerate(manifest["shards"])
    }


def same(local, remote, path="") -> float:
    """Assert equal up to TOLERANCE on floats; return the largest float difference."""
    if isinstance(local, float) and isinstance(remote, float):
        assert abs(local - remote) <= TOLERANCE, path
        return abs(local - remote)
    assert type(local) is type(remote), f"{path}: {local!r} vs {remote!r}"
    if isinstance(local, dict):
        assert list(local) == list(remote), path
        return max([same(local[k], remote[k], f"{path}.{k}") for k in local] or [0.0])
    if isinstance(local, list):
        assert len(local) == len(remote), path
        return max([same(a, b, f"{path}[{i}]") for i, (a, b) in enumerate(zip(local, remote))] or [0.0])
    assert local == remote, f"{path}: {local!r} vs {remote!r}"
    return 0.0


def decoded(row: dict) -> dict:
    return {key: json.loads(value) if key in ("stances", "warnings", "result") and value else value
            for key, value in row.items()}


# --------------------------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def ray_runtime():
    ray = pytest.importorskip("ray")
    pytest.importorskip("ray.data")
    ray.init(
        address="local", num_cpus=2, object_store_memory=100 * 2**20, include_dashboard=False,
        log_to_driver=False, logging_level="ERROR",
    )
    yield ray
    ray.shutdown()


@pytest.fixture(scope="module")
def corpus(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("ray") / "corpus"
    write_corpus(folder)
    return folder


@pytest.fixture(scope="module")
def local_results(corpus, tiny_analyzer, tmp_path_factory) -> dict[str, list[dict]]:
    """The local engine's output records for every shard of the corpus."""
    out, results = tmp_path_factory.mktemp("local"), {}
    for shard in sorted(p for p in corpus.iterdir() if not p.name.startswith("_")):
        target = out / f"{shard.name}.jsonl"
        settings = BatchSettings(input=str(shard), output=str(target), batch_size=4, precision="fp32")
        run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
        results[shard.name] = read_part(target)
    assert sum(map(len, results.values())) == 300
    return results


def ray_run(corpus: Path, output: Path, checkpoint: Path, fmt: str, **options):
    from classifier.scale.engine import RayOptions, run_ray_batch

    settings = BatchSettings(input=str(corpus), output=str(output), batch_size=options.pop("batch_size", 4),
                             model=str(checkpoint), precision="fp32", **options.pop("settings", {}))
    return run_ray_batch(settings, RayOptions(workers=options.pop("workers", 2), output_format=fmt), **options)


# ------------------------------------------------------------------------------------------------ tests


def test_rows_equal_the_local_engine_even_with_an_actor_killed(
    ray_runtime, corpus, local_results, tiny_checkpoint, tmp_path
):
    killed: list[int] = []
    done = threading.Event()

    def kill_a_busy_actor() -> None:
        # An actor's process title ends in ".submit" while it analyzes a batch: SIGKILL it right then.
        while not done.is_set() and not killed:
            for pid, title in actor_processes():
                if title.endswith(".submit"):
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                    break
            time.sleep(0.01)

    killer = threading.Thread(target=kill_a_busy_actor, daemon=True)
    killer.start()
    try:
        report = ray_run(corpus, tmp_path / "out", tiny_checkpoint, "parquet")
    finally:
        done.set()
        killer.join()
    assert killed, "no actor was seen analyzing a batch"
    errors = sum("error" in record for records in local_results.values() for record in records)
    assert (report.total, report.errors, report.skipped) == (300, errors, 0)
    assert errors >= 60  # the corpus really has bad records of every kind
    parts = parts_by_input(tmp_path / "out")
    assert list(parts) == sorted(local_results)  # one part per shard, _SUCCESS left out, the empty shard kept
    assert parts["e.jsonl"] == []
    largest = 0.0
    for name, local in local_results.items():  # exactly one row per input record, equal to the local engine's
        assert all(list(row) == list(TABLE_COLUMNS) for row in parts[name])
        expected = [decoded(flat_row(record)) for record in local]
        largest = max(largest, same(expected, [decoded(row) for row in parts[name]], name))
    print(f"max abs score difference, ray (an actor killed) vs local: {largest:.2e}")


def actor_processes() -> list[tuple[int, str]]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            title = Path(f"/proc/{entry}/cmdline").read_bytes().split(b"\0")[0].decode(errors="replace").strip()
        except OSError:
            continue
        if title.startswith("ray::") and "AnalyzeBatch" in title:
            found.append((int(entry), title))
    return found


def test_resume_after_the_driver_is_killed(ray_runtime, tiny_checkpoint, tiny_analyzer, tmp_path):
    # The CLI drivers join this test's Ray runtime (--ray-address), which also saves starting one per run.
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(10):
        (folder / f"s{i:02d}.jsonl").write_text("\n".join(jsonl_lines(f"s{i}-", 40)) + "\n")
    output = tmp_path / "out"
    command = [
        sys.executable, "-m", "classifier.cli", "batch", str(folder), str(output), "--engine", "ray",
        "--workers", "1", "--batch-size", "1", "--model", str(tiny_checkpoint), "--precision", "fp32",
        "--output-format", "jsonl", "--no-progress", "--ray-address", ray_runtime.get_runtime_context().gcs_address,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    driver = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline, done = time.monotonic() + 240, {}
    while time.monotonic() < deadline and driver.poll() is None:
        done = manifest_done(output)
        if done:
            break
        time.sleep(0.02)
    driver.send_signal(signal.SIGKILL)
    log = driver.communicate()[0].decode(errors="replace")
    assert done and len(done) < 10, f"the driver was not killed mid-run ({len(done)} shards done)\n{log[-3000:]}"
    finished = {name: (output / name).stat() for name in manifest_done(output)}

    rerun = subprocess.run([*command, "--resume"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    skipped = sum(entry["rows"] for name, entry in manifest_done(output).items() if name in finished)
    assert f"{skipped} skipped as already done" in rerun.stderr
    for name, before in finished.items():  # finished shards were not written again
        after = (output / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), name
    parts = parts_by_input(output)
    for i in range(10):  # exactly one row per input record, in input order, equal to the local engine's
        ids = [record["id"] for record in parts[f"s{i:02d}.jsonl"]]
        # records without a readable id (no id, broken JSON, not an object) are numbered within their shard
        assert ids == [str(n) if n % 10 in (5, 7, 8) else f"s{i}-{n}" for n in range(40)]
        local = tmp_path / f"local{i}.jsonl"
        settings = BatchSettings(input=str(folder / f"s{i:02d}.jsonl"), output=str(local), batch_size=1, precision="fp32")
        run_batch(plan_run(settings, resume=False, overwrite=False), tiny_analyzer)
        same(read_part(local), parts[f"s{i:02d}.jsonl"], f"s{i:02d}")
    assert not [name for name in os.listdir(output) if name.startswith(".")]  # no temporary file left


def manifest_done(output: Path) -> dict:
    try:
        return json.loads((output / MANIFEST).read_text())["done"]
    except (OSError, ValueError):
        return {}


def test_resume_refuses_other_options(ray_runtime, corpus, tiny_checkpoint, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / MANIFEST).write_text(json.dumps({
        "presslens_ray_manifest": 1, "format": "jsonl", "done": {},
        "options": {}, "shards": [shard.identity() for shard in list_shards(str(corpus))],
    }))
    with pytest.raises(BatchError, match="already holds presslens output"):
        ray_run(corpus, tmp_path / "out", tiny_checkpoint, "jsonl")
    with pytest.raises(BatchError, match="--resume needs the options of the interrupted run"):
        ray_run(corpus, tmp_path / "out", tiny_checkpoint, "jsonl", resume=True)


def test_shards_from_a_folder_a_glob_and_a_file_uri(corpus):
    names = ["a.jsonl", "b.jsonl.gz", "c.csv", "d.parquet", "e.jsonl"]
    assert [Path(s.uri).name for s in list_shards(str(corpus))] == names
    assert [Path(s.uri).name for s in list_shards(str(corpus / "*.jsonl"))] == ["a.jsonl", "e.jsonl"]
    by_uri = list_shards(f"file://{corpus}/*.jsonl*")
    assert [s.uri for s in by_uri] == [f"file://{corpus}/{name}" for name in ("a.jsonl", "b.jsonl.gz", "e.jsonl")]
    with pytest.raises(BatchError, match="does not exist"):
        list_shards(str(corpus / "missing"))
    with pytest.raises(BatchError, match="names no .jsonl"):
        list_shards(str(corpus / "*.txt"))


def test_ray_options_need_the_ray_engine(tmp_path):
    (tmp_path / "in.jsonl").write_text('{"text": "x"}\n')
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "in.jsonl"), str(tmp_path / "o.jsonl"), "--workers", "2"])
    assert result.exit_code == 2 and "--workers only apply to --engine ray" in result.output
    result = CliRunner().invoke(main, ["batch", str(tmp_path / "missing.jsonl"), str(tmp_path / "o.jsonl")])
    assert result.exit_code == 2 and "does not exist" in result.output


def test_classifier_imports_without_ray():
    code = (
        "import sys; sys.modules['ray'] = None\n"  # an import of ray now fails like a missing package
        "import classifier, classifier.cli, classifier.scale.engine\n"
        "from classifier.scale.engine import _ray\n"
        "try:\n    _ray()\nexcept Exception as error:\n    print(error)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert 'pip install "presslens[ray]"' in result.stdout


def test_a_truncated_shard_is_one_line_the_others_are_written_and_resume_redoes_it(ray_runtime, tiny_checkpoint,
                                                                                   tmp_path):
    """Issue 21 item 12. Before: rc 1, 134 lines of stderr with two tracebacks, the cause buried, and no
    good shard kept."""
    folder = tmp_path / "shards"
    folder.mkdir()
    (folder / "a.jsonl").write_text("\n".join(jsonl_lines("a", 20)) + "\n")
    rows = [{"id": f"b{i}", "title": f"Headline {i}", "text": body(i)} for i in range(30)]
    pq.write_table(pa.Table.from_pylist(rows), tmp_path / "b.parquet")
    whole = (tmp_path / "b.parquet").read_bytes()
    (folder / "b.parquet").write_bytes(whole[: len(whole) // 2])  # cut off in the middle, footer gone
    (folder / "c.jsonl").write_text("\n".join(jsonl_lines("c", 20)) + "\n")
    output = tmp_path / "out"
    command = [
        sys.executable, "-m", "classifier.cli", "batch", str(folder), str(output), "--engine", "ray",
        "--workers", "1", "--model", str(tiny_checkpoint), "--precision", "fp32", "--output-format", "jsonl",
        "--no-progress", "--ray-address", ray_runtime.get_runtime_context().gcs_address,
    ]
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    first = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert first.returncode == 1, first.stderr[-3000:]
    lines = [line for line in first.stderr.splitlines() if line.strip()]
    assert "Traceback" not in first.stderr and len(lines) <= 8, first.stderr[-3000:]
    bad = [line for line in lines if "b.parquet" in line]
    assert len(bad) == 1 and "Parquet" in bad[0] and "--resume" in bad[0], lines
    done = manifest_done(output)
    assert set(done) == {"part-00000.jsonl", "part-00002.jsonl"}, done
    assert len(read_part(output / "part-00000.jsonl")) == 20 and len(read_part(output / "part-00002.jsonl")) == 20
    assert not (output / "part-00001.jsonl").exists()
    kept = {name: (output / name).stat() for name in done}

    (folder / "b.parquet").write_bytes(whole)  # the shard replaced by a good copy
    rerun = subprocess.run([*command, "--resume"], cwd=REPO, env=env, capture_output=True, text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr[-3000:]
    assert "40 skipped as already done" in rerun.stderr, rerun.stderr
    for name, before in kept.items():  # the good shards were not written again
        after = (output / name).stat()
        assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns), name
    assert [record["id"] for record in read_part(output / "part-00001.jsonl")] == [f"b{i}" for i in range(30)]
