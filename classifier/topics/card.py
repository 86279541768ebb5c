"""The model card (README.md) of a `presslens train-topics` checkpoint, written from its measured metrics."""

from __future__ import annotations

from typing import Any


def model_card(config: Any, base: Any, m: dict[str, Any]) -> str:
    multi, model, baseline = m["multi_label"], m["model"], m.get("baseline")
    kind = "multi-label (one sigmoid per label, per-label thresholds)" if multi else "single-label (softmax)"
    lines = [
        f"# {config.name} {config.version}",
        "",
        f"Own topics fitted with `presslens train-topics` on the frozen encoder of **{base.name} {base.version}**",
        f"(`{m['base']}`). Only the topic head and the topic part of `config.json` are new: the encoder, the",
        "stance and the summary layers are the base's, copied bit for bit, so stance and summary outputs are",
        "exactly the base model's, and a full analysis still costs one document pass.",
        "",
        "## What was trained",
        "",
        f"* Head: one linear layer ({kind}) on the mean-pooled encoder state of the article's first",
        "  512-token window (headline + lead), read exactly as `presslens analyze` reads it; L2-regularised",
        f"  logistic regression (C={m['c']}) fitted with L-BFGS on features cached once per article",
        f"  (precision `{m['precision']}`, {m['threads']} torch thread(s)).",
        f"* Data: `{config.training['stages'][-1]['recipe']['data']}`, {m['train_rows'] + m['validation_rows']} articles"
        + _skipped(m) + ".",
        f"* Validation: a stratified {round(100 * m['validation_share'])}% of each label's articles (at least one):"
        f" {m['validation_rows']} articles. The temperature ({m['temperature']})"
        + (", the per-label thresholds" if multi else "") + " and the minimum topic score were fitted there; the",
        "  figures below come from the head fitted on the other articles only. The shipped head was then fitted",
        "  the same way on all articles.",
        f"* Minimum topic score: {m['min_topic_score']} (below it the output says \"none of these\": `label` null"
        + (", and `topics` keeps only labels at or above their threshold and this minimum)." if multi else
           "; chosen to keep 95% of the validation articles the head got right unless given)."),
        f"* Time: {m['seconds']:.0f} s in all, {m['encode_seconds']:.0f} s of it encoding articles, {m['fit_seconds']} s fitting.",
        "",
        "## Labels",
        "",
        "| label | articles |" + (" threshold |" if multi else ""),
        "|---|---|" + ("---|" if multi else ""),
    ]
    for label in m["labels"]:
        lines.append(f"| {label} | {m['counts'][label]} |" + (f" {m['thresholds'][label]} |" if multi else ""))
    lines += ["", f"## Validation ({model['n']} articles; TF-IDF baseline on the same rows)", ""]
    if multi:
        lines += ["| system | micro-F1 | macro-F1 | exact match |", "|---|---|---|---|",
                  f"| presslens topic head | {model['micro_f1']:.3f} | {model['macro_f1']:.3f} | {_pct(model['exact_match'])} |"]
        if baseline:
            lines.append(f"| TF-IDF + logistic regression (one-vs-rest, C=10) | {baseline['micro_f1']:.3f} | "
                         f"{baseline['macro_f1']:.3f} | {_pct(baseline['exact_match'])} |")
    else:
        lines += ["| system | accuracy | macro-F1 |", "|---|---|---|",
                  f"| presslens topic head | {_pct(model['accuracy'])} | {model['macro_f1']:.3f} |"]
        if baseline:
            lines.append(f"| TF-IDF + logistic regression (C=10) | {_pct(baseline['accuracy'])} | {baseline['macro_f1']:.3f} |")
        lines += ["", f"At the minimum score {m['min_topic_score']}, {model['none_of_these']} validation articles are"
                  f" \"none of these\"; the others are {_pct(model['accuracy_of_the_rest'])}% right.", "",
                  "Confusion (rows: gold, columns: presslens):", "",
                  "| gold \\ predicted | " + " | ".join(m["labels"]) + " |", "|---" * (len(m["labels"]) + 1) + "|"]
        confusion = model["confusion"]
        lines += [f"| {g} | " + " | ".join(str(confusion[g][p]) for p in m["labels"]) + " |" for g in m["labels"]]
    if baseline is None:
        lines += ["", "(No TF-IDF baseline: scikit-learn is not installed; `pip install \"presslens[train]\"` adds it.)"]
    elif baseline.get("train_rows", 0) < m["train_rows"]:
        lines += ["", f"(The baseline was fitted on a sample of {baseline['train_rows']} training articles.)"]
    lines += [
        "",
        "## Limits",
        "",
        "* The head reads the headline and the first 512-token window only, as the base's topic head did.",
        "* Validation figures come from a small held-out share of the same data: on few examples per label they",
        "  are noisy, and they say nothing about articles unlike the training data.",
        f"* Stance and summary: see the base model's card ({base.name} {base.version}); the same limits apply.",
        "",
    ]
    return "\n".join(lines)


def _skipped(m: dict[str, Any]) -> str:
    parts = [f"{n} {reason}" for reason, n in m["skipped"].items()]
    if m.get("failed_to_read"):
        parts.append(f"{m['failed_to_read']} that could not be read")
    return f" (skipped: {', '.join(parts)})" if parts else ""


def _pct(value: float) -> str:
    return f"{100 * value:.1f}"
