"""Full-analysis speed of two (or more) checkpoints side by side, in turns, in one process.

    python benchmarks/compare_models.py --model classifier/default_model --model /tmp/presslens-0.3.0 --rounds 3

Articles as in benchmarks/throughput.py (~700-token CNN/DailyMail validation articles, headline = first
highlight, or --input JSONL). Each round analyses the same articles with every model in turn (topic + stance
toward the headline + summary, `analyze_many`, batch 16); the median articles/s per model and the ratio to
the first model are printed. Numbers only; nothing is asserted.
"""

from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from throughput import analysis_rate, cnn_dailymail_articles, jsonl_articles  # noqa: E402


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="checkpoint directory (repeat)")
    parser.add_argument("--input", type=Path, default=None, help="JSONL articles with 'text' (and 'title')")
    parser.add_argument("--articles", type=int, default=48)
    parser.add_argument("--precision", default="auto")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)

    from classifier import Analyzer

    analyzers = [Analyzer.from_pretrained(m, precision=args.precision) for m in args.model]
    tokenizer = analyzers[0].tokenizer
    articles = jsonl_articles(args.input, args.articles) if args.input else cnn_dailymail_articles(args.articles, tokenizer)
    full = ("topic", "stance", "summary")
    for analyzer in analyzers:  # warm-up: first calls pay one-off costs
        analysis_rate(analyzer, articles[:4], full)
    rates: list[list[float]] = [[] for _ in analyzers]
    for _ in range(args.rounds):
        for i, analyzer in enumerate(analyzers):
            rates[i].append(analysis_rate(analyzer, articles, full))
    base = statistics.median(rates[0])
    print(f"{len(articles)} articles, {args.rounds} rounds, precision {analyzers[0].precision}")
    for model, r in zip(args.model, rates):
        med = statistics.median(r)
        print(f"{med:7.2f} articles/s  x{med / base:.2f}  ({', '.join(f'{x:.2f}' for x in r)})  {model}")


if __name__ == "__main__":
    main()
