"""Stance on evaluation unlike the training data: the hand-written news suite, ARC's test split, FNC-1 honest dev.

    presslens-evaluate-stance --model classifier/default_model --model runs/x/final \\
        --suite news --suite arc --suite honest --tfidf --output stance_suites.json

Each checkpoint is read through the public `Analyzer` (`analyze_many`, stance only), exactly as a user gets
it, so that a recipe is chosen on what ships, not on a training-time shortcut.

  news    training/suites/news_stance.jsonl (written for presslens, never trained or tuned on): accuracy,
          macro-F1, per-class F1, confusion, and the direction figures of issue 18: the share of confirm and
          refute items (gold agree / disagree) given the exact label, the share of refutations called agree,
          accuracy per `kind` and per `where` (lead / late / none)
  arc     ARC test split (../shared/data/claim_evidence/arc.jsonl.gz, another domain in FNC-1's labels)
  honest  FNC-1 honest dev split (training/stance_split.py: no claim or body shared with its training rows)

arc and honest report the FNC-1 score as well. `--limit N` scores a seeded sample of N rows of arc and
honest, stratified by label. `--tfidf` adds the TF-IDF similarity + linear baseline (training/baselines.py)
trained on the FNC-1 honest training split, scored on the same rows; it reads the same title + text.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path

from . import baselines, metrics
from .data import default_data_dir

SUITES = ("news", "dev", "arc", "honest")
LABELS = ("agree", "disagree", "discuss", "unrelated")
NEWS_SUITE = Path(__file__).resolve().parent / "suites" / "news_stance.jsonl"
# A second hand-written suite by another writer, for calibrating the stance temperature (--calibrate): the
# news suite above stays the untouched test; neither is ever trained on.
DEV_SUITE = Path(__file__).resolve().parent / "suites" / "news_stance_dev.jsonl"
NEWS_FIELDS = ("id", "group", "kind", "label", "claim", "title", "text", "where", "decisive")
WHERE = ("lead", "late", "none")
_SENTENCE_END = re.compile(r'[.!?]["\u201d]? (?=["A-Z])')  # enough for the suite's own plain wire prose


class MissingData(Exception):
    """A suite's data is not on this machine (../shared/data is absent): the suite is skipped, not failed."""


# -- the rows -----------------------------------------------------------------------------------------
def load_news(path: str | Path = NEWS_SUITE) -> list[dict]:
    """The suite's items; each becomes a row {"claim", "title", "body", "label", ...the item's own fields}."""
    rows = []
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        item = json.loads(line)
        missing = [field for field in NEWS_FIELDS if field not in item]
        if missing:
            raise ValueError(f"{path}:{number}: item {item.get('id')!r} lacks {', '.join(missing)}")
        if item["label"] not in LABELS:
            raise ValueError(f"{path}:{number}: label {item['label']!r} is not one of {', '.join(LABELS)}")
        rows.append({**item, "body": item["text"]})
    return rows


def where_of(text: str, decisive: Sequence[str]) -> str:
    """`lead` when the first deciding sentence starts within the first two sentences of the body, else
    `late`; `none` without one (unrelated items). The suite's `where` field follows this rule."""
    if not decisive:
        return "none"
    starts = [0] + [m.end() for m in _SENTENCE_END.finditer(text)]
    first = min(text.index(sentence) for sentence in decisive)
    return "lead" if max(k for k, start in enumerate(starts) if start <= first) <= 1 else "late"


def load_arc(data_dir: str | Path | None = None) -> list[dict]:
    path = Path(data_dir or default_data_dir()) / "claim_evidence" / "arc.jsonl.gz"
    if not path.is_file():
        raise MissingData(f"{path} not found (ARC lives in ../shared/data/claim_evidence)")
    rows = []
    with gzip.open(path, "rt", encoding="utf-8") as handle:
        for line in handle:
            row = json.loads(line)
            if row["split"] == "test":
                rows.append({"claim": row["hypothesis"], "title": None, "body": row["premise"],
                             "label": row["label_orig"]})
    return rows


def load_honest(data_dir: str | Path | None = None) -> tuple[list[dict], list[dict]]:
    """FNC-1's honest split as training/evaluate.py builds it: (training rows, dev rows)."""
    from .stance_split import stance_split

    folder = Path(data_dir or default_data_dir()) / "fnc1"
    if not folder.is_dir():
        raise MissingData(f"{folder} not found (FNC-1 lives in ../shared/data/fnc1)")
    train, dev = stance_split(data_dir)
    as_row = lambda r: {"claim": r["claim"], "title": None, "body": r["body"], "label": r["label"]}  # noqa: E731
    return [as_row(r) for r in train], [as_row(r) for r in dev]


