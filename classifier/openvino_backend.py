"""The encoder run by OpenVINO instead of torch (`--backend openvino`, the optional `[openvino]` extra).

    encoder = OpenVINOEncoder(model.encoder, precision="bf16")   # converts and compiles once, at load
    model.encoder = encoder                                      # same call, same EncoderOutput

Only the encoder (six BERT layers, ~all of the work) moves: the heads, pooling, the stance decision and
everything around them stay torch float32, so the outputs are the torch backend's within the tolerance
tests/test_openvino_backend.py states. Why: OpenVINO's CPU plugin fuses attention and the feed-forward
blocks and picks its own kernels; measured side by side (benchmarks/throughput.py) its bf16 encoder runs
well ahead of torch's where bf16 is native; at fp32 under an honest AVX2 cap (every kernel capped, see
convert_encoder) it is about torch's speed (README, Speed).

Precisions: fp32 -> OpenVINO's f32 inference precision; bf16 -> its bf16 inference precision (only where
bf16 is native: classifier.precision.native_bf16); int8 is not offered here (the static int8 we measured
cost stance quality, README).

Importing this module does not import openvino; building an OpenVINOEncoder does, and raises ModelLoadError
with the install command when it is missing.
"""

from __future__ import annotations

import threading
import warnings
from typing import Any

import torch
from torch import nn

from .bert import BertEncoder, EncoderOutput
from .errors import ModelLoadError

_HINTS = {"fp32": "f32", "bf16": "bf16"}
_INPUTS = ("input_ids", "attention_mask", "token_type_ids")
_COMPUTE_LAYERS = ("FullyConnected", "MatMul", "Subgraph", "ScaledDotProductAttention", "Softmax", "MHA")


def import_openvino() -> Any:
    try:
        import openvino
    except ImportError as error:
        raise ModelLoadError(
            "the openvino backend needs OpenVINO: pip install 'presslens[openvino]' (or pip install openvino), "
            "or use --backend torch"
        ) from error
    return openvino


class _Traceable(nn.Module):
    """BertEncoder's function with the attention mask always applied (BertEncoder skips an all-ones mask,
    a branch on the data that a converted graph cannot keep; with an all-ones mask the result is the same)."""

    def __init__(self, encoder: BertEncoder, top_layers: nn.ModuleList | None = None) -> None:
        super().__init__()
        self.encoder = encoder
        layers = list(encoder.encoder.layer)
        if top_layers is not None:  # the stance pass's own copies of the top layers (a folded stance adapter)
            layers[len(layers) - len(top_layers):] = list(top_layers)
        self.layers = nn.ModuleList(layers)

    def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor, token_type_ids: torch.Tensor) -> torch.Tensor:
        hidden = self.encoder.embeddings(input_ids, token_type_ids)
        mask = attention_mask[:, None, None, :].bool()
        for layer in self.layers:
            hidden = layer(hidden, mask)
        return hidden


WEIGHTS = ("auto", "f16", "f32")


def convert_encoder(encoder: BertEncoder, top_layers: nn.ModuleList | None = None, weights: str = "auto") -> Any:
    """The encoder (with `top_layers` in place of its last ones, if given) as an OpenVINO model with dynamic
    batch and sequence dimensions (int64 inputs).

    `weights`: how the graph stores its weights (the arithmetic is float32 either way at fp32):
      f16   float16 constants, decompressed by the kernels that use them;
      f32   float32 constants;
      auto  f16 when every weight of the graph is a float16 number already (shipped checkpoints are float16,
            so their document graph loses nothing), else f32 (e.g. the stance graph's folded adapter layers).
    Why it matters: OpenVINO runs a float32-weight FullyConnected without post-ops with MLAS, which picks
    its kernels from the CPU itself and ignores ONEDNN_MAX_CPU_ISA; float16-weight ones run oneDNN, which
    honours the cap. So an AVX2-capped measurement of an f16 graph is what an AVX2 CPU runs (kernels():
    no `mlas`, no `avx512`), and it is no slower here (measured: benchmarks/throughput.py --ov-weights).
    """
    if weights not in WEIGHTS:
        raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {weights!r}")
    ov = import_openvino()
    traceable = _Traceable(encoder, top_layers).eval()
    if weights == "auto":
        weights = "f16" if _all_float16(traceable) else "f32"
    example = torch.full((2, 8), 1000, dtype=torch.long)
    inputs = [(name, [-1, -1], ov.Type.i64) for name in _INPUTS]
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # convert_model traces with torch.jit.trace
        model = ov.convert_model(traceable, example_input=(example, torch.ones_like(example),
                                                           torch.zeros_like(example)), input=inputs)
    if weights == "f16":
        # What ov.save_model(..., compress_to_fp16=True) does, in memory: float16 constants + decompression
        # marks (kept through compilation, so the CPU plugin picks its weight-decompressing oneDNN kernels).
        from openvino._offline_transformations import compress_model_transformation

        compress_model_transformation(model)
    return model


