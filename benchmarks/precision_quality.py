"""Every validation metric per precision, next to fp32: a markdown table from `presslens-evaluate` JSONs.

    for P in fp32 bf16 int8; do
        presslens-evaluate --model classifier/default_model --no-baselines --precision $P --output runs/eval_$P.json
    done
    python benchmarks/precision_quality.py runs/eval_fp32.json runs/eval_bf16.json runs/eval_int8.json

The first file is the reference. Each cell: the metric in points (percent; ROUGE as reported), and for the
other precisions the difference to the reference; a difference larger than `--budget` points (issue 12:
0.5) is marked with `**`. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path


def metrics(report: dict) -> dict[str, float]:
    """Metric name -> points, for every validation metric in one evaluate report."""
    rows: dict[str, float] = {}

    def classification(prefix: str, model: dict) -> None:
        rows[f"{prefix} accuracy"] = 100 * model["accuracy"]
        rows[f"{prefix} macro-F1"] = 100 * model["macro_f1"]
        if "fnc_score" in model:
            rows[f"{prefix} FNC score"] = 100 * model["fnc_score"]
        for label, value in model["f1"].items():
            rows[f"{prefix} F1 {label}"] = 100 * value

    if "topic" in report:
        classification(f"topic (ag_news, {report['topic']['model']['n']})", report["topic"]["model"])
    for split in ("honest", "shipped"):
        if split in report.get("stance", {}):
            part = report["stance"][split]
            classification(f"stance {split} ({part['pairs']} pairs)", part["model"])
    if "summary" in report:
        articles = report["summary"].get("articles", "?")
        for name, value in report["summary"]["model"].items():
            rows[f"summary ({articles} articles) {name.replace('rouge', 'ROUGE-')}"] = value
        for name, value in report["summary"].get("as_text", {}).get("model", {}).items():
            rows[f"summary ({articles} articles) {name.replace('rouge', 'ROUGE-')}, as text"] = value
    return rows


def _name(report: dict, path: Path) -> str:
    """'bf16', or 'openvino bf16' for another backend; the file's name when the report says neither."""
    if not report.get("precision"):
        return path.stem
    backend = report.get("backend", "torch")
    return report["precision"] if backend == "torch" else f"{backend} {report['precision']}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("reports", type=Path, nargs="+", help="evaluate JSONs; the first is the reference")
    parser.add_argument("--budget", type=float, default=0.5, help="points; larger differences are marked")
    args = parser.parse_args(argv)
    reports = [json.loads(path.read_text(encoding="utf-8")) for path in args.reports]
    names = [_name(report, path) for report, path in zip(reports, args.reports)]
    tables = [metrics(report) for report in reports]
    reference = tables[0]
    print("| metric | " + " | ".join(names) + " |")
    print("|---|" + "---|" * len(names))
    worst = {name: (0.0, "") for name in names[1:]}
    for metric, base in reference.items():
        cells = [f"{base:.2f}"]
        for name, table in zip(names[1:], tables[1:]):
            if metric not in table:
                cells.append("-")
                continue
            delta = table[metric] - base
            mark = "**" if abs(delta) > args.budget else ""
            cells.append(f"{table[metric]:.2f} ({mark}{delta:+.2f}{mark})")
            if abs(delta) > abs(worst[name][0]):
                worst[name] = (delta, metric)
        print(f"| {metric} | " + " | ".join(cells) + " |")
    for name, (delta, metric) in worst.items():
        verdict = "within" if abs(delta) <= args.budget else "OUTSIDE"
        print(f"{name}: largest difference {delta:+.2f} points ({metric or 'none'}): {verdict} {args.budget} points")
    return 0


if __name__ == "__main__":
    sys.exit(main())
