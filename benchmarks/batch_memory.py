"""Does `presslens batch` stream? Peak memory of a run over a small and a 10x larger input, and with huge records.

    python benchmarks/batch_memory.py --model path/to/checkpoint [--records 20000] [--output-format parquet]
    python benchmarks/batch_memory.py --records 200 --huge-mb 50 --tasks topic,stance,summary

Writes synthetic JSONL inputs of records/10 and records articles to a temporary folder, runs
`python -m classifier.cli batch` on each (topic only by default, so the model is not what is measured),
samples the child's resident memory (/proc, Linux) while it runs, and prints records, seconds, records/s,
peak RSS and the RSS at 25/50/75/100 % of the records. Flat memory = the large run's peak close to the small
run's. With --huge-mb M it then runs the small input again with one record of M MB of article text in the
middle (and one of 1 MB), and prints the peak RSS next to the small run's and what became of the huge
records (analyzed, or the error record and its message). Bounded memory = the peaks close together.
Prints numbers only; nothing is asserted (timings depend on the machine).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
WORDS = ("officials said the plan would raise prices across the region while markets waited for the vote "
         "and analysts expected growth to slow as the central bank met again on tuesday").split()


def article(i: int, words_count: int) -> str:
    words = [WORDS[(i * 7 + k * 3) % len(WORDS)] for k in range(words_count)]
    return ". ".join(" ".join(words[j : j + 12]).capitalize() for j in range(0, len(words), 12)) + "."


def write_input(path: Path, records: int, huge: dict[int, int] | None = None) -> None:
    """`records` short articles; `huge` maps a record number to a text of that many MB instead."""
    huge = huge or {}
    with open(path, "w", encoding="utf-8") as stream:
        for i in range(records):
            if i in huge:
                unit = article(i, 1000) + "\n\n"
                text = unit * (huge[i] * 1_000_000 // len(unit) + 1)
            else:
                text = article(i, 40 + i % 60)
            stream.write(json.dumps({"id": f"n{i}", "title": f"Story {i}", "text": text}) + "\n")


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(source: Path, target: Path, records: int, model: str | None, batch_size: int, tasks: str = "topic") -> dict:
    command = [sys.executable, "-m", "classifier.cli", "batch", str(source), str(target), "--tasks", tasks,
               "--batch-size", str(batch_size), "--no-progress", "--precision", "fp32"]
    if model:
        command += ["--model", model]
    journal = Path(str(target) + ".partial.jsonl")
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO, stderr=subprocess.PIPE, text=True)
    peak, last, marks = 0.0, 0.0, {}
    while process.poll() is None:
        rss = rss_mib(process.pid)
        if rss:
            peak, last = max(peak, rss), rss
            try:
                done = journal.read_bytes().count(b"\n")
            except OSError:
                done = 0
            for fraction in (0.25, 0.5, 0.75):
                if done >= fraction * records and fraction not in marks:
                    marks[fraction] = rss
        time.sleep(0.25)
    marks[1.0] = last  # the last sample: the end of the run (conversion to the output format included)
    seconds = time.monotonic() - started
    if process.returncode != 0:
        raise SystemExit(f"batch failed:\n{process.stderr.read()}")
    return {"records": records, "seconds": seconds, "peak": peak, "marks": marks}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--records", type=int, default=20_000)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--output-format", default="parquet", choices=["jsonl", "jsonl.gz", "csv", "parquet"])
    parser.add_argument("--tasks", default="topic", help="tasks of the runs (topic: the model is not what is measured)")
    parser.add_argument("--huge-mb", type=int, default=0, help="also run the small input with one record this large")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for records in (max(args.records // 10, 1), args.records):
            source = Path(folder) / f"in-{records}.jsonl"
            write_input(source, records)
            result = measure(source, Path(folder) / f"out-{records}.{args.output_format}", records, args.model,
                             args.batch_size, args.tasks)
            report(f"{records:>8} records", records, result)
        if args.huge_mb:
            records = max(args.records // 10, 4)
            huge = {records // 2: args.huge_mb, records // 4: 1}
            source = Path(folder) / "in-huge.jsonl"
            write_input(source, records, huge)
            target = Path(folder) / "out-huge.jsonl"
            result = measure(source, target, records, args.model, args.batch_size, args.tasks)
            report(f"{records:>8} records, one of {args.huge_mb} MB, one of 1 MB", records, result)
            with open(target, encoding="utf-8") as stream:
                outputs = [json.loads(line) for line in stream]
            for number, size in sorted(huge.items()):
                out = outputs[number]
                print(f"  the {size} MB record: " + (f"error record: {out['error']}" if "error" in out else
                                                     f"analyzed ({'; '.join(out.get('warnings', []))[:160]})"))


def report(label: str, records: int, result: dict) -> None:
    marks = "  ".join(f"{int(f * 100)}%: {rss:.0f} MiB" for f, rss in sorted(result["marks"].items()))
    print(f"{label}  {result['seconds']:7.1f} s  {records / result['seconds']:7.1f} records/s  "
          f"peak RSS {result['peak']:.0f} MiB  ({marks})", flush=True)


if __name__ == "__main__":
    main()
