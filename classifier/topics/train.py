"""`train_topics`: a newsroom's own topic labels on the frozen encoder of a presslens checkpoint.

    from classifier.topics import train_topics
    report = train_topics("labelled.csv", "models/ours", label_field="section")   # the shipped model as base
    report = train_topics("tags.jsonl", "models/tags", label_field="tags", multi_label=True, base="models/x")

Steps (`presslens train-topics` runs the same function):
  1. scan     read every record's labels and check them (data.py): errors before any encoder work
  2. split    a stratified validation share (20% of each label's records, at least one)
  3. encode   one frozen-encoder pass per article, in batches, as inference reads it (features.py)
  4. fit      logistic regression on the training rows (head.py); temperature, multi-label thresholds and
              the minimum topic score from the validation rows; then the same fit on all rows, which is
              the head that ships (the validation figures are those of the training-rows fit: honest)
  5. write    the base checkpoint with only `topic_head` and the topic part of config.json replaced, a
              model card (card.py) and metrics.json; every other weight is copied from the base file as
              it is, so stance and summary are bit for bit the base's

Needs only presslens' core dependencies; the TF-IDF baseline of the model card uses scikit-learn when it
is installed (the [train] extra), and the card says when it was not.
"""

from __future__ import annotations

import dataclasses
import json
import random
import shutil
import time
from pathlib import Path
from typing import Any

import torch
from safetensors.torch import load_file, save_file

from ..errors import PresslensError
from ..model import CONFIG_FILE, HEADS, WEIGHTS_FILE, PresslensConfig, load_config, trained_heads
from .card import model_card
from .data import DEFAULT_SEPARATOR, MAX_LABELS, VALIDATION_SHARE, TopicDataError, TopicFields, scan_labels, stratified_split
from .features import document_features
from .head import DEFAULT_C, LinearHead, fit_head, fit_temperature, fit_thresholds
from .metrics import multi_label_metrics, single_label_metrics, tfidf_baseline

MIN_SCORE_KEEP = 0.95  # the default minimum score keeps this share of the validation articles the head got right
BASELINE_TRAIN_ROWS = 10_000  # TF-IDF baseline rows at most (texts are held in memory for it; features are not texts)
BASELINE_VAL_ROWS = 5_000
BASELINE_TEXT_CHARS = 5_000


@dataclasses.dataclass
class TrainTopicsReport:
    """What `train_topics` did; `metrics` is also written to OUTPUT/metrics.json."""

    output: Path
    labels: list[str]
    metrics: dict[str, Any]
    seconds: float


