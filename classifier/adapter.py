"""Low-rank updates (LoRA) of the encoder's top layers that only the stance pass uses.

Stance reads its own short (claim, evidence) window in a pass of its own, so it can run the top layers with
task-specific weights at no extra cost, while topic and summary keep the shared encoder. The update of each
linear weight W is `scale * B @ A` (rank r, Hu et al. 2021): a few hundred thousand parameters, trained in
a third stage with the shared encoder frozen (training/train.py --stance-adapter-layers).

    adapter = StanceAdapter(layer_count=6, first_layer=4, hidden=384, intermediate=1536, rank=16)
    weights = adapter.merged_weights(4, encoder.encoder.layer[4])   # {"attention.self.query.weight": W', ...}
"""

from __future__ import annotations

import math

import torch
from torch import nn

# The linear maps of a BERT layer (classifier/bert.py names) that get an update, with (inputs, outputs)
# in units of (hidden, intermediate).
TARGETS = {
    "attention.self.query": ("hidden", "hidden"),
    "attention.self.key": ("hidden", "hidden"),
    "attention.self.value": ("hidden", "hidden"),
    "attention.output.dense": ("hidden", "hidden"),
    "intermediate.dense": ("hidden", "intermediate"),
    "output.dense": ("intermediate", "hidden"),
}


class StanceAdapter(nn.Module):
    def __init__(self, layer_count: int, first_layer: int, hidden: int, intermediate: int, rank: int,
                 alpha: float | None = None) -> None:
        super().__init__()
        if not 0 <= first_layer < layer_count:
            raise ValueError(f"the adapter's first layer must be in 0..{layer_count - 1}, got {first_layer}")
        if rank < 1:
            raise ValueError(f"adapter rank must be >= 1, got {rank}")
        self.first_layer = first_layer
        self.scale = (alpha if alpha is not None else 2.0 * rank) / rank
        sizes = {"hidden": hidden, "intermediate": intermediate}
        self.down = nn.ParameterDict()  # A [r, in]: random, so that B gets a gradient from the start
        self.up = nn.ParameterDict()  # B [out, r]: zero, so that a fresh adapter changes nothing
        for layer in range(first_layer, layer_count):
            for target, (inputs, outputs) in TARGETS.items():
                key = _key(layer, target)
                self.down[key] = nn.Parameter(torch.randn(rank, sizes[inputs]) / math.sqrt(sizes[inputs]))
                self.up[key] = nn.Parameter(torch.zeros(sizes[outputs], rank))

    def merged_weights(self, layer_index: int, layer: nn.Module) -> dict[str, torch.Tensor]:
        """{parameter name in `layer`: W + scale * B @ A} for the layer's adapted weights (differentiable in A
        and B; in W's dtype, so bfloat16 weights stay bfloat16)."""
        merged = {}
        for target in TARGETS:
            base = layer.get_submodule(target).weight
            key = _key(layer_index, target)
            delta = (self.up[key].float() @ self.down[key].float()) * self.scale
            merged[f"{target}.weight"] = (base.float() + delta).to(base.dtype)
        return merged

    def merged_layers(self, layers: nn.ModuleList) -> nn.ModuleList:
        """Standalone copies of the adapted layers with the updates folded in (for inference: plain modules
        that precision.py can convert or quantise like the rest of the encoder)."""
        import copy

        copies = nn.ModuleList()
        with torch.no_grad():
            for index in range(self.first_layer, len(layers)):
                layer = copy.deepcopy(layers[index])
                for name, value in self.merged_weights(index, layers[index]).items():
                    layer.get_parameter(name).copy_(value)
                copies.append(layer)
        return copies


def _key(layer: int, target: str) -> str:
    return f"layer{layer}_{target.replace('.', '_')}"
