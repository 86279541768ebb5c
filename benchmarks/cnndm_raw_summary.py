"""Summaries of raw, cased CNN / Daily Mail articles against their highlights, next to two Lead-3 baselines.

    python benchmarks/cnndm_raw_summary.py --data FILE [--model DIR] [--articles 250] [--seed 0]
                                           [--variant raw|lower|tokenised] [--dump rows.jsonl]

FILE holds CNN/DailyMail articles as published (cased, untokenised), one record each:
* JSON Lines with the fields `article` and `highlights` (the field names and spelling of the Hugging Face
  `cnn_dailymail` 3.0.0 rows: `highlights` one sentence per line), optional `id`; or
* CSV with the columns `article` and `highlights` (the same rows exported with a header, as several public
  copies of the data set are stored).
No such file is in the repository (CNN and Daily Mail content; research use). Take rows of the official
train or validation split only and check it: the `id` of a row is sha1 of its story URL, so membership in
`url_lists/all_val.txt` / `all_train.txt` of abisee/cnn-dailymail proves the split. The local lower-cased
copies under /work/shared/data/cnn_dailymail are tokenised and are not input for this benchmark.

Each article goes through the Analyzer as a user would paste it (the raw text, no headline: the data has
none), and ROUGE-1/2/L F1 (training/metrics.py, stemmed, summary-level L) of the model's summary is printed
next to, on the same rows:
* Lead-3 of the same sentences the model chose from (`analysis.sentences[:3]`, after presslens's reading);
* naive Lead-3: the first three sentences of the raw article by a plain regex split (after . ! or ? and
  whitespace, before a capital, digit or quote), i.e. what a baseline without our reading gets.
Diagnosis variants, on the same rows: `--variant lower` lower-cases the article first (casing only);
`--variant tokenised` rebuilds what the local training/validation files hold for these stories (lower-cased,
PTB-style tokens as abisee/cnn-dailymail's make_datafiles.py wrote them: `did n't`, `35 - year - old`, `( cnn )`;
this simulation reproduces the stored tokens exactly on the stories present in both) and hands the Analyzer
the running text that training/evaluate.py gives it (sentences split on the tokens, detokenised, joined); its
naive Lead-3 is then evaluate.py's Lead-3 (the first sentences split on the tokens).
`--dump` writes one JSON line per article (scores, chosen indices, sentence counts, warnings) for analysis.
Prints numbers only.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from summary_report import add_sample_arguments, print_scores, seeded_sample  # noqa: E402  (benchmarks/)

# The naive baseline's splitter: end punctuation (and a closing quote/bracket), whitespace, then something
# that can open a sentence. Deliberately plain: no abbreviation list, no cleaning.
_NAIVE_SPLIT = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_NAIVE_SPLIT_ANY_CASE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?\w)")
_WORD = re.compile(r"\w")
# Tokens as the stored lower-cased CNN/DM files have them (PTB-style, hyphens split): a few abbreviations keep
# their period, clitics and n't are split off, initialisms (u.s.) and numbers (3.5, 1,000, 10:30) stay whole.
_ABBREVIATION = (r"(?:mr|mrs|ms|dr|st|jr|sr|gov|sen|rep|gen|col|lt|sgt|capt|prof|rev|vs|inc|corp|ltd|jan|feb|aug|"
                 r"sept?|oct|nov|dec|mt|ft|no)\.(?=\s+[a-z0-9])")
_PTB_TOKEN = re.compile(_ABBREVIATION + r"|\w+(?=n't\b)|n't\b|'(?:s|re|ve|ll|d|m)\b|(?:[a-z]\.){2,}|\d+(?:[.,:]\d+)+"
                        r"|\w+|--|\.\.\.|[^\w\s]")


def naive_sentences(text: str, cased: bool = True) -> list[str]:
    """Sentences of raw text by the plain regex split (a baseline's splitter, not presslens's reading)."""
    parts = []
    last = 0
    for match in (_NAIVE_SPLIT if cased else _NAIVE_SPLIT_ANY_CASE).finditer(text):
        parts.append(text[last : match.end()].strip())
        last = match.end()
    parts.append(text[last:].strip())
    return [p for p in parts if _WORD.search(p)]


def tokenised_sentences(text: str) -> list[str]:
    """The story as the stored lower-cased tokenised files hold it, split and detokenised as evaluate.py does."""
    from training.summary_labels import split_sentences

    return split_sentences(" ".join(_PTB_TOKEN.findall(text.lower())))


def variant_text(article: str, variant: str) -> tuple[str, list[str]]:
    """(text handed to the Analyzer, the naive baseline's sentences) for one article and variant."""
    if variant == "tokenised":
        sentences = tokenised_sentences(article)
        return " ".join(sentences), sentences
    if variant == "lower":
        return article.lower(), naive_sentences(article.lower(), cased=False)
    return article, naive_sentences(article)


def read_rows(path: Path) -> list[dict]:
    """[{id, article, highlights}] from JSON Lines or CSV; rows without article or highlights are skipped."""
    if path.suffix.lower() == ".csv":
        csv.field_size_limit(sys.maxsize)
        with path.open(encoding="utf-8", newline="") as handle:
            rows = list(csv.DictReader(handle))
    else:
        with path.open(encoding="utf-8") as handle:
            rows = [json.loads(line) for line in handle if line.strip()]
    out = []
    for n, row in enumerate(rows):
        article, highlights = (row.get("article") or "").strip(), (row.get("highlights") or "").strip()
        if article and highlights:
            out.append({"id": str(row.get("id") or n), "article": article, "highlights": highlights})
    return out


def _percent(row: dict[str, float]) -> dict[str, float]:
    return {metric: round(100 * value, 2) for metric, value in row.items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="JSON Lines or CSV with article, highlights")
    add_sample_arguments(parser, articles=250)
    parser.add_argument("--variant", choices=("raw", "lower", "tokenised"), default="raw",
                        help="raw: the text as published; lower: lower-cased first; tokenised: as the local "
                             "training files hold it, read as training/evaluate.py's running text")
    parser.add_argument("--dump", type=Path, default=None, help="write per-article rows (JSON Lines) here")
    args = parser.parse_args(argv)

    from classifier import Analyzer

    rows = read_rows(args.data)
    if not rows:
        sys.exit(f"no rows with article and highlights in {args.data}")
    rows = seeded_sample(rows, args)
    prepared = [variant_text(r["article"], args.variant) for r in rows]
    k = args.sentences
    analyzer = Analyzer.from_pretrained(args.model, precision=args.precision)
    started = time.time()
    model, lead, naive, references, analyses = [], [], [], [], []
    for row, (_, plain), analysis in zip(rows, prepared, analyzer.analyze_many(
            ({"text": text} for text, _ in prepared), tasks=["summary"], summary_sentences=k)):
        model.append("\n".join(s.text for s in analysis.summary.sentences))
        lead.append("\n".join(analysis.sentences[:k]))
        naive.append("\n".join(plain[:k]))
        references.append(row["highlights"])
        analyses.append(analysis)
    seconds = time.time() - started
    print(f"{len(rows)} CNN/DM articles ({args.variant}), model {analyzer.config.name} {analyzer.config.version}, "
          f"{analyzer.precision}, {seconds:.0f} s")
    print_scores({"presslens": model, f"lead-{k}": lead, f"naive lead-{k}": naive}, references,
                 baselines=[f"lead-{k}", f"naive lead-{k}"])
    same = sum(1 for m, b in zip(model, lead) if m == b)
    same_naive = sum(1 for b, n in zip(lead, naive) if "".join(b.split()) == "".join(n.split()))
    print(f"summary = Lead-{k} on {same} of {len(rows)} articles; "
          f"Lead-{k} = naive Lead-{k} on {same_naive} of {len(rows)}")
    if args.dump:
        from training.metrics import rouge_per_article

        per_system = [rouge_per_article(predictions, references) for predictions in (model, lead, naive)]
        with args.dump.open("w", encoding="utf-8") as handle:
            for row, (_, plain), analysis, ours, first, plain_first in zip(rows, prepared, analyses, *per_system):
                handle.write(json.dumps({
                    "id": row["id"],
                    "presslens": _percent(ours),
                    "lead": _percent(first),
                    "naive": _percent(plain_first),
                    "chosen": [s.index for s in analysis.summary.sentences],
                    "sentences": len(analysis.sentences),
                    "first_sentences": list(analysis.sentences[: k + 2]),
                    "naive_first": plain[: k + 2],
                    "summary": [s.text for s in analysis.summary.sentences],
                    "warnings": list(analysis.warnings),
                }) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
