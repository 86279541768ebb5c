"""The web page: a Gradio Blocks app over the analyzer, one plain function per event.

    blocks = build_ui(QueuedAnalyzer(batcher), work_dir=Path("/tmp/presslens-batches"))

The event functions (`analyze_article`, `load_article_file`, `run_batch_file`) take and return plain values,
so the tests call them directly; `build_ui` only lays out components and wires events to them. How one
analysis is shown is `demo.render`.
"""

from __future__ import annotations

import dataclasses
import html
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

import gradio as gr

from classifier.inputs import TASKS
from classifier.errors import BatchError, InputError, PresslensError

from .batching import BatcherClosedError, QueueFullError
from .render import ArticleView, markdown_escape, paragraph_starts, render_analysis
from .schemas import Limits

log = logging.getLogger("presslens.demo.ui")

EXAMPLES_DIR = Path(__file__).parent / "examples"
# A page batch holds a shared server for everyone: bounded, with the command line for bigger files.
PAGE_BATCH_RECORDS = 1000
PAGE_BATCH_SLOTS = 3  # page batches at once (each from another tab); their articles interleave in one queue
ARTICLE_FILE_TYPES = [".txt", ".html", ".htm"]
BATCH_FILE_TYPES = [".jsonl", ".ndjson", ".csv", ".gz", ".parquet"]


# ---------------------------------------------------------------------------------------------- examples
@dataclasses.dataclass(frozen=True)
class Example:
    title: str
    text: str


def load_examples(folder: Path = EXAMPLES_DIR) -> list[Example]:
    """The example articles: first line the headline, the rest the body."""
    examples = []
    for path in sorted(folder.glob("*.txt")):
        headline, _, body = path.read_text(encoding="utf-8").strip().partition("\n")
        examples.append(Example(headline.strip(), body.strip()))
    return examples


# ---------------------------------------------------------------------------------------- one article
def analyze_article(
    analyzer: Any,
    title: str | None,
    text: str | None,
    claims: str | None,
    tasks: list[str] | None,
    summary_sentences: float | int,
    limits: Limits = Limits(),
) -> ArticleView:
    """The Analyze button. `analyzer` is an Analyzer or a QueuedAnalyzer; problems become gr.Error.

    The checks are the input gate's (classifier.inputs), as in the API and the CLI; only the messages for
    an empty page are the page's own."""
    from classifier.inputs import ArticleInput, as_input, check_limits

    text = text or ""
    if not text.strip():
        raise _error("Paste an article (or upload a .txt/.html file, or pick an example) first.")
    if not tasks:
        raise _error("Choose at least one task (topic, stance or summary).")
    targets = tuple(line for line in (claims or "").splitlines() if line.strip())
    try:
        article = as_input(ArticleInput(text, title=(title or "").strip() or None, targets=targets),
                           limits=limits.sizes)
        check_limits(article, max_targets=limits.max_targets, limits=limits.sizes)
    except InputError as error:
        raise _error(f"This article cannot be analyzed: {error} (this server takes at most "
                     f"{_limit(limits.max_input_bytes, 'characters as pasted')}, "
                     f"{_limit(limits.max_chars, 'characters of article text')} and at most "
                     f"{limits.max_targets} claims per article).") from None
    started = time.perf_counter()
    try:
        # prepare first: its InputError speaks of this article alone (analyze's names a batch position)
        prepared = analyzer.prepare(article, language_option=None, limits=limits.sizes)  # the page has no such option to name
        budget = {"max_windows": limits.max_windows} if hasattr(analyzer, "batcher") else {}  # the server's page
        analysis = analyzer.analyze(prepared, tasks=list(tasks), summary_sentences=int(summary_sentences), **budget)
    except PresslensError as error:
        raise _error(f"This article cannot be analyzed: {error}") from None
    except QueueFullError as error:
        raise _error(f"The server is busy; try again in {error.retry_after} s.") from None
    except BatcherClosedError:
        raise _error("The server is shutting down; try again in a moment.") from None
    except Exception as error:  # a bug: the log gets the stack trace, the page a readable sentence
        log.exception("analysis failed")
        raise _error(f"Something went wrong on the server ({type(error).__name__}); the details are in "
                     "the server log.") from None
    seconds = time.perf_counter() - started
    return render_analysis(analysis, seconds, paragraph_starts(_paragraphs(article), analysis.sentences))


