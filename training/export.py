"""Ship a trained checkpoint: float16 weights, tokenizer, config and a model card written from measured metrics.

    presslens-export --model runs/default/final --metrics runs/default/metrics.json --output classifier/default_model

The model card's numbers all come from the metrics JSON that `presslens-evaluate` wrote for this checkpoint.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch

from classifier.model import PresslensModel

from .vocab_prune import prune_vocabulary

TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt")


def export(model_dir: Path, output: Path, metrics: dict, notes: str = "") -> None:
    model = PresslensModel.from_pretrained(model_dir)
    staging = output.with_name(output.name + ".tmp")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name in TOKENIZER_FILES:
        if (model_dir / name).is_file():
            shutil.copy2(model_dir / name, staging / name)
    dropped = prune_vocabulary(model, staging)  # lossless: entries no text can reach
    model.save_pretrained(staging, dtype=torch.float16)
    if dropped:
        print(f"dropped {dropped} unreachable vocabulary entries ([unusedN]) and their embedding rows")
    (staging / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    card = model_card(model, metrics)
    if notes:
        card += "\n" + notes.strip() + "\n"
    (staging / "README.md").write_text(card, encoding="utf-8")
    shutil.rmtree(output, ignore_errors=True)
    staging.rename(output)
    size = (output / "model.safetensors").stat().st_size / 1e6
    print(f"exported to {output} ({size:.1f} MB of float16 weights)")


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" + ("" if n == 1 else "s")


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"


def model_card(model: PresslensModel, m: dict) -> str:
    config = model.config
    stages = config.training.get("stages", [config.training])
    recipe = stages[0].get("recipe", {})
    summary_stage = next((st for st in stages[1:] if st.get("recipe", {}).get("stage") == "summary"), None)
    adapter_stage = next((st for st in stages[1:] if st.get("recipe", {}).get("stance_adapter_layers")), None)
    stance_stage = next((st for st in stages[1:] if st.get("recipe", {}).get("stage") == "stance"), None)
    final = "runs/default/stance/final" if adapter_stage or stance_stage else "runs/default/summary/final"
    topic, stance, summary = m.get("topic", {}), m.get("stance", {}), m.get("summary", {})
    lines = [
        f"# {config.name} {config.version}",
        "",
        "The default presslens model: one all-MiniLM-L6-v2 encoder (6 layers, hidden 384, 22.7 M parameters,",
        "uncased) fine-tuned jointly for three heads: topic of an article (headline + lead), stance of an article",
        "body toward a claim (agree / disagree / discuss / unrelated) and a per-sentence score for extractive",
        "summaries"
        + (f" (with {_count(config.summary_context_layers, 'transformer layer')} across a window's sentences)"
           if config.summary_context_layers else "")
        + ". Weights are float16 safetensors; probabilities are temperature-scaled on validation data",
        f"(temperatures: {json.dumps(config.temperatures)})."
        + (f" The stance decision layer ({config.stance_decision.get('kind', '?')}, training/stance_bias.py) was"
           " fitted on the honest dev split for macro-F1." if config.stance_decision else ""),
        "",
        "## Training",
        "",
        "Command (from the repository root, data in `../shared/data`):",
        "",
        "    presslens-train --output-dir runs/default",
        "    presslens-train-summary --init-from runs/default/final --output-dir runs/default/summary",
    ] + ([
        "    presslens-train --init-from runs/default/summary/final --output-dir runs/default/stance --tasks stance"
        f" --stance-adapter-layers {adapter_stage['recipe']['stance_adapter_layers']}"
        f" --stance-adapter-rank {adapter_stage['recipe']['stance_adapter_rank']}",
    ] if adapter_stage else []) + ([
        "    presslens-train-stance --init-from runs/default/summary/final --output-dir runs/default/stance",
        f"    presslens-evaluate --model {final} --output runs/default/metrics.json --calibrate",
        f"    presslens-evaluate-stance --model {final} --model <0.3.0> --tfidf --output runs/default/heldout.json",
        f"    presslens-export --model {final} --metrics runs/default/metrics.json --stance-suites runs/default/heldout.json --notes docs/model_card_notes.md --output classifier/default_model",
    ] if stance_stage else [
        f"    presslens-evaluate --model {final} --tasks stance --no-baselines --fit-stance-decision --output runs/default/decision.json",
        f"    presslens-evaluate --model {final} --output runs/default/metrics.json --calibrate",
        f"    presslens-export --model {final} --metrics runs/default/metrics.json --decision runs/default/decision.json --notes docs/model_card_notes.md --output classifier/default_model",
    ]) + [
        "",
        f"Training took {config.training.get('train_minutes', '?')} minutes in all on the 2-core development machine",
        "(shared CPU, bfloat16 autocast, fp32 master weights).",
        "",
        f"**Stage 1, multi-task** ({stages[0].get('train_minutes', '?')} min, {stages[0].get('steps', '?')} steps;"
        " the defaults of `training/config.py`):",
        "",
        "| field | value |",
        "|---|---|",
    ]
    for key in ("topic_epochs", "topic_batch_size", "topic_max_length", "stance_split", "stance_input",
                "stance_examples", "stance_unrelated_fraction", "stance_disagree_repeat",
                "stance_batch_size", "stance_max_length", "summary_examples", "summary_batch_size", "summary_max_length",
                "learning_rate", "head_learning_rate", "warmup_fraction", "bf16", "seed"):
        if key in recipe:
            lines.append(f"| {key} | {recipe[key]} |")
    if summary_stage:
        r = summary_stage["recipe"]
        outlets = {"all": "CNN and Daily Mail", "dm": "Daily Mail", "cnn": "CNN"}.get(r.get("articles_from"), "?")
        layers = r.get("context_layers")
        lines += [
            "",
            f"**Stage 2, summary layers** ({summary_stage.get('train_minutes', '?')} min,"
            f" {summary_stage.get('feature_minutes', '?')} of them reading articles; `training/summary_stage.py`).",
            "The stage-1 encoder is frozen, so topic and stance are unchanged. The stage reads the first 512-token",
            f"window of {r.get('articles'):,} training articles ({outlets}) once and caches each sentence's vector;",
            f"the sentence position embedding, {_count(layers, 'inter-sentence transformer layer')} and the scoring",
            f"MLP are then trained on them for {r.get('epochs')} epochs (batch {r.get('batch_size')},"
            f" learning rate {r.get('learning_rate')}).",
        ]
    if adapter_stage:
        r, adapter = adapter_stage["recipe"], config.stance_adapter
        lines += [
            "",
            f"**Stage 3, stance adapter** ({adapter_stage.get('train_minutes', '?')} min,"
            f" {adapter_stage.get('steps', '?')} steps; `classifier/adapter.py`). The shared encoder, topic and",
            "summary are frozen (unchanged bit for bit). The stance pass gets its own low-rank updates (rank"
            f" {adapter.get('rank')}) of the top {r.get('stance_adapter_layers')} encoder layers, trained with the",
            f"stance head for one more pass over the stance stream of stage 1 (batch {r.get('stance_batch_size')},"
            f" learning rate {r.get('head_learning_rate')}).",
        ]
    if stance_stage:
        r = stance_stage["recipe"]
        lines += [
            "",
            f"**Stage 3, stance direction** ({stance_stage.get('train_minutes', '?')} min, {stance_stage.get('steps', '?')}"
            f" steps over {stance_stage.get('examples', '?'):,} examples; `training/stance_stage.py`). The shared encoder,",
            "topic and summary are frozen (unchanged bit for bit). The stance pass gets its own low-rank updates"
            f" (rank {r.get('adapter_rank')}) of the top {r.get('adapter_layers')} encoder layers (`classifier/adapter.py`),",
            "trained with the stance head and a per-sentence head that says what each sentence of the stance window says",
            f"about the claim ({' / '.join(config.stance_sentence_labels)}), {r.get('epochs')} pass over a mixture"
            f" (`training/stance_data.py`; batch {r.get('batch_size')}, learning rate {r.get('learning_rate')},",
            f"sentence-loss weight {r.get('sentence_loss_weight')}): FNC-1 honest-train pairs, ARC's train split,",
            "claim-evidence pairs (NLI and fact verification: support = agree, refute = disagree, neutral = discuss) and",
            "news-style minimal pairs made from real CNN/DailyMail highlights and FNC-1 headlines with real background",
            "sentences (`training/stance_synth.py`: attributed denials, debunks, satire traced, retractions, corrections,",
            "changed numbers, negated claims, reports that take no side, unrelated pairings).",
        ]
    lines += [
        "",
        "Data (local files; never redistributed with the model):",
        "",
        "* topic: AG News, 5,700 title + description rows (drawn from AG's official test split: the official",
        "  120k training split is not available here); research and non-commercial use.",
        "* stance: FNC-1 (train + validation files) without the stories of the honest dev split (no dev claim or",
        "  body is seen in training); unrelated pairs downsampled in the training stream, `disagree` pairs repeated,",
        "  inverse-square-root class weights. Research data (Emergent / FNC-1).",
    ] + ([
        "* stance direction (stage 3): ARC (Hanselowski et al. 2018, train split only; Apache-2.0 repository) and the",
        "  claim-evidence sets FEVER (RTE form, dev; CC BY-SA 3.0), MultiNLI via TaxiNLI (C-UDA 1.0), ANLI dev",
        "  (CC BY-NC 4.0), counterfactual SNLI (Apache-2.0 on SNLI, CC BY-SA 4.0), COVID-Fact (research release, no",
        "  licence file), Climate-FEVER (no licence file), HealthVer dev (no licence file), Perspectrum (CC BY-SA 4.0),",
        "  ConjNLI (MIT), SciFact (CC BY-NC 2.0), LIAR-PLUS validation (CC0); no test split of any of them. Several are",
        "  non-commercial or research-only: the model inherits the strictest of these terms (research, non-commercial).",
    ] if stance_stage else []) + [
        f"* summary: {recipe.get('summary_examples', '?'):,} CNN/DailyMail training articles in stage 1"
        + (f" and {summary_stage['recipe'].get('articles'):,} in stage 2" if summary_stage else "")
        + " (lower-cased, PTB-tokenised),",
        "  sentence labels from a greedy ROUGE-1+2 oracle against the highlights. Research data (Hermann et al.",
        "  2015; See et al. 2017).",
        "",
        "## Validation metrics (same rows for model and baselines)",
        "",
        f"Measured with precision `{m.get('precision', '?')}`.",
        "",
    ]
    if topic:
        lines += [
            f"**Topic** (ag_news validation, {topic['model']['n']} rows)",
            "",
            "| system | accuracy | macro-F1 |",
            "|---|---|---|",
        ]
        systems = (("model", "presslens"), ("tfidf_logreg", "TF-IDF + logistic regression (C=10)"),
                   ("tfidf_logreg_c1", "TF-IDF + logistic regression (C=1)"), ("fasttext", "fastText"))
        for name, label in ((n, l) for n, l in systems if n in topic):
            lines.append(f"| {label} | {_pct(topic[name]['accuracy'])} | {topic[name]['macro_f1']:.3f} |")
        lines.append("")
    for split, title in (("honest", "claims and bodies unseen in training (training/stance_split.py); what predicts the official test"),
                         ("shipped", "the fnc1 validation file, split by body only: headlines recur, so it flatters")):
        block = stance.get(split) or ({"model": stance["model"]} if split == "honest" and "model" in stance else None)
        if not block:
            continue
        lines += [
            f"**Stance, {split} split** ({block['model']['n']} pairs; {title})",
            "",
            "| system | FNC-1 score | macro-F1 | F1 agree | F1 disagree | F1 discuss | F1 unrelated |",
            "|---|---|---|---|---|---|---|",
        ]
        fit = (m.get("stance_decision_fit") or {}) if split == "honest" else {}
        rows = [("model", "presslens" + (" (decision layer fitted on these rows: in-sample)" if fit else ""))]
        if fit:
            block = {**block, "crossfit": fit[fit["chosen"]], "head_only": fit["none"]}
            rows += [("crossfit", "**presslens, decision layer cross-fitted over dev claims (the honest figure)**"),
                     ("head_only", "presslens head without the decision layer")]
        rows += [("tfidf_linear", "TF-IDF similarity + linear"), ("majority", "majority class")]
        for name, label in rows:
            if name not in block:  # evaluated with --no-baselines
                continue
            f1 = block[name]["f1"]
            lines.append(
                f"| {label} | {_pct(block[name]['fnc_score'])} | {block[name]['macro_f1']:.3f} | "
                + " | ".join(f"{f1.get(k, 0):.3f}" for k in ("agree", "disagree", "discuss", "unrelated")) + " |"
            )
        lines.append("")
        confusion = block["model"].get("confusion")
        if confusion:
            labels = list(confusion)
            lines += ["Confusion (rows: gold, columns: presslens):", "",
                      "| gold \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
            lines += [f"| {g} | " + " | ".join(str(confusion[g][p]) for p in labels) + " |" for g in labels]
            lines.append("")
    if summary:
        lines += [
            f"**Summary** (cnn_dailymail validation, {summary.get('articles')} articles, 3 sentences, ROUGE F1 with stemming; ROUGE-L = summary-level Lsum)",
            "",
            "| system | ROUGE-1 | ROUGE-2 | ROUGE-L |",
            "|---|---|---|---|",
        ]
        for name, label in (("model", "presslens"), ("lead3", "Lead-3"), ("lead3_clean", "Lead-3 (skipping sentences under 4 words)"), ("textrank", "TextRank")):
            if name not in summary:
                continue
            r = summary[name]
            lines.append(f"| {label} | {r['rouge1']:.2f} | {r['rouge2']:.2f} | {r['rougeL']:.2f} |")
        as_text = summary.get("as_text")
        if as_text:
            lines.append(f"| presslens, article read as running text | {as_text['model']['rouge1']:.2f} | "
                         f"{as_text['model']['rouge2']:.2f} | {as_text['model']['rougeL']:.2f} |")
            lines.append(f"| Lead-3 of those same sentences | {as_text['lead3']['rouge1']:.2f} | "
                         f"{as_text['lead3']['rouge2']:.2f} | {as_text['lead3']['rougeL']:.2f} |")
        lines.append("")
    lines += ["**Calibration** (expected calibration error, 15 bins; after-scaling ECE cross-fitted on two halves)", "",
              "| head | ECE at T=1 | ECE after temperature scaling | T |", "|---|---|---|---|"]
    for head, block in (("topic", topic), ("stance", stance), ("summary", summary)):
        if block and "calibration" in block:
            c = block["calibration"]
            crossfit = "n/a" if c["ece_calibrated_crossfit"] is None else f"{c['ece_calibrated_crossfit']:.4f}"
            lines.append(f"| {head} | {c['ece_uncalibrated']:.4f} | {crossfit} | {c['temperature']} |")
    lines += heldout_section(m.get("heldout_stance"))
    lines += [
        "",
        "## Limits",
        "",
        "* Topic was learned from 5,700 short title + description rows and four coarse AG labels; it reads only",
        "  the headline and the first window of an article. Entertainment, health or local news fall into the",
        "  nearest of the four.",
        "* Stance was learned from FNC-1 (2014-15 rumours and hoaxes, headline vs body). Claims far from headline",
        "  style, and `disagree` (2% of the data) are the weakest; evidence sentences are where the stance head's",
        "  attention went, not a proof.",
        "* The summary data is lower-cased and tokenised news from 2007-2015; summaries are extractive (real",
        "  sentences of the article, nothing invented), tuned for 3 sentences, English only. They are picked from",
        "  the first 512-token window (what the head was trained on), so a long article's later sentences are",
        "  never chosen; the output warns when an article goes on past that window.",
        "* Stance training read FNC bodies through presslens' own reading chain, as inference does (0.2.0 used",
        "  pysbd); the web-page sentence filter (datelines, bylines, captions) was added after 0.3.0 was trained.",
        "* All validation figures come from the development splits described in `../shared/data`; the",
        "  maintainers re-measure on held-out test data.",
        "",
    ]
    return "\n".join(lines)


HELDOUT_TITLES = {
    "news": "the news-style suite (training/suites/news_stance.jsonl: 326 hand-written items in minimal-pair groups,"
            " never trained or tuned on)",
    "dev": "the second hand-written news suite (training/suites/news_stance_dev.jsonl, another writer; the stance"
           " temperature is fitted on it, nothing else)",
    "arc": "ARC's test split (user comments, another domain with FNC-1's labels; ARC's train split is in stage 3)",
    "honest": "FNC-1's honest dev split (claims and bodies unseen in training)",
}


NEWS_LIKE = ("news", "dev")  # the hand-written suites: direction figures too


def heldout_section(report: dict | None) -> list[str]:
    """The held-out stance evaluations (training/stance_suites.py JSON) as tables, every system on the same rows."""
    if not report:
        return []
    lines = ["", "## Stance on data unlike its training (what predicts the held-out test)", ""]
    for suite, block in report.get("suites", {}).items():
        systems = block["systems"]
        lines += [f"**{suite}**: {HELDOUT_TITLES.get(suite, suite)}; {block['rows']} rows.", "",
                  "| system | accuracy | macro-F1 | FNC score | F1 agree | F1 disagree | F1 discuss | F1 unrelated |"
                  + (" confirm/refute exact | refutations called agree |" if suite in NEWS_LIKE else ""),
                  "|---" * (8 + (2 if suite in NEWS_LIKE else 0)) + "|"]
        for name, r in systems.items():
            label = f"presslens {r.get('model_version')}" if r.get("model_version") else name
            row = (f"| {label} | {r['accuracy']:.3f} | {r['macro_f1']:.3f} | {r['fnc_score']:.3f} | "
                   + " | ".join(f"{r['f1'].get(k, 0):.3f}" for k in ("agree", "disagree", "discuss", "unrelated")) + " |")
            if suite in NEWS_LIKE and "confirm_refute_exact" in r:
                row += (f" {r['confirm_refute_exact']:.3f} | {r['refutations_called_agree_count']}/{r['refutations_n']} |")
            lines.append(row)
        first = next(iter(systems.values()))
        if first.get("confusion"):
            labels = list(first["confusion"])
            lines += ["", f"Confusion of {first.get('model_version', 'the first system')} (rows: gold, columns: predicted):", "",
                      "| gold \\ predicted | " + " | ".join(labels) + " |", "|---" * (len(labels) + 1) + "|"]
            lines += [f"| {g} | " + " | ".join(str(first["confusion"][g][p]) for p in labels) + " |" for g in labels]
        lines.append("")
    return lines


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", required=True, type=Path)
    parser.add_argument("--metrics", required=True, type=Path)
    parser.add_argument("--output", default=Path("classifier/default_model"), type=Path)
    parser.add_argument("--notes", type=Path, default=None, help="markdown appended to the model card (status, history)")
    parser.add_argument("--decision", type=Path, default=None,
                        help="the report of `presslens-evaluate --fit-stance-decision` (its cross-fitted figures go into the card)")
    parser.add_argument("--stance-suites", type=Path, default=None,
                        help="the report of `presslens-evaluate-stance --output` (held-out stance tables for the card)")
    args = parser.parse_args(argv)
    notes = args.notes.read_text(encoding="utf-8") if args.notes else ""
    metrics = json.loads(args.metrics.read_text(encoding="utf-8"))
    if args.decision:
        metrics["stance_decision_fit"] = json.loads(args.decision.read_text(encoding="utf-8"))["stance"]["honest"]["decision_fit"]
    if args.stance_suites:
        metrics["heldout_stance"] = json.loads(args.stance_suites.read_text(encoding="utf-8"))
    export(args.model, args.output, metrics, notes)


if __name__ == "__main__":
    main()
