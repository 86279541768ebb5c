"""Extractive labels for CNN/DailyMail: which article sentences an oracle would pick to match the highlights.

The local CNN/DM text is lower-cased and PTB-tokenised (`wo n't`, `-lrb-`), with no sentence marks. We
split it into sentences on the sentence-final tokens, undo the PTB spelling (the model reads normal text
at inference), and label sentences with the usual greedy ROUGE oracle (Nallapati et al. 2017; Liu & Lapata
2019): add the sentence that most raises ROUGE-1 F + ROUGE-2 F against the highlights, up to
`max_sentences`, stopping when nothing helps. Labels are computed once per data file and cached as JSON
Lines next to the run (keyed by the file's size, mtime and the oracle's parameters), so they are
reproducible and cheap to reuse.

    python -m training.summary_labels --split train     # warm the cache
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import Counter
from pathlib import Path

ORACLE_VERSION = 1
_SENTENCE_END = {".", "!", "?"}
_CLOSERS = {"''", '"', "'", "-rrb-", ")"}
_PTB = [
    (re.compile(r"-lrb-"), "("), (re.compile(r"-rrb-"), ")"),
    (re.compile(r"-lsb-"), "["), (re.compile(r"-rsb-"), "]"),
    (re.compile(r"-lcb-"), "{"), (re.compile(r"-rcb-"), "}"),
    (re.compile(r"``|''"), '"'),
    (re.compile(r" n't\b"), "n't"),
    (re.compile(r" '(s|re|ve|ll|d|m)\b"), r"'\1"),
    (re.compile(r"\( "), "("), (re.compile(r" \)"), ")"),
    (re.compile(r" ([,.;:!?%])"), r"\1"),
    (re.compile(r"\$ (?=\d)"), "$"),
]
_WORD = re.compile(r"[a-z0-9]+")


def split_sentences(article: str) -> list[str]:
    """Sentences of a PTB-tokenised article, each detokenised back to ordinary spelling."""
    tokens = article.split()
    sentences: list[list[str]] = []
    current: list[str] = []
    open_quote = False  # plain `"` both opens and closes a quote: parity says which one this is
    for i, token in enumerate(tokens):
        current.append(token)
        if token == '"':
            open_quote = not open_quote
        following = tokens[i + 1] if i + 1 < len(tokens) else None
        closer_follows = following in _CLOSERS and (following != '"' or open_quote)
        closing = token in _SENTENCE_END and not closer_follows
        closing = closing or (
            token in _CLOSERS and len(current) > 1 and current[-2] in _SENTENCE_END
            and (token != '"' or not open_quote)
        )
        if closing:
            sentences.append(current)
            current = []
    if current:
        sentences.append(current)
    return [detokenize(" ".join(s)) for s in sentences]


def detokenize(text: str) -> str:
    for pattern, replacement in _PTB:
        text = pattern.sub(replacement, text)
    return text.strip()


def _ngrams(words: list[str], n: int) -> Counter:
    return Counter(zip(*(words[i:] for i in range(n))))


def _f1(overlap: int, candidate: int, reference: int) -> float:
    if not overlap or not candidate or not reference:
        return 0.0
    precision, recall = overlap / candidate, overlap / reference
    return 2 * precision * recall / (precision + recall)


def oracle(sentences: list[str], highlights: str, max_sentences: int = 3) -> list[int]:
    """Greedy ROUGE-1+2 oracle: indices (sorted) of the sentences that best match the highlights."""
    reference_words = _WORD.findall(highlights.lower())
    reference = [_ngrams(reference_words, n) for n in (1, 2)]
    reference_sizes = [sum(r.values()) for r in reference]
    sentence_grams = []
    for sentence in sentences:
        words = _WORD.findall(sentence.lower())
        sentence_grams.append([_ngrams(words, n) for n in (1, 2)])

    chosen: list[int] = []
    picked = [Counter(), Counter()]
    best = 0.0
    for _ in range(max_sentences):
        best_index, best_score = None, best
        for index, grams in enumerate(sentence_grams):
            if index in chosen:
                continue
            score = 0.0
            for n in range(2):
                union = picked[n] + grams[n]
                overlap = sum((union & reference[n]).values())
                score += _f1(overlap, sum(union.values()), reference_sizes[n])
            if score > best_score:
                best_index, best_score = index, score
        if best_index is None:
            break
        chosen.append(best_index)
        picked = [picked[n] + sentence_grams[best_index][n] for n in range(2)]
        best = best_score
    return sorted(chosen)


def cache_path(source: Path, cache_dir: Path, max_sentences: int, ids: list[str]) -> Path:
    stat = source.stat()
    selection = hashlib.sha1("\n".join(ids).encode()).hexdigest()
    key = f"{source.resolve()}|{stat.st_size}|{int(stat.st_mtime)}|{max_sentences}|{ORACLE_VERSION}|{selection}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    return cache_dir / f"oracle-{source.parent.name}-{source.name.split('.')[0]}-{digest}.jsonl"


def labelled_articles(rows, source: Path | None, cache_dir: Path, max_sentences: int = 3) -> list[dict]:
    """[{id, sentences, labels}] for each row of the summary dataset, from the cache when present."""
    cached = cache_path(source, cache_dir, max_sentences, list(rows["id"])) if source is not None else None
    if cached is not None and cached.is_file():
        by_id = {}
        with cached.open(encoding="utf-8") as handle:
            for line in handle:
                record = json.loads(line)
                by_id[record["id"]] = record["labels"]
        out = []
        for row in rows:
            sentences = split_sentences(row["article"])
            out.append({"id": row["id"], "sentences": sentences, "labels": by_id[row["id"]]})
        return out

    out = []
    for row in rows:
        sentences = split_sentences(row["article"])
        out.append({"id": row["id"], "sentences": sentences, "labels": oracle(sentences, row["highlights"], max_sentences)})
    if cached is not None:
        cached.parent.mkdir(parents=True, exist_ok=True)
        tmp = cached.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            for record in out:
                handle.write(json.dumps({"id": record["id"], "labels": record["labels"]}) + "\n")
        tmp.replace(cached)
    return out


def main() -> None:
    from .data import load_task, local_file

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--split", default="train")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--cache-dir", default="cache")
    args = parser.parse_args()
    rows = load_task("summary", args.split, args.data_dir)
    source = local_file("summary", args.split, args.data_dir)
    records = labelled_articles(rows, source, Path(args.cache_dir))
    picked = sum(len(r["labels"]) for r in records)
    print(f"{len(records)} articles, {picked / max(1, len(records)):.2f} oracle sentences each")


if __name__ == "__main__":
    main()
