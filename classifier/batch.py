"""`presslens batch`: a file of articles in, a file of results out; streaming, ordered, resumable.

    settings = BatchSettings(input="in.csv", output="out.parquet")
    plan = plan_run(settings, resume=False, overwrite=False)   # cheap checks, before the model loads
    report = run_batch(plan, Analyzer.from_pretrained(), progress=True)

Records are read lazily, analyzed a chunk at a time (a few model batches, so that length bucketing has
something to sort) and written in input order: memory stays flat however large the input. A record that
cannot be analyzed becomes `{"id": ..., "error": "..."}` and the run goes on.

How a run survives SIGKILL (the resume guarantee)
-------------------------------------------------
Everything is written first to an append-only journal, `OUTPUT.partial.jsonl` (one JSON line per input
record, in input order), beside a small state file, `OUTPUT.partial.json`. After each chunk:

1. the chunk's lines are appended to the journal, flushed and fsynced;
2. the state (records done, journal length in bytes, counts, input fingerprint, options) is written to a
   temporary file, fsynced and moved over the state file with `os.replace` (atomic).

The state file is the commit record: whatever it says is durably in the journal. Killed anywhere, the
journal may hold extra lines, or half a line, after the committed length; `--resume` truncates it to the
committed length and skips exactly `records done` input records, so no record is lost or written twice.
When the input is exhausted the state is marked finished, the journal is converted to OUTPUT's format
(`.jsonl`: renamed as is; `.jsonl.gz`, `.csv`, `.parquet`: streamed into `OUTPUT.partial.tmp`, fsynced,
then renamed onto OUTPUT) and the partial files are removed. OUTPUT therefore only ever appears complete;
a kill during that last step is finished by `--resume` from the journal, without analysing anything again.

`--resume` refuses an input or options that differ from the interrupted run's (size and SHA-256 of the
first and last MiB of the input; fields, tasks, summary length, precision, model), since mixing them would
give a file whose records disagree. The model is checked by its name, version, resolved precision
("auto" -> what this machine runs) and a SHA-256 of its checkpoint files, so a model retrained into the
same folder is refused too. OUTPUT '-' streams JSON Lines to stdout (no journal, no resume).

One run at a time writes an OUTPUT: `plan_run` takes a lock (`OUTPUT.lock`) that the run holds to its end,
and a second run into the same OUTPUT is refused. The run's files are never opened through a symbolic
link and new ones are created exclusively (`classifier/run_state.py`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from tqdm import tqdm

from .errors import BatchError, InputError, PresslensError
from .inputs import CLI_LIMITS, SizeLimits, scrub
from .records import (
    STDIO, FieldMap, article_fields, count_records, detect_format, encode_line,
    read_records, write_table,
)
from .run_state import RunLock, atomic_write, create_new, fsync_dir, open_existing, read_small, refuse_links

STATE_VERSION = 1
JOURNAL_SUFFIX = ".partial.jsonl"
STATE_SUFFIX = ".partial.json"
TEMP_SUFFIX = ".partial.tmp"
LOCK_SUFFIX = ".lock"
LANGUAGE_OPTION = "--languages en"  # `presslens batch` (either engine) names its own option in the warning
_FINGERPRINT_BYTES = 1 << 20
_ERROR_EXAMPLES = 3
log = logging.getLogger("presslens.batch")


@dataclasses.dataclass(frozen=True)
class BatchSettings:
    """What to read, where to write, and how to analyze: everything but the loaded model."""

    input: str
    output: str
    fields: FieldMap = FieldMap()
    tasks: tuple[str, ...] | None = None
    summary_sentences: int = 3
    batch_size: int = 16
    model: str | None = None  # checkpoint directory; None = the default model
    precision: str = "auto"
    backend: str = "torch"  # what runs the encoder (outputs agree within tolerance, not bit for bit)
    languages: frozenset[str] | None = None  # accepted article languages; None = any
    include_text: bool = False  # add "article" (headline, language, sentences) to each result
    limits: SizeLimits = CLI_LIMITS  # raw input per record and article text after reading (0 = no limit)
    min_topic_score: float | None = None  # below it the topic is "none of these"; None = the checkpoint's

    def options(self) -> dict[str, Any]:
        """The options that shape the output; a resumed run must use the same ones."""
        return {
            "fields": dataclasses.asdict(self.fields),
            "tasks": sorted(self.tasks) if self.tasks else None,
            "summary_sentences": self.summary_sentences,
            "model": str(Path(self.model).resolve()) if self.model else None,
            **({"languages": sorted(self.languages)} if self.languages else {}),
            **({"include_text": True} if self.include_text else {}),
            **({"min_topic_score": self.min_topic_score} if self.min_topic_score is not None else {}),
        }


@dataclasses.dataclass
class BatchReport:
    output: str
    ok: int = 0  # totals in OUTPUT, including records done by an earlier, interrupted run
    errors: int = 0
    skipped: int = 0  # records done by an earlier run and not analyzed again
    seconds: float = 0.0
    already_complete: bool = False
    error_examples: list[tuple[str, str]] = dataclasses.field(default_factory=list)

    @property
    def total(self) -> int:
        return self.ok + self.errors


@dataclasses.dataclass
class RunPlan:
    """The outcome of the checks made before the model loads (see `plan_run`)."""

    settings: BatchSettings
    state: dict[str, Any] | None = None  # the interrupted run's state when resuming
    already_complete: bool = False
    lock: RunLock | None = None  # held from the checks to the end of the run

    def release(self) -> None:
        if self.lock is not None:
            self.lock.release()
            self.lock = None

    @property
    def journal(self) -> Path:
        return Path(self.settings.output + JOURNAL_SUFFIX)

    @property
    def state_file(self) -> Path:
        return Path(self.settings.output + STATE_SUFFIX)

    @property
    def temp_output(self) -> Path:
        return Path(self.settings.output + TEMP_SUFFIX)


def partial_files(output: str) -> list[Path]:
    return [Path(output + suffix) for suffix in (JOURNAL_SUFFIX, STATE_SUFFIX, TEMP_SUFFIX, STATE_SUFFIX + ".tmp")]


def plan_run(settings: BatchSettings, *, resume: bool, overwrite: bool) -> RunPlan:
    """Check the input, the output and any interrupted run; raise `BatchError` saying what to do.

    The plan holds the lock on OUTPUT until `run_batch` ends (or `plan.release()`)."""
    for path in (settings.input, settings.output):
        detect_format(path)  # ValueError naming the known extensions
    plan = RunPlan(settings)
    if settings.output == STDIO:
        return plan
    output = Path(settings.output)
    if settings.input != STDIO and output.resolve() == Path(settings.input).resolve():
        raise BatchError("OUTPUT is the INPUT file; choose another OUTPUT path")
    if not output.parent.is_dir():
        raise BatchError(f"the folder of OUTPUT does not exist: {output.parent}; create it first")
    plan.lock = RunLock.acquire(Path(settings.output + LOCK_SUFFIX), settings.output)
    try:
        _check_output(plan, resume=resume, overwrite=overwrite)
    except BaseException:
        plan.release()
        raise
    if plan.already_complete:
        plan.release()  # nothing will be written
    return plan


def _check_output(plan: RunPlan, *, resume: bool, overwrite: bool) -> None:
    settings, output = plan.settings, Path(plan.settings.output)
    leftovers = [path for path in partial_files(settings.output) if os.path.lexists(path)]
    if overwrite:
        for path in [output, *leftovers]:
            path.unlink(missing_ok=True)  # a link is removed itself, never its target
        return
    if resume:
        refuse_links(leftovers)
    state = _load_state(plan.state_file) if plan.state_file.exists() else None
    if not resume:
        if output.exists():
            raise BatchError(
                f"{output} already exists; pass --resume to finish an interrupted run into it, "
                "--overwrite to replace it, or delete it"
            )
        if leftovers:
            what_to_do = (
                "pass --overwrite to start again (a run that read stdin cannot be resumed)"
                if settings.input == STDIO else "pass --resume to continue it, or --overwrite to start again"
            )
            raise BatchError(
                f"an interrupted run into {output} was found ({', '.join(p.name for p in leftovers)}); {what_to_do}"
            )
        return
    if settings.input == STDIO:
        raise BatchError("--resume needs INPUT to be a file: records read from stdin cannot be checked or skipped")
    if state is None:
        if output.exists():
            plan.already_complete = True  # nothing interrupted: a finished earlier run
        return  # a journal without state holds no committed record: start afresh
    _check_same_run(state, settings)
    if output.exists() and not state["finished"]:
        raise BatchError(
            f"{output} exists next to an unfinished run's files; delete {output} or the "
            f"{output.name}.partial* files, or pass --overwrite to start again"
        )
    plan.state = state


def run_batch(plan: RunPlan, analyzer: Any, *, progress: bool = False, commit_every: int | None = None) -> BatchReport:
    """Analyze every record of the input into the output; returns the counts. Fatal problems raise.
    The plan's lock on OUTPUT is released at the end, whatever happens."""
    try:
        return _run(plan, analyzer, progress=progress, commit_every=commit_every)
    finally:
        plan.release()