def stratified_sample(rows: Sequence[dict], n: int, seed: int = 0) -> list[dict]:
    """About n rows with each label in its own share (at least one of every label present), in row order."""
    if n <= 0 or n >= len(rows):
        return list(rows)
    by_label: dict[str, list[int]] = defaultdict(list)
    for i, row in enumerate(rows):
        by_label[row["label"]].append(i)
    rng = random.Random(seed)
    chosen = []
    for label in sorted(by_label):
        indices = by_label[label]
        take = max(1, round(n * len(indices) / len(rows)))
        chosen.extend(rng.sample(indices, min(take, len(indices))))
    return [rows[i] for i in sorted(chosen)]


# -- the systems ----------------------------------------------------------------------------------------
def model_predictions(analyzer, rows: Sequence[dict], batch_size: int = 16) -> list[str]:
    """The label the Analyzer gives each row."""
    return [max(scores, key=scores.get) for scores in model_scores(analyzer, rows, batch_size)]


def model_scores(analyzer, rows: Sequence[dict], batch_size: int = 16) -> list[dict[str, float]]:
    """The stance scores the Analyzer gives each row (its label is the top one). Rows sharing one article
    go in as one article with all their claims as targets (FNC-1 pairs one body with many claims): the same
    windows, read once."""
    articles: dict[tuple, list[int]] = {}
    for i, row in enumerate(rows):
        articles.setdefault((row.get("title") or None, row["body"]), []).append(i)
    records = [{"title": title, "text": body, "targets": [rows[i]["claim"] for i in owners]}
               for (title, body), owners in articles.items()]
    predicted: list[dict | None] = [None] * len(rows)
    analyses = analyzer.analyze_many(records, tasks=["stance"], batch_size=batch_size)
    for owners, analysis in zip(articles.values(), analyses):
        for i, stance in zip(owners, analysis.stances):
            predicted[i] = dict(stance.scores)
    if any(p is None for p in predicted):  # a blank claim is dropped by the reader: say so, do not guess
        blank = [rows[i]["claim"] for i, p in enumerate(predicted) if p is None][:3]
        raise ValueError(f"no stance came back for some rows (blank claims?): {blank}")
    return predicted  # type: ignore[return-value]


def _article_text(row: dict) -> str:
    return f"{row['title']}\n{row['body']}" if row.get("title") else row["body"]


def tfidf_predictions(train: Sequence[dict], rows: Sequence[dict]) -> list[str]:
    return baselines.stance_tfidf_linear(
        [r["claim"] for r in train], [r["body"] for r in train], [r["label"] for r in train],
        [r["claim"] for r in rows], [_article_text(r) for r in rows])


# -- the figures ----------------------------------------------------------------------------------------
def score(rows: Sequence[dict], predicted: Sequence[str], labels: Sequence[str] = LABELS,
          news: bool = False) -> dict:
    gold = [r["label"] for r in rows]
    report = metrics.classification_report(gold, predicted, labels)
    report["fnc_score"] = metrics.fnc_score(gold, predicted)
    report["confusion"] = {g: {p: sum(1 for a, b in zip(gold, predicted) if a == g and b == p) for p in labels}
                           for g in labels}
    report["predicted"] = dict(Counter(predicted))
    if news:
        report.update(direction_figures(rows, predicted))
    return report


def direction_figures(rows: Sequence[dict], predicted: Sequence[str]) -> dict:
    """Issue 18's targets: confirm/refute exactly right >= 80%, refutations called agree <= 10%."""
    pairs = list(zip(rows, predicted))
    directed = [(r, p) for r, p in pairs if r["label"] in ("agree", "disagree")]
    refutations = [p for r, p in pairs if r["label"] == "disagree"]

    def accuracy_by(field: str) -> dict:
        groups: dict[str, list[bool]] = defaultdict(list)
        for r, p in pairs:
            groups[r[field]].append(r["label"] == p)
        return {key: {"accuracy": sum(v) / len(v), "n": len(v)} for key, v in sorted(groups.items())}

    # A kind names how the article decides (a denial, a test result...); the same text can carry a claim
    # and its negation, so the kind is also reported per gold label ("denial / agree": the denied claim's
    # negation).
    by_kind_label: dict[str, list[bool]] = defaultdict(list)
    for r, p in pairs:
        by_kind_label[f"{r['kind']} / {r['label']}"].append(r["label"] == p)
    by_group: dict[str, list[bool]] = defaultdict(list)
    for r, p in pairs:
        by_group[r["group"]].append(r["label"] == p)
    return {
        "confirm_refute_exact": sum(r["label"] == p for r, p in directed) / max(1, len(directed)),
        "confirm_refute_n": len(directed),
        "refutations_called_agree": sum(p == "agree" for p in refutations) / max(1, len(refutations)),
        "refutations_called_agree_count": sum(p == "agree" for p in refutations),
        "refutations_n": len(refutations),
        "groups_all_right": sum(all(v) for v in by_group.values()) / max(1, len(by_group)),
        "groups_n": len(by_group),
        "by_kind": accuracy_by("kind"),
        "by_kind_label": {key: {"accuracy": sum(v) / len(v), "n": len(v)} for key, v in sorted(by_kind_label.items())},
        "by_where": accuracy_by("where"),
    }


