"""The BERT encoder (MiniLM is a 6-layer BERT) in plain torch, without importing transformers.

    encoder = BertEncoder(config.encoder)          # the encoder dict of a presslens config.json
    hidden = encoder(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state

Why not `transformers.BertModel`: importing it costs ~2.2 s here (transformers 5 pulls torch.distributed and
dynamo in at import), more than a whole `presslens analyze` should take. This module computes the same
function with the same parameter names (`embeddings.word_embeddings.weight`,
`encoder.layer.N.attention.self.query.weight`, ...), so checkpoints and the base encoder's state dict load
unchanged; tests/test_bert.py checks it against transformers' BertModel, in eval and training mode shapes.
Attention runs through `scaled_dot_product_attention`, as transformers' default ("sdpa") does.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, NamedTuple

import torch
from torch import nn
from torch.nn import functional as F

# transformers.BertConfig's defaults, for encoder dicts that leave a field out (tiny test configs do).
DEFAULTS: dict[str, Any] = {
    "vocab_size": 30522,
    "hidden_size": 768,
    "num_hidden_layers": 12,
    "num_attention_heads": 12,
    "intermediate_size": 3072,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 512,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
    "layer_norm_eps": 1e-12,
    "pad_token_id": 0,
    "position_embedding_type": "absolute",
    "is_decoder": False,
}
_ACTIVATIONS = {
    "gelu": lambda x: F.gelu(x),
    "gelu_new": lambda x: F.gelu(x, approximate="tanh"),
    "gelu_pytorch_tanh": lambda x: F.gelu(x, approximate="tanh"),
    "relu": F.relu,
}


class EncoderOutput(NamedTuple):
    last_hidden_state: torch.Tensor


def encoder_settings(encoder: Mapping[str, Any]) -> dict[str, Any]:
    """The encoder dict with BertConfig's defaults filled in; ValueError for what this module cannot run."""
    settings = {**DEFAULTS, **{k: v for k, v in encoder.items() if v is not None or k not in DEFAULTS}}
    if settings["hidden_act"] not in _ACTIVATIONS:
        raise ValueError(f"encoder hidden_act {settings['hidden_act']!r} is not supported; use one of {sorted(_ACTIVATIONS)}")
    if settings["position_embedding_type"] != "absolute" or settings["is_decoder"]:
        raise ValueError("only BERT encoders with absolute position embeddings are supported")
    if settings["hidden_size"] % settings["num_attention_heads"]:
        raise ValueError("hidden_size must be a multiple of num_attention_heads")
    return settings


class BertEncoder(nn.Module):
    """`transformers.BertModel(config, add_pooling_layer=False)`, the same parameters and the same output."""

    def __init__(self, encoder: Mapping[str, Any]) -> None:
        super().__init__()
        self.settings = s = encoder_settings(encoder)
        self.embeddings = _Embeddings(s)
        self.encoder = _Layers(s)
        self.apply(lambda module: _init_weights(module, s["initializer_range"]))

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        top_layers: Sequence[Callable] | None = None,
    ) -> EncoderOutput:
        """`top_layers`: callables (hidden, mask) -> hidden run instead of the last len(top_layers) layers
        (a task's own version of them: classifier/adapter.py)."""
        hidden = self.embeddings(input_ids, token_type_ids)
        mask = None
        if attention_mask is not None and not bool(attention_mask.all()):
            mask = attention_mask[:, None, None, :].bool()  # [B, 1, 1, T]: which keys each query may see
        layers = list(self.encoder.layer)
        if top_layers:
            layers[len(layers) - len(top_layers):] = top_layers
        for layer in layers:
            hidden = layer(hidden, mask)
        return EncoderOutput(hidden)


