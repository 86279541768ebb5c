"""`presslens batch --engine ray`: the batch job on a Ray cluster with Ray Data.

    settings = BatchSettings(input="s3://bucket/crawl/", output="s3://bucket/results/", batch_size=16)
    report = run_ray_batch(settings, RayOptions(address="auto", workers=32), resume=True)

The pipeline (one Ray Data dataset, streamed):

1. the driver lists the input shards (a file, a directory or a glob; any URI pyarrow reads) and, on
   --resume, drops the shards the manifest already has (see `shards.py`);
2. `flat_map(read_shard)`: a task per shard reads it with the local engine's reader (`records.read_records`,
   so a broken JSON line or a bad CSV row is an error row exactly as in `presslens batch`), one row per
   record: (shard, record number, the raw record);
3. `map_batches(AnalyzeBatch, concurrency=workers)`: a pool of actors, each holding one Analyzer loaded
   once, runs the local engine's per-chunk code (`batch._analyze_chunk`: field checks, error records,
   one-by-one fallback) and returns each record's output as a JSON line;
4. the driver receives the rows in input order (`preserve_order`), spools each shard's lines to a local
   journal and, when the shard's last row has arrived, writes `part-NNNNN.<fmt>` atomically and records
   the shard in the manifest.

Faults: a shard that cannot be read (truncated, not the format its name says) is reported in
`report.bad_shards` and gets no output file, while the other shards are written; after it is replaced,
`--resume` redoes just that shard. Actors are restarted and their batches retried by Ray Data (its defaults for actor pools:
`max_restarts` and `max_task_retries` -1; read tasks are retried 3 times, Ray's default), so a killed worker costs time, not rows. A killed driver loses only the shards not
yet in the manifest: `--resume` redoes those and nothing else.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import pickle
import sys
import tempfile
import time
from typing import Any

from tqdm import tqdm

from ..batch import BatchReport, BatchSettings
from ..errors import BatchError
from .shards import OutputDir, Shard, list_shards

_ERROR_EXAMPLES = 3


@dataclasses.dataclass
class RayBatchReport(BatchReport):
    """The counts of a run, plus the input shards that could not be read: (URI, reason) each."""

    bad_shards: list[tuple[str, str]] = dataclasses.field(default_factory=list)


@dataclasses.dataclass(frozen=True)
class RayOptions:
    address: str | None = None  # None: start a local Ray runtime; "auto" or "ray://host:10001": join a cluster
    workers: int | None = None  # analyzer actors; None: one per CPU of the cluster
    cpus_per_worker: float = 1.0
    output_format: str = "parquet"
    object_store_bytes: int | None = None  # local runtime only
    include_dashboard: bool = False  # local runtime only


def run_ray_batch(settings: BatchSettings, options: RayOptions, *, resume: bool = False, overwrite: bool = False,
                  progress: bool = False) -> RayBatchReport:
    """Analyze every record of every input shard into OUTPUT's shards; returns the counts."""
    started = time.monotonic()
    if settings.model and "://" not in settings.model:
        settings = dataclasses.replace(settings, model=os.path.abspath(settings.model))  # workers' cwd differs
    shards = list_shards(settings.input)
    output = OutputDir(settings.output, options.output_format)
    plan = output.plan(shards, settings.options(), resume=resume, overwrite=overwrite)
    report = RayBatchReport(output=settings.output, already_complete=plan.already_complete)
    _count_done(report, plan.manifest)
    report.skipped = report.total  # records in shards an earlier run finished
    if plan.already_complete:
        return report
    output.write_manifest(plan.manifest)
    ray = _ray()
    started_here = _connect(ray, options)
    try:
        dataset = _pipeline(ray, settings, options, [(index, shards[index]) for index in plan.todo])
        with tempfile.TemporaryDirectory(prefix="presslens-ray-") as spool:
            _collect(dataset, plan, output, report, spool, progress=progress)
    finally:
        if started_here:
            ray.shutdown()
    report.seconds = time.monotonic() - started
    return report


def _ray() -> Any:
    try:
        import ray
    except ImportError as error:
        raise BatchError(
            f"--engine ray needs Ray Data ({error}); install it with: pip install \"presslens[ray]\""
        ) from error
    return ray


def _connect(ray: Any, options: RayOptions) -> bool:
    """Join the cluster at `options.address`, or start a local runtime; True when this call started Ray."""
    if ray.is_initialized():
        return False  # an embedding program (or a test) already chose the cluster
    if options.address:
        ray.init(address=options.address, logging_level="WARNING", log_to_driver=False)
    else:
        ray.init(
            address="local", include_dashboard=options.include_dashboard,
            object_store_memory=options.object_store_bytes, logging_level="WARNING", log_to_driver=False,
        )
    return True


