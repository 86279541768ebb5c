"""What reading CSV through `classifier.csv_rows` (one physical line at a time, to catch a quote never
closed) costs against a plain `csv.reader`, side by side on the same generated file, in one process.

    python benchmarks/csv_reading.py                 # 20,000 rows of ~1,500-character articles
    python benchmarks/csv_reading.py --rows 5000 --paragraphs 12 --rounds 5

Prints the median seconds of each reader and their ratio (csv_rows / csv.reader); no assertions.
"""

from __future__ import annotations

import argparse
import csv
import io
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from classifier.csv_rows import csv_rows  # noqa: E402

PARAGRAPH = ("The council said on Monday that the harbour budget would rise again next year, officials said, "
             "and the opposition asked for a vote before the summer. ")


def write_file(path: Path, rows: int, paragraphs: int) -> None:
    text = "\n\n".join(PARAGRAPH * 2 for _ in range(paragraphs))  # quoted line ends inside each article
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "title", "text"])
        for i in range(rows):
            writer.writerow([f"r{i}", f"Headline {i}", text])


def plain(path: Path) -> int:
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        return sum(1 for _ in csv.reader(text))


def through_csv_rows(path: Path) -> int:
    with open(path, "rb") as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        return sum(1 for _ in csv_rows(text))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--paragraphs", type=int, default=4, help="paragraphs (blank-line separated) per article")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    csv.field_size_limit(2**31 - 1)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "articles.csv"
        write_file(path, args.rows, args.paragraphs)
        size = path.stat().st_size
        times: dict[str, list[float]] = {"csv.reader": [], "csv_rows": []}
        for _ in range(args.rounds):  # interleaved, so that a busy moment hits both
            for name, read in (("csv.reader", plain), ("csv_rows", through_csv_rows)):
                started = time.perf_counter()
                count = read(path)
                times[name].append(time.perf_counter() - started)
                assert count == args.rows + 1, (name, count)
    medians = {name: statistics.median(values) for name, values in times.items()}
    print(f"{args.rows:,} rows, {size / 2**20:.1f} MiB, {args.paragraphs * 2 - 1} line ends per article, "
          f"median of {args.rounds}:")
    for name, seconds in medians.items():
        print(f"  {name:<11} {seconds:.3f} s  ({size / 2**20 / seconds:.0f} MiB/s)")
    print(f"  ratio csv_rows / csv.reader: {medians['csv_rows'] / medians['csv.reader']:.2f}")


if __name__ == "__main__":
    main()
