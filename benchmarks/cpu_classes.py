"""CPU classes a benchmark can run as, by environment caps set before torch (or OpenVINO) is imported.

    native  the machine as it is
    avx2    as on an AVX2-only CPU (most laptops, many cloud CPUs): oneDNN (torch's fp32/bf16 products and
            OpenVINO's oneDNN kernels), MKL, FBGEMM (torch's int8 products; without its cap they ran
            AVX-512 VNNI kernels under the oneDNN cap) and ATen's own vector kernels (attention, softmax,
            LayerNorm) are capped at AVX2.

What the caps do not reach, checked on this machine: OpenVINO's f32 FullyConnected layers without post-ops
run MLAS, which dispatches on the CPU itself (the compiled model reports `gemm_mlas_f32`; they are 24 of the
encoder's 36 matrix products), so an OpenVINO fp32 figure under the avx2 class is an upper bound. Its
per-layer counters (PERF_COUNT) put those layers at ~30 % of the capped encoder's time, and the oneDNN
FullyConnected layers ran 2.1x slower capped than not (3 runs, normalised by the uncapped MLAS layers), so
on a real AVX2 CPU expect ~0.74x the capped OpenVINO fp32 figure. OpenVINO's bf16 does not compile under the
cap (no bf16 kernels), as on a real AVX2 CPU.
"""

from __future__ import annotations

CPU_CLASSES: dict[str, dict[str, str]] = {
    "native": {},
    "avx2": {"ONEDNN_MAX_CPU_ISA": "AVX2", "MKL_ENABLE_INSTRUCTIONS": "AVX2", "FBGEMM_ENABLE_INSTRUCTIONS": "AVX2",
             "ATEN_CPU_CAPABILITY": "avx2"},
}