def _paragraphs(article: Any) -> list[str]:
    """The article's paragraphs as reading sees them (decoded, HTML extracted, cleaned), for the article
    view's breaks; [] when that fails (the view then shows one block, nothing else changes)."""
    from classifier.reading.clean import clean_text
    from classifier.reading.decode import decode
    from classifier.reading.extract import Page, extract_page, looks_like_html

    try:
        notes: list[str] = []
        text = decode(article.text, notes)
        is_html = looks_like_html(text)
        page = extract_page(text, notes) if is_html else Page(text=text)
        return list(clean_text(page.text, article.title or page.title, notes, from_html=is_html).paragraphs)
    except Exception:
        return []


def _limit(value: int, what: str) -> str:
    return f"{value:,} {what}" if value else f"any number of {what}"


def load_article_file(path: str | None, limits: Limits = Limits()) -> tuple[str, str]:
    """An uploaded .txt/.html file -> (title box, text box). The text goes in whole: cleaning finds the
    headline and strips HTML exactly as `presslens analyze FILE` does. At most the raw-input limit plus one
    byte is read; an image or a PDF is named as such, whatever its size."""
    from classifier.inputs import check_input_size
    from classifier.reading.decode import decode_bytes

    if not path:
        return gr.update(), gr.update()  # the upload was cleared: leave the boxes as they are
    with open(path, "rb") as stream:
        data = stream.read(limits.max_input_bytes + 1 if limits.max_input_bytes else -1)
    try:
        check_input_size(data, limits.sizes, "the file")
    except InputError as error:
        raise _error(f"This file cannot be analyzed: {error}") from None
    notes: list[str] = []
    text = decode_bytes(data, notes)
    for note in notes:
        gr.Warning(note)
    return "", text


# ----------------------------------------------------------------------------------------------- batch
class PageBatchStopped(BaseException):
    """Raised inside a page batch to end it at once: its user left, or the server is stopping.

    A BaseException on purpose: the batch runner catches Exception around each chunk and record (to
    isolate a bad record), and this is not about a record: it must end the run, not fill it with errors."""


class _StoppableAnalyzer:
    """The page's analyzer for one batch: checks `cancel` before each chunk, counts what it analyzed."""

    def __init__(self, analyzer: Any, cancel: Any) -> None:
        self.analyzer, self.cancel, self.done = analyzer, cancel, 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.analyzer, name)

    def _check(self) -> None:
        if self.cancel is not None and self.cancel.is_set():
            raise PageBatchStopped("the user left")

    def prepare(self, article: Any, **options: Any) -> Any:
        self._check()
        return self.analyzer.prepare(article, **options)

    def analyze_many(self, articles: Any, **options: Any) -> Any:
        self._check()
        try:
            for outcome in self.analyzer.analyze_many(articles, **options):
                self.done += 1
                yield outcome
                self._check()
        except BatcherClosedError:
            raise PageBatchStopped("the server is stopping") from None


def _count_records(path: str, limit: int, fields: Any) -> int | None:
    """Records in the file, counted up to limit + 1 (None when the file cannot be read: the run says why)."""
    import itertools

    from classifier.records import read_records

    try:
        return sum(1 for _ in itertools.islice(read_records(path, fields), limit + 1))
    except Exception:
        return None


