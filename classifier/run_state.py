"""The files a batch run keeps beside OUTPUT: never followed through links, created exclusively, one run at a time.

    lock = RunLock.acquire(Path("out.jsonl.lock"), "out.jsonl")  # BatchError if another run holds it
    with create_new(Path("out.jsonl.partial.jsonl")) as stream: ...  # a new regular file, or BatchError
    with open_existing(Path("out.jsonl.partial.jsonl"), "r+b") as stream: ...  # never through a link
    atomic_write(Path("out.jsonl.partial.json"), b"{...}")
    lock.release()

Why: a symbolic link planted at a state file's path (`OUTPUT.partial.jsonl -> ~/.bashrc`) would make a run
truncate and overwrite its target, and a second run into the same OUTPUT would interleave its journal
with the first one's. So every state file is opened with O_NOFOLLOW and must be a regular file, a new one
is created with O_EXCL after removing whatever is at its path (unlink removes a link, never its target),
and a run holds an advisory lock (`flock`) on `OUTPUT.lock` from its checks to its end. The kernel drops
the lock when the process dies, so a run killed with SIGKILL never blocks its `--resume`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import BinaryIO

from .errors import BatchError

_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)  # absent on Windows, which has no such links for normal users
_BINARY = getattr(os, "O_BINARY", 0)
MAX_STATE_BYTES = 1 << 20  # a real state file is a few hundred bytes


def link_error(path: Path) -> BatchError:
    return BatchError(
        f"{path} is a symbolic link; presslens never follows links for a run's own files (it could overwrite "
        "the file the link points to): delete the link, or pass --overwrite to start again"
    )


def refuse_links(paths: list[Path]) -> None:
    for path in paths:
        if path.is_symlink():
            raise link_error(path)


def create_new(path: Path) -> BinaryIO:
    """A new, empty regular file at `path`, open for writing. Whatever was there (a file a killed run left,
    or a link) is removed first; if something appears there meanwhile, BatchError."""
    path.unlink(missing_ok=True)  # a link is removed itself, its target is left alone
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _NOFOLLOW | _BINARY, 0o644)
    except FileExistsError:
        raise BatchError(f"{path} was created by someone else while this run was creating it; is another "
                         "program writing there?") from None
    return os.fdopen(descriptor, "wb")


def open_existing(path: Path, mode: str = "rb") -> BinaryIO:
    """An existing regular file, opened without following a link (`mode` 'rb' or 'r+b')."""
    flags = (os.O_RDWR if "+" in mode else os.O_RDONLY) | _NOFOLLOW | _BINARY
    try:
        descriptor = os.open(path, flags)
    except OSError as error:
        if path.is_symlink():  # O_NOFOLLOW on a link: ELOOP (EMLINK on some BSDs)
            raise link_error(path) from None
        raise
    if not stat.S_ISREG(os.fstat(descriptor).st_mode):
        os.close(descriptor)
        raise BatchError(f"{path} is not a regular file; delete it, or pass --overwrite to start again")
    return os.fdopen(descriptor, mode)


def read_small(path: Path) -> bytes:
    with open_existing(path) as stream:
        data = stream.read(MAX_STATE_BYTES + 1)
    if len(data) > MAX_STATE_BYTES:
        raise BatchError(f"{path} is larger than a run state can be; pass --overwrite to start again")
    return data


def atomic_write(path: Path, data: bytes) -> None:
    """Replace `path` with `data` atomically: a new temporary file, fsynced, renamed over it (a rename
    replaces a link at `path` itself, never its target)."""
    temp = path.with_name(path.name + ".tmp")
    with create_new(temp) as stream:
        stream.write(data)
        stream.flush()
        os.fsync(stream.fileno())
    os.replace(temp, path)
    fsync_dir(path.parent)


def fsync_dir(folder: Path) -> None:
    # Makes a rename survive a power cut too; not possible (nor needed) on every platform.
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


class RunLock:
    """An exclusive advisory lock held for the length of one run (see the module docstring)."""

    def __init__(self, path: Path, descriptor: int) -> None:
        self.path, self.descriptor = path, descriptor

    @classmethod
    def acquire(cls, path: Path, output: str) -> "RunLock":
        for _ in range(20):
            try:
                descriptor = os.open(path, os.O_RDWR | os.O_CREAT | _NOFOLLOW | _BINARY, 0o644)
            except OSError:
                if path.is_symlink():
                    raise link_error(path) from None
                raise
            if not _try_lock(descriptor):
                holder = _read_pid(descriptor)
                os.close(descriptor)
                who = f" (process {holder})" if holder else ""
                raise BatchError(
                    f"another presslens batch run{who} is writing {output} now; wait for it to end or stop it, "
                    "or choose another OUTPUT (two runs into one OUTPUT would mix their records)"
                )
            # A run that ended meanwhile removes the lock file: lock the file that is at the path now.
            try:
                current = os.lstat(path)
            except FileNotFoundError:
                current = None
            if current is not None and os.path.samestat(current, os.fstat(descriptor)):
                os.ftruncate(descriptor, 0)
                os.write(descriptor, f"{os.getpid()}\n".encode())
                return cls(path, descriptor)
            os.close(descriptor)
        raise BatchError(f"cannot lock {path}: it keeps being replaced; is another program writing there?")

    def release(self) -> None:
        if self.descriptor is None:
            return
        try:
            os.unlink(self.path)  # still locked: a run that opened it now sees it gone and locks the new one
        except OSError:
            pass
        os.close(self.descriptor)
        self.descriptor = None

    def __del__(self) -> None:  # a plan dropped without running: its lock goes with it
        try:
            self.release()
        except Exception:  # noqa: BLE001 - at interpreter exit os may be gone already
            pass


def _try_lock(descriptor: int) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        import msvcrt

        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return False
    return True


def _read_pid(descriptor: int) -> str | None:
    try:
        text = os.pread(descriptor, 32, 0).decode("ascii", "replace").strip()
    except (OSError, AttributeError):
        return None
    return text if text.isdigit() else None