def _run(plan: RunPlan, analyzer: Any, *, progress: bool, commit_every: int | None) -> BatchReport:
    settings, started = plan.settings, time.monotonic()
    report = BatchReport(output=settings.output, already_complete=plan.already_complete)
    if plan.already_complete:
        return report
    state = plan.state or _new_state(settings)
    identity = _model_identity(analyzer, settings)
    if plan.state is not None:
        _check_same_model(state, identity)
    state["model"] = identity
    report.ok, report.errors, report.skipped = state["ok"], state["errors"], state["records_done"]
    if state["finished"]:
        _finish(plan)
        report.seconds = time.monotonic() - started
        return report

    # Read the first record before any run state exists: a missing column or an unreadable header is a
    # fatal error that must leave nothing behind, so that the corrected rerun is accepted as a new run.
    records = read_records(settings.input, settings.fields, skip=state["records_done"],
                           max_input_bytes=settings.limits.max_input_bytes)
    first = list(itertools.islice(records, 1))
    records = itertools.chain(first, records)
    sink = _StdoutSink() if settings.output == STDIO else _Journal(plan, state)
    chunk_size = commit_every or max(settings.batch_size * 4, 1)
    bar = _progress_bar(settings.input, state["records_done"], enabled=progress,
                        max_input_bytes=settings.limits.max_input_bytes)
    try:
        numbered = zip(itertools.count(state["records_done"]), records)
        while chunk := list(itertools.islice(numbered, chunk_size)):
            outputs = _analyze_chunk(chunk, settings, analyzer, done=bar.update)
            for record in outputs:
                if "error" in record:
                    report.errors += 1
                    if len(report.error_examples) < _ERROR_EXAMPLES:
                        report.error_examples.append((record["id"], record["error"]))
                else:
                    report.ok += 1
            sink.commit(outputs, ok=report.ok, errors=report.errors)
        sink.close(finished=True)
    except BaseException as error:
        sink.close(finished=False)
        if isinstance(error, PresslensError) and plan.state is None and state["records_done"] == 0:
            for path in partial_files(settings.output):  # a fatal error before any commit: no run to resume
                path.unlink(missing_ok=True)
        raise
    finally:
        bar.close()
    if settings.output != STDIO:
        _finish(plan)
    report.seconds = time.monotonic() - started
    return report


