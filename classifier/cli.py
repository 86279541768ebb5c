"""The `presslens` command line: `analyze` one article, `batch` a file of them, `serve` the web app and API.

    presslens analyze article.txt                 # readable report
    presslens analyze - --json < article.html     # the output contract as JSON
    presslens batch articles.jsonl results.parquet --resume

Exit codes: 0 done (a batch run with bad records included: they are reported in the output), 1 a fatal
problem (unreadable input, bad model, output in the way), 2 bad arguments, 130 interrupted.
"""

from __future__ import annotations

import dataclasses
import functools
import json
import os
import shutil
import sys
import textwrap
from collections.abc import Callable
from typing import Any

import click

from .errors import PresslensError
from .inputs import MAX_CHARS, MAX_INPUT_BYTES
from .precision import BACKENDS, PRECISIONS  # no torch: --help stays instant

TASKS = ("topic", "stance", "summary")  # the contract's task keys (design.md); labels come from the model
LANGUAGE_OPTION = "--languages en"  # named in the warning on an article in another language


class TaskList(click.ParamType):
    """A comma-separated subset of the tasks, e.g. 'topic,summary'."""

    name = "TASKS"

    def convert(self, value: Any, param: Any, ctx: Any) -> tuple[str, ...]:
        if isinstance(value, tuple):
            return value
        names = [name.strip().lower() for name in str(value).split(",") if name.strip()]
        unknown = [name for name in names if name not in TASKS]
        if unknown or not names:
            self.fail(
                f"{value!r} is not a list of tasks; give one or more of {', '.join(TASKS)} "
                "separated by commas, e.g. --tasks topic,summary",
                param, ctx,
            )
        return tuple(name for name in TASKS if name in names)  # contract order, no duplicates


