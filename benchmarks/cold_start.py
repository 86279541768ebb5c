"""Wall time of fresh `presslens` processes (cold start on a warm disk), optionally against another checkout.

    python benchmarks/cold_start.py                          # this checkout, 5 runs of each command
    python benchmarks/cold_start.py --runs 9 --article demo/examples/world_coalition_talks.txt
    git archive main | tar -x -C /tmp/before && python benchmarks/cold_start.py --compare /tmp/before

Each command runs as `python -m classifier.cli ...` from the checkout's folder (so that checkout's code is
imported, with this interpreter and its installed packages); checkouts take turns run after run so that a
shared machine's noise hits them alike. Also times `python -c "import torch"`, the floor of any command that
runs the model. Prints min and median seconds; nothing is asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def timed(command: list[str], cwd: Path) -> float:
    env = {**os.environ, "PYTHONPATH": str(cwd), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    started = time.perf_counter()
    subprocess.run(command, cwd=cwd, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - started


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--article", type=Path, default=REPO / "demo" / "examples" / "business_grocer_job_cuts.txt")
    parser.add_argument("--compare", type=Path, action="append", default=[], help="another checkout to time too")
    args = parser.parse_args(argv)

    article = str(args.article.resolve())
    cli = [sys.executable, "-m", "classifier.cli"]
    commands = {
        "import torch": [sys.executable, "-c", "import torch"],
        "presslens --help": [*cli, "--help"],
        "presslens analyze FILE": [*cli, "analyze", article],
        "presslens analyze FILE --tasks topic": [*cli, "analyze", article, "--tasks", "topic"],
    }
    checkouts = [REPO, *(path.resolve() for path in args.compare)]
    times: dict[tuple[str, Path], list[float]] = {}
    for _ in range(args.runs):
        for name, command in commands.items():
            for checkout in checkouts if name != "import torch" else checkouts[:1]:
                times.setdefault((name, checkout), []).append(timed(command, checkout))
    print(f"{args.runs} runs each, seconds (min / median); article {args.article.name}")
    for (name, checkout), values in times.items():
        where = "" if name == "import torch" else f"  [{checkout}]"
        print(f"  {name:<38}{min(values):6.2f} / {statistics.median(values):5.2f}{where}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