class _Embeddings(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        self.word_embeddings = nn.Embedding(s["vocab_size"], s["hidden_size"], padding_idx=s["pad_token_id"])
        self.position_embeddings = nn.Embedding(s["max_position_embeddings"], s["hidden_size"])
        self.token_type_embeddings = nn.Embedding(s["type_vocab_size"], s["hidden_size"])
        self.LayerNorm = nn.LayerNorm(s["hidden_size"], eps=s["layer_norm_eps"])
        self.dropout = nn.Dropout(s["hidden_dropout_prob"])

    def forward(self, input_ids: torch.Tensor, token_type_ids: torch.Tensor | None) -> torch.Tensor:
        positions = torch.arange(input_ids.shape[1], device=input_ids.device)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        embeddings = self.word_embeddings(input_ids) + self.token_type_embeddings(token_type_ids)
        embeddings = embeddings + self.position_embeddings(positions)
        return self.dropout(self.LayerNorm(embeddings))


class _Layers(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        self.layer = nn.ModuleList(_Layer(s) for _ in range(s["num_hidden_layers"]))


class _Layer(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        self.attention = _Attention(s)
        self.intermediate = _Intermediate(s)
        self.output = _Output(s["intermediate_size"], s)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        attended = self.attention(hidden, mask)
        return self.output(self.intermediate(attended), attended)


class _Attention(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        self.self = _SelfAttention(s)
        self.output = _Output(s["hidden_size"], s)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        return self.output(self.self(hidden, mask), hidden)


class _SelfAttention(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        size = s["hidden_size"]
        self.heads = s["num_attention_heads"]
        self.query = nn.Linear(size, size)
        self.key = nn.Linear(size, size)
        self.value = nn.Linear(size, size)
        self.dropout_p = s["attention_probs_dropout_prob"]
        self.scale = 1.0 / math.sqrt(size // self.heads)

    def forward(self, hidden: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
        batch, length, size = hidden.shape
        shape = (batch, length, self.heads, size // self.heads)
        q, k, v = (proj(hidden).view(shape).transpose(1, 2) for proj in (self.query, self.key, self.value))
        out = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask, dropout_p=self.dropout_p if self.training else 0.0, scale=self.scale
        )
        return out.transpose(1, 2).reshape(batch, length, size)


class _Intermediate(nn.Module):
    def __init__(self, s: dict[str, Any]) -> None:
        super().__init__()
        self.dense = nn.Linear(s["hidden_size"], s["intermediate_size"])
        self.act = _ACTIVATIONS[s["hidden_act"]]

    def forward(self, hidden: torch.Tensor) -> torch.Tensor:
        return self.act(self.dense(hidden))


class _Output(nn.Module):
    """dense -> dropout -> LayerNorm(x + residual): BertSelfOutput and BertOutput."""

    def __init__(self, inputs: int, s: dict[str, Any]) -> None:
        super().__init__()
        self.dense = nn.Linear(inputs, s["hidden_size"])
        self.LayerNorm = nn.LayerNorm(s["hidden_size"], eps=s["layer_norm_eps"])
        self.dropout = nn.Dropout(s["hidden_dropout_prob"])

    def forward(self, hidden: torch.Tensor, residual: torch.Tensor) -> torch.Tensor:
        return self.LayerNorm(self.dropout(self.dense(hidden)) + residual)


@contextlib.contextmanager
def weight_init_skipped() -> Iterator[None]:
    """Build modules without random initialisation, for weights about to be replaced by a checkpoint's.

    Initialising MiniLM's 22.7 M parameters costs ~0.3-0.7 s of a cold start. (Building on the meta device
    instead would import torch._dynamo, over a second more.) Parameters come out uninitialised (torch.empty):
    load every one of them before use.
    """
    names = ("normal_", "uniform_", "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
             "trunc_normal_", "zeros_", "ones_", "constant_")
    saved = {name: getattr(nn.init, name) for name in names}
    try:
        for name in names:
            setattr(nn.init, name, lambda tensor, *args, **kwargs: tensor)
        yield
    finally:
        for name, function in saved.items():
            setattr(nn.init, name, function)


def _init_weights(module: nn.Module, std: float) -> None:
    """BertPreTrainedModel's initialisation (only random test models and fresh heads ever see it)."""
    if isinstance(module, nn.Linear):
        nn.init.normal_(module.weight, std=std)
        nn.init.zeros_(module.bias)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, std=std)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].zero_()
    elif isinstance(module, nn.LayerNorm):
        nn.init.ones_(module.weight)
        nn.init.zeros_(module.bias)