# ------------------------------------------------------------------------------------------ one chunk


def _analyze_chunk(chunk: list[tuple[int, Any]], settings: BatchSettings, analyzer: Any, *,
                   done: Callable[[int], Any] | None = None) -> list[dict[str, Any]]:
    """Output records for one chunk of (number, RawRecord), in input order. `done(n)` is called as records
    are finished (an error record at once, analyzed ones model batch by model batch): the progress bar."""
    done = done or (lambda count: None)
    outputs: list[dict[str, Any] | None] = [None] * len(chunk)
    prepared: list[tuple[int, str, Any]] = []  # (position, id, PreparedArticle)
    for position, (number, record) in enumerate(chunk):
        article = article_fields(record, settings.fields, number, settings.limits)  # the gate, batch's field names
        if isinstance(article, tuple):
            outputs[position] = {"id": article[0], "error": article[1]}
            done(1)
            continue
        try:
            prepared.append((position, article.id, analyzer.prepare(article, languages=settings.languages,
                                                                    language_option=LANGUAGE_OPTION,
                                                                    limits=settings.limits)))
        except InputError as error:
            outputs[position] = {"id": article.id, "error": str(error)}
            done(1)
        except Exception as error:  # a bug in cleaning: this record only, with the traceback in the log
            log.exception("preparing record %s failed", article.id)
            outputs[position] = {"id": article.id, "error": _failure(error)}
            done(1)
    if prepared:
        positions, ids, articles = zip(*prepared)
        for position, output in zip(positions, _analyze_prepared(articles, ids, settings, analyzer, done)):
            outputs[position] = output
    return outputs  # type: ignore[return-value]


