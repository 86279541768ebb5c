"""Inference precision: which arithmetic the encoder runs in, chosen once when a model is loaded.

    precision = resolve_precision("auto")          # "bf16" where bf16 runs natively as configured, else "fp32"
    model = prepare_model(model, "int8")           # a copy with the encoder's Linear layers quantised
    with compute_context("bf16"):                  # inference_mode (+ bf16 autocast for "bf16")
        outputs = model.encode_documents(**batch)

  fp32  float32 everywhere (the reference).
  bf16  float32 weights, bfloat16 autocast for the matrix products (fast where the CPU has bf16 units).
  int8  torch dynamic quantisation of the encoder's nn.Linear layers at load time (int8 weights, activations
        quantised per batch); the heads, embeddings, LayerNorm and attention stay float32. Measured with
        benchmarks/throughput.py; quality against fp32 with `presslens-evaluate --precision int8`.

Importing this module does not import torch (the CLI validates --precision before loading anything).
"""

from __future__ import annotations

import contextlib
import copy
import os
from collections.abc import Iterator, Mapping
from typing import Any

PRECISIONS = ("auto", "fp32", "bf16", "int8")
BACKENDS = ("torch", "openvino")  # what runs the encoder (classifier/openvino_backend.py)


def resolve_precision(precision: str) -> str:
    """'auto' -> bf16 only where bf16 runs natively as configured (`native_bf16`); else fp32."""
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, got {precision!r}")
    if precision != "auto":
        return precision
    return "bf16" if native_bf16() else "fp32"


# oneDNN's ISA levels, lowest first, as ONEDNN_MAX_CPU_ISA names them (oneDNN's "CPU Dispatcher Control";
# the AVX10 names are aliases of the AVX512 ones beside them). bf16 is native from AVX512_CORE_BF16 on; below
# it oneDNN either refuses bf16 or emulates it (AVX512_CORE: converts in software; AVX2: ~20x slower).
ONEDNN_ISAS = ("SSE41", "AVX", "AVX2", "AVX2_VNNI", "AVX2_VNNI_2", "AVX512_CORE", "AVX512_CORE_VNNI",
               "AVX512_CORE_BF16", "AVX512_CORE_FP16", "AVX10_1_512", "AVX512_CORE_AMX", "AVX10_1_512_AMX",
               "AVX512_CORE_AMX_FP16", "AVX10_1_512_AMX_FP16", "AVX10_2_512", "AVX10_2_512_AMX_2")
_FIRST_NATIVE_BF16 = ONEDNN_ISAS.index("AVX512_CORE_BF16")


def onednn_isa_cap(environ: Mapping[str, str] | None = None) -> str | None:
    """The ISA oneDNN is capped at by the environment, as oneDNN reads it: ONEDNN_MAX_CPU_ISA, else the
    older DNNL_MAX_CPU_ISA; case-insensitive; ALL, DEFAULT, empty or an unknown name mean no cap (None)."""
    environ = os.environ if environ is None else environ
    value = environ.get("ONEDNN_MAX_CPU_ISA") or environ.get("DNNL_MAX_CPU_ISA") or ""
    value = value.strip().upper()
    return value if value in ONEDNN_ISAS else None


def native_bf16() -> bool:
    """Whether bfloat16 matrix products run natively AS CONFIGURED: the CPU has the units (AVX512-BF16 or
    AMX), no oneDNN ISA cap below AVX512_CORE_BF16 is set (a container or user that sets
    ONEDNN_MAX_CPU_ISA=AVX2 gets torch's emulated bf16, 1.7 against 8.7 articles/s for fp32 here), and
    torch's oneDNN itself says it will run bf16 (it answers under the cap it really read, which the
    environment may have changed since). Where this is False, bf16 is never a default."""
    import torch

    hardware = any(getattr(torch.cpu, name, lambda: False)() for name in ("_is_avx512_bf16_supported",
                                                                           "_is_amx_tile_supported"))
    if not hardware:
        return False
    cap = onednn_isa_cap()
    if cap is not None and ONEDNN_ISAS.index(cap) < _FIRST_NATIVE_BF16:
        return False
    probe = getattr(getattr(torch.ops, "mkldnn", None), "_is_mkldnn_bf16_supported", None)
    try:
        return bool(probe()) if probe is not None else True
    except RuntimeError:  # a torch built without oneDNN: its bf16 products are not oneDNN's either
        return True