def run_batch_file(
    analyzer: Any,
    work_dir: Path,
    path: str | None,
    tasks: list[str] | None,
    summary_sentences: float | int,
    progress: Any = gr.Progress(track_tqdm=True),
    *,
    max_records: int = PAGE_BATCH_RECORDS,
    cancel: Any = None,
    fields: Any = None,
) -> tuple[str, str, list[list[Any]]]:
    """The Run batch button: the uploaded file through `classifier.batch.run_batch`, results file back.

    Returns (path of the results file, in the input's format; a markdown report listing every error;
    the first PREVIEW_ROWS results as table rows). `fields`: a FieldMap (which columns hold what). A file
    of more than `max_records` records is refused (the command line takes any size); `cancel` (a threading.Event, set
    when the user leaves the page) stops the run before its next chunk.
    """
    from classifier.batch import BatchSettings, plan_run, run_batch
    from classifier.records import FieldMap, detect_format

    fields = fields or FieldMap()

    if not path:
        raise _error("Upload a .jsonl or .csv file of articles first.")
    if not tasks:
        raise _error("Choose at least one task (topic, stance or summary).")
    name = Path(path).name
    try:
        fmt = detect_format(path)
    except ValueError as error:
        raise _error(_public(f"{error}.", path, work_dir)) from None
    stem = name[: -len(fmt) - 1] if name.lower().endswith("." + fmt) else Path(path).stem
    run_dir = Path(tempfile.mkdtemp(prefix="batch-", dir=work_dir))
    output = run_dir / f"{stem}.presslens.{fmt}"
    sizes = getattr(analyzer, "limits", None)  # the server's size limits (a QueuedAnalyzer carries them)
    settings = BatchSettings(input=path, output=str(output), tasks=tuple(tasks), fields=fields,
                             summary_sentences=int(summary_sentences),
                             **({"limits": sizes} if sizes is not None else {}))
    progress(0, desc="reading the file")
    count = _count_records(path, max_records, fields)
    if count is not None and count > max_records:
        raise _error(f"{name} has more than {max_records:,} records; the page runs at most {max_records:,} "
                     f"records per batch. For bigger files use the command line: presslens batch {name} "
                     f"{stem}.presslens.{fmt}")
    stoppable = _StoppableAnalyzer(analyzer, cancel)
    try:
        report = run_batch(plan_run(settings, resume=False, overwrite=False), stoppable, progress=True)
    except PageBatchStopped as stop:
        log.info("page batch stopped after %d of %s records: %s", stoppable.done,
                 f"{count:,}" if count is not None else "?", stop)
        raise _error(f"The batch was stopped ({stop}) after {stoppable.done} records.") from None
    except (BatchError, InputError, ValueError) as error:
        raise _error(_public(f"The batch cannot run: {error}", path, work_dir)) from None
    except PresslensError as error:
        raise _error(_public(f"The batch stopped: {error}", path, work_dir)) from None
    except Exception as error:
        log.exception("batch run failed")
        raise _error(f"Something went wrong on the server ({type(error).__name__}); the details are in "
                     "the server log.") from None
    try:
        errors, preview = _read_results(output, fmt)
    except Exception:  # the results file is there for download anyway: fall back to the run's examples
        log.warning("could not read back %s for the error list and preview", output.name, exc_info=True)
        errors, preview = list(report.error_examples), []
    lines = [f"**{report.total} records** in {report.seconds:.1f} s: {report.ok} analyzed, "
             f"{report.errors} with errors."]
    for record_id, message in errors[:MAX_LISTED_ERRORS]:
        # Ids and messages come from the uploaded file: shown as text, never as markup or a code span.
        lines.append(f"- record {_markdown_text(record_id)}: {_markdown_text(_public(message, path, work_dir))}")
    if len(errors) > MAX_LISTED_ERRORS:
        lines.append(f"- ... and {len(errors) - MAX_LISTED_ERRORS} more: every record with an error has an "
                     "`error` field in the results file")
    return str(output), "\n".join(lines), preview


MAX_LISTED_ERRORS = 200
PREVIEW_ROWS = 20
PREVIEW_HEADERS = ["id", "topic", "stance", "summary or error"]


def _read_results(output: Path, fmt: str) -> tuple[list[tuple[str, str]], list[list[Any]]]:
    """(every (id, error) in the results file, the first PREVIEW_ROWS rows for the preview table)."""
    errors: list[tuple[str, str]] = []
    preview: list[list[Any]] = []
    for record in _result_records(output, fmt):
        record_id = str(record.get("id") or "")
        if record.get("error"):
            errors.append((record_id, str(record["error"])))
        if len(preview) < PREVIEW_ROWS:
            topic, stance, summary = record.get("topic"), record.get("stance"), record.get("summary")
            if isinstance(topic, dict):  # JSON Lines: the output contract; tables: flat columns
                topic = topic.get("label")
            if stance is None and isinstance(record.get("stances"), list) and record["stances"]:
                stance = record["stances"][0].get("label")
            if isinstance(summary, dict):
                summary = summary.get("text")
            preview.append([record_id, topic or "", stance or "", str(record.get("error") or summary or "")[:200]])
    return errors, preview


