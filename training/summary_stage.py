"""Second training stage: refit the summary layers on a frozen encoder, from cached sentence vectors.

    presslens-train-summary --init-from runs/default/final --output-dir runs/default/summary   # ~35 min on one core

Why a separate stage: in the multi-task run the summary head saw 6,000 articles cut to 320 tokens, while
inference reads a 512-token first window. Here the stage-1 encoder stays frozen (topic and stance are
untouched, bit for bit) and reads 16,000 articles once; the summary layers (sentence position embedding, one
inter-sentence transformer layer, the scoring MLP) are then trained for two epochs on the cached vectors,
which takes minutes instead of the hours that more encoder passes would. 16,000 articles instead of 8,000
(0.3.0): ROUGE-1 on 1,000 CNN/DailyMail validation articles 41.30 -> 41.45, on 400 others 40.87 -> 41.18
(see docs/model_card_notes.md).

Steps, each resumable by rerunning the same command:
  1. features  first windows of `articles` training articles (as inference reads them) through the frozen
               encoder; per-sentence mean vectors in float16, in chunks of `chunk_articles` articles at
               `<output_dir>/features/NNNN.safetensors` (a finished chunk is never recomputed)
  2. fit       AdamW on the summary layers only; a checkpoint after every epoch in `<output_dir>/checkpoint`
  3. final     `<output_dir>/final`: the stage-1 checkpoint with the new summary layers and a config that
               records both stages (`training.stages`)
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import random
import sys
import time
from pathlib import Path

import torch
from safetensors import safe_open
from safetensors.torch import load_file, save_file

from classifier.encoding import first_document_window
from classifier.model import load_tokenizer
from classifier.encoding import collate_documents, tokenize_sentences
from classifier.model import PresslensModel

from .checkpoints import (
    optimizer_tensors,
    restore_optimizer,
    restore_scheduler,
    scheduler_state,
    staging_dir,
    swap_in,
)
from .config import BF16_HELP, parse_dataclass_args, training_bf16
from .data import load_task, local_file
from .summary_labels import labelled_articles

SUMMARY_LAYERS = ("sentence_position", "summary_context", "summary_head")


@dataclasses.dataclass
class SummaryStageConfig:
    init_from: str = dataclasses.field(default="", metadata={"help": "the stage-1 presslens checkpoint (required)"})
    output_dir: str = dataclasses.field(default="runs/default/summary", metadata={"help": "features, checkpoint, final model"})
    data_dir: str | None = dataclasses.field(default=None, metadata={"help": "folder with cnn_dailymail/ (default: $PRESSLENS_DATA_DIR or ../shared/data)"})
    source: str = dataclasses.field(default="local", metadata={"help": "'local' files or 'hub' dataset names"})
    cache_dir: str = dataclasses.field(default="cache", metadata={"help": "where oracle summary labels are cached"})
    articles: int = dataclasses.field(default=16000, metadata={"help": "training articles read (seeded sample; 0 = all)"})
    articles_from: str = dataclasses.field(default="all", metadata={"help": "outlet: dm (Daily Mail), cnn or all; local ids start with dm-/cnn-, hub rows carry no outlet (use all)"})
    context_layers: int = dataclasses.field(default=1, metadata={"help": "inter-sentence transformer layers (0 = none)"})
    epochs: int = 2
    batch_size: int = 32
    learning_rate: float = 5e-4
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    chunk_articles: int = dataclasses.field(default=500, metadata={"help": "articles per cached feature file"})
    bf16: bool | None = dataclasses.field(default=None, metadata={"help": BF16_HELP})
    threads: int = dataclasses.field(default=0, metadata={"help": "torch threads (0 = all cores)"})
    seed: int = 17
    model_version: str = dataclasses.field(default="0.3.0", metadata={"help": "version written into the model (stage 1 wrote 0.1.0)"})
    stop_after_epochs: int = dataclasses.field(default=0, metadata={"help": "exit (as if interrupted) after this many epochs of this invocation; for testing resume"})

    def __post_init__(self) -> None:
        if not self.init_from:
            raise ValueError("--init-from (the stage-1 checkpoint) is required")
        if self.epochs < 1 or self.batch_size < 1 or self.chunk_articles < 1:
            raise ValueError("epochs, batch_size and chunk_articles must be >= 1")
        if not 0 <= self.context_layers <= 6:
            raise ValueError("context_layers must be between 0 and 6")
        if self.articles_from not in ("dm", "cnn", "all"):
            raise ValueError(f"articles_from must be dm, cnn or all, got {self.articles_from!r}")


# -- 1. features -------------------------------------------------------------------------------------------
def training_articles(config: SummaryStageConfig) -> list[dict]:
    rows = load_task("summary", "train", config.data_dir, config.source)
    if config.articles_from != "all":
        prefix = config.articles_from + "-"
        rows = rows.filter(lambda row: row["id"].startswith(prefix))
        if not len(rows):
            raise SystemExit(f"no training article has an id starting with {prefix!r}: use --articles-from all")
    if config.articles and len(rows) > config.articles:
        rows = rows.shuffle(seed=config.seed).select(range(config.articles))
    source = local_file("summary", "train", config.data_dir) if config.source == "local" else None
    return labelled_articles(rows, source, Path(config.cache_dir))


def extract_features(model: PresslensModel, tokenizer, articles: list[dict], folder: Path, config: SummaryStageConfig) -> None:
    """Write the sentence vectors of every chunk not yet on disk (atomically: a killed run leaves no half file)."""
    folder.mkdir(parents=True, exist_ok=True)
    chunks = math.ceil(len(articles) / config.chunk_articles)
    started = time.time()
    done_here = 0
    for c in range(chunks):
        path = folder / f"{c:04d}.safetensors"
        part = articles[c * config.chunk_articles : (c + 1) * config.chunk_articles]
        digest = hashlib.sha256("\n".join(a["id"] for a in part).encode()).hexdigest()[:16]
        if path.is_file():
            with safe_open(str(path), "pt") as handle:
                if (handle.metadata() or {}).get("articles") != digest:
                    raise SystemExit(f"{path} holds other articles (made with other settings): delete "
                                     f"{folder} and rerun")
            continue
        chunk_started = time.time()
        tensors = _chunk_features(model, tokenizer, part, config)
        # which articles (to refuse stale features) and how long they took (the stage's time over reruns)
        metadata = {"articles": digest, "seconds": f"{time.time() - chunk_started:.1f}"}
        save_file(tensors, str(path.with_suffix(".tmp")), metadata=metadata)
        path.with_suffix(".tmp").rename(path)
        done_here += 1
        rate = (time.time() - started) / done_here
        print(f"features {c + 1}/{chunks} chunks, eta {rate * (chunks - c - 1) / 60:.1f}m", flush=True)


def _chunk_features(model: PresslensModel, tokenizer, articles: list[dict], config: SummaryStageConfig) -> dict[str, torch.Tensor]:
    windows = [
        first_document_window(tokenizer, None, tokenize_sentences(tokenizer, a["sentences"]), model.config).windows[0]
        for a in articles
    ]
    vectors: list[torch.Tensor | None] = [None] * len(windows)
    order = sorted(range(len(windows)), key=lambda i: -len(windows[i].input_ids))
    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
        for start in range(0, len(order), 16):
            batch = order[start : start + 16]
            inputs = collate_documents([windows[i] for i in batch], tokenizer.pad_token_id)
            _, sentence_vectors = model.document_states(
                inputs["input_ids"], inputs["attention_mask"], inputs["sentence_index"], inputs["sentence_position"].shape[1]
            )
            for row, i in enumerate(batch):
                vectors[i] = sentence_vectors[row, : len(windows[i].sentence_ids)].to(torch.float16)
    positions = [torch.tensor(w.sentence_ids, dtype=torch.int64) for w in windows]
    labels = [torch.tensor([float(i in set(a["labels"])) for i in w.sentence_ids]) for a, w in zip(articles, windows)]
    offsets = torch.tensor([0] + [len(p) for p in positions]).cumsum(0)
    return {"vectors": torch.cat(vectors), "positions": torch.cat(positions), "labels": torch.cat(labels), "offsets": offsets}


def feature_minutes(folder: Path) -> float:
    total = 0.0
    for path in folder.glob("*.safetensors"):
        with safe_open(str(path), "pt") as handle:
            total += float((handle.metadata() or {}).get("seconds", 0))
    return total / 60


def load_features(folder: Path) -> list[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]:
    """[(vectors [S, H], positions [S], labels [S])] per article, in chunk order."""
    items = []
    for path in sorted(folder.glob("*.safetensors")):
        chunk = load_file(str(path))
        bounds = chunk["offsets"].tolist()
        for a, b in zip(bounds, bounds[1:]):
            items.append((chunk["vectors"][a:b], chunk["positions"][a:b], chunk["labels"][a:b]))
    return items


# -- 2. fit --------------------------------------------------------------------------------------------------
def pad_batch(items) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    width = max(1, max(len(p) for _, p, _ in items))
    hidden = items[0][0].shape[-1]
    vectors = torch.zeros(len(items), width, hidden)
    positions = torch.full((len(items), width), -1, dtype=torch.long)
    labels = torch.zeros(len(items), width)
    for row, (v, p, y) in enumerate(items):
        vectors[row, : len(p)], positions[row, : len(p)], labels[row, : len(p)] = v.float(), p, y
    return vectors, positions, labels


def summary_parameters(model: PresslensModel) -> list[torch.nn.Parameter]:
    return [p for name, p in model.named_parameters() if name.split(".")[0] in SUMMARY_LAYERS]


def fit(model: PresslensModel, items, output: Path, config: SummaryStageConfig) -> float:
    """Train the summary layers; returns the minutes spent fitting (over all invocations)."""
    params = summary_parameters(model)
    for p in model.parameters():
        p.requires_grad_(False)
    for p in params:
        p.requires_grad_(True)
    optimizer = torch.optim.AdamW(params, lr=config.learning_rate, weight_decay=config.weight_decay)
    per_epoch = math.ceil(len(items) / config.batch_size)
    total = per_epoch * config.epochs
    warmup = max(1, int(config.warmup_fraction * total))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: (s + 1) / warmup if s < warmup else max(0.0, (total - s) / max(1, total - warmup))
    )
    checkpoint = output / "checkpoint"
    epoch, elapsed = 0, 0.0
    if (checkpoint / "state.json").is_file():
        epoch, elapsed = _load_fit_state(checkpoint, model, optimizer, scheduler)
        print(f"resumed summary fit after epoch {epoch}/{config.epochs}", flush=True)
    epochs_here = 0
    while epoch < config.epochs:
        started = time.time()
        torch.manual_seed(config.seed + epoch)  # per-epoch seeds: a resumed run repeats the same epochs
        order = list(range(len(items)))
        random.Random(config.seed + epoch).shuffle(order)
        model.train()
        running = 0.0
        for start in range(0, len(order), config.batch_size):
            vectors, positions, labels = pad_batch([items[i] for i in order[start : start + config.batch_size]])
            logits = model.score_sentences(vectors, positions)
            valid = positions >= 0
            loss = torch.nn.functional.binary_cross_entropy_with_logits(logits[valid], labels[valid])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            running += loss.item()
        epoch += 1
        epochs_here += 1
        elapsed += time.time() - started
        print(f"epoch {epoch}/{config.epochs} loss {running / per_epoch:.4f} ({time.time() - started:.0f}s)", flush=True)
        _save_fit_state(checkpoint, model, optimizer, scheduler, epoch, elapsed)
        if config.stop_after_epochs and epochs_here >= config.stop_after_epochs and epoch < config.epochs:
            raise _Interrupted
    model.eval()
    return elapsed / 60


class _Interrupted(Exception):
    """Raised by --stop-after-epochs, to test that a rerun resumes."""


def _save_fit_state(directory: Path, model, optimizer, scheduler, epoch: int, elapsed: float) -> None:
    tmp = staging_dir(directory)
    state = {f"model.{k}": v.detach().clone() for k, v in model.state_dict().items() if k.split(".")[0] in SUMMARY_LAYERS}
    save_file(state | optimizer_tensors(optimizer), str(tmp / "state.safetensors"))
    meta = {"epoch": epoch, "elapsed_seconds": elapsed, "param_groups": optimizer.state_dict()["param_groups"],
            "scheduler": scheduler_state(scheduler)}
    (tmp / "state.json").write_text(json.dumps(meta, indent=1), encoding="utf-8")
    swap_in(tmp, directory)


def _load_fit_state(directory: Path, model, optimizer, scheduler) -> tuple[int, float]:
    meta = json.loads((directory / "state.json").read_text(encoding="utf-8"))
    tensors = load_file(str(directory / "state.safetensors"))
    model.load_state_dict({k[len("model."):]: v for k, v in tensors.items() if k.startswith("model.")}, strict=False)
    restore_optimizer(optimizer, tensors, meta["param_groups"])
    restore_scheduler(scheduler, meta["scheduler"])
    return meta["epoch"], meta["elapsed_seconds"]


# -- 3. the stage ----------------------------------------------------------------------------------------
def run(config: SummaryStageConfig) -> Path:
    config = dataclasses.replace(config, bf16=training_bf16(config.bf16))  # what ran goes into the recipe
    if config.threads:
        torch.set_num_threads(config.threads)
    output = Path(config.output_dir)
    stage1 = PresslensModel.from_pretrained(config.init_from)
    tokenizer = load_tokenizer(Path(config.init_from))
    model_config = dataclasses.replace(
        stage1.config, summary_context_layers=config.context_layers, version=config.model_version
    )
    torch.manual_seed(config.seed)  # the new layers' initial weights
    model = PresslensModel(model_config)
    missing, _ = model.load_state_dict(stage1.state_dict(), strict=False)  # only the new layers are missing
    assert all(name.startswith("summary_context.") for name in missing), missing
    del stage1

    started = time.time()
    articles = training_articles(config)
    print(f"{len(articles)} labelled articles in {time.time() - started:.0f}s", flush=True)
    model.eval()
    extract_features(model, tokenizer, articles, output / "features", config)
    items = load_features(output / "features")
    if len(items) != len(articles):
        raise SystemExit(f"{output / 'features'} holds {len(items)} articles, expected {len(articles)}: "
                         "it was made with other settings; delete it and rerun")
    try:
        fit_minutes = fit(model, items, output, config)
    except _Interrupted:
        print("stopping as asked (resume by rerunning)", flush=True)
        return output / "checkpoint"

    from classifier.model import HEADS, trained_heads

    before = trained_heads(model.config) or list(HEADS)
    info = dict(model.config.training)
    info.pop("trained_heads", None)
    stages = info.pop("stages", None) or [info]
    features = feature_minutes(output / "features")
    stage = {"recipe": dataclasses.asdict(config) | {"stage": "summary"},
             "train_minutes": round(features + fit_minutes, 1), "feature_minutes": round(features, 1)}
    model.config.training = {
        "stages": stages + [stage],
        "train_minutes": round(sum(s.get("train_minutes", 0) for s in stages + [stage]), 1),
        "steps": sum(s.get("steps", 0) for s in stages),
        "trained_heads": [head for head in HEADS if head in before or head == "summary"],
    }
    final = output / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(str(final))
    print(f"done: summary stage in {stage['train_minutes']} min; model in {final}", flush=True)
    return final


def main(argv: list[str] | None = None) -> None:
    run(parse_dataclass_args(SummaryStageConfig, argv, description=__doc__))


if __name__ == "__main__":
    sys.exit(main())
