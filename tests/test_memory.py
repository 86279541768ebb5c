"""classifier.memory: after release_freed_memory(), freed blocks leave the process (glibc only)."""

from __future__ import annotations

import platform
import subprocess
import sys

import pytest

SCRIPT = """
import sys
from classifier.memory import release_freed_memory
def rss():
    return int(open("/proc/self/status").read().split("VmRSS:")[1].split()[0]) // 1024
warm = b"w" * 4_000_000; del warm       # glibc now serves blocks below 4 MB from its heap (dynamic threshold)
keep, drop = [], []
for i in range(400):                    # 80 MB of 200 KB blocks, every other one kept: a fragmented heap
    (keep if i % 2 else drop).append(bytes([i % 250]) * 200_000)
before = rss()
del drop
if sys.argv[1] == "released":
    assert release_freed_memory()
print(before - rss())
"""


@pytest.mark.skipif(platform.system() != "Linux" or platform.libc_ver()[0] != "glibc", reason="glibc only")
def test_freed_large_blocks_are_returned():
    def released(mode: str) -> int:
        env = {"PATH": "/usr/bin:/bin"}  # no MALLOC_* settings from the caller's environment
        out = subprocess.run([sys.executable, "-c", SCRIPT, mode], capture_output=True, text=True, check=True, env=env)
        return int(out.stdout)

    assert released("released") >= 30  # ~40 MB of freed blocks went back to the system
    assert released("default") <= 10  # without it glibc keeps them