# -- the table ----------------------------------------------------------------------------------------
def format_table(suite: str, systems: dict[str, dict]) -> str:
    """One column per system: the headline figures, per-class F1, direction figures and confusion."""
    names = list(systems)
    first = next(iter(systems.values()))
    lines: list[tuple[str, list[str]]] = []

    def add(label: str, get) -> None:
        values = []
        for name in names:
            try:
                value = get(systems[name])
            except KeyError:
                value = None
            values.append("-" if value is None else (f"{value:.3f}" if isinstance(value, float) else str(value)))
        lines.append((label, values))

    add("n", lambda s: s["n"])
    add("accuracy", lambda s: s["accuracy"])
    add("macro-F1", lambda s: s["macro_f1"])
    add("FNC score", lambda s: s["fnc_score"])
    add("ECE (top score)", lambda s: s["ece"])
    for label in LABELS:
        add(f"F1 {label}", lambda s, label=label: s["f1"][label])
    if "confirm_refute_exact" in first:
        add("confirm/refute exact", lambda s: s["confirm_refute_exact"])
        add("refutations -> agree", lambda s: f"{s['refutations_called_agree_count']}/{s['refutations_n']}")
        add("groups all right", lambda s: s["groups_all_right"])
        for kind in first["by_kind_label"]:
            add(f"{kind} (n={first['by_kind_label'][kind]['n']})", lambda s, k=kind: s["by_kind_label"][k]["accuracy"])
        for where in first["by_where"]:
            add(f"where {where} (n={first['by_where'][where]['n']})", lambda s, w=where: s["by_where"][w]["accuracy"])
    for gold in LABELS:  # one row of the confusion matrix per gold label
        add(f"gold {gold} -> {'/'.join(label[:3] for label in LABELS)}",
            lambda s, g=gold: "/".join(str(s["confusion"][g][p]) for p in LABELS))
    if all("seconds" in s for s in systems.values()):
        add("seconds", lambda s: s["seconds"])
    width = max(len(label) for label, _ in lines) + 2
    columns = [max(len(_short(name)), *(len(v[i]) for _, v in lines)) + 2 for i, name in enumerate(names)]
    out = [f"== {suite} ==", "".ljust(width) + "".join(_short(n).rjust(c) for n, c in zip(names, columns))]
    out += [label.ljust(width) + "".join(v.rjust(c) for v, c in zip(values, columns)) for label, values in lines]
    return "\n".join(out)


def _short(name: str, limit: int = 28) -> str:
    return name if len(name) <= limit else "..." + name[-(limit - 3):]


# -- the command ----------------------------------------------------------------------------------------
def calibration_figures(rows: Sequence[dict], scores: Sequence[dict[str, float]]) -> dict:
    """Expected calibration error of the top score, and the mean top score of right and wrong answers."""
    top = [max(s.values()) for s in scores]
    right = [max(s, key=s.get) == r["label"] for r, s in zip(rows, scores)]
    return {"ece": round(metrics.expected_calibration_error(top, right), 4),
            "mean top score right": _mean([t for t, ok in zip(top, right) if ok]),
            "mean top score wrong": _mean([t for t, ok in zip(top, right) if not ok])}


def _mean(values: Sequence[float]) -> float | None:
    return round(sum(values) / len(values), 3) if values else None


def fit_stance_temperature(rows: Sequence[dict], scores: Sequence[dict[str, float]], current: float) -> float:
    """The stance temperature that fits `rows`' gold labels best, given scores made at temperature `current`
    (log p * current is the logits up to a constant per row, which softmax ignores)."""
    import numpy as np

    labels = list(scores[0])
    logits = np.log(np.clip(np.array([[s[l] for l in labels] for s in scores]), 1e-12, None)) * current
    targets = np.array([labels.index(r["label"]) for r in rows])
    return round(metrics.fit_temperature(logits, targets), 4)


