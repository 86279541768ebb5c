"""Every validation metric per inference path (backend x precision, optionally on an AVX2-capped CPU), next
to torch fp32, on any checkpoint: runs `presslens-evaluate` once per path, then prints the table of
benchmarks/precision_quality.py (differences above the 0.5-point budget marked `**`).

    python benchmarks/path_quality.py --model classifier/default_model \\
        --paths torch:fp32,torch:bf16,openvino:fp32,openvino:bf16 --out runs/quality
    python benchmarks/path_quality.py --paths torch:fp32,torch:int8 --cpu avx2 --stance-pairs 1000 --summary-articles 200

A path is BACKEND:PRECISION; the first is the reference (put torch:fp32 first). Each evaluation runs in its
own process, so `--cpu avx2` can set the oneDNN / MKL / FBGEMM ISA caps (benchmarks/cpu_classes.py) before
torch is imported: int8 kernels differ between AVX2 and AVX-512 VNNI, so quality is measured as run.
A report already in --out for the same path and sample options is reused (`--fresh` runs it again).
`--stance-pairs` / `--summary-articles` evaluate seeded samples (the same items for every path); 0 = all.
Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "benchmarks"))

from cpu_classes import CPU_CLASSES  # noqa: E402
import precision_quality  # noqa: E402


def evaluate(path: str, args, output: Path) -> Path:
    backend, precision = path.split(":")
    sample = {"summary_articles": args.summary_articles, "stance_pairs": args.stance_pairs}
    if output.is_file() and not args.fresh:
        report = json.loads(output.read_text(encoding="utf-8"))
        if report.get("args", {}).get("stance_pairs") == args.stance_pairs and \
                report.get("args", {}).get("summary_articles") == args.summary_articles:
            print(f"{path}: reusing {output}", flush=True)
            return output
    command = [sys.executable, "-m", "training.evaluate", "--model", args.model, "--no-baselines",
               "--precision", precision, "--backend", backend, "--tasks", args.tasks,
               "--summary-articles", str(sample["summary_articles"] or 10**9),
               "--stance-pairs", str(sample["stance_pairs"]), "--output", str(output)]
    env = {**os.environ, **CPU_CLASSES[args.cpu], "PYTHONPATH": str(REPO)}
    print(f"{path} ({args.cpu}): {' '.join(command[1:])}", flush=True)
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return output


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(REPO / "classifier" / "default_model"))
    parser.add_argument("--paths", default="torch:fp32,torch:bf16,openvino:fp32,openvino:bf16")
    parser.add_argument("--cpu", choices=sorted(CPU_CLASSES), default="native")
    parser.add_argument("--tasks", default="topic,stance,summary")
    parser.add_argument("--stance-pairs", type=int, default=0, help="seeded sample per stance split (0 = all)")
    parser.add_argument("--summary-articles", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=REPO / "runs" / "quality")
    parser.add_argument("--fresh", action="store_true", help="run every path again")
    parser.add_argument("--budget", type=float, default=0.5)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    reports = []
    for path in [p.strip() for p in args.paths.split(",") if p.strip()]:
        name = f"eval_{args.cpu}_{path.replace(':', '_')}_s{args.stance_pairs}_a{args.summary_articles}.json"
        reports.append(str(evaluate(path, args, args.out / name)))
    print()
    return precision_quality.main([*reports, "--budget", str(args.budget)])


if __name__ == "__main__":
    sys.exit(main())