def train_topics(
    data: str | Path,
    output_dir: str | Path,
    *,
    text_field: str = "text",
    title_field: str | None = None,
    label_field: str = "label",
    multi_label: bool = False,
    separator: str = DEFAULT_SEPARATOR,
    base: str | Path | None = None,
    min_topic_score: float | None = None,
    validation_share: float = VALIDATION_SHARE,
    c: float = DEFAULT_C,
    seed: int = 0,
    name: str | None = None,
    version: str | None = None,
    batch_size: int = 16,
    precision: str = "auto",
    overwrite: bool = False,
    progress: bool = False,
    log: Any = None,
) -> TrainTopicsReport:
    """Fit a topic head for the labels in `data` on the frozen encoder of `base` (None: the shipped model)
    and write a checkpoint to `output_dir` that `Analyzer.from_pretrained` / `--model` loads as it is.

    `data`: CSV, JSONL(.gz) or Parquet, read as `presslens batch` reads it; `title_field` None uses a
    "title" field when the records have one. Multi-label labels: a list, or a string split on `separator`.
    `min_topic_score`: below it the output says "none of these" (None: from validation for single-label,
    keeping 95% of the validation articles the head got right; 0 for multi-label, where the per-label
    thresholds decide). Raises TopicDataError (bad data), ModelLoadError (bad base), PresslensError.
    """
    say = log or (lambda message: None)
    started = time.time()
    data, output = str(data), Path(output_dir)
    _check_options(output, overwrite, min_topic_score, validation_share, c)
    fields = TopicFields(text=text_field, label=label_field, title=title_field)

    scan = scan_labels(data, fields, multi_label=multi_label, separator=separator)
    skipped = ", ".join(f"{n} {reason}" for reason, n in scan.skipped.items())
    say(f"{scan.kept} labelled articles in {len(scan.names)} labels" + (f" (skipped: {skipped})" if skipped else ""))
    train_rows, val_rows = stratified_split(scan.labels, validation_share, seed)

    from ..analyzer import DEFAULT_MODEL_DIR, Analyzer

    base_dir = Path(base) if base is not None else DEFAULT_MODEL_DIR
    analyzer = Analyzer.from_pretrained(base_dir, batch_size=batch_size, precision=precision)
    wanted = train_rows + val_rows
    rng = random.Random(seed)
    baseline_train = set(rng.sample(train_rows, min(len(train_rows), BASELINE_TRAIN_ROWS)))
    baseline_val = set(rng.sample(val_rows, min(len(val_rows), BASELINE_VAL_ROWS)))
    encode_started = time.time()
    features, failed, texts = document_features(
        analyzer, data, fields, wanted, progress=progress, keep_text=baseline_train | baseline_val,
        text_chars=BASELINE_TEXT_CHARS,
    )
    encode_seconds = time.time() - encode_started
    if failed:
        say(f"{len(failed)} articles could not be read (e.g. over the length limit) and were left out")
    bad = {wanted[i] for i in failed}
    train_rows = [n for n in train_rows if n not in bad]
    val_rows = [n for n in val_rows if n not in bad]
    row_of = {number: row for row, number in enumerate(wanted)}

    names = scan.names
    index = {label: i for i, label in enumerate(names)}

    def targets(rows: list[int]) -> torch.Tensor:
        if multi_label:
            matrix = torch.zeros((len(rows), len(names)))
            for r, n in enumerate(rows):
                matrix[r, [index[label] for label in scan.labels[n]]] = 1.0
            return matrix
        return torch.tensor([index[scan.labels[n][0]] for n in rows], dtype=torch.long)

    x_train, y_train = features[[row_of[n] for n in train_rows]], targets(train_rows)
    x_val, y_val = features[[row_of[n] for n in val_rows]], targets(val_rows)
    _check_after_encoding(train_rows, val_rows, scan, multi_label)

    fit_started = time.time()
    held_out = fit_head(x_train, y_train, multi_label=multi_label, c=c)
    val_logits = held_out.logits(x_val)
    temperature = fit_temperature(val_logits, y_val, multi_label=multi_label)
    val_scores = torch.sigmoid(val_logits / temperature) if multi_label else torch.softmax(val_logits / temperature, -1)
    thresholds = fit_thresholds(val_scores, y_val, names) if multi_label else {}
    chosen_min = min_topic_score
    if chosen_min is None:
        chosen_min = 0.0 if multi_label else _default_min_score(val_scores, y_val)
    all_rows = train_rows + val_rows
    final = fit_head(features[[row_of[n] for n in all_rows]], targets(all_rows), multi_label=multi_label, c=c)
    fit_seconds = time.time() - fit_started

    metrics = _validation_metrics(val_scores, val_rows, scan, names, multi_label, thresholds, chosen_min)
    baseline = _baseline(texts, train_rows, val_rows, baseline_train, baseline_val, scan, names, multi_label, seed)
    metrics.update({
        "base": str(base_dir), "labels": names, "counts": scan.counts, "skipped": scan.skipped,
        "failed_to_read": len(failed), "train_rows": len(train_rows), "validation_rows": len(val_rows),
        "validation_share": validation_share, "multi_label": multi_label, "temperature": temperature,
        "thresholds": thresholds, "min_topic_score": round(chosen_min, 4), "c": c, "seed": seed,
        "precision": analyzer.precision, "threads": torch.get_num_threads(),
        "encode_seconds": round(encode_seconds, 1), "fit_seconds": round(fit_seconds, 2),
        "baseline": baseline,
    })
    metrics["seconds"] = round(time.time() - started, 1)
    write_checkpoint(base_dir, output, final, analyzer.config, metrics, name=name, version=version,
                     data=data, fields=fields, separator=separator)
    say(_summary_line(metrics))
    return TrainTopicsReport(output=output, labels=names, metrics=metrics, seconds=time.time() - started)


