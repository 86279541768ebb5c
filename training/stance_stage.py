"""Stage 3 of the recipe: teach the stance pass direction (confirm / refute / only report) without touching
topic or summary.

    presslens-train-stance --init-from runs/default/summary/final --output-dir runs/default/stance
    presslens-train-stance --init-from classifier/default_model --output-dir runs/stance04   # from the shipped model

The stance pass reads its own (claim, chosen sentences) window in a pass of its own, so it gets its own
low-rank updates (classifier/adapter.py) of every encoder layer, trained here with the stance head and a
per-sentence head (what each window sentence says about the claim: supports / refutes / neutral, the
evidence's verdicts); the shared encoder, topic and summary stay bit for bit as they were. The mixture
(training/stance_data.py) adds to FNC-1 ARC's train split, claim-evidence pairs and news-style minimal
pairs. Checkpoints every few minutes; rerunning the same command resumes exactly.
"""

from __future__ import annotations

import dataclasses
import random
import sys
import time
from pathlib import Path

import torch

from classifier.encoding import collate_pairs_by_sentence
from classifier.model import PresslensModel, load_tokenizer

from .config import BF16_HELP, parse_dataclass_args, training_bf16
from .stance_data import IGNORE, LABEL_VERDICTS, SENTENCE_LABELS, WRITTEN_DIR, MixtureConfig, build_mixture, describe
from .train import class_weights, save_training_state, set_seed, start_or_resume

TRAINABLE = ("stance_adapter.", "stance_attention.", "stance_head.", "sentence_stance_head.")
DEFAULT_INIT = str(Path(__file__).resolve().parent.parent / "classifier" / "default_model")


@dataclasses.dataclass
class StanceStageConfig:
    output_dir: str = dataclasses.field(default="runs/stance", metadata={"help": "run folder: checkpoint, final model"})
    init_from: str = dataclasses.field(default=DEFAULT_INIT, metadata={"help": "presslens checkpoint to start from (its topic and summary are kept as they are)"})
    data_dir: str | None = dataclasses.field(default=None, metadata={"help": "folder with fnc1/, claim_evidence/, cnn_dailymail/ (default: $PRESSLENS_DATA_DIR or ../shared/data)"})
    adapter_layers: int = dataclasses.field(default=6, metadata={"help": "top encoder layers that get stance-only low-rank updates"})
    adapter_rank: int = 16
    epochs: float = dataclasses.field(default=1.0, metadata={"help": "passes over the mixture"})
    batch_size: int = 16
    learning_rate: float = dataclasses.field(default=5e-4, metadata={"help": "peak learning rate (adapter and heads)"})
    sentence_loss_weight: float = dataclasses.field(default=0.5, metadata={"help": "weight of the per-sentence verdict loss"})
    fnc_related: int = 6000
    fnc_unrelated: int = 2000
    arc_unrelated: int = 1200
    synthetic_stories: int = dataclasses.field(default=4000, metadata={"help": "news-style stories made from CNN/DM highlights (training/stance_synth.py)"})
    fnc_stories: int = dataclasses.field(default=1200, metadata={"help": "news-style stories made from FNC-1 honest-train agree headlines"})
    evidence_scale: float = dataclasses.field(default=0.8, metadata={"help": "scales the claim-evidence pairs per set (training/stance_data.py)"})
    written_dir: str = dataclasses.field(default=str(WRITTEN_DIR), metadata={"help": "folder(s) of hand-written news-style items (*.jsonl), comma-separated: training/written,training/written_r4 (empty: none)"})
    written_repeat: int = dataclasses.field(default=4, metadata={"help": "how many times each written item is seen per epoch"})
    seed: int = 13
    bf16: bool | None = dataclasses.field(default=None, metadata={"help": BF16_HELP})
    threads: int = dataclasses.field(default=0, metadata={"help": "torch threads (0 = all cores)"})
    save_every_minutes: float = 6.0
    log_every_steps: int = 25
    max_steps: int = dataclasses.field(default=0, metadata={"help": "stop the schedule after N batches (the LR decays to 0 there); 0 = all"})
    stop_after_steps: int = dataclasses.field(default=0, metadata={"help": "exit (as if interrupted) after this many steps of this invocation; for testing resume"})
    model_version: str = "0.4.0"
    # what build_optimizer reads
    weight_decay: float = 0.01
    warmup_fraction: float = 0.05
    max_grad_norm: float = 1.0

    @property
    def head_learning_rate(self) -> float:  # build_optimizer's name for the non-encoder groups
        return self.learning_rate

    def __post_init__(self) -> None:
        if not 1 <= self.adapter_layers or self.adapter_rank < 1:
            raise ValueError("adapter_layers and adapter_rank must be >= 1")
        if self.epochs <= 0 or self.batch_size < 1 or self.learning_rate <= 0:
            raise ValueError("epochs, batch_size and learning_rate must be positive")