def model_options(command: Callable) -> Callable:
    """The options every analysing command shares."""
    options = [
        click.option("--languages", metavar="CODES", default=None,
                     help="Only analyze articles in these languages (ISO 639-1, comma-separated, e.g. en); "
                          "others become errors. [default: any, with a warning when not English]"),
        click.option("--include-text", is_flag=True,
                     help="Add \"article\" to each result: headline, language, date/author/site when known, "
                          "and the sentences that summary and evidence indices point into."),
        click.option("--tasks", type=TaskList(), default=",".join(TASKS), show_default=True,
                     help="Which analyses to run, comma-separated; switched-off tasks are absent from the output."),
        click.option("--summary-sentences", type=click.IntRange(min=1), default=3, show_default=True,
                     help="Sentences in the extractive summary."),
        click.option("--model", "model_path", metavar="PATH", default=None,
                     help="A presslens checkpoint directory. [default: the model shipped with presslens]"),
        click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
                     help="Inference precision; 'auto' picks what is fast and safe on this machine (bf16 where "
                          "bf16 runs natively as configured, else fp32); int8 quantises the encoder at load time."),
        click.option("--backend", type=click.Choice(BACKENDS), default="torch", show_default=True,
                     help="Which library runs the encoder: torch, or openvino (pip install 'presslens[openvino]'; "
                          "fp32/bf16, faster on the CPUs measured, README: Speed)."),
        click.option("--min-topic-score", type=click.FloatRange(0.0, 1.0), default=None, metavar="P",
                     help="Below this best-label score the topic is \"none of these\" (label null, with a "
                          "warning). [default: the model's own: 0 for the shipped model, fitted on validation "
                          "by `presslens train-topics`]"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def limit_options(command: Callable) -> Callable:
    """The two size limits (classifier.inputs.SizeLimits), shared by analyze and batch."""
    options = [
        click.option("--max-chars", type=click.IntRange(min=0), default=MAX_CHARS, show_default=True,
                     help="Refuse an article whose own text, after reading (HTML: its main text), is longer "
                          "(characters, as the API); 0 = no limit."),
        click.option("--max-input-bytes", type=click.IntRange(min=0), default=MAX_INPUT_BYTES, show_default=True,
                     help="Refuse raw input (a file, stdin, a record's text: HTML or text as given) larger "
                          "than this; at most this plus one byte is read. 0 = no limit."),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def _size_limits(max_chars: int, max_input_bytes: int) -> Any:
    from .inputs import CLI_LIMITS

    return dataclasses.replace(CLI_LIMITS, max_chars=max_chars, max_input_bytes=max_input_bytes)


def ray_options(command: Callable) -> Callable:
    """The batch command's engine choice and the options of `--engine ray` (classifier/scale/)."""
    options = [
        click.option("--engine", type=click.Choice(["local", "ray"]), default="local", show_default=True,
                     help="local: this process; ray: a Ray cluster with Ray Data (docs/scale.md)."),
        click.option("--ray-address", metavar="ADDRESS", default=None,
                     help="(ray) Join this Ray cluster ('auto', 'ray://head:10001'). [default: a local Ray runtime]"),
        click.option("--workers", type=click.IntRange(min=1), default=None,
                     help="(ray) Analyzer actors, each one model and one CPU. [default: one per CPU of the cluster]"),
        click.option("--output-format", type=click.Choice(["parquet", "jsonl", "jsonl.gz", "csv", "csv.gz"]),
                     default=None, help="(ray) Format of the output shards. [default: parquet]"),
    ]
    for option in reversed(options):
        command = option(command)
    return command


def fatal_errors(command: Callable) -> Callable:
    """Presslens and I/O errors -> 'Error: ...' and exit code 1; Ctrl-C -> 130; a closed pipe -> quiet exit."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except PresslensError as error:
            raise click.ClickException(str(error)) from error
        except BrokenPipeError:
            # `presslens batch in.jsonl - | head`: the reader left; say nothing, and keep Python from
            # complaining again when it flushes stdout at exit.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except OSError as error:  # a full disk, a file that cannot be written, ...
            raise click.ClickException(str(error)) from error
        except KeyboardInterrupt:
            click.echo("\ninterrupted", err=True)
            sys.exit(130)

    return wrapper


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="presslens", prog_name="presslens")
def main() -> None:
    """presslens: topic, stance toward a claim, and an extractive summary of news articles.

    \b
    presslens analyze article.txt
    presslens batch articles.jsonl results.parquet
    presslens serve
    presslens train-topics labelled.csv models/ours     your own topic labels
    presslens COMMAND --help     for the options of a command
    """


# ------------------------------------------------------------------------------------------------ analyze


@main.command()
@click.argument("file", required=False, type=click.Path(exists=True, dir_okay=False, allow_dash=True))
@click.option("--text", help="The article itself, instead of FILE.")
@click.option("--title", help="The headline, when it is not the article's first line.")
@click.option("--target", "targets", multiple=True, metavar="CLAIM",
              help="A claim to judge the article's stance toward (repeatable). [default: the headline]")
@model_options
@limit_options
@click.option("--json", "as_json", is_flag=True, help="Print the output contract as JSON.")
@fatal_errors
def analyze(file: str | None, text: str | None, title: str | None, targets: tuple[str, ...],
            languages: str | None, include_text: bool, tasks: tuple[str, ...], summary_sentences: int,
            model_path: str | None, precision: str, backend: str, min_topic_score: float | None, max_chars: int,
            max_input_bytes: int, as_json: bool) -> None:
    """Analyze one article: its topic, its stance toward the headline (or each --target), a summary.

    FILE is plain text or HTML, in any encoding (undecodable bytes are replaced, with a warning); '-' or
    no FILE and no --text reads stdin. HTML: the page's main text is read, its headline taken from its
    metadata; plain text: a short first line is the headline. --title always wins. Progress of a long
    article is shown on stderr.

    \b
    Examples:
      presslens analyze article.txt
      curl -s https://example.org/story | presslens analyze - --json
      presslens analyze --text "Rates rise again. The central bank ..." --tasks topic,summary
      presslens analyze story.html --target "The mayor resigned" --target "Taxes will rise"
      presslens analyze page.html --json --include-text --languages en
    """
    if file is not None and text is not None:
        raise click.UsageError("give either FILE or --text, not both")
    if targets and "stance" not in tasks:
        raise click.UsageError("--target needs the stance task; add 'stance' to --tasks")
    limits = _size_limits(max_chars, max_input_bytes)
    if text is not None:
        article: str | bytes = text
    else:
        if file in (None, "-") and _stdin_is_terminal():
            raise click.UsageError("no article given: pass FILE, --text TEXT, or pipe the article on stdin")
        article = _read_article(file, max_input_bytes)
    accepted = _check_languages(languages)
    # The raw input's size (and what it is: an image is named as one) is checked before the model loads;
    # the article text's limit is checked once reading has found it (a 2.5 MB page holds 20 KB of article).
    from .inputs import check_input_size

    check_input_size(article, limits)
    size = len(article)

    note = _Progress(size)
    note("loading the model")
    analyzer = _load_analyzer(model_path, batch_size=1, precision=precision, backend=backend)
    note(f"reading {size:,} {'characters' if isinstance(article, str) else 'bytes'}")
    prepared = analyzer.prepare(
        {"text": article, "title": title, "targets": list(targets) or None}, languages=accepted,
        language_option=LANGUAGE_OPTION, limits=limits,
    )
    note(f"analyzing {len(prepared.sentences):,} sentences")
    analysis = analyzer.analyze(prepared, tasks=tasks, summary_sentences=summary_sentences,
                                min_topic_score=min_topic_score)
    note("done")
    if as_json:
        click.echo(json.dumps(analysis.to_dict(include_text=include_text), ensure_ascii=False, indent=2))
    else:
        click.echo(format_analysis(analysis, include_text=include_text))


LONG_ARTICLE_CHARS = 50_000  # above this, `analyze` says on stderr what it is doing (it takes seconds)
PROGRESS_EVERY = 10.0  # seconds between "still analyzing" lines


class _Progress:
    """Stage lines with the elapsed time on stderr, for long articles only (short ones take a second).

    A stage that takes long ("analyzing") gets a "still ..." line every PROGRESS_EVERY seconds from a
    daemon thread, so a user never watches a silent terminal for minutes.
    """

    def __init__(self, size: int) -> None:
        import threading
        import time

        self.enabled = size > LONG_ARTICLE_CHARS
        self.clock, self.started = time.monotonic, time.monotonic()
        self.stage: str | None = None
        self.changed = threading.Event()
        if self.enabled:
            threading.Thread(target=self._tick, daemon=True, name="presslens-progress").start()

    def __call__(self, stage: str) -> None:
        if self.enabled:
            click.echo(f"[{self.clock() - self.started:6.1f} s] {stage}", err=True)
            self.stage = None if stage == "done" else stage
            self.changed.set()

    def _tick(self) -> None:
        while True:
            changed = self.changed.wait(PROGRESS_EVERY)
            self.changed.clear()
            if self.stage is None and changed:
                return
            if not changed and self.stage:
                click.echo(f"[{self.clock() - self.started:6.1f} s] still {self.stage}", err=True)


def _check_languages(languages: str | None) -> frozenset[str] | None:
    from .inputs import check_languages

    try:
        return check_languages(languages)
    except PresslensError as error:
        raise click.BadParameter(str(error), param_hint="--languages") from error


def _stdin_is_terminal() -> bool:
    # Reading a terminal would wait silently for the user to type an article: say what to do instead.
    return sys.stdin.isatty()


def _read_article(file: str | None, max_bytes: int) -> bytes:
    """The bytes of FILE or stdin: at most `max_bytes` + 1 (0 = all), so that 400 MB on stdin or /dev/zero
    costs nothing; the gate then refuses what is over the limit, naming --max-input-bytes."""
    limit = max_bytes + 1 if max_bytes else -1
    if file in (None, "-"):
        return _read_bounded(sys.stdin.buffer, limit)
    try:
        with open(file, "rb") as stream:  # bytes: the cleaner decodes, replacing what is not UTF-8
            return _read_bounded(stream, limit)
    except OSError as error:
        raise click.FileError(file, str(error.strerror or error)) from error


def _read_bounded(stream: Any, limit: int) -> bytes:
    if limit < 0:
        return stream.read()
    parts, left = [], limit
    while left > 0:  # a pipe returns what it has: read until the limit or the end
        part = stream.read(min(left, 1 << 20))
        if not part:
            break
        parts.append(part)
        left -= len(part)
    return b"".join(parts)


def _load_analyzer(model_path: str | None, *, batch_size: int, precision: str, backend: str = "torch") -> Any:
    import gc

    from .reading.language import preload

    preload()  # the language model loads in a thread (on a second core) while torch is imported
    # Importing torch makes ~170,000 objects that live as long as the process; the cyclic garbage collector
    # would scan them again and again while they are made (~0.1-0.2 s of a cold start). Collect nothing
    # during start-up, then freeze what it made out of every later collection (a process that has torch
    # already, e.g. a test calling the CLI in-process, is left alone).
    cold = "torch" not in sys.modules and gc.isenabled()
    if cold:
        gc.disable()
    try:
        from .analyzer import Analyzer  # deferred: torch takes seconds to import, --help should not

        return Analyzer.from_pretrained(model_path, batch_size=batch_size, precision=precision, backend=backend)
    finally:
        if cold:
            gc.freeze()
            gc.enable()


def format_analysis(analysis: Any, include_text: bool = False) -> str:
    """The human-readable report of one Analysis (with include_text: the article's sentences, numbered)."""
    width = min(shutil.get_terminal_size((100, 20)).columns, 100)
    lines: list[str] = []

    def wrapped(text: str, first: str = "  ") -> None:
        indent = " " * len(first)  # continuation lines align with the text, not the marker
        lines.extend(
            textwrap.wrap(text, width, initial_indent=first, subsequent_indent=indent, break_on_hyphens=False)
            or [first]
        )

    def heading(text: str) -> str:
        return click.style(text, bold=True)

    if analysis.title:
        lines += [heading("Headline: ") + analysis.title]
    if analysis.language:
        lines += [heading("Language: ") + analysis.language]
    if analysis.title or analysis.language:
        lines.append("")
    if analysis.topic is not None:
        if analysis.topic.label is None:
            lines.append(heading("Topic: ") + "none of these (no label reaches the minimum topic score)")
        elif analysis.topic.topics is not None:
            lines.append(heading("Topics: ") + ", ".join(
                f"{label} ({analysis.topic.scores[label]:.2f})" for label in analysis.topic.topics))
        else:
            lines.append(heading("Topic: ") + f"{analysis.topic.label} ({analysis.topic.score:.2f})")
        wrapped(_scores(analysis.topic.scores))
        lines.append("")
    if analysis.stances is not None:
        for stance in analysis.stances:
            lines.append(heading("Stance toward: ") + f"\u201c{stance.target}\u201d")
            unsure = "  (low confidence)" if stance.confidence == "low" else ""
            lines.append(f"  {click.style(stance.label, bold=True)} ({stance.score:.2f}){unsure}   {_scores(stance.scores)}")
            if stance.evidence:
                lines.append("  evidence:")
            for sentence in stance.evidence:
                says = f"{sentence.says} {sentence.score:.2f}: " if sentence.says else ""
                wrapped(says + sentence.text, first=f"    [{sentence.index}] ")
            lines.append("")
        if not analysis.stances:
            lines += [heading("Stance: ") + "not judged (no headline and no --target claim)", ""]
    if analysis.summary is not None:
        lines.append(heading("Summary:"))
        for sentence in analysis.summary.sentences:
            score = f" ({sentence.score:.2f})" if sentence.score is not None else ""
            wrapped(sentence.text + score, first=f"  [{sentence.index}] ")
        lines.append("")
    if include_text:
        about = ", ".join(f"{key}: {value}" for key, value in analysis.metadata)
        lines.append(heading("Article:") + (f" ({about})" if about else ""))
        for index, sentence in enumerate(analysis.sentences):
            wrapped(sentence, first=f"  [{index}] ")
        lines.append("")
    if analysis.warnings:
        lines.append(heading("Warnings:"))
        for warning in analysis.warnings:
            wrapped(warning, first="  - ")
        lines.append("")
    if analysis.notes:
        lines.append(heading("How it was read:"))
        for note in analysis.notes:
            wrapped(note, first="  - ")
        lines.append("")
    lines.append(heading("Model: ") + f"{analysis.model.name} {analysis.model.version}")
    return "\n".join(lines)


def _scores(scores: dict[str, float]) -> str:
    ranked = sorted(scores.items(), key=lambda item: -item[1])
    return "  ".join(f"{label} {score:.2f}" for label, score in ranked)


# -------------------------------------------------------------------------------------------------- batch


@main.command()
@click.argument("input_path", metavar="INPUT")  # checked below: --engine ray also takes folders, globs, URIs
@click.argument("output_path", metavar="OUTPUT")
@click.option("--text-field", default="text", show_default=True, help="Field (JSON key or column) with the article text.")
@click.option("--title-field", default="title", show_default=True, help="Field with the headline (optional per record).")
@click.option("--id-field", default="id", show_default=True, help="Field with the record id (optional per record).")
@click.option("--target-field", default="targets", show_default=True,
              help="Field with the claim(s) to judge stance toward: a string, a list of strings, or (CSV) a JSON list.")
@model_options
@limit_options
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True,
              help="Articles per model forward pass.")
@click.option("--resume", is_flag=True, help="Continue an interrupted run into OUTPUT (same INPUT and options).")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT and any interrupted run's files.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr. [default: when stderr is a terminal]")
@ray_options
@fatal_errors
def batch(input_path: str, output_path: str, text_field: str, title_field: str, id_field: str, target_field: str,
          languages: str | None, include_text: bool, tasks: tuple[str, ...], summary_sentences: int,
          model_path: str | None, precision: str, backend: str, min_topic_score: float | None, max_chars: int,
          max_input_bytes: int, batch_size: int, resume: bool, overwrite: bool, progress: bool | None,
          **engine: Any) -> None:
    """Analyze every record of INPUT into OUTPUT: one output record per input record, in input order.

    \b
    Formats by extension, in and out (independently): .jsonl (.ndjson), .jsonl.gz, .csv, .csv.gz,
    .parquet. INPUT '-' reads JSON Lines from stdin; OUTPUT '-' writes JSON Lines to stdout.

    \b
    Output records:
      JSON Lines: the output contract of `presslens analyze --json` with "id" (the input's id field,
        or the 0-based record number). A record that cannot be analyzed (no text, wrong type, broken
        JSON line, bad targets, a language not in --languages) is {"id": ..., "error": "what is
        wrong"}; the run goes on. --include-text adds "article" (headline, language, sentences).
      CSV / Parquet: one row per record, columns
        id, error          as above (error empty when the record was analyzed)
        topic, topic_score            the topic label (empty: none of these) and its score
        stance, stance_score, stance_target
                                      the first stance (toward the headline unless targets are given)
        summary                       the summary text
        stances                       all stances, with scores and evidence, as a JSON list
        warnings                      JSON list of problems: what the cleaner removed, replaced or cut
        notes                         JSON list of how the article was read (sentences a stance
                                      pass read, windows, where the summary was picked from)
        model_name, model_version     the model that produced the row
        result                        the full output contract as JSON (lossless; with "article"
                                      when --include-text is given)
      CSV cells that would start with = + - @ (a spreadsheet formula) get a leading ' (the
      `result` column keeps the exact text).

    \b
    Interrupted runs (Ctrl-C, a crash, even SIGKILL) are continued with --resume: records already
    written are kept and skipped, none is lost or written twice. Until the run ends, results go to
    OUTPUT.partial.jsonl (+ OUTPUT.partial.json); OUTPUT itself appears only when complete.

    \b
    Examples:
      presslens batch articles.jsonl results.jsonl
      presslens batch news.csv results.parquet --text-field body --title-field headline
      presslens batch big.jsonl.gz out.csv --tasks topic,summary --batch-size 32
      presslens batch big.jsonl.gz out.csv --tasks topic,summary --batch-size 32 --resume
      presslens batch 's3://bucket/crawl/*.jsonl.gz' s3://bucket/results/ --engine ray --ray-address auto

    \b
    --engine ray (pip install "presslens[ray]"; docs/scale.md): INPUT is a file, a folder or a glob of
    shards, local or any URI pyarrow reads (s3://, gs://, ...); OUTPUT is a folder with one
    part-NNNNN.<--output-format> per input shard (same rows and columns as above) and a manifest;
    records without an id are numbered within their shard; --resume skips finished shards.
    """
    from .batch import BatchSettings, plan_run, run_batch
    from .records import FieldMap, detect_format

    if engine["engine"] == "ray":
        from .scale.command import batch_on_ray

        return batch_on_ray(
            input_path, output_path, fields=FieldMap(text=text_field, title=title_field, id=id_field, targets=target_field),
            tasks=tasks, summary_sentences=summary_sentences, model_path=model_path, precision=precision,
            backend=backend, batch_size=batch_size, resume=resume, overwrite=overwrite, progress=progress,
            languages=_check_languages(languages), include_text=include_text, min_topic_score=min_topic_score,
            **engine,
        )
    _local_only(engine)
    ctx = click.get_current_context()
    for name, value, path_type in (
        ("input_path", input_path, click.Path(exists=True, dir_okay=False, allow_dash=True)),
        ("output_path", output_path, click.Path(dir_okay=False, allow_dash=True)),
    ):
        path_type.convert(value, next(p for p in ctx.command.params if p.name == name), ctx)

    for name, path in (("INPUT", input_path), ("OUTPUT", output_path)):
        try:
            detect_format(path)
        except ValueError as error:
            raise click.BadParameter(str(error), param_hint=name) from error
    if resume and overwrite:
        raise click.UsageError("--resume and --overwrite contradict each other; pass one of them")
    if output_path == "-" and resume:
        raise click.UsageError("--resume needs OUTPUT to be a file, not stdout")
    if input_path == "-" and resume:
        raise click.UsageError("--resume needs INPUT to be a file: records from stdin cannot be checked or skipped")
    settings = BatchSettings(
        input=input_path, output=output_path,
        fields=FieldMap(text=text_field, title=title_field, id=id_field, targets=target_field),
        tasks=tasks, summary_sentences=summary_sentences, batch_size=batch_size, model=model_path,
        precision=precision, backend=backend, languages=_check_languages(languages), include_text=include_text,
        limits=_size_limits(max_chars, max_input_bytes),
        min_topic_score=min_topic_score,
    )
    plan = plan_run(settings, resume=resume, overwrite=overwrite)  # before the model: fail in a second
    if plan.already_complete:
        click.echo(f"{output_path} is already complete (no interrupted run found); nothing to do. "
                   "Pass --overwrite to run again.", err=True)
        return
    analyzer = _load_analyzer(model_path, batch_size=batch_size, precision=precision, backend=backend)
    show_progress = sys.stderr.isatty() if progress is None else progress
    try:
        report = run_batch(plan, analyzer, progress=show_progress)
    except KeyboardInterrupt:
        hint = " Rerun with --resume to continue." if output_path != "-" else ""
        click.echo(f"\ninterrupted: records written so far are kept.{hint}", err=True)
        sys.exit(130)
    click.echo(_batch_summary(report), err=True)


def _local_only(engine: dict[str, Any]) -> None:
    given = [f"--{name.replace('_', '-')}" for name, value in engine.items() if name != "engine" and value is not None]
    if given:
        raise click.UsageError(f"{', '.join(given)} only apply to --engine ray")


def _batch_summary(report: Any) -> str:
    where = "stdout" if report.output == "-" else report.output
    new = report.total - report.skipped
    rate = f", {new / report.seconds:.1f} records/s" if report.seconds > 0 and new else ""
    text = (f"done: {_count(report.total, 'record')} -> {where}: {report.ok} ok, {_count(report.errors, 'error')}, "
            f"{report.skipped} skipped as already done ({_duration(report.seconds)}{rate})")
    if report.error_examples:
        text += "\nerrors (records with an \"error\" field), e.g.:"
        text += "".join(f"\n  id {record_id}: {message}" for record_id, message in report.error_examples)
    return text


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(round(seconds)), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m{seconds:02d}s" if hours else f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


# -------------------------------------------------------------------------------------------- train-topics


@main.command("train-topics")
@click.argument("data", type=click.Path(exists=True, dir_okay=False))
@click.argument("output_dir", type=click.Path(file_okay=False))
@click.option("--text-field", default="text", show_default=True, help="Field (JSON key or column) with the article text.")
@click.option("--title-field", default=None, help="Field with the headline. [default: 'title' when the records have it]")
@click.option("--label-field", default="label", show_default=True, help="Field with the label(s).")
@click.option("--multi-label", is_flag=True,
              help="Several labels per article: a JSON list, or one string split on --label-separator.")
@click.option("--label-separator", default="|", show_default=True, help="(--multi-label) Separates labels in a string.")
@click.option("--base", "base", metavar="MODEL", default=None,
              help="The checkpoint whose frozen encoder (and stance and summary) to keep. [default: the shipped model]")
@click.option("--min-topic-score", type=click.FloatRange(0.0, 1.0), default=None, metavar="P",
              help="Below this best-label score the output is \"none of these\". [default: fitted on validation "
                   "(single-label: keeps 95% of the validation articles the head got right); 0 for --multi-label]")
@click.option("--validation-share", type=click.FloatRange(0.05, 0.5), default=0.2, show_default=True,
              help="Share of each label's articles held out (stratified) to fit the temperature and thresholds.")
@click.option("--seed", type=int, default=0, show_default=True, help="Seeds the validation split.")
@click.option("--name", default=None, help="Model name in the output. [default: the base's name + '-topics']")
@click.option("--batch-size", type=click.IntRange(min=1), default=16, show_default=True, help="Articles per encoder pass.")
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
              help="Precision of the encoder pass; 'auto' = what inference uses on this machine.")
@click.option("--overwrite", is_flag=True, help="Replace OUTPUT_DIR if it holds something.")
@click.option("--progress/--no-progress", default=None,
              help="Show a progress bar on stderr. [default: when stderr is a terminal]")
@fatal_errors
def train_topics(data: str, output_dir: str, text_field: str, title_field: str | None, label_field: str,
                 multi_label: bool, label_separator: str, base: str | None, min_topic_score: float | None,
                 validation_share: float, seed: int, name: str | None, batch_size: int, precision: str,
                 overwrite: bool, progress: bool | None) -> None:
    """Fit your own topic labels on the frozen encoder of a presslens model, into OUTPUT_DIR.

    DATA is .csv, .jsonl(.gz) or .parquet, read as `presslens batch` reads it, with a text, an optional
    headline and a label per record. Stance and summary stay bit for bit the base model's; use the result
    with `presslens analyze/batch/serve --model OUTPUT_DIR`. OUTPUT_DIR/README.md is the model card
    (labels, validation accuracy and macro-F1 against TF-IDF on the same rows, confusion matrix).

    \b
    Checks before any training (each a one-line error): the fields exist (the error lists those found),
    at least 2 labels, at least 2 articles per label, at most 200 labels, one label per article unless
    --multi-label. Records with an empty text or no label are skipped and counted.

    \b
    Examples:
      presslens train-topics demo/examples/own_topics.csv models/ours --label-field section
      presslens train-topics archive.jsonl.gz models/desk --text-field body --title-field headline --label-field desk
      presslens train-topics tags.parquet models/tags --label-field tags --multi-label
    """
    from .topics import train_topics as run

    show_progress = sys.stderr.isatty() if progress is None else progress
    report = run(data, output_dir, text_field=text_field, title_field=title_field, label_field=label_field,
                 multi_label=multi_label, separator=label_separator, base=base, min_topic_score=min_topic_score,
                 validation_share=validation_share, seed=seed, name=name, batch_size=batch_size,
                 precision=precision, overwrite=overwrite, progress=show_progress,
                 log=lambda message: click.echo(message, err=True))
    click.echo(f"wrote {report.output} ({len(report.labels)} labels: {', '.join(report.labels)}); "
               f"use it with: presslens analyze ARTICLE --model {report.output}", err=True)


# -------------------------------------------------------------------------------------------------- serve


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on (0.0.0.0: all).")
@click.option("--port", type=click.IntRange(1, 65535), default=7860, show_default=True, help="TCP port.")
@click.option("--model", "model_path", metavar="PATH", default=None,
              help="A presslens checkpoint directory. [default: the model shipped with presslens]")
@click.option("--precision", type=click.Choice(PRECISIONS), default="auto", show_default=True,
              help="Inference precision (see `presslens analyze --help`).")
@click.option("--max-chars", type=click.IntRange(min=0), default=MAX_CHARS, show_default=True,
              help="Characters of article text per article, after reading (HTML: its main text); 0 = no limit.")
@click.option("--max-input-bytes", type=click.IntRange(min=0), default=MAX_INPUT_BYTES, show_default=True,
              help="Raw input per article (the page's HTML or the text as sent); 0 = no limit.")
@click.option("--backend", type=click.Choice(BACKENDS), default="torch", show_default=True,
              help="What runs the encoder (see `presslens analyze --help`).")
@fatal_errors
def serve(host: str, port: int, model_path: str | None, precision: str, max_chars: int, max_input_bytes: int,
          backend: str) -> None:
    """Serve the web page (try an article, see why) and the JSON API, in one process, until Ctrl-C.

    Needs the demo extra: pip install "presslens[demo]". More knobs (request limits, queue size):
    python -m demo.server --help.

    \b
    Examples:
      presslens serve                      then open http://127.0.0.1:7860
      presslens serve --host 0.0.0.0 --port 8080 --model runs/best
    """
    run_server = _server_entry_point()
    try:
        run_server(host=host, port=port, model_path=model_path, precision=precision, max_chars=max_chars,
                   max_input_bytes=max_input_bytes, backend=backend)
    except ImportError as error:  # the server imports its HTTP stack when it starts
        raise click.ClickException(
            f"the web app needs the demo extra ({error}); install it with: pip install \"presslens[demo]\""
        ) from error


SERVER_ENTRY_POINTS = "presslens.servers"  # pyproject.toml: the web app registers its serve() here


def _server_entry_point() -> Any:
    """The web app's serve(), found at call time through an entry point: classifier never imports demo
    (the dependency goes one way, demo -> classifier), and a missing [demo] extra is a clear message."""
    from importlib.metadata import entry_points

    found = sorted(entry_points(group=SERVER_ENTRY_POINTS), key=lambda point: point.name)
    hint = 'install it with: pip install "presslens[demo]"'
    if not found:
        raise click.ClickException(f"no web app is installed (no {SERVER_ENTRY_POINTS!r} entry point); {hint}")
    try:
        return found[0].load()
    except ImportError as error:
        raise click.ClickException(f"the web app needs the demo extra ({error}); {hint}") from error


if __name__ == "__main__":  # `python -m classifier.cli ...`, as the resume tests run it
    main(prog_name="presslens")