def prepare_model(model: Any, precision: str, *, copy_model: bool = True) -> Any:
    """The model to run at `precision` (resolved).

    With `copy_model` (a model the caller may still use) only int8 changes anything, on a copy. Without (a
    model just loaded, as `Analyzer.from_pretrained` does) the changes are made in place, and two more that
    save memory without changing a single output value (see `_slim`).
    """
    import torch
    from torch import nn

    if not copy_model:
        _fold_adapter(model)
        _slim(model, precision)
    if precision != "int8" or is_quantized(model):
        return model
    with warnings_silenced():  # torch.ao.quantization announces its move to torchao on every call
        quantized = copy.deepcopy(model) if copy_model else model
        _fold_adapter(quantized)  # quantised layers have no float weights left to merge an update into
        for name in _ENCODER_PARTS:
            if getattr(quantized, name, None) is not None:
                setattr(quantized, name, torch.ao.quantization.quantize_dynamic(
                    getattr(quantized, name), {nn.Linear}, dtype=torch.qint8, inplace=True
                ))
    return quantized.eval()


# The model's encoder, and the stance pass's own copies of its top layers (a folded stance adapter).
_ENCODER_PARTS = ("encoder", "stance_layers")


def _encoder_modules(model: Any) -> Iterator[Any]:
    for name in _ENCODER_PARTS:
        part = getattr(model, name, None)
        if part is not None:
            yield from part.modules()


def _fold_adapter(model: Any) -> None:
    fold = getattr(model, "fold_stance_adapter", None)
    if fold is not None:
        fold()


def load_dtypes(model: Any, state: dict[str, Any], precision: str) -> dict[str, Any]:
    """The dtypes `_slim` would leave the checkpoint's weights in at `precision`, for loading them straight
    into those (PresslensModel.from_pretrained(dtypes=...)): one conversion per weight instead of float32
    first, and no check of the word embeddings when the file holds them in float16 already."""
    import torch
    from torch import nn

    chosen = {}
    words = "encoder.embeddings.word_embeddings.weight"
    if words in state and state[words].dtype == torch.float16:
        chosen[words] = torch.float16
    if precision == "bf16":
        for prefix, module in model.encoder.named_modules(prefix="encoder"):
            if type(module) is nn.Linear:
                chosen.update({f"{prefix}.{name}": torch.bfloat16 for name, _ in module.named_parameters()})
    return chosen


def _slim(model: Any, precision: str) -> None:
    """Smaller weights, same outputs (~45 MB less resident memory for MiniLM):

    * the word embeddings (half the encoder's parameters) stay in float16 when every value is a float16
      number (checkpoints are shipped in float16): the rows looked up are added to float32 embeddings, so
      they are promoted to exactly the float32 values they had;
    * for bf16, the encoder's Linear weights are stored in bfloat16: autocast would round them to bfloat16
      for every product anyway (same rounding), and keeps a cast copy of each while it runs.
    """
    import torch
    from torch import nn

    embedding = model.encoder.embeddings.word_embeddings
    weight = embedding.weight
    if weight.dtype == torch.float32 and torch.equal(weight.detach().half().float(), weight.detach()):
        embedding.half()
    if precision == "bf16":
        for module in _encoder_modules(model):
            if type(module) is nn.Linear:
                module.to(torch.bfloat16)


def is_quantized(model: Any) -> bool:
    return any(type(module).__module__.startswith("torch.ao.nn.quantized") for module in _encoder_modules(model))


@contextlib.contextmanager
def compute_context(precision: str) -> Iterator[None]:
    """torch.inference_mode, plus bf16 autocast when precision is 'bf16'."""
    import torch

    with torch.inference_mode(), torch.autocast("cpu", dtype=torch.bfloat16, enabled=precision == "bf16"):
        yield


@contextlib.contextmanager
def warnings_silenced() -> Iterator[None]:
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        warnings.filterwarnings("ignore", message=".*quantize_per_tensor.*", category=UserWarning)
        yield
