"""Evaluate a checkpoint on the validation splits, next to baselines trained and scored on the same rows.

    presslens-evaluate --model runs/default/final --output runs/default/metrics.json --calibrate

Reads articles the way inference does (the same cleaning, segmentation and windows as `Analyzer`):
  topic    ag_news validation: accuracy, macro-F1, per-class F1; TF-IDF + logistic regression, fastText
  stance   fnc1, two splits: `honest` (claims and bodies unseen in training: training/stance_split.py) and
           `shipped` (the validation file); FNC-1 score, macro-F1, per-class F1, confusion; majority class,
           TF-IDF similarity + linear, trained on the same split's training rows
  summary  `--summary-articles` cnn_dailymail validation articles (seeded sample): ROUGE-1/2/L (stemmed);
           Lead-3 and TextRank over the same sentences
  calibration  expected calibration error of each head at T=1 and with temperature scaling; the ECE after
           scaling is cross-fitted (T fitted on one half of the rows, measured on the other), so it is
           honest; with --calibrate the temperatures fitted on all rows are written into the checkpoint.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import time
from pathlib import Path

import numpy as np

from classifier.analyzer import Analyzer
from classifier.encoding import first_document_window, pack_windows, tokenize_sentences
from classifier.model import CONFIG_FILE, apply_stance_decision, load_config
from classifier.postprocess import select_summary, select_summary_among
from classifier.precision import BACKENDS, PRECISIONS
from classifier.reading import read_article
from classifier.stance_input import stance_window

from . import baselines, metrics, stance_bias
from .data import load_task
from .examples import body_sentences
from .stance_split import stance_split
from .summary_labels import split_sentences


def evaluate_topic(analyzer: Analyzer, args) -> dict:
    config = analyzer.config
    train, valid = load_task("topic", "train", args.data_dir), load_task("topic", "validation", args.data_dir)
    windows = []
    for row in valid:
        article = read_article(row["text"].replace("\\", " "), title=row["title"] or None)
        tokens = tokenize_sentences(analyzer.tokenizer, article.sentences)
        windows.append(first_document_window(analyzer.tokenizer, article.title, tokens, config).windows[0])
    logits = np.stack([topic for topic, _ in analyzer.forward_windows(windows, "documents")])
    labels = config.topic_labels
    gold = list(valid["label"])
    predicted = [labels[i] for i in logits.argmax(1)]
    text = lambda rows: [f"{r['title']} {r['text']}".replace("\\", " ") for r in rows]  # noqa: E731
    train_texts, valid_texts = text(train), text(valid)
    result = {"model": metrics.classification_report(gold, predicted, labels)}
    if not args.no_baselines:
        result["tfidf_logreg"] = metrics.classification_report(
            gold, baselines.topic_tfidf_logreg(train_texts, list(train["label"]), valid_texts), labels)
        result["tfidf_logreg_c1"] = metrics.classification_report(
            gold, baselines.topic_tfidf_logreg(train_texts, list(train["label"]), valid_texts, c=1.0), labels)
        result["fasttext"] = metrics.classification_report(
            gold, baselines.topic_fasttext(train_texts, list(train["label"]), valid_texts), labels)
    targets = np.array([labels.index(g) for g in gold])
    result["calibration"] = calibration([[row] for row in logits], targets, groups=list(range(len(gold))))
    return result


def evaluate_stance(analyzer: Analyzer, args) -> dict:
    """Both splits: `honest` (training/stance_split.py: dev stories share no claim and no body with the
    training stories; what predicts the official test) and `shipped` (the fnc1 validation file, split by body
    only, so headlines recur: it flatters). Checkpoints and recipes are chosen on `honest`."""
    honest_train, honest_dev = stance_split(args.data_dir)
    shipped_train = [dict(r) for r in load_task("stance", "train", args.data_dir)]
    shipped_valid = [dict(r) for r in load_task("stance", "validation", args.data_dir)]
    result = {}
    for name, train, valid in (("honest", honest_train, honest_dev), ("shipped", shipped_train, shipped_valid)):
        if args.stance_pairs and len(valid) > args.stance_pairs:
            valid = random.Random(0).sample(valid, args.stance_pairs)
        result[name] = _score_stance(analyzer, train, valid, args, fit_here=name == "honest")
    result["model"] = result["honest"]["model"]  # the headline figure (model card, export)
    result["calibration"] = result["honest"].pop("calibration")
    result["shipped"].pop("calibration")
    return result


def stance_pair_windows(analyzer: Analyzer, rows: list[dict]) -> tuple[list, list[int]]:
    """The windows the Analyzer would read for each (claim, body) row, and the row each window belongs to."""
    config = analyzer.config
    bodies: dict[int, tuple[list[str], list[list[int]]]] = {}
    windows, owner = [], []
    for n, row in enumerate(rows):
        if row["body_id"] not in bodies:
            sentences = body_sentences(row["body"], row["claim"])
            bodies[row["body_id"]] = (sentences, tokenize_sentences(analyzer.tokenizer, sentences))
        sentences, tokens = bodies[row["body_id"]]
        if config.stance_input == "related":
            window, _ = stance_window(analyzer.tokenizer, row["claim"], sentences, tokens,
                                      config.stance_max_length, config.max_claim_tokens)
            pair = [window]
        else:
            pair = pack_windows(analyzer.tokenizer, row["claim"], tokens, config.max_length,
                                config.max_claim_tokens, pair=True).windows
        windows.extend(pair)
        owner.extend([n] * len(pair))
    return windows, owner


def _score_stance(analyzer: Analyzer, train: list[dict], valid: list[dict], args, fit_here: bool = False) -> dict:
    windows, owner = stance_pair_windows(analyzer, valid)
    outputs = [output[0] for output in analyzer.forward_windows(windows, "pairs")]
    per_pair: list[list[np.ndarray]] = [[] for _ in range(len(valid))]
    windows_of: list[list] = [[] for _ in range(len(valid))]
    for n, row, window in zip(owner, outputs, windows):
        per_pair[n].append(row)
        windows_of[n].append(window)
    first_window = {n: w[0] for n, w in enumerate(windows_of)}
    labels = analyzer.config.stance_labels
    gold = [r["label"] for r in valid]
    fitted = None
    if getattr(args, "fit_stance_decision", False) and fit_here:
        raw = np.stack([np.stack(rows).mean(0) for rows in per_pair])
        features = np.array([[float(x) for x in (w.features or [])] for w in first_window.values()]) \
            if analyzer.config.stance_features else np.zeros((len(valid), 0))
        gold_ids = np.array([labels.index(g) for g in gold])
        fitted = stance_bias.fit_decision(raw, features, gold_ids, [r["claim"] for r in valid], labels)
    per_pair = [[np.array(apply_stance_decision(analyzer.config, list(row), windows_of[n][i].features))
                 for i, row in enumerate(rows)] for n, rows in enumerate(per_pair)]
    probs = np.stack([metrics.softmax(np.stack(rows)).mean(0) for rows in per_pair])
    predicted = [labels[i] for i in probs.argmax(1)]
    systems = [("model", predicted)]
    if not args.no_baselines:
        systems.append(("majority", baselines.stance_majority([r["label"] for r in train], len(gold))))
        systems.append(("tfidf_linear", baselines.stance_tfidf_linear(
            [r["claim"] for r in train], [r["body"] for r in train], [r["label"] for r in train],
            [r["claim"] for r in valid], [r["body"] for r in valid])))
    result: dict = {"pairs": len(valid), "claims": len({r["claim"] for r in valid}),
                    "bodies": len({r["body_id"] for r in valid})}
    for name, guess in systems:
        report = metrics.classification_report(gold, guess, labels)
        report["fnc_score"] = metrics.fnc_score(gold, guess)
        result[name] = report
    result["model"]["confusion"] = {g: {p: sum(1 for a, b in zip(gold, predicted) if a == g and b == p)
                                        for p in labels} for g in labels}
    result["windows_per_pair"] = round(len(windows) / max(1, len(valid)), 3)
    if fitted:
        result["decision_fit"] = fitted
    targets = np.array([labels.index(g) for g in gold])
    result["calibration"] = calibration([np.stack(r) for r in per_pair], targets,
                                        groups=[r["body_id"] for r in valid])
    return result


def summary_rows(data_dir: str | None, articles: int):
    """The seeded validation articles every summary figure is reported on (same rows for every system)."""
    valid = load_task("summary", "validation", data_dir)
    return valid.shuffle(seed=0).select(range(min(articles, len(valid))))


def evaluate_summary(analyzer: Analyzer, args) -> dict:
    config = analyzer.config
    rows = summary_rows(args.data_dir, args.summary_articles)
    articles = [split_sentences(row["article"]) for row in rows]
    windows, owner = [], []
    for n, sentences in enumerate(articles):
        tokens = tokenize_sentences(analyzer.tokenizer, sentences)
        packed = first_document_window(analyzer.tokenizer, None, tokens, config)
        windows.extend(packed.windows)  # the summary's candidates, as in Analyzer
        owner.extend([n] * len(packed.windows))
    outputs = analyzer.forward_windows(windows, "documents")
    scores: list[dict[int, float]] = [{} for _ in articles]  # the sentences the model read, as in Analyzer
    for window, n, (_, sentence_logits) in zip(windows, owner, outputs):
        for local, index in enumerate(window.sentence_ids):
            scores[n][index] = max(scores[n].get(index, -math.inf), float(sentence_logits[local]))
    references = list(rows["highlights"])
    k = args.summary_sentences
    picks = {
        "model": [select_summary_among(s, a, k) for s, a in zip(scores, articles)],
        "lead3": [baselines.lead(a, k) for a in articles],
        "lead3_clean": [select_summary([-i for i in range(len(a))], a, k) for a in articles],
        "textrank": [baselines.textrank(a, k) for a in articles],
    }
    if args.no_baselines:
        picks = {"model": picks["model"], "lead3": picks["lead3"]}
    result = {name: metrics.rouge(["\n".join(a[i] for i in p) for a, p in zip(articles, chosen)], references)
              for name, chosen in picks.items()}
    result["oracle_ece_note"] = "summary ECE: sentence probability vs membership in the greedy ROUGE oracle"
    from .summary_labels import oracle

    flat_logits, flat_targets, groups = [], [], []
    for n, (s, a, ref) in enumerate(zip(scores, articles, references)):
        chosen = set(oracle(a, ref))
        for i, logit in s.items():
            flat_logits.append(logit)
            flat_targets.append(1.0 if i in chosen else 0.0)
            groups.append(n)
    result["calibration"] = calibration(flat_logits, np.array(flat_targets), groups=groups, binary=True)
    result["articles"] = len(rows)
    result["as_text"] = summary_as_text(analyzer, articles, references, k)
    return result


def summary_as_text(analyzer: Analyzer, articles: list[list[str]], references: list[str], k: int) -> dict:
    """The product's own path: each article handed to the Analyzer as running text (detokenised, one
    paragraph), so that cleaning and the inference sentence splitter decide the sentences; Lead-3 takes the
    first k of those same sentences. What a user pasting an article gets, next to what Lead-3 would give."""
    texts = [" ".join(sentences) for sentences in articles]
    model, lead = [], []
    for analysis in analyzer.analyze_many(({"text": t} for t in texts), tasks=["summary"], summary_sentences=k):
        model.append("\n".join(s.text for s in analysis.summary.sentences))
        lead.append("\n".join(analysis.sentences[:k]))
    return {"model": metrics.rouge(model, references), "lead3": metrics.rouge(lead, references)}


def calibration(logits, targets: np.ndarray, groups, binary: bool = False) -> dict:
    """ECE at T=1, cross-fitted ECE after temperature scaling (two folds split by group), and T on all rows.

    `logits`: per row, an array of window logits [W, C] (multi-class; probabilities averaged over
    windows as inference does) or, with binary=True, one logit per row.
    """
    def probs_at(rows, t):
        if binary:
            return metrics.sigmoid(np.asarray(rows, dtype=float), t)
        return np.stack([metrics.softmax(np.atleast_2d(r), t).mean(0) for r in rows])

    def nll_fit(rows, y):
        if binary:
            return metrics.fit_temperature(np.asarray(rows, dtype=float), y, binary=True)
        # Single-window rows fit exactly; multi-window rows are few, so fit on each row's mean logit.
        return metrics.fit_temperature(np.stack([np.atleast_2d(r).mean(0) for r in rows]), y)

    def ece(p, y):
        if binary:
            return metrics.expected_calibration_error(p, y.astype(bool))
        return metrics.expected_calibration_error(p.max(1), p.argmax(1) == y)

    rows = list(logits)
    unique = sorted(set(groups), key=str)
    random.Random(0).shuffle(unique)
    fold_of = {g: i % 2 for i, g in enumerate(unique)}
    folds = [np.array([fold_of[g] == f for g in groups]) for f in (0, 1)]
    cross = []
    for fit_fold, test_fold in ((0, 1), (1, 0)) if len(unique) > 1 else ():  # one group: nothing to cross-fit
        fit_rows = [r for r, m in zip(rows, folds[fit_fold]) if m]
        test_rows = [r for r, m in zip(rows, folds[test_fold]) if m]
        t = nll_fit(fit_rows, targets[folds[fit_fold]])
        cross.append((ece(probs_at(test_rows, t), targets[folds[test_fold]]), folds[test_fold].sum()))
    temperature = nll_fit(rows, targets)
    return {
        "ece_uncalibrated": round(ece(probs_at(rows, 1.0), targets), 4),
        "ece_calibrated_crossfit": round(sum(e * n for e, n in cross) / sum(n for _, n in cross), 4) if cross else None,
        "temperature": temperature,
    }


def _merge_baselines(report: dict, task: str, earlier: dict, args) -> None:
    """Copy baseline rows from an earlier run, refusing if that run scored different rows."""
    for key in ("summary_articles", "stance_pairs", "summary_sentences"):
        if earlier.get("args", {}).get(key) != getattr(args, key):
            raise SystemExit(f"--baselines-from was run with {key}={earlier.get('args', {}).get(key)}, not {getattr(args, key)}")
    for name, value in earlier.get(task, {}).items():
        if name in ("honest", "shipped") and name in report[task]:  # stance: baselines per split
            for system, figures in value.items():
                report[task][name].setdefault(system, figures)
        elif name not in ("model", "calibration", "seconds", "as_text") and name not in report[task]:
            report[task][name] = value
    report[task]["baselines_from"] = args.baselines_from


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, help="checkpoint directory")
    parser.add_argument("--data-dir", default=None)
    parser.add_argument("--tasks", default="topic,stance,summary")
    parser.add_argument("--precision", default="auto", choices=list(PRECISIONS))
    parser.add_argument("--backend", default="torch", choices=list(BACKENDS), help="what runs the encoder")
    parser.add_argument("--summary-articles", type=int, default=1000)
    parser.add_argument("--summary-sentences", type=int, default=3)
    parser.add_argument("--stance-pairs", type=int, default=0, help="evaluate a seeded sample of pairs (0 = all)")
    parser.add_argument("--no-baselines", action="store_true", help="model only (a quick look at a checkpoint)")
    parser.add_argument("--baselines-from", default=None,
                        help="take the baseline figures from an earlier metrics JSON of the same rows (they do not depend on the model)")
    parser.add_argument("--output", default=None, help="write the metrics as JSON here")
    parser.add_argument("--calibrate", action="store_true", help="store the fitted temperatures in the checkpoint")
    parser.add_argument("--fit-stance-decision", action="store_true",
                        help="fit the stance decision layer on the honest dev split (macro-F1 + 2 x FNC score; training/stance_bias.py) "
                             "and store it in the checkpoint; the report shows its cross-fitted effect. Run before --calibrate.")
    args = parser.parse_args(argv)

    analyzer = Analyzer.from_pretrained(args.model, precision=args.precision, backend=args.backend)
    report: dict = {"model": args.model, "precision": analyzer.precision, "backend": analyzer.backend,
                    "args": {k: getattr(args, k) for k in ("summary_articles", "stance_pairs", "summary_sentences")}}
    for task in args.tasks.split(","):
        started = time.time()
        report[task] = {"topic": evaluate_topic, "stance": evaluate_stance, "summary": evaluate_summary}[task](analyzer, args)
        report[task]["seconds"] = round(time.time() - started, 1)
        if args.baselines_from:
            _merge_baselines(report, task, json.loads(Path(args.baselines_from).read_text(encoding="utf-8")), args)
        print(json.dumps({task: report[task]}, indent=1), flush=True)
    if args.output:
        Path(args.output).write_text(json.dumps(report, indent=1) + "\n", encoding="utf-8")
    if args.fit_stance_decision and "stance" in report:
        fitted = report["stance"]["honest"]["decision_fit"]
        path = Path(args.model) / CONFIG_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        data["stance_decision"] = fitted["layer"]
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        load_config(args.model)
        chosen = fitted[fitted["chosen"]]
        print(f"stance decision layer ({fitted['chosen']}) written to {path}; cross-fitted on dev claims: "
              f"macro-F1 {chosen['macro_f1']:.3f}, FNC {chosen['fnc_score']:.3f} "
              f"(without: {fitted['none']['macro_f1']:.3f}, {fitted['none']['fnc_score']:.3f})")
    if args.calibrate:
        path = Path(args.model) / CONFIG_FILE
        data = json.loads(path.read_text(encoding="utf-8"))
        for task in args.tasks.split(","):
            data["temperatures"][task] = report[task]["calibration"]["temperature"]
        load_config(args.model)  # still a valid checkpoint before we overwrite anything
        path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
        print(f"temperatures written to {path}: {data['temperatures']}")


if __name__ == "__main__":
    main()