def _analyze_prepared(articles: tuple, ids: tuple[str, ...], settings: BatchSettings, analyzer: Any,
                      done: Callable[[int], Any]) -> list[dict[str, Any]]:
    results: list[dict[str, Any]] = []
    try:
        for record_id, analysis in zip(ids, _analyze_many(analyzer, articles, settings)):
            results.append(_result(record_id, analysis, settings))
            done(1)
        return results
    except PresslensError as error:
        log.info("a chunk of %d records failed (%s); analysing them one by one", len(articles), error)
    except Exception:
        log.warning("a chunk of %d records failed; analysing them one by one", len(articles), exc_info=True)
    # Something in the chunk failed: analyze one by one so that only the culprit gets an error record. An
    # unexpected exception from every article is not about the records: stop the run rather than fill OUTPUT.
    counted, results, unexpected = len(results), [], None  # the first `counted` were shown as done already
    for number, (record_id, article) in enumerate(zip(ids, articles)):
        try:
            results.append(_result(record_id, next(_analyze_many(analyzer, [article], settings)), settings))
        except PresslensError as error:
            results.append({"id": record_id, "error": str(error)})
        except Exception as error:
            log.error("analysing record %s failed", record_id, exc_info=True)
            unexpected = unexpected or error
            results.append({"id": record_id, "error": _failure(error)})
        if number >= counted:
            done(1)
    if unexpected is not None and len(results) > 1 and all("error" in result for result in results):
        raise unexpected
    return results


def _failure(error: BaseException) -> str:
    return f"analysis failed: {type(error).__name__}: {scrub(str(error))[:500]}"


def _analyze_many(analyzer: Any, articles: Any, settings: BatchSettings) -> Iterator[Any]:
    # min_topic_score only when asked for: the web page's queued analyzer (demo/batching.py) has no such option
    extra = {"min_topic_score": settings.min_topic_score} if settings.min_topic_score is not None else {}
    return analyzer.analyze_many(
        list(articles), tasks=settings.tasks, summary_sentences=settings.summary_sentences,
        batch_size=settings.batch_size, **extra,
    )


def _result(record_id: str, analysis: Any, settings: BatchSettings) -> dict[str, Any]:
    data = analysis.to_dict(include_text=settings.include_text)
    data.pop("id", None)
    return {"id": record_id, **data}  # id first, and always present in batch output


# -------------------------------------------------------------------------------------- writing, commits


class _Journal:
    """The append-only journal plus its atomically replaced state file (see the module docstring)."""

    def __init__(self, plan: RunPlan, state: dict[str, Any]) -> None:
        self.plan, self.state = plan, state
        if plan.state is None:  # a fresh run: state first, so that a journal never exists uncommitted
            self._write_state()
            self.stream = create_new(plan.journal)
            return
        committed = state["journal_bytes"]
        exists = os.path.lexists(plan.journal)
        self.stream = open_existing(plan.journal, "r+b") if exists else create_new(plan.journal)
        size = os.fstat(self.stream.fileno()).st_size
        if size < committed:
            self.stream.close()
            raise BatchError(
                f"{plan.journal} is shorter ({size} bytes) than its committed length ({committed}); it was "
                "changed outside presslens. Pass --overwrite to start again"
            )
        self.stream.truncate(committed)  # drop lines written after the last commit (maybe half a line)
        self.stream.seek(committed)

    def commit(self, records: list[dict[str, Any]], *, ok: int, errors: int) -> None:
        self.stream.write(b"".join(encode_line(record) for record in records))
        self.stream.flush()
        os.fsync(self.stream.fileno())
        self.state.update(
            records_done=self.state["records_done"] + len(records), journal_bytes=self.stream.tell(),
            ok=ok, errors=errors,
        )
        self._write_state()

    def close(self, *, finished: bool) -> None:
        self.stream.close()
        if finished:
            self.state["finished"] = True
            self._write_state()

    def _write_state(self) -> None:
        atomic_write(self.plan.state_file, json.dumps(self.state, indent=1).encode())


