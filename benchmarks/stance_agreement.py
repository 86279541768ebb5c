"""How many answers change between inference paths, item by item, on held-out stance items.

    python benchmarks/stance_agreement.py --pairs 80 \\
        --paths native/torch:auto,avx2/torch:auto,avx2/torch:int8,avx2/openvino:fp32
    python benchmarks/stance_agreement.py --suite news --model runs/x/final \\
        --paths native/torch:auto,avx2/torch:auto,avx2/openvino+f16:fp32

A path is CPU/BACKEND:PRECISION (CPU: a class of benchmarks/cpu_classes.py; each path runs in its own
process with that class's ISA caps set before torch is imported; BACKEND may carry a weight storage,
`openvino+f16`, as in benchmarks/throughput.py). The first path is the reference (issue 22's check: the AVX2
default within 2 answers in 80 of the uncapped default).

  --suite honest  a seeded sample of `--pairs` pairs of the honest dev split (training/stance_split.py: no
                  claim or body shared with training), scored as `presslens-evaluate` scores them (the
                  Analyzer's stance windows, decision layer, mean over windows); needs ../shared/data.
  --suite news    every item of the hand-written suite (training/suites/news_stance.jsonl, never trained or
                  tuned on), each analysed as a user gets it (`analyze_many`: topic, stance toward the item's
                  claim, summary); also compares the topic label and the summary's sentences.

Prints per path the changed answers, accuracy against gold and the largest stance probability difference to
the reference. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))


def answers(model: str, backend: str, precision: str, pairs: int, data_dir: str | None) -> dict:
    """Stance labels of the sampled pairs on this process's CPU (called in the child)."""
    import numpy as np

    from classifier.model import apply_stance_decision
    from training import metrics
    from training.evaluate import stance_pair_windows
    from training.stance_split import stance_split

    _, dev = stance_split(data_dir)
    rows = random.Random(0).sample(dev, min(pairs, len(dev)))
    from throughput import load_path

    _, analyzer = load_path(f"{backend}:{precision}", argparse.Namespace(model=model, batch_size=16))
    windows, owner = stance_pair_windows(analyzer, rows)
    outputs = analyzer.forward_windows(windows, "pairs")
    per_row: list[list] = [[] for _ in rows]
    for n, window, (logits, *_) in zip(owner, windows, outputs):  # (stance logits, sentence logits, ...)
        per_row[n].append(np.array(apply_stance_decision(analyzer.config, list(logits), window.features)))
    labels = analyzer.config.stance_labels
    predicted = [labels[int(metrics.softmax(np.stack(r)).mean(0).argmax())] for r in per_row]
    return {"resolved": f"{analyzer.backend}:{analyzer.precision}", "predicted": predicted,
            "gold": [r["label"] for r in rows]}


def news_answers(model: str, spec: str) -> dict:
    """Topic, stance (toward each item's claim) and summary of every news-suite item on this process's CPU."""
    from throughput import load_path
    from training.stance_suites import load_news

    rows = load_news()
    _, analyzer = load_path(spec, argparse.Namespace(model=model, batch_size=16))
    records = [{"title": r["title"], "text": r["text"], "targets": [r["claim"]]} for r in rows]
    predicted, scores, topics, summaries = [], [], [], []
    for analysis in analyzer.analyze_many(records, tasks=["topic", "stance", "summary"]):
        result = analysis.to_dict()
        stance = result["stances"][0]
        predicted.append(stance["label"])
        scores.append(stance["scores"])
        topics.append((result.get("topic") or {}).get("label"))
        summaries.append([s["index"] for s in (result.get("summary") or {}).get("sentences", [])])
    return {"resolved": f"{analyzer.backend}:{analyzer.precision}", "predicted": predicted, "scores": scores,
            "topics": topics, "summaries": summaries, "gold": [r["label"] for r in rows]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default=str(REPO / "classifier" / "default_model"))
    parser.add_argument("--paths", default="native/torch:auto,avx2/torch:auto,avx2/torch:int8,avx2/openvino:fp32")
    parser.add_argument("--pairs", type=int, default=80)
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--suite", choices=("honest", "news"), default="honest")
    parser.add_argument("--child", default=None, help=argparse.SUPPRESS)  # BACKEND:PRECISION:OUTPUT
    args = parser.parse_args(argv)
    if args.child:
        backend, precision, output = args.child.split(":", 2)
        if args.suite == "news":
            result = news_answers(args.model, f"{backend}:{precision}")
        else:
            result = answers(args.model, backend, precision, args.pairs, args.data_dir)
        Path(output).write_text(json.dumps(result))
        return 0

    from cpu_classes import CPU_CLASSES

    results = {}
    with tempfile.TemporaryDirectory() as folder:
        for path in [p.strip() for p in args.paths.split(",") if p.strip()]:
            cpu, _, spec = path.partition("/")
            output = Path(folder) / f"{len(results)}.json"
            command = [sys.executable, __file__, "--model", args.model, "--pairs", str(args.pairs),
                       "--suite", args.suite, "--child", f"{spec}:{output}"] + (["--data-dir", args.data_dir] if args.data_dir else [])
            subprocess.run(command, env={**os.environ, **CPU_CLASSES[cpu], "PYTHONPATH": str(REPO)}, check=True,
                           stdout=subprocess.DEVNULL)
            results[path] = json.loads(output.read_text())
    reference_path, reference = next(iter(results.items()))
    gold = reference["gold"]
    what = ("news-suite items (training/suites/news_stance.jsonl, all)" if args.suite == "news"
            else "held-out stance pairs (honest dev split, seed 0)")
    print(f"{len(gold)} {what}; model {args.model}; reference {reference_path} (= {reference['resolved']})")
    for path, result in results.items():
        changed = sum(a != b for a, b in zip(result["predicted"], reference["predicted"]))
        correct = sum(a == b for a, b in zip(result["predicted"], gold))
        line = (f"  {path:<26} (= {result['resolved']:<14}) stance changed {changed:>3} of {len(gold)}; "
                f"correct {correct} of {len(gold)} ({correct / len(gold):.1%})")
        if "scores" in result:
            largest = max(abs(mine[label] - theirs[label]) for ours, refs in [(result["scores"], reference["scores"])]
                          for mine, theirs in zip(ours, refs) for label in theirs)
            topics = sum(a != b for a, b in zip(result["topics"], reference["topics"]))
            summaries = sum(a != b for a, b in zip(result["summaries"], reference["summaries"]))
            line += (f"; largest stance probability difference {largest:.4f}; topic changed {topics}, "
                     f"summary sentences changed {summaries}")
        print(line, flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
