"""Summaries of raw, cased, out-of-domain news: BBC News articles against their reference summaries.

    python benchmarks/bbc_summary.py --data "DIR/BBC News Summary" [--model DIR] [--articles 300]

DIR is the "BBC News Summary" data set (the 2,225 BBC News articles of 2004-05 with an extractive reference
summary each; folders `News Articles/<category>/NNN.txt`, first line = headline, and `Summaries/<category>/
NNN.txt`). It is not in the repository (BBC content; research use); one public copy is in the GitHub
repository Miguel-G-Soares/PRI_proj1. Each article goes through the Analyzer as a user would paste it
(headline + running text, cased), and the model's summary is scored next to Lead-3 of the same sentences
the model chose from, on the same rows: ROUGE-1/2/L F1 (training/metrics.py, stemmed), and how far the
ROUGE-1 difference could move on another sample of the same size (bootstrap over articles: a 300-article
sample moves it by about +-0.9, so `--articles 0`, all 2,225, is the figure to compare). Prints numbers only.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from summary_report import add_sample_arguments, print_scores, seeded_sample  # noqa: E402  (benchmarks/)

# The reference files run sentences together ("...$10.9bn.For the full-year..."); ROUGE-L (summary-level)
# wants one sentence a line.
_SENTENCE_JOIN = re.compile(r"([.!?][\"']?)(?=[A-Z\"])")


def bbc_pairs(folder: Path) -> list[tuple[str, str, str, str]]:
    """[(category/name, headline, body, reference)] for every article that has a summary."""
    pairs = []
    for path in sorted((folder / "News Articles").glob("*/*.txt")):
        summary = folder / "Summaries" / path.parent.name / path.name
        if not summary.is_file():
            continue
        headline, _, body = path.read_text(encoding="utf-8", errors="replace").partition("\n")
        reference = _SENTENCE_JOIN.sub(r"\1\n", summary.read_text(encoding="utf-8", errors="replace").strip())
        pairs.append((f"{path.parent.name}/{path.name}", headline.strip(), body.strip(), reference))
    return pairs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help='the "BBC News Summary" folder')
    add_sample_arguments(parser, articles=300)
    args = parser.parse_args(argv)

    from classifier import Analyzer

    pairs = bbc_pairs(args.data)
    if not pairs:
        sys.exit(f"no articles with summaries under {args.data}")
    pairs = seeded_sample(pairs, args)
    analyzer = Analyzer.from_pretrained(args.model, precision=args.precision)
    started = time.time()
    model, lead, references = [], [], []
    for (_, _, _, reference), analysis in zip(pairs, analyzer.analyze_many(
            ({"text": body, "title": title} for _, title, body, _ in pairs),
            tasks=["summary"], summary_sentences=args.sentences)):
        model.append("\n".join(s.text for s in analysis.summary.sentences))
        lead.append("\n".join(analysis.sentences[: args.sentences]))
        references.append(reference)
    seconds = time.time() - started
    print(f"{len(pairs)} BBC articles, model {analyzer.config.name} {analyzer.config.version}, "
          f"{analyzer.precision}, {seconds:.0f} s")
    lead_name = f"lead-{args.sentences}"
    print_scores({"presslens": model, lead_name: lead}, references, baselines=[lead_name])
    same = sum(1 for m, b in zip(model, lead) if m == b)
    print(f"summary = Lead-{args.sentences} on {same} of {len(pairs)} articles")
    return 0


if __name__ == "__main__":
    sys.exit(main())
