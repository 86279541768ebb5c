"""Ray engine vs local engine on the same file, side by side in one run: throughput and same answers.

    python benchmarks/ray_throughput.py [--records 400] [--workers 1,2] [--model PATH] [--precision auto]

Takes the first --records articles of CNN/DailyMail validation (../shared/data, or --data FILE; the first
highlight line as the headline, so all three tasks run) plus a few bad records, as one JSONL file. Then,
in this order, with the shipped model unless --model:

* local engine (`run_batch`, torch's default threads): setup = loading the Analyzer; run = the file;
* Ray engine for each --workers count on one local Ray runtime (num_cpus = the machine's CPUs): setup = a run
  over a one-record file (actor pool start + model load per actor), run = the same file.

Prints seconds, records/s of the run without its setup (= records / (run - one-record run)), the ratio to
the local engine, and how the Ray rows compare with the local rows: label agreement, identical error
records, the largest absolute difference of any score. Nothing is asserted: the machine is shared.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "cnn_dailymail" / "validation.jsonl.gz"
BAD = ['{"id": "bad-json", "text": "cut off', '{"id": "no-text", "title": "x"}', '{"id": "wrong-type", "text": 5}']


def write_input(source: Path, target: Path, records: int) -> int:
    lines = []
    with gzip.open(source, "rt", encoding="utf-8") as stream:
        for line in stream:
            if len(lines) >= records:
                break
            row = json.loads(line)
            title = row["highlights"].split("\n")[0]
            lines.append(json.dumps({"id": row["id"], "title": title, "text": row["article"]}))
    for i, bad in enumerate(BAD):  # spread through the file
        lines.insert((i + 1) * len(lines) // (len(BAD) + 1), bad)
    target.write_text("\n".join(lines) + "\n")
    return len(lines)


def local_engine(source: Path, output: Path, args: argparse.Namespace) -> tuple[float, float]:
    from classifier import Analyzer
    from classifier.batch import BatchSettings, plan_run, run_batch

    started = time.monotonic()
    analyzer = Analyzer.from_pretrained(args.model, batch_size=args.batch_size, precision=args.precision)
    setup = time.monotonic() - started
    settings = BatchSettings(input=str(source), output=str(output), batch_size=args.batch_size, model=args.model,
                             precision=args.precision)
    started = time.monotonic()
    run_batch(plan_run(settings, resume=False, overwrite=True), analyzer)
    return setup, time.monotonic() - started


def ray_engine(source: Path, output: Path, workers: int, args: argparse.Namespace) -> float:
    from classifier.batch import BatchSettings
    from classifier.scale.engine import RayOptions, run_ray_batch

    settings = BatchSettings(input=str(source), output=str(output), batch_size=args.batch_size, model=args.model,
                             precision=args.precision)
    started = time.monotonic()
    run_ray_batch(settings, RayOptions(workers=workers, output_format="jsonl"), overwrite=True)
    return time.monotonic() - started


def compare(local: Path, ray_part: Path) -> dict:
    """Label agreement, error records, largest score difference between two outputs of the same file."""
    a = [json.loads(line) for line in local.read_text().splitlines()]
    b = [json.loads(line) for line in ray_part.read_text().splitlines()]
    assert [r["id"] for r in a] == [r["id"] for r in b], "ids differ"
    stats = {"rows": len(a), "bytes_per_row": ray_part.stat().st_size // max(len(b), 1), "errors_equal": True, "label_mismatches": 0, "summary_mismatches": 0, "max_abs": 0.0}
    for x, y in zip(a, b):
        if "error" in x or "error" in y:
            stats["errors_equal"] &= x == y
            continue
        pairs = [(x["topic"], y["topic"])] + list(zip(x["stances"], y["stances"]))
        for p, q in pairs:
            stats["label_mismatches"] += p["label"] != q["label"]
            stats["max_abs"] = max(stats["max_abs"], *(abs(p["scores"][k] - q["scores"][k]) for k in p["scores"]))
        stats["summary_mismatches"] += x["summary"]["text"] != y["summary"]["text"]
        for s, t in zip(x["summary"]["sentences"], y["summary"]["sentences"]):
            stats["max_abs"] = max(stats["max_abs"], abs(s["score"] - t["score"]))
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=400)
    parser.add_argument("--workers", default="1,2", help="comma-separated actor counts to measure")
    parser.add_argument("--model", default=None, help="checkpoint directory [default: the shipped model]")
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--data", type=Path, default=DATA)
    args = parser.parse_args()
    if not args.data.is_file():
        raise SystemExit(f"{args.data} is not available; pass --data a CNN/DailyMail-style .jsonl.gz")
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    import ray

    from classifier.analyzer import _resolve_precision

    with tempfile.TemporaryDirectory(prefix="presslens-ray-bench-") as folder:
        work = Path(folder)
        (work / "in").mkdir()
        (work / "one").mkdir()
        source = work / "in" / "articles.jsonl"
        n = write_input(args.data, source, args.records)
        write_input(args.data, work / "one" / "one.jsonl", 1)
        print(f"{n} records ({len(BAD)} bad), precision {_resolve_precision(args.precision)}, "
              f"batch size {args.batch_size}, {os.cpu_count()} CPUs; seconds, then records/s without setup")
        setup, run = local_engine(source, work / "local.jsonl", args)
        local_rate = n / run
        print(f"local engine         setup {setup:6.1f}  run {run:7.1f}  {local_rate:6.2f} rec/s  ratio 1.00")
        ray.init(address="local", include_dashboard=False, log_to_driver=False, logging_level="ERROR")
        try:
            for workers in [int(w) for w in args.workers.split(",")]:
                setup = ray_engine(work / "one", work / f"ray{workers}-one", workers, args)
                run = ray_engine(source, work / f"ray{workers}", workers, args)
                rate = n / max(run - setup, 1e-9)
                stats = compare(work / "local.jsonl", work / f"ray{workers}" / "part-00000.jsonl")
                print(f"ray, {workers} worker(s)     setup {setup:6.1f}  run {run:7.1f}  {rate:6.2f} rec/s  "
                      f"ratio {rate / local_rate:.2f}   (incl. setup: {n / run / local_rate:.2f})  {stats}")
        finally:
            ray.shutdown()


if __name__ == "__main__":
    main()