class _StdoutSink:
    def commit(self, records: list[dict[str, Any]], **_: int) -> None:
        sys.stdout.buffer.write(b"".join(encode_line(record) for record in records))
        sys.stdout.buffer.flush()

    def close(self, *, finished: bool) -> None:
        pass


def _finish(plan: RunPlan) -> None:
    """Turn the finished journal into OUTPUT (atomically) and remove the partial files."""
    output, fmt = Path(plan.settings.output), detect_format(plan.settings.output)
    if not output.exists():
        refuse_links([plan.journal])  # renamed onto OUTPUT, a link would make OUTPUT that link
        if fmt == "jsonl":
            os.replace(plan.journal, output)  # the journal is already the output, byte for byte
        else:
            with open_existing(plan.journal) as journal, create_new(plan.temp_output) as target:
                if fmt == "jsonl.gz":
                    _gzip_lines(journal, target)
                else:
                    write_table((json.loads(line) for line in journal), target, fmt)
                target.flush()
                os.fsync(target.fileno())
            os.replace(plan.temp_output, output)
        fsync_dir(output.parent)
    for path in partial_files(plan.settings.output):
        path.unlink(missing_ok=True)


def _gzip_lines(journal: Any, target: Any) -> None:
    import gzip
    import shutil

    with gzip.GzipFile(fileobj=target, mode="wb") as compressed:  # closing it leaves `target` open
        shutil.copyfileobj(journal, compressed, 1 << 20)


# ---------------------------------------------------------------------------------------- resume checks


def _new_state(settings: BatchSettings) -> dict[str, Any]:
    return {
        "presslens_batch_state": STATE_VERSION, "input": _fingerprint(settings.input),
        "options": settings.options(), "model": None, "records_done": 0, "journal_bytes": 0,
        "ok": 0, "errors": 0, "finished": False,
    }


_STATE_FIELDS = {  # what a run state must hold, and of which JSON type
    "input": (dict, type(None)), "options": (dict,), "model": (dict, type(None)), "records_done": (int,),
    "journal_bytes": (int,), "ok": (int,), "errors": (int,), "finished": (bool,),
}


def _load_state(path: Path) -> dict[str, Any]:
    try:
        state = json.loads(read_small(path))
    except (OSError, ValueError) as error:
        raise BatchError(f"cannot read the run state {path}: {error}; pass --overwrite to start again") from error
    if not isinstance(state, dict) or state.get("presslens_batch_state") != STATE_VERSION:
        raise BatchError(f"{path} is not a run state this presslens understands; pass --overwrite to start again")
    wrong = [name for name, kinds in _STATE_FIELDS.items() if name not in state or not isinstance(state[name], kinds)
             or kinds == (int,) and (isinstance(state[name], bool) or state[name] < 0)]
    if wrong:
        raise BatchError(f"the run state {path} has missing or wrong fields ({', '.join(wrong)}); it was changed "
                         "outside presslens. Pass --overwrite to start again")
    return state


def _fingerprint(path: str) -> dict[str, Any] | None:
    if path == STDIO:
        return None
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as stream:
            head = hashlib.sha256(stream.read(_FINGERPRINT_BYTES)).hexdigest()
            stream.seek(max(size - _FINGERPRINT_BYTES, 0))
            tail = hashlib.sha256(stream.read(_FINGERPRINT_BYTES)).hexdigest()
    except OSError as error:
        raise BatchError(f"cannot read {path}: {error}") from error
    return {"path": str(Path(path).resolve()), "size": size, "head_sha256": head, "tail_sha256": tail}


def _check_same_run(state: dict[str, Any], settings: BatchSettings) -> None:
    before, now = state["input"] or {}, _fingerprint(settings.input) or {}
    if any(before.get(key) != now.get(key) for key in ("size", "head_sha256", "tail_sha256")):
        raise BatchError(
            f"INPUT {settings.input} is not the file the interrupted run read ({before.get('path')}, "
            f"{before.get('size')} bytes); resume with that file, or pass --overwrite to start again"
        )
    changed = [
        f"{key}: was {state['options'].get(key)!r}, now {value!r}"
        for key, value in settings.options().items()
        if key in state["options"] and state["options"][key] != value
    ]
    if changed:
        raise BatchError(
            "--resume needs the options of the interrupted run (" + "; ".join(changed)
            + "); rerun with those, or pass --overwrite to start again"
        )


