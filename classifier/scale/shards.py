"""Input shards and output shards of a `--engine ray` run: listing, the manifest, atomic shard writes.

    shards = list_shards("s3://bucket/crawl/2026-11-*.jsonl.gz")   # sorted Shard(uri, size, mtime)
    out = OutputDir("results/", "parquet")
    plan = out.plan(shards, options, resume=True, overwrite=False)   # which shards still need doing
    out.write_shard(plan.shards[0], index=0, lines=journal_lines)    # temp file, then moved into place
    out.mark_done(...)

No Ray here: plain pyarrow filesystems, so that every URI pyarrow reads (local paths, file://, s3://, gs://,
hdfs://, ...) works for input and output alike.

The resume guarantee: one output file per input shard, `part-NNNNN.<fmt>`, written to a hidden temporary
name and then moved into place; after the move the manifest (`_presslens_manifest.json`, rewritten through a
temporary file and moved as well) lists the shard as done with its row count. A shard that cannot be read
(a truncated Parquet file, say) gets no output file and stays out of the manifest; after it is replaced,
`--resume` redoes just that shard (only a finished shard must be unchanged). A shard counts as finished
only when the manifest says so and its file exists; killed anywhere, a rerun with `--resume` redoes just
the shards that were not finished (a shard moved into place but not yet in the manifest is simply written
again), so every input record ends up in exactly one output row.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import json
import os
import tempfile
from collections.abc import Iterator
from typing import Any

from ..errors import BatchError
from ..records import detect_format, write_table

MANIFEST = "_presslens_manifest.json"
MANIFEST_VERSION = 1
OUTPUT_FORMATS = ("parquet", "jsonl", "jsonl.gz", "csv", "csv.gz")
_GLOB_CHARS = "*?["


@dataclasses.dataclass(frozen=True)
class Shard:
    """One input file: its URI (or local path), and size and mtime to notice a changed input on --resume."""

    uri: str
    size: int
    mtime: float | None

    def identity(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def filesystem(uri: str) -> tuple[Any, str]:
    """(pyarrow FileSystem, path inside it) for a local path or any URI pyarrow knows."""
    import pyarrow.fs as pafs

    if "://" not in uri:
        return pafs.LocalFileSystem(), os.path.abspath(uri)
    try:
        return pafs.FileSystem.from_uri(uri)
    except Exception as error:  # ArrowInvalid for unknown schemes, missing credentials, ...
        raise BatchError(f"cannot open {uri}: {error}") from error


def _uri(source: str, source_path: str, path: str) -> str:
    """The URI of `path`, a file found from `source` (whose path on its filesystem is `source_path`)."""
    if "://" not in source:
        return path
    scheme, rest = source.split("://", 1)
    authority = rest[: len(rest) - len(source_path)] if rest.endswith(source_path) else ""  # hdfs://host:port
    return f"{scheme}://{authority}{path}"


def list_shards(source: str) -> list[Shard]:
    """The input shards named by a file, a directory (recursively) or a glob; sorted by path.

    Files in a directory or matched by a glob whose extension is not a batch format (or whose name starts
    with '.' or '_', like _SUCCESS markers) are left out; a single file is taken as given.
    """
    import pyarrow.fs as pafs

    fs, path = filesystem(source)
    if any(char in path for char in _GLOB_CHARS):
        base = path
        while any(char in base for char in _GLOB_CHARS):
            base = os.path.dirname(base)
        infos = [info for info in _walk(fs, base) if fnmatch.fnmatchcase(info.path, path)]
    else:
        info = _info(fs, path, source)
        if info.type == pafs.FileType.NotFound:
            raise BatchError(f"INPUT {source} does not exist")
        infos = [info] if info.type == pafs.FileType.File else list(_walk(fs, path))
        if info.type == pafs.FileType.File:
            _check_format(info.path)
            return [Shard(_uri(source, path, info.path), info.size, _mtime(info))]
    infos = [info for info in infos if _is_shard(info.base_name)]
    if not infos:
        raise BatchError(
            f"INPUT {source} names no .jsonl, .jsonl.gz, .csv, .csv.gz or .parquet file; "
            "give a file, a directory of shards or a glob like 'data/*.jsonl.gz'"
        )
    infos.sort(key=lambda info: info.path)
    return [Shard(_uri(source, path, info.path), info.size, _mtime(info)) for info in infos]


def _walk(fs: Any, base: str) -> Iterator[Any]:
    import pyarrow.fs as pafs

    try:
        infos = fs.get_file_info(pafs.FileSelector(base, recursive=True, allow_not_found=True))
    except OSError as error:
        raise BatchError(f"cannot list {base}: {error}") from error
    return (info for info in infos if info.type == pafs.FileType.File)


def _info(fs: Any, path: str, source: str) -> Any:
    try:
        return fs.get_file_info(path)
    except OSError as error:
        raise BatchError(f"cannot read {source}: {error}") from error


def _is_shard(name: str) -> bool:
    if name.startswith((".", "_")):
        return False
    try:
        detect_format(name)
    except ValueError:
        return False
    return True


def _check_format(path: str) -> None:
    try:
        detect_format(path)
    except ValueError as error:
        raise BatchError(str(error)) from error


def _mtime(info: Any) -> float | None:
    return info.mtime.timestamp() if info.mtime is not None else None


def local_copy(uri: str, folder: str) -> str:
    """A local path holding the shard `uri` (copied into `folder` when it is not a local file already)."""
    import pyarrow.fs as pafs

    if "://" not in uri:
        return uri
    fs, path = filesystem(uri)
    if isinstance(fs, pafs.LocalFileSystem):
        return path
    target = os.path.join(folder, os.path.basename(path))  # keeps the extension: it names the format
    pafs.copy_files(path, target, source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
    return target


# ------------------------------------------------------------------------------------------------ output


@dataclasses.dataclass
class Plan:
    manifest: dict[str, Any]
    todo: list[int]  # indices into manifest["shards"] still to analyze
    already_complete: bool = False


class OutputDir:
    """The output directory: one `part-NNNNN.<fmt>` per input shard plus the manifest."""

    def __init__(self, uri: str, fmt: str) -> None:
        if fmt not in OUTPUT_FORMATS:
            raise BatchError(f"output format must be one of {', '.join(OUTPUT_FORMATS)}, got {fmt!r}")
        self.uri, self.fmt = uri, fmt
        self.fs, self.path = filesystem(uri)

    def shard_name(self, index: int) -> str:
        return f"part-{index:05d}.{self.fmt}"

    def location(self, name: str) -> str:
        return f"{self.path.rstrip('/')}/{name}"

    def plan(self, shards: list[Shard], options: dict[str, Any], *, resume: bool, overwrite: bool) -> Plan:
        """Check OUTPUT against an earlier run; raise `BatchError` saying what to do."""
        import pyarrow.fs as pafs

        info = _info(self.fs, self.path, self.uri)
        if info.type == pafs.FileType.File:
            raise BatchError(f"OUTPUT {self.uri} is a file; --engine ray writes a directory of shards")
        existing = [i.base_name for i in _walk(self.fs, self.path)] if info.type == pafs.FileType.Directory else []
        ours = [name for name in existing if name == MANIFEST or name.startswith(("part-", ".part-", "_presslens"))]
        fresh = {
            "presslens_ray_manifest": MANIFEST_VERSION, "format": self.fmt, "options": options,
            "shards": [shard.identity() for shard in shards], "done": {},
        }
        if overwrite:
            for name in ours:
                self.fs.delete_file(self.location(name))
            ours = []
        if not ours:
            self.fs.create_dir(self.path, recursive=True)
            return Plan(fresh, list(range(len(shards))))
        if not resume:
            raise BatchError(
                f"{self.uri} already holds presslens output ({len(ours)} files); pass --resume to finish an "
                "interrupted run into it, --overwrite to replace it, or choose another OUTPUT"
            )
        manifest = self._read_manifest()
        if manifest is None:  # killed before the first manifest was written: nothing is finished
            return Plan(fresh, list(range(len(shards))))
        finished = [self.shard_name(index) in manifest["done"] and self.shard_name(index) in existing
                    for index in range(len(shards))]
        _check_same_run(manifest, fresh, finished)
        todo = [index for index in range(len(shards)) if not finished[index]]
        return Plan(manifest, todo, already_complete=not todo)

    def _read_manifest(self) -> dict[str, Any] | None:
        try:
            with self.fs.open_input_stream(self.location(MANIFEST)) as stream:
                manifest = json.loads(stream.read())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as error:
            raise BatchError(f"cannot read {MANIFEST} in {self.uri}: {error}; pass --overwrite to start again") from error
        if not isinstance(manifest, dict) or manifest.get("presslens_ray_manifest") != MANIFEST_VERSION:
            raise BatchError(f"{MANIFEST} in {self.uri} is not one this presslens wrote; pass --overwrite to start again")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        self._atomic(MANIFEST, lambda target: _write_bytes(target, json.dumps(manifest, indent=1).encode()))

    def write_shard(self, index: int, journal: str) -> None:
        """Convert a local journal (JSON lines, in input order) into the shard's output file, atomically."""
        self._atomic(self.shard_name(index), lambda target: _convert(journal, target, self.fmt))

    def _atomic(self, name: str, write: Any) -> None:
        import pyarrow.fs as pafs

        with tempfile.TemporaryDirectory(prefix="presslens-") as folder:
            local = os.path.join(folder, name)
            write(local)
            temp = self.location(f".{name}.tmp")
            if isinstance(self.fs, pafs.LocalFileSystem):
                os.replace(local, temp) if _same_device(folder, self.path) else _copy_local(local, temp)
                _fsync(temp)
            else:
                pafs.copy_files(local, temp, source_filesystem=pafs.LocalFileSystem(), destination_filesystem=self.fs)
            self.fs.move(temp, self.location(name))  # os.replace locally: atomic; one object put on a store