def _result_records(output: Path, fmt: str) -> Any:
    import csv
    import gzip
    import json

    opener = gzip.open if fmt.endswith(".gz") else open
    if fmt.startswith("jsonl") or fmt.startswith("ndjson"):
        with opener(output, "rt", encoding="utf-8") as stream:
            for line in stream:
                if line.strip():
                    yield json.loads(line)
    elif fmt.startswith("csv"):
        with opener(output, "rt", encoding="utf-8", newline="") as stream:
            csv.field_size_limit(1 << 30)
            yield from csv.DictReader(stream)
    elif fmt == "parquet":
        import pyarrow.parquet as pq

        yield from pq.read_table(output).to_pylist()


def _error(message: str) -> gr.Error:
    """A page error whose text is shown as text: Gradio renders an error's message as HTML, and messages
    can quote the user's file (CSV column names, record ids)."""
    return gr.Error(html.escape(message, quote=False), print_exception=False)


def _public(message: str, path: str, work_dir: Path) -> str:
    """A message without the server's file system paths: the upload's temporary path becomes its name."""
    message = message.replace(str(path), Path(path).name).replace(str(Path(path).resolve()), Path(path).name)
    return message.replace(str(work_dir) + "/", "").replace(str(work_dir), "")


def _markdown_text(text: str) -> str:
    return markdown_escape(html.escape(str(text), quote=False))


# ------------------------------------------------------------------------------------------------ page
# Runs in the browser before an event is sent (Gradio's `js`): closes the toasts of earlier runs.
CLOSE_TOASTS = "(...args) => { document.querySelectorAll('.toast-close').forEach((b) => b.click()); return args; }"