def _pipeline(ray: Any, settings: BatchSettings, options: RayOptions, todo: list[tuple[int, Shard]]) -> Any:
    context = ray.data.DataContext.get_current()
    context.execution_options.preserve_order = True  # rows come back shard by shard, record by record
    context.enable_progress_bars = False  # the driver shows one bar of its own
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    workers = options.workers or max(int(ray.cluster_resources().get("CPU", 1) // options.cpus_per_worker), 1)
    items = [{"shard": index, "uri": shard.uri} for index, shard in todo]
    dataset = ray.data.from_items(items, override_num_blocks=max(len(items), 1))
    # Parsing is light next to the model: a reader per 8 actors, with no CPU reserved for it so that the
    # actors can have them all (a pool size is needed then: Ray would start a worker per 0-CPU task at once).
    readers = min(len(items), -(-workers // 8)) or 1
    dataset = dataset.flat_map(
        read_shard, fn_kwargs={"fields": settings.fields}, num_cpus=0,
        compute=ray.data.TaskPoolStrategy(size=readers),
    )
    return dataset.map_batches(
        AnalyzeBatch, fn_constructor_kwargs={"settings": settings, "threads": options.cpus_per_worker},
        batch_size=max(settings.batch_size * 4, 1), compute=ray.data.ActorPoolStrategy(size=workers),
        num_cpus=options.cpus_per_worker, batch_format="numpy", zero_copy_batch=True,
    )  # Ray Data restarts a dead actor and retries its batches (max_restarts / max_task_retries = -1)


BAD_SHARD = -1  # the record number of the row that says a shard could not be read (its message as record)


def read_shard(item: dict[str, Any], fields: Any) -> Any:
    """One shard's rows (shard, number, pickled RawRecord), read by the local engine's reader.

    A shard that cannot be read (truncated, not the format its name says) ends with one BAD_SHARD row
    holding the reason, instead of failing the task: Ray would retry it, then stop the whole run with a page
    of tracebacks. The driver drops that shard's rows and reports it (see _collect)."""
    from ..records import read_records
    from .shards import local_copy

    try:
        with tempfile.TemporaryDirectory(prefix="presslens-shard-") as folder:
            path = local_copy(item["uri"], folder)
            for number, record in enumerate(read_records(path, fields)):
                yield {"shard": item["shard"], "number": number, "record": pickle.dumps(record)}
    except Exception as error:  # per-record problems are error records already: this is the shard itself
        message = str(error).strip().splitlines()[-1] if str(error).strip() else type(error).__name__
        if not isinstance(error, BatchError):
            message = f"cannot read {item['uri']}: {type(error).__name__}: {message}"
        yield {"shard": item["shard"], "number": BAD_SHARD, "record": pickle.dumps(message)}


class AnalyzeBatch:
    """One Analyzer per actor, loaded once; each call is one chunk of the local engine."""

    def __init__(self, settings: BatchSettings, threads: float = 1.0) -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")  # the actor is the unit of parallelism
        import torch

        from ..analyzer import Analyzer

        torch.set_num_threads(max(int(threads), 1))
        self.settings = settings
        model = _local_model(settings.model)
        self.analyzer = Analyzer.from_pretrained(model, batch_size=settings.batch_size, precision=settings.precision,
                                                 backend=settings.backend)

    def __call__(self, batch: dict[str, Any]) -> dict[str, Any]:
        import numpy as np

        from ..batch import _analyze_chunk
        from ..records import encode_line

        numbers = [int(number) for number in batch["number"]]
        chunk = [(number, pickle.loads(record)) for number, record in zip(numbers, batch["record"]) if number >= 0]
        outputs = iter(_analyze_chunk(chunk, self.settings, self.analyzer))
        lines = np.empty(len(numbers), dtype=object)
        failed = np.ones(len(numbers), dtype=bool)
        for row, (number, record) in enumerate(zip(numbers, batch["record"])):
            if number == BAD_SHARD:  # passed on as it is: the reason, for the driver
                lines[row] = pickle.loads(record).encode("utf-8")
            else:
                output = next(outputs)
                lines[row], failed[row] = encode_line(output), "error" in output
        return {"shard": batch["shard"], "number": batch["number"], "line": lines, "failed": failed}


def _local_model(model: str | None) -> str | None:
    """A checkpoint on object storage (s3://...) is copied to a local folder once per actor."""
    if model is None or "://" not in model:
        return model
    import pyarrow.fs as pafs

    from .shards import filesystem

    fs, path = filesystem(model)
    target = tempfile.mkdtemp(prefix="presslens-model-")
    pafs.copy_files(path, target, source_filesystem=fs, destination_filesystem=pafs.LocalFileSystem())
    return target


# ------------------------------------------------------------------------------------------ the driver side


class _ShardJournal:
    """The lines of the shard being received, spooled to a local file until the shard is complete."""

    def __init__(self, spool: str, index: int) -> None:
        self.index, self.rows, self.ok, self.errors = index, 0, 0, 0
        self.path = os.path.join(spool, f"shard-{index:05d}.jsonl")
        self.stream = open(self.path, "wb")


def _collect(dataset: Any, plan: Any, output: OutputDir, report: BatchReport, spool: str, *, progress: bool) -> None:
    import json

    pending = list(plan.todo)  # in the order the rows arrive
    bar = tqdm(unit=" records", file=sys.stderr, disable=not progress, dynamic_ncols=True, smoothing=0.1,
               desc=_describe(plan, pending))
    current: _ShardJournal | None = None

    def finish(journal: _ShardJournal) -> None:
        journal.stream.close()
        output.write_shard(journal.index, journal.path)
        plan.manifest["done"][output.shard_name(journal.index)] = {
            "rows": journal.rows, "ok": journal.ok, "errors": journal.errors,
        }
        output.write_manifest(plan.manifest)
        os.unlink(journal.path) if os.path.exists(journal.path) else None

    def advance_to(index: int | None) -> _ShardJournal | None:
        """Finish the current shard and every empty shard before `index` (None: all that remain)."""
        nonlocal current
        if current is not None:
            finish(current)
            pending.remove(current.index)
        while pending and (index is None or pending[0] != index):
            finish(_ShardJournal(spool, pending.pop(0)))  # a shard without records: an empty output file
        current = _ShardJournal(spool, index) if index is not None else None
        bar.set_description(_describe(plan, pending))
        return current

    def drop(journal: _ShardJournal, reason: str) -> None:
        """A shard that could not be read: no output file, not in the manifest (--resume redoes it)."""
        nonlocal current
        journal.stream.close()
        os.unlink(journal.path) if os.path.exists(journal.path) else None
        pending.remove(journal.index)
        report.bad_shards.append((plan.manifest["shards"][journal.index]["uri"], reason))
        current = None
        bar.set_description(_describe(plan, pending))

    try:
        for batch in dataset.iter_batches(batch_size=None, batch_format="numpy"):
            for shard, number, line, failed in zip(batch["shard"], batch["number"], batch["line"], batch["failed"]):
                shard, number = int(shard), int(number)
                if current is None or shard != current.index:
                    if shard not in pending or (current is not None and pending.index(shard) < pending.index(current.index)):
                        raise RuntimeError(f"Ray returned shard {shard} out of order")
                    advance_to(shard)
                if number == BAD_SHARD:
                    drop(current, line.decode("utf-8", errors="replace"))
                    continue
                if number != current.rows:
                    raise RuntimeError(f"Ray returned record {number} of shard {shard} after {current.rows} records")
                current.stream.write(line)
                current.rows += 1
                if failed:
                    current.errors += 1
                    if len(report.error_examples) < _ERROR_EXAMPLES:
                        record = json.loads(line)
                        report.error_examples.append((record["id"], record["error"]))
                else:
                    current.ok += 1
            bar.update(len(batch["line"]))
        advance_to(None)
    except Exception as error:
        raise _explain(error) from error
    finally:
        bar.close()
        if current is not None:
            current.stream.close()
    _count_done(report, plan.manifest)


def _describe(plan: Any, pending: list[int]) -> str:
    total = len(plan.manifest["shards"])
    return f"analyzing (shards done {total - len(pending)}/{total})"


def _count_done(report: BatchReport, manifest: dict[str, Any]) -> None:
    done = manifest["done"].values()
    report.ok, report.errors = sum(d["ok"] for d in done), sum(d["errors"] for d in done)



def _explain(error: Exception) -> Exception:
    """A BatchError raised on a worker (an unreadable shard, a missing column) as the fatal error it is."""
    seen = error
    while seen is not None:
        if isinstance(seen, BatchError):
            return BatchError(str(seen).splitlines()[-1] if "\n" in str(seen) else str(seen))
        seen = getattr(seen, "cause", None) or seen.__cause__
    return error