def _check_same_run(before: dict[str, Any], now: dict[str, Any], finished: list[bool]) -> None:
    """The same input and options as the interrupted run. A shard not finished may have changed (a bad
    shard replaced by a good copy is the point of resuming); its new size and time go in the manifest."""
    same_names = [shard["uri"] for shard in before["shards"]] == [shard["uri"] for shard in now["shards"]]
    if not same_names or any(done and old != new for old, new, done in zip(before["shards"], now["shards"], finished)):
        raise BatchError(
            f"INPUT is not what the interrupted run read ({len(before['shards'])} shards then, "
            f"{len(now['shards'])} now, or a finished shard's size or time changed); resume with the same "
            "input, or pass --overwrite to start again"
        )
    before["shards"] = now["shards"]
    changed = [
        f"{key}: was {before['options'].get(key)!r}, now {value!r}"
        for key, value in now["options"].items() if before["options"].get(key) != value
    ]
    if before["format"] != now["format"]:
        changed.append(f"format: was {before['format']!r}, now {now['format']!r}")
    if changed:
        raise BatchError(
            "--resume needs the options of the interrupted run (" + "; ".join(changed)
            + "); rerun with those, or pass --overwrite to start again"
        )


def _convert(journal: str, target: str, fmt: str) -> None:
    if fmt == "jsonl":
        os.replace(journal, target) if os.path.exists(journal) else _write_bytes(target, b"")
        return
    if fmt == "jsonl.gz":
        import gzip
        import shutil

        with open(journal, "rb") as lines, gzip.open(target, "wb") as compressed:
            shutil.copyfileobj(lines, compressed, 1 << 20)
        return
    with open(journal, "rb") as lines:
        write_table((json.loads(line) for line in lines), target, fmt)


def _write_bytes(path: str, data: bytes) -> None:
    with open(path, "wb") as stream:
        stream.write(data)


def _same_device(a: str, b: str) -> bool:
    try:
        return os.stat(a).st_dev == os.stat(b).st_dev
    except OSError:
        return False


def _copy_local(source: str, target: str) -> None:
    import shutil

    shutil.copyfile(source, target)


def _fsync(path: str) -> None:
    with open(path, "rb") as stream:
        os.fsync(stream.fileno())
