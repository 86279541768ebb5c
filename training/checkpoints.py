"""Training state on disk, shared by both stages: safetensors + JSON (no pickle), swapped in atomically.

    tmp = staging_dir(checkpoint)                 # write everything into tmp ...
    tensors = optimizer_tensors(optimizer)        # ... e.g. the optimizer's moments as named tensors
    swap_in(tmp, checkpoint)                      # then replace the old checkpoint in one rename
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import torch


def staging_dir(directory: Path) -> Path:
    """An empty sibling folder to write the next state into."""
    tmp = directory.with_name(directory.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def swap_in(tmp: Path, directory: Path) -> None:
    """Replace `directory` by `tmp`; a kill at any moment leaves the old state or the new one, never half."""
    old = directory.with_name(directory.name + ".old")
    shutil.rmtree(old, ignore_errors=True)
    if directory.exists():
        directory.rename(old)
    tmp.rename(directory)
    shutil.rmtree(old, ignore_errors=True)


def optimizer_tensors(optimizer: torch.optim.Optimizer) -> dict[str, torch.Tensor]:
    """The optimizer's per-parameter state as flat named tensors (`opt.<param id>.<slot>`)."""
    tensors = {}
    for pid, slots in optimizer.state_dict()["state"].items():
        for key, value in slots.items():
            tensors[f"opt.{pid}.{key}"] = value if torch.is_tensor(value) else torch.tensor(value)
    return tensors


def restore_optimizer(optimizer: torch.optim.Optimizer, tensors: dict[str, torch.Tensor], param_groups: list) -> None:
    state: dict[str, Any] = {"state": {}, "param_groups": param_groups}
    for name, value in tensors.items():
        if name.startswith("opt."):
            _, pid, key = name.split(".", 2)
            state["state"].setdefault(int(pid), {})[key] = value
    optimizer.load_state_dict(state)


def scheduler_state(scheduler) -> dict:
    return scheduler.state_dict() | {"lr_lambdas": None}  # the lambda is code, rebuilt on resume


def restore_scheduler(scheduler, state: dict) -> None:
    state = dict(state)
    state.pop("lr_lambdas", None)
    scheduler.load_state_dict(state | {"lr_lambdas": [None] * len(scheduler.optimizer.param_groups)})