def _model_identity(analyzer: Any, settings: BatchSettings) -> dict[str, Any]:
    """The model as the output depends on it: name, version, the precision actually used ('auto' resolved)
    and a fingerprint of the checkpoint's files (a model retrained into the same folder differs)."""
    info = analyzer.model_info
    inner = getattr(analyzer, "analyzer", analyzer)  # the page's QueuedAnalyzer wraps the Analyzer
    identity: dict[str, Any] = {"name": info.name, "version": info.version,
                                "precision": getattr(inner, "precision", None)}
    if getattr(inner, "backend", "torch") != "torch":  # absent for torch: earlier runs' files still resume
        identity["backend"] = inner.backend
    folder = Path(settings.model) if settings.model else _default_model_dir()
    if settings.output != STDIO and folder is not None and folder.is_dir():
        identity["fingerprint"] = model_fingerprint(folder)
    return identity


def _default_model_dir() -> Path | None:
    from .analyzer import DEFAULT_MODEL_DIR

    return DEFAULT_MODEL_DIR


def model_fingerprint(folder: Path) -> str:
    """SHA-256 over the checkpoint's config, weights and tokenizer files (names and bytes; the model card
    and other notes do not count). About 0.1 s for the shipped 45 MB model, once per run."""
    digest = hashlib.sha256()
    for path in sorted(folder.iterdir()):
        if not path.is_file() or path.suffix.lower() in (".md", ".txt") and path.name != "vocab.txt":
            continue
        digest.update(path.name.encode() + b"\0")
        with open(path, "rb") as stream:
            while block := stream.read(1 << 20):
                digest.update(block)
    return digest.hexdigest()


def _check_same_model(state: dict[str, Any], identity: dict[str, Any]) -> None:
    before = state.get("model") or {}
    # Compare what both runs recorded (a state written by an older presslens has no fingerprint).
    changed = [f"{key}: was {before[key]!r}, now {identity[key]!r}"
               for key in identity if key in before and before[key] != identity[key]]
    if changed:
        raise BatchError(
            "the interrupted run used another model (" + "; ".join(changed) + "); resume with the same "
            "model and precision, or pass --overwrite to start again"
        )


# ---------------------------------------------------------------------------------------------- progress


REFRESH_SECONDS = 1.0  # the bar is redrawn at least this often, even while one model batch runs


class _ProgressBar(tqdm):
    """tqdm, updated record by record as model batches finish (at most every `mininterval`), and redrawn
    every REFRESH_SECONDS by a thread meanwhile, so that the elapsed time and rate never stand still."""

    def start_ticking(self) -> None:
        self._stop_ticking = threading.Event()
        threading.Thread(target=self._tick, daemon=True, name="presslens-progress").start()

    def _tick(self) -> None:
        while not self._stop_ticking.wait(REFRESH_SECONDS):
            self.refresh()

    def close(self) -> None:
        stop = getattr(self, "_stop_ticking", None)
        if stop is not None:
            stop.set()
        super().close()


def _progress_bar(path: str, done: int, *, enabled: bool, max_input_bytes: int) -> tqdm:
    bar = _ProgressBar(
        initial=done, unit=" records", file=sys.stderr, disable=not enabled, dynamic_ncols=True,
        smoothing=0.1, desc="analyzing", mininterval=0.25, miniters=1,
    )
    if enabled:
        bar.start_ticking()
    if enabled and path != STDIO:
        # Counting a big JSONL/CSV file takes a moment: do it aside, the bar gets its total (and ETA) later.
        threading.Thread(target=_set_total, args=(bar, path, max_input_bytes), daemon=True).start()
    return bar


def _set_total(bar: tqdm, path: str, max_input_bytes: int) -> None:
    try:
        total = count_records(path, max_input_bytes=max_input_bytes)
    except Exception:  # only the ETA is lost
        log.debug("cannot count the records of %s for the progress bar", path, exc_info=True)
        return
    bar.total = total
    bar.refresh()
