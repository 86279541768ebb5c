"""Average the weights of stance-stage runs that started from the same checkpoint (a "model soup").

    python -m training.soup --output runs/soup runs/a/final runs/b/final

Two warm starts of the stance stage from one model, with different seeds or data mixtures, land close to each
other in weight space; their mean is one model that costs what each of them costs, and it evens out what each
run learned by chance (Wortsman et al., 2022, "Model soups"). The first input's config and tokenizer are kept,
its recorded stages followed by a `soup` stage that holds the other runs' last stages; every run must have the same tensors, shapes and
vocabulary, and integer tensors (none today) must agree exactly, since a mean of ids means nothing. The
temperatures are not averaged: fit the soup's own on the dev suite afterwards.
"""

from __future__ import annotations

import argparse
import json
import shutil
from pathlib import Path

import torch
from safetensors.torch import load_file, save_file

WEIGHTS = "model.safetensors"
COPIED = ("tokenizer.json", "tokenizer_config.json")


def mean_state(states: list[dict[str, torch.Tensor]]) -> dict[str, torch.Tensor]:
    """The element-wise mean of floating-point tensors (in float64, stored in each tensor's own dtype)."""
    if not states:
        raise ValueError("a soup needs at least one checkpoint")
    names = set(states[0])
    for number, state in enumerate(states[1:], 2):
        if set(state) != names:
            raise ValueError(f"checkpoint {number} has other tensors than the first: {sorted(names ^ set(state))[:5]}")
    mean = {}
    for name, first in states[0].items():
        if any(state[name].shape != first.shape for state in states):
            raise ValueError(f"{name}: shapes differ between checkpoints")
        if first.is_floating_point():
            mean[name] = (sum(state[name].double() for state in states) / len(states)).to(first.dtype)
        elif all(torch.equal(state[name], first) for state in states):
            mean[name] = first
        else:
            raise ValueError(f"{name}: an integer tensor differs between checkpoints")
    return mean


def _training(path: Path) -> dict:
    return json.loads((path / "config.json").read_text(encoding="utf-8")).get("training") or {}


def soup_training(first: dict, others: list[dict], inputs: list[Path]) -> dict:
    """The first run's training record, then a `soup` stage naming every input and the other runs' last stages
    (what they added to the common start), with the minutes of all of them."""
    stages = list(first.get("stages") or ([first] if first else []))
    added = [(other.get("stages") or [other])[-1] for other in others]
    soup = {"recipe": {"stage": "soup", "inputs": [str(path) for path in inputs]}, "ingredients": added}
    minutes = first.get("train_minutes", 0) + sum(stage.get("train_minutes", 0) for stage in added)
    return {**first, "stages": stages + [soup], "train_minutes": round(minutes, 1)}


def make_soup(inputs: list[Path], output: Path) -> None:
    tokenizers = {(path / "tokenizer.json").read_bytes() for path in inputs}
    if len(tokenizers) != 1:
        raise ValueError("the checkpoints have different tokenizers: not runs from one start")
    state = mean_state([load_file(str(path / WEIGHTS)) for path in inputs])
    output.mkdir(parents=True, exist_ok=True)
    for name in COPIED:
        shutil.copy(inputs[0] / name, output / name)
    config = json.loads((inputs[0] / "config.json").read_text(encoding="utf-8"))
    config["training"] = soup_training(config.get("training") or {}, [_training(path) for path in inputs[1:]], inputs)
    (output / "config.json").write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    save_file(state, str(output / WEIGHTS), metadata={"format": "pt"})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("inputs", nargs="+", type=Path, help="checkpoint directories (same start, same shapes)")
    parser.add_argument("--output", required=True, type=Path)
    args = parser.parse_args(argv)
    make_soup(args.inputs, args.output)
    print(f"soup of {len(args.inputs)} checkpoints -> {args.output}")


if __name__ == "__main__":
    main()