def write_stance_temperature(model_dir: str | Path, temperature: float) -> None:
    path = Path(model_dir) / "config.json"
    config = json.loads(path.read_text(encoding="utf-8"))
    config.setdefault("temperatures", {})["stance"] = temperature
    path.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", action="append", required=True, help="checkpoint directory (repeatable)")
    parser.add_argument("--suite", action="append", choices=SUITES, help="repeatable; default: all three")
    parser.add_argument("--tfidf", action="store_true", help="add the TF-IDF baseline (needs ../shared/data/fnc1)")
    parser.add_argument("--limit", type=int, default=0, help="arc/honest: a seeded stratified sample of N rows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--news-file", default=str(NEWS_SUITE), help="the news suite (JSON Lines)")
    parser.add_argument("--dev-file", default=str(DEV_SUITE), help="the calibration suite (JSON Lines)")
    parser.add_argument("--calibrate", action="store_true",
                        help="fit the stance temperature on the dev suite and write it into each --model's config.json "
                             "(the other suites are then scored with it)")
    parser.add_argument("--data-dir", default=None, help="the shared data folder (default ../shared/data)")
    parser.add_argument("--precision", default="auto", choices=["auto", "fp32", "bf16", "int8"])
    parser.add_argument("--batch-size", type=int, default=16)
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: torch's default)")
    parser.add_argument("--output", default=None, help="write every figure as JSON here")
    args = parser.parse_args(argv)

    from classifier.analyzer import Analyzer  # after argument errors: loading torch takes seconds

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)

    suites = list(dict.fromkeys(args.suite or SUITES))
    if args.calibrate and "dev" not in suites:
        suites.insert(0, "dev")
    report: dict = {"models": args.model, "precision": args.precision, "limit": args.limit, "seed": args.seed,
                    "suites": {}}
    rows_of: dict[str, list[dict]] = {}
    honest_train: list[dict] | None = None
    for suite in suites:
        try:
            if suite == "news":
                rows_of[suite] = load_news(args.news_file)
            elif suite == "dev":
                rows_of[suite] = load_news(args.dev_file)
            elif suite == "arc":
                rows_of[suite] = stratified_sample(load_arc(args.data_dir), args.limit, args.seed)
            else:
                honest_train, dev = load_honest(args.data_dir)
                rows_of[suite] = stratified_sample(dev, args.limit, args.seed)
        except MissingData as exc:
            print(f"skipping suite {suite}: {exc}", file=sys.stderr)
            report["suites"][suite] = {"skipped": str(exc)}
    systems: dict[str, dict[str, dict]] = {suite: {} for suite in rows_of}
    for path in args.model:
        analyzer = Analyzer.from_pretrained(path, precision=args.precision, batch_size=args.batch_size)
        labels = analyzer.labels["stance"]
        if set(labels) != set(LABELS):
            raise SystemExit(f"{path}: stance labels {labels} are not FNC-1's {list(LABELS)}")
        if args.calibrate:
            current = analyzer._temperature("stance")
            fitted = fit_stance_temperature(rows_of["dev"], model_scores(analyzer, rows_of["dev"], args.batch_size),
                                            current)
            write_stance_temperature(path, fitted)
            print(f"{path}: stance temperature {current} -> {fitted} (fitted on the dev suite)", file=sys.stderr)
            report.setdefault("calibrated", {})[path] = {"before": current, "after": fitted}
            analyzer = Analyzer.from_pretrained(path, precision=args.precision, batch_size=args.batch_size)
        for suite, rows in rows_of.items():
            started = time.time()
            scores = model_scores(analyzer, rows, args.batch_size)
            predicted = [max(s, key=s.get) for s in scores]
            figures = score(rows, predicted, news=suite in ("news", "dev"))
            figures.update(calibration_figures(rows, scores))
            figures["seconds"] = round(time.time() - started, 1)
            figures["model_version"] = analyzer.config.version
            if suite in ("news", "dev"):
                figures["items"] = {r["id"]: p for r, p in zip(rows, predicted)}
            systems[suite][path] = figures
            print(f"{path} on {suite}: {len(rows)} rows in {figures['seconds']} s", file=sys.stderr, flush=True)
    if args.tfidf:
        try:
            if honest_train is None:
                honest_train, _ = load_honest(args.data_dir)
            for suite, rows in rows_of.items():
                started = time.time()
                predicted = tfidf_predictions(honest_train, rows)
                figures = score(rows, predicted, news=suite in ("news", "dev"))
                figures["seconds"] = round(time.time() - started, 1)  # fitting included
                if suite in ("news", "dev"):
                    figures["items"] = {r["id"]: p for r, p in zip(rows, predicted)}
                systems[suite]["tfidf_linear"] = figures
        except MissingData as exc:
            print(f"skipping the TF-IDF baseline: {exc}", file=sys.stderr)
    for suite, by_system in systems.items():
        report["suites"][suite] = {"rows": len(rows_of[suite]),
                                   "labels": dict(Counter(r["label"] for r in rows_of[suite])),
                                   "systems": by_system}
        print(format_table(suite, by_system), flush=True)
        print(flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    return report


if __name__ == "__main__":
    main()
