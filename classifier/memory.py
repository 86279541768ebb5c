"""Keep a long-running process's resident memory close to what it actually uses (glibc malloc settings).

    from classifier.memory import return_freed_memory_promptly
    return_freed_memory_promptly()        # once, at server start, before the worker threads exist

Why: glibc keeps freed memory in its heaps for reuse. Each model batch allocates and frees ~100 MB of
activations (more with several threads), so a server's RSS climbed from ~580 MB idle to ~740 MB under 8
clients and stayed there, although live memory had not grown. With large blocks (>= 128 KiB: activations,
tensors) served by mmap, they go back to the system when freed: ~600 MB under the same load
(benchmarks/serve_latency.py, variants MALLOC_MMAP_THRESHOLD_=131072 and MALLOC_ARENA_MAX=1 +
MALLOC_TRIM_THRESHOLD_=131072 both; docs/serve.md). A setting already given in the environment
(MALLOC_MMAP_THRESHOLD_) wins. Elsewhere than glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os

M_MMAP_THRESHOLD = -3  # glibc's mallopt parameter numbers (malloc.h)
MMAP_THRESHOLD_BYTES = 128 * 1024


def return_freed_memory_promptly() -> bool:
    """Serve large allocations from mmap, so that freeing them lowers RSS; True if glibc took the setting."""
    if "MALLOC_MMAP_THRESHOLD_" in os.environ:
        return False
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        mallopt = libc.mallopt
    except (OSError, AttributeError):
        return False
    return bool(mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_BYTES))