def _all_float16(module: nn.Module) -> bool:
    """Whether every floating-point weight of `module` is exactly a float16 number (storing it so is lossless)."""
    with torch.no_grad():
        return all(torch.equal(p.detach().to(torch.float16).to(p.dtype), p.detach())
                   for p in module.parameters() if p.is_floating_point())


def compile_encoder(model: Any, precision: str, threads: int | None = None) -> Any:
    """Compile for the CPU at `precision` ('fp32' or 'bf16'), one stream, `threads` threads (default: torch's)."""
    if precision not in _HINTS:
        raise ValueError(f"the openvino backend runs fp32 or bf16, not {precision!r}")
    ov = import_openvino()
    config = {
        "INFERENCE_PRECISION_HINT": _HINTS[precision],
        "PERFORMANCE_HINT": "LATENCY",
        "NUM_STREAMS": "1",
        "INFERENCE_NUM_THREADS": str(threads or torch.get_num_threads()),
    }
    try:
        return ov.Core().compile_model(model, "CPU", config)
    except RuntimeError as error:  # e.g. bf16 under ONEDNN_MAX_CPU_ISA=AVX2: no bf16 kernels to pick
        raise ModelLoadError(f"OpenVINO could not compile the encoder at {precision} on this CPU "
                             f"({str(error).strip().splitlines()[-1]}); use --precision fp32 or auto") from error


class OpenVINOEncoder(nn.Module):
    """Drop-in for a BertEncoder: called with the same tensors, returns the same EncoderOutput (float32).

    Keeps the torch encoder's embeddings (the Analyzer reads nothing else of it, and tests compare against
    it); the compiled model holds its own copy of the weights.
    """

    def __init__(self, encoder: BertEncoder, precision: str = "fp32", threads: int | None = None,
                 stance_layers: nn.ModuleList | None = None, weights: str = "auto") -> None:
        super().__init__()
        self.settings = encoder.settings
        self.precision = precision
        self.compiled = compile_encoder(convert_encoder(encoder, weights=weights), precision, threads)
        self.request = self.compiled.create_infer_request()
        # A stance adapter (folded into copies of the top layers) gets a graph of its own: the stance pass
        # calls the encoder with `top_layers`, and that graph runs them.
        self.stance_request = self.stance_compiled = None
        if stance_layers is not None:
            self.stance_compiled = compile_encoder(convert_encoder(encoder, stance_layers, weights), precision,
                                                   threads)
            self.stance_request = self.stance_compiled.create_infer_request()
        self._lock = threading.Lock()  # one request each, reused: one call at a time

    def kernels(self) -> dict[str, int]:
        """How many matrix-product and attention nodes run which kernel, over both compiled graphs, e.g.
        {'FullyConnected:brgemm_avx2_f32': 36, ...}: the CPU plugin's own names, so a kernel that escaped an
        ISA cap shows as `mlas` or `avx512` (benchmarks/throughput.py prints this for every openvino path).
        Ask after a call: with dynamic shapes the plugin picks some kernels at the first inference (`undef`)."""
        counts: dict[str, int] = {}
        for compiled in filter(None, (self.compiled, self.stance_compiled)):
            for op in compiled.get_runtime_model().get_ordered_ops():
                info = op.get_rt_info()
                layer = str(info["layerType"].astype(str)) if "layerType" in info else ""
                if layer in _COMPUTE_LAYERS:
                    key = f"{layer}:{info['primitiveType'].astype(str) if 'primitiveType' in info else '?'}"
                    counts[key] = counts.get(key, 0) + 1
        return counts

    def forward(
        self,
        input_ids: torch.Tensor,
        attention_mask: torch.Tensor | None = None,
        token_type_ids: torch.Tensor | None = None,
        top_layers: Any = None,
    ) -> EncoderOutput:
        """`top_layers` (the stance pass's folded layers): run the stance graph compiled for them at load."""
        request = self.request
        if top_layers:
            if self.stance_request is None:
                raise ValueError("this OpenVINO encoder was compiled without the stance pass's own layers")
            request = self.stance_request
        if attention_mask is None:
            attention_mask = torch.ones_like(input_ids)
        if token_type_ids is None:
            token_type_ids = torch.zeros_like(input_ids)
        feed = {name: tensor.to(torch.long).numpy() for name, tensor in
                zip(_INPUTS, (input_ids, attention_mask, token_type_ids))}
        with self._lock:
            request.infer(feed)
            hidden = request.get_output_tensor(0).data.copy()  # the request reuses its buffer
        return EncoderOutput(torch.from_numpy(hidden))