def prepare_model(config: StanceStageConfig) -> PresslensModel:
    """The base checkpoint with a fresh stance adapter and per-sentence head; only stance parts train."""
    model = PresslensModel.from_pretrained(config.init_from)
    layers = model.config.encoder["num_hidden_layers"]
    warm = model.stance_adapter is not None
    if warm:  # a checkpoint of this stage (e.g. 0.4.0): its adapter and verdict head train on from where they are
        settings = model.config.stance_adapter
        if (layers - settings["first_layer"], settings["rank"]) != (config.adapter_layers, config.adapter_rank):
            raise SystemExit(f"{config.init_from} has a stance adapter on {layers - settings['first_layer']} layers "
                             f"of rank {settings['rank']}; pass --adapter-layers / --adapter-rank to match it")
        print(f"warm start: training on the stance adapter and verdict head of {config.init_from}", flush=True)
    elif config.adapter_layers > layers:
        raise SystemExit(f"the encoder has {layers} layers; --adapter-layers {config.adapter_layers}")
    else:
        model.add_stance_adapter(layers - config.adapter_layers, config.adapter_rank, alpha=2.0 * config.adapter_rank)
    # The base's decision layer and stance temperature were fitted to the old head's logits: dropped here
    # (presslens-evaluate --fit-stance-decision / --calibrate fit new ones for this head).
    temperatures = {**model.config.temperatures, "stance": 1.0}
    model.config = dataclasses.replace(model.config, stance_sentence_labels=list(SENTENCE_LABELS),
                                       stance_label_verdicts=dict(LABEL_VERDICTS), stance_decision={},
                                       temperatures=temperatures, version=config.model_version)
    hidden = model.config.encoder["hidden_size"]
    if model.sentence_stance_head is None:
        model.sentence_stance_head = torch.nn.Linear(2 * hidden, len(SENTENCE_LABELS))
    earlier = model.config.training
    model.config.training = {"stages": earlier.get("stages", [earlier]) + [{"recipe": {"stage": "stance", **dataclasses.asdict(config)}}]}
    if isinstance(earlier.get("trained_heads"), list):  # this stage trains the stance head
        model.config.training["trained_heads"] = sorted(set(earlier["trained_heads"]) | {"stance"})
    for name, param in model.named_parameters():
        param.requires_grad_(name.startswith(TRAINABLE))
    return model


def schedule(n: int, lengths: list[int], config: StanceStageConfig) -> list[list[int]]:
    """Batches for the whole run: examples shuffled, then sorted by length inside chunks of 50 batches (less
    padding: claim-evidence windows are short, FNC windows long), and the batches shuffled again."""
    rng = random.Random(config.seed)
    order: list[int] = []
    while len(order) < round(config.epochs * n):
        epoch = list(range(n))
        rng.shuffle(epoch)
        order.extend(epoch)
    order = order[: round(config.epochs * n)]
    chunk = 50 * config.batch_size
    batches = []
    for start in range(0, len(order), chunk):
        part = sorted(order[start : start + chunk], key=lambda i: lengths[i])
        batches.extend(part[i : i + config.batch_size] for i in range(0, len(part), config.batch_size))
    rng.shuffle(batches)
    return batches[: config.max_steps] if config.max_steps else batches


def batch_loss(model, examples, pad_id, stance_weights, sentence_weight: float):
    batch = collate_pairs_by_sentence([e.window for e in examples], pad_id)
    logits, _, sentence_logits = model.classify_pairs_by_sentence(**batch)
    labels = torch.tensor([e.label for e in examples])
    loss = torch.nn.functional.cross_entropy(logits.float(), labels, weight=stance_weights)
    targets = torch.full(sentence_logits.shape[:2], IGNORE, dtype=torch.long)
    for row, e in enumerate(examples):
        targets[row, : len(e.sentence_labels)] = torch.tensor(e.sentence_labels, dtype=torch.long)
    if (targets != IGNORE).any():
        sentence_loss = torch.nn.functional.cross_entropy(
            sentence_logits.float().reshape(-1, sentence_logits.shape[-1]), targets.reshape(-1), ignore_index=IGNORE)
        loss = loss + sentence_weight * sentence_loss
    return loss


