"""What the summary benchmarks share: their sample options and the table they print.

    add_sample_arguments(parser, articles=300)        # --model --articles --seed --sentences --precision
    rows = seeded_sample(rows, args)
    print_scores({"presslens": model, "lead-3": lead}, references, baselines=["lead-3"])

The table gives ROUGE-1/2/L F1 per system (training/metrics.py), the differences to each baseline, and a
paired bootstrap interval of the ROUGE-1 difference over the articles: how far the margin could move on
another sample of the same size.
"""

from __future__ import annotations

import argparse
import random
from collections.abc import Sequence

METRICS = ("rouge1", "rouge2", "rougeL")


def add_sample_arguments(parser: argparse.ArgumentParser, articles: int) -> None:
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--articles", type=int, default=articles, help="seeded sample size (0 = all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sentences", type=int, default=3)
    parser.add_argument("--precision", default="auto")


def seeded_sample(rows: list, args: argparse.Namespace) -> list:
    if args.articles and args.articles < len(rows):
        return random.Random(args.seed).sample(rows, args.articles)
    return rows


def print_scores(systems: dict[str, Sequence[str]], references: Sequence[str], baselines: Sequence[str],
                 system: str = "presslens") -> dict[str, dict[str, float]]:
    from training.metrics import margin_interval, rouge, rouge_per_article

    scores = {name: rouge(predictions, references) for name, predictions in systems.items()}
    width = max(16, max(len(name) for name in systems) + 4)
    print(f"{'system':<{width}}" + "".join(f"{m.replace('rouge', 'ROUGE-'):>9}" for m in ("rouge1", "rouge2", "rougeL")))
    for name, row in scores.items():
        print(f"{name:<{width}}" + "".join(f"{row[m]:>9.2f}" for m in METRICS))
    ours = [100 * row["rouge1"] for row in rouge_per_article(systems[system], references)]
    for base in baselines:
        print(f"{'- ' + base:<{width}}" + "".join(f"{scores[system][m] - scores[base][m]:>+9.2f}" for m in METRICS))
    for base in baselines:
        theirs = [100 * row["rouge1"] for row in rouge_per_article(systems[base], references)]
        low, high = margin_interval(ours, theirs)
        print(f"ROUGE-1 difference to {base}, bootstrap 95% interval over articles: {low:+.2f} to {high:+.2f}")
    return scores
