"""`presslens batch --engine ray ...`: the CLI's Ray branch (options -> settings -> run -> counts)."""

from __future__ import annotations

import sys
from typing import Any

import click


def batch_on_ray(input_path: str, output_path: str, *, fields: Any, tasks: tuple[str, ...], summary_sentences: int,
                 model_path: str | None, precision: str, batch_size: int, resume: bool, overwrite: bool,
                 progress: bool | None, engine: str, ray_address: str | None, workers: int | None,
                 output_format: str | None, languages: frozenset[str] | None = None,
                 include_text: bool = False, min_topic_score: float | None = None, backend: str = "torch") -> None:
    from ..batch import BatchSettings
    from ..cli import _batch_summary
    from .engine import RayOptions, run_ray_batch

    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite contradict each other; pass one of them")
    if "-" in (input_path, output_path):
        raise click.UsageError("--engine ray reads and writes files or folders, not stdin/stdout")
    settings = BatchSettings(
        input=input_path, output=output_path, fields=fields, tasks=tasks, summary_sentences=summary_sentences,
        batch_size=batch_size, model=model_path, precision=precision, backend=backend, languages=languages,
        include_text=include_text, min_topic_score=min_topic_score,
    )
    options = RayOptions(address=ray_address, workers=workers, output_format=output_format or "parquet")
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        report = run_ray_batch(settings, options, resume=resume, overwrite=overwrite, progress=show_progress)
    except KeyboardInterrupt:
        click.echo("\ninterrupted: finished shards are kept. Rerun with --resume to continue.", err=True)
        sys.exit(130)
    if report.already_complete:
        click.echo(f"{output_path} is already complete; nothing to do. Pass --overwrite to run again.", err=True)
        return
    click.echo(_batch_summary(report), err=True)
    for uri, reason in report.bad_shards:  # one line each; the other shards are written
        click.echo(f"error: shard {uri} was not analyzed ({reason}); replace it and rerun with --resume to "
                   "do just that shard", err=True)
    if report.bad_shards:
        sys.exit(1)