def train_stance(config: StanceStageConfig) -> Path:
    config = dataclasses.replace(config, bf16=training_bf16(config.bf16))
    if config.threads:
        torch.set_num_threads(config.threads)
    set_seed(config.seed)
    output = Path(config.output_dir)
    output.mkdir(parents=True, exist_ok=True)
    tokenizer = load_tokenizer(Path(config.init_from))
    model = prepare_model(config)
    stance_labels = model.config.stance_labels

    t0 = time.time()
    mixture = MixtureConfig(data_dir=config.data_dir, fnc_related=config.fnc_related, fnc_unrelated=config.fnc_unrelated,
                            arc_unrelated=config.arc_unrelated, synthetic_stories=config.synthetic_stories,
                            fnc_stories=config.fnc_stories, written_dir=config.written_dir or None,
                            written_repeat=config.written_repeat,
                            evidence_scale=config.evidence_scale, max_length=model.config.stance_max_length,
                            max_claim=model.config.max_claim_tokens, seed=config.seed)
    examples = build_mixture(tokenizer, mixture, stance_labels, log=lambda m: print(m, flush=True))
    batches = schedule(len(examples), [len(e.window.input_ids) for e in examples], config)
    stance_weights = class_weights([e.label for e in examples], len(stance_labels))
    print(f"prepared {len(examples)} examples in {time.time() - t0:.0f}s; {len(batches)} steps\n"
          f"{describe(examples, stance_labels)}\nstance class weights "
          f"{dict(zip(stance_labels, [round(w, 3) for w in stance_weights.tolist()]))}", flush=True)

    optimizer, scheduler, checkpoint, step, elapsed_before = start_or_resume(model, config, len(batches), output)

    model.train()
    model.encoder.embeddings.eval()  # frozen: compute what inference computes
    started, last_save, steps_this_run, running = time.time(), time.time(), 0, None
    pad_id = tokenizer.pad_token_id
    while step < len(batches):
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=config.bf16):
            loss = batch_loss(model, [examples[i] for i in batches[step]], pad_id, stance_weights,
                              config.sentence_loss_weight)
        loss.backward()
        torch.nn.utils.clip_grad_norm_([p for p in model.parameters() if p.requires_grad], config.max_grad_norm)
        optimizer.step()
        scheduler.step()
        optimizer.zero_grad(set_to_none=True)
        step += 1
        steps_this_run += 1
        running = loss.item() if running is None else 0.95 * running + 0.05 * loss.item()
        if step % config.log_every_steps == 0 or step == len(batches):
            run_time = time.time() - started
            eta = run_time / steps_this_run * (len(batches) - step)
            print(f"step {step}/{len(batches)} loss={running:.3f} elapsed {(elapsed_before + run_time) / 60:.1f}m "
                  f"eta {eta / 60:.1f}m", flush=True)
        interrupted = config.stop_after_steps and steps_this_run >= config.stop_after_steps
        if step < len(batches) and (interrupted or time.time() - last_save > config.save_every_minutes * 60):
            save_training_state(checkpoint, model, optimizer, scheduler, step, elapsed_before + time.time() - started, config)
            last_save = time.time()
            if interrupted:
                print(f"stopping after {steps_this_run} steps as asked (resume by rerunning)", flush=True)
                return checkpoint

    minutes = (elapsed_before + time.time() - started) / 60
    model.eval()
    info = model.config.training
    info["stages"][-1]["train_minutes"], info["stages"][-1]["steps"] = round(minutes, 1), len(batches)
    info["stages"][-1]["examples"] = len(examples)
    info["train_minutes"] = round(sum(s.get("train_minutes", 0) for s in info["stages"]), 1)
    final = output / "final"
    model.save_pretrained(final)
    tokenizer.save_pretrained(str(final))
    print(f"done: {len(batches)} steps in {minutes:.1f} min; model in {final}", flush=True)
    return final


def main(argv: list[str] | None = None) -> None:
    train_stance(parse_dataclass_args(StanceStageConfig, argv, description=__doc__))


if __name__ == "__main__":
    sys.exit(main())
