"""Keep a long-running process's resident memory close to what it actually uses (glibc malloc).

    from classifier.memory import release_freed_memory
    release_freed_memory()        # after each model call of a server: freed pages go back to the system

Why: glibc keeps freed memory in its heaps for reuse. Each model batch allocates and frees ~100 MB of
activations (more with several threads), so a server's RSS climbed from ~580 MB idle to ~740 MB under 8
clients and stayed there, although live memory had not grown. `malloc_trim(0)` after a model call hands the
free pages of every heap back (RSS returns to idle), while within the call freed activations are reused
as usual. (Serving every block >= 128 KiB from mmap instead, as 0.3.0 did, returned memory just as well
but made every layer's activations fresh pages: each analysis ~25-30 % slower; benchmarks/serve_latency.py.)
Elsewhere than glibc (macOS, musl) this does nothing.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools


def release_freed_memory() -> bool:
    """Return the free pages of malloc's heaps to the system now; True if glibc did it (a few ms)."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


@functools.cache
def _malloc_trim():
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        return libc.malloc_trim
    except (OSError, AttributeError):
        return None