def build_ui(analyzer: Any, *, work_dir: Path, limits: Limits = Limits(),
             page_batch_records: int = PAGE_BATCH_RECORDS) -> gr.Blocks:
    """The page. `analyzer`: a QueuedAnalyzer in the server (an Analyzer works too)."""
    import threading

    running: dict[str, threading.Event] = {}  # session -> its batch's cancel flag (set when the tab closes)
    info = analyzer.model_info
    examples = load_examples()
    with gr.Blocks(title="presslens", analytics_enabled=False, delete_cache=(1800, 3600)) as blocks:
        gr.Markdown(
            "# presslens\nThe **topic** of a news article, its **stance** toward a claim (by default its own "
            "headline: does the body back it up?) and a **summary** made of its own most important sentences. "
            f"Model: `{info.name}` {info.version}. API: [`/docs`](/docs)."
        )
        with gr.Tab("Analyze an article", id="analyze"):
            with gr.Row():
                with gr.Column(scale=1):
                    title = gr.Textbox(label="Headline (optional)", elem_id="title",
                                       placeholder="Leave empty: the page's headline (HTML) or a short first line")
                    text = gr.Textbox(label="Article text (plain text or HTML)", lines=14, max_lines=30,
                                      elem_id="article-text", placeholder="Paste a news article here...")
                    upload = gr.File(label="...or upload a .txt / .html file", file_types=ARTICLE_FILE_TYPES,
                                     type="filepath", elem_id="article-file", height=130)
                    claims = gr.Textbox(label="Claims to check, one per line (empty = the headline)", lines=3,
                                        elem_id="claims")
                    with gr.Row():
                        tasks = gr.CheckboxGroup(list(TASKS), value=list(TASKS), label="Tasks", elem_id="tasks")
                        summary_sentences = gr.Slider(1, min(10, limits.max_summary_sentences), value=3, step=1,
                                                      label="Summary sentences", elem_id="summary-sentences")
                    analyze_button = gr.Button("Analyze", variant="primary", elem_id="analyze")
                    gr.Examples(
                        examples=[[e.title, e.text] for e in examples],
                        inputs=[title, text],
                        example_labels=[e.title for e in examples],
                        label="Example articles (written for presslens)",
                    )
                with gr.Column(scale=1):
                    status = gr.Markdown(elem_id="status")
                    topic = gr.Label(label="Topic", num_top_classes=len(analyzer.labels["topic"]), elem_id="topic")
                    stances = gr.HTML(label="Stance", elem_id="stances")
                    summary = gr.Textbox(label="Summary", lines=4, interactive=False, elem_id="summary",
                                         buttons=["copy"])
                    warnings = gr.HTML(elem_id="warnings")
            gr.Markdown("### The article, with the summary and the evidence sentences marked")
            highlighted = gr.HTML(elem_id="highlighted")
            with gr.Accordion("JSON output (the same as the API and `presslens analyze --json`)", open=False):
                contract = gr.JSON(elem_id="contract")

        with gr.Tab("Batch", id="batch"):
            gr.Markdown(
                "Upload a **JSON Lines** or **CSV** file (or Parquet) with a `text` field per article and, "
                "optionally, `title`, `id` and `targets` (claims: a string or a JSON list). The results "
                "file has the same format, one result per record in input order; a record that cannot be "
                f"analyzed gets an `error` instead. At most **{page_batch_records:,} records** per batch "
                "here; for bigger files use the command line (`presslens batch FILE OUTPUT`)."
            )
            batch_file = gr.File(label="Articles file", file_types=BATCH_FILE_TYPES, type="filepath",
                                 elem_id="batch-file")
            with gr.Row():  # which columns (CSV, Parquet) or keys (JSON Lines) hold each part of an article
                field_text = gr.Textbox("text", label="Text field", elem_id="field-text", max_lines=1)
                field_title = gr.Textbox("title", label="Headline field", elem_id="field-title", max_lines=1)
                field_id = gr.Textbox("id", label="Id field", elem_id="field-id", max_lines=1)
                field_targets = gr.Textbox("targets", label="Claims field", elem_id="field-targets", max_lines=1)
            with gr.Row():
                batch_tasks = gr.CheckboxGroup(list(TASKS), value=list(TASKS), label="Tasks", elem_id="batch-tasks")
                batch_summary = gr.Slider(1, min(10, limits.max_summary_sentences), value=3, step=1,
                                          label="Summary sentences")
            batch_button = gr.Button("Run batch", variant="primary", elem_id="run-batch")
            batch_report = gr.Markdown(elem_id="batch-report")
            batch_result = gr.File(label="Results file", interactive=False, elem_id="batch-result")
            batch_preview = gr.Dataframe(headers=PREVIEW_HEADERS, label=f"Preview (the first {PREVIEW_ROWS} results)",
                                         interactive=False, elem_id="batch-preview", wrap=True)

        results = [status, topic, stances, summary, highlighted, warnings, contract]

        def on_analyze(title_value, text_value, claims_value, tasks_value, k):
            return analyze_article(analyzer, title_value, text_value, claims_value, tasks_value, k,
                                   limits).as_outputs()

        def on_batch(path, tasks_value, k, text_field, title_field, id_field, targets_field, request: gr.Request,
                     progress=gr.Progress(track_tqdm=True)):
            from classifier.records import FieldMap

            names = [(name or "").strip() for name in (text_field, title_field, id_field, targets_field)]
            if not names[0]:
                raise _error("Name the field that holds the article text (Text field).")
            fields = FieldMap(text=names[0], title=names[1] or "title", id=names[2] or "id",
                              targets=names[3] or "targets")
            session = getattr(request, "session_hash", None) or "-"
            if session in running:
                raise _error("A batch from this tab is running already; wait for it to finish.")
            running[session] = cancel = threading.Event()
            try:
                return run_batch_file(analyzer, work_dir, path, tasks_value, k, progress,
                                      max_records=page_batch_records, cancel=cancel, fields=fields)
            finally:
                running.pop(session, None)

        def on_leave(request: gr.Request):
            """The tab was closed (Gradio's heartbeat ended): stop its batch, if one runs."""
            cancel = running.get(getattr(request, "session_hash", None) or "-")
            if cancel is not None:
                cancel.set()

        # A toast from an earlier run must not stay over new results: close them all when a run starts.
        analyze_button.click(on_analyze, [title, text, claims, tasks, summary_sentences], results,
                             api_visibility="private", concurrency_limit=8, js=CLOSE_TOASTS)

        def on_upload(path):
            return load_article_file(path, limits)

        upload.upload(on_upload, upload, [title, text], api_visibility="private")
        # Several batches at once (one per tab): their chunks interleave in the shared queue, so a small
        # batch is not stuck behind a big one (concurrency_limit=1 made the next user wait for all of it).
        batch_button.click(on_batch, [batch_file, batch_tasks, batch_summary, field_text, field_title, field_id,
                                      field_targets], [batch_result, batch_report, batch_preview],
                           api_visibility="private", concurrency_limit=PAGE_BATCH_SLOTS, js=CLOSE_TOASTS)
        blocks.unload(on_leave)
    # Page events wait in Gradio's queue before they reach ours; bound it too (a full one says so on the page).
    blocks.queue(max_size=64)
    return blocks