def write_checkpoint(base_dir: Path, output: Path, head: LinearHead, base_config: PresslensConfig,
                     metrics: dict[str, Any], *, name: str | None, version: str | None, data: str,
                     fields: TopicFields, separator: str) -> None:
    """The base checkpoint with a new topic head: its other tensors copied from its file unchanged (same
    dtype, same bits), its config with the topic labels, temperature, thresholds and minimum replaced."""
    state = load_file(str(base_dir / WEIGHTS_FILE))
    state["topic_head.weight"] = head.weight.contiguous()
    state["topic_head.bias"] = head.bias.contiguous()
    earlier = dict(load_config(base_dir).training)  # as written (the analyzer's copy may be adjusted)
    before = trained_heads(base_config) or list(HEADS)
    stages = earlier.pop("stages", None) or ([earlier] if earlier else [])
    earlier.pop("trained_heads", None)
    recipe = {"stage": "topics", "data": Path(data).name, "fields": dataclasses.asdict(fields),
              "separator": separator if metrics["multi_label"] else None,
              **{key: metrics[key] for key in ("multi_label", "validation_share", "c", "seed", "precision")}}
    stage = {"recipe": recipe, "base": base_config.name + " " + base_config.version,
             "train_minutes": round(metrics["seconds"] / 60, 1)}
    config = dataclasses.replace(
        base_config,
        topic_labels=list(metrics["labels"]),
        topic_multi_label=metrics["multi_label"],
        topic_thresholds=dict(metrics["thresholds"]),
        min_topic_score=metrics["min_topic_score"],
        temperatures={**base_config.temperatures, "topic": metrics["temperature"]},
        name=name or f"{base_config.name}-topics",
        version=version or base_config.version,
        training={**earlier, "stages": stages + [stage],
                  "trained_heads": [h for h in HEADS if h in before or h == "topic"]},
    )
    staging = output.with_name(output.name + ".partial")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    save_file(state, str(staging / WEIGHTS_FILE), metadata={"format": "pt"})
    (staging / CONFIG_FILE).write_text(json.dumps(config.to_json_dict(), indent=2, sort_keys=True) + "\n",
                                       encoding="utf-8")
    for path in base_dir.iterdir():  # the tokenizer files, whatever the base holds
        if path.is_file() and path.name not in (WEIGHTS_FILE, CONFIG_FILE, "README.md", "metrics.json"):
            shutil.copy2(path, staging / path.name)
    (staging / "metrics.json").write_text(json.dumps(metrics, indent=1) + "\n", encoding="utf-8")
    (staging / "README.md").write_text(model_card(config, base_config, metrics), encoding="utf-8")
    if output.exists():
        shutil.rmtree(output)
    staging.rename(output)


# -- helpers ------------------------------------------------------------------------------------------------
def _check_options(output: Path, overwrite: bool, min_score: float | None, share: float, c: float) -> None:
    if output.exists() and (not output.is_dir() or any(output.iterdir())) and not overwrite:
        raise PresslensError(f"{output} exists and is not empty; choose another OUTPUT_DIR or pass --overwrite")
    if min_score is not None and not 0.0 <= min_score <= 1.0:
        raise PresslensError(f"min_topic_score must be between 0 and 1, got {min_score}")
    if not 0.05 <= share <= 0.5:
        raise PresslensError(f"validation_share must be between 0.05 and 0.5, got {share}")
    if c <= 0:
        raise PresslensError(f"c must be > 0, got {c}")


