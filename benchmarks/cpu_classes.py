"""CPU classes a benchmark can run as, by environment caps set before torch (or OpenVINO) is imported.

    native  the machine as it is
    avx2    as on an AVX2-only CPU (most laptops, many cloud CPUs): oneDNN (torch's fp32/bf16 products and
            OpenVINO's oneDNN kernels), MKL, FBGEMM (torch's int8 products; without its cap they ran
            AVX-512 VNNI kernels under the oneDNN cap) and ATen's own vector kernels (attention, softmax,
            LayerNorm) are capped at AVX2.

What the caps do not reach, checked on this machine: OpenVINO runs a FullyConnected layer with float32
weights and no post-ops with MLAS, which dispatches on the CPU itself (`gemm_mlas_f32`, AVX-512 here under
the cap). classifier/openvino_backend.py therefore stores a graph's weights as float16 where that is lossless
(shipped checkpoints are float16), and those layers run oneDNN (`brgemm_avx2_f32` under the cap). The stance
graph of a model with a stance adapter has float32 weights (the folded adapter), so 24 of its 36 products
still run MLAS: `openvino+f16` (benchmarks/throughput.py) rounds them too, to measure a path with no kernel
outside the cap. benchmarks/throughput.py prints each OpenVINO path's kernels (MLAS / AVX-512 counted).
OpenVINO's bf16 does not compile under the cap (no bf16 kernels), as on a real AVX2 CPU; its default
inference precision follows the real CPU, not the cap, so the backend always sets it. OpenVINO's int8
weight compression (NNCF compress_weights) has no FullyConnected kernel under the AVX2 cap (`undef`, empty
outputs, no error): not offered.
"""

from __future__ import annotations

CPU_CLASSES: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
             "ATEN_CPU_CAPABILITY": "avx2"},
}