def _check_after_encoding(train_rows: list[int], val_rows: list[int], scan: Any, multi_label: bool) -> None:
    seen = {label for n in train_rows for label in scan.labels[n]}
    missing = sorted(set(scan.names) - seen)
    if missing:  # only possible when articles of a label could not be read
        raise TopicDataError(f"no readable training article left for {', '.join(missing)}")
    if not val_rows:
        raise TopicDataError("no validation article left")


def _default_min_score(scores: torch.Tensor, targets: torch.Tensor) -> float:
    """The best-label score that MIN_SCORE_KEEP of the correctly labelled validation articles reach."""
    best, predicted = scores.max(-1)
    right = sorted(best[predicted == targets].tolist())
    if not right:
        return 0.0
    k = int((1.0 - MIN_SCORE_KEEP) * len(right))
    return float(right[k]) if len(right) >= 20 else float(right[0]) * 0.9  # few rows: just under the lowest


def _validation_metrics(scores: torch.Tensor, rows: list[int], scan: Any, names: list[str], multi_label: bool,
                        thresholds: dict[str, float], min_score: float) -> dict[str, Any]:
    from ..postprocess import decide_topic

    decided = [decide_topic(dict(zip(names, row)), min_score=min_score, thresholds=thresholds if multi_label else None)
               for row in scores.tolist()]
    if multi_label:
        gold = [set(scan.labels[n]) for n in rows]
        return {"model": multi_label_metrics(gold, [set(topics) for _, _, topics in decided], names)}
    gold = [scan.labels[n][0] for n in rows]
    best = [max(zip(row, names))[1] for row in scores.tolist()]
    block = single_label_metrics(gold, best, names)
    none = [label is None for label, _, _ in decided]
    block["none_of_these"] = sum(none)
    block["accuracy_of_the_rest"] = (sum(1 for g, p, skip in zip(gold, best, none) if not skip and g == p)
                                     / max(1, len(gold) - sum(none)))
    return {"model": block}


def _baseline(texts: dict[int, str], train_rows: list[int], val_rows: list[int], train_sample: set[int],
              val_sample: set[int], scan: Any, names: list[str], multi_label: bool, seed: int) -> dict | None:
    train = [n for n in train_rows if n in train_sample]
    val = [n for n in val_rows if n in val_sample]
    labels = [set(scan.labels[n]) if multi_label else scan.labels[n][0] for n in train]
    predicted = tfidf_baseline([texts[n] for n in train], labels, [texts[n] for n in val],
                               multi_label=multi_label, labels=names, seed=seed)
    if predicted is None:
        return None
    if multi_label:
        block = multi_label_metrics([set(scan.labels[n]) for n in val], predicted, names)
    else:
        block = single_label_metrics([scan.labels[n][0] for n in val], predicted, names)
    block["train_rows"] = len(train)
    return block


def _summary_line(m: dict[str, Any]) -> str:
    model, base = m["model"], m.get("baseline")
    if m["multi_label"]:
        text = f"validation micro-F1 {model['micro_f1']:.3f}, macro-F1 {model['macro_f1']:.3f}"
        text += f" (TF-IDF {base['micro_f1']:.3f} / {base['macro_f1']:.3f})" if base else ""
    else:
        text = f"validation accuracy {100 * model['accuracy']:.1f}%, macro-F1 {model['macro_f1']:.3f}"
        text += f" (TF-IDF {100 * base['accuracy']:.1f}% / {base['macro_f1']:.3f})" if base else ""
    return (f"{text} on {m['validation_rows']} articles; min topic score {m['min_topic_score']}; "
            f"{m['seconds']:.0f} s ({m['encode_seconds']:.0f} s encoding)")
