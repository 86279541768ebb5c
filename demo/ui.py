"""The web page: a Gradio Blocks app over the analyzer, one plain function per event.

    blocks = build_ui(QueuedAnalyzer(batcher), work_dir=Path("/tmp/presslens-batches"))

The event functions (`analyze_article`, `load_article_file`, `run_batch_file`) take and return plain values,
so the tests call them directly; `build_ui` only lays out components and wires events to them. Rendering
of one analysis (`render_analysis`) is a pure function of the output contract and the article's sentences.
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

from classifier.errors import BatchError, InputError, PresslensError

from .api import Limits
from .batching import BatcherClosedError, QueueFullError

log = logging.getLogger("presslens.demo.ui")

TASKS = ("topic", "stance", "summary")
EXAMPLES_DIR = Path(__file__).parent / "examples"
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
@dataclasses.dataclass(frozen=True)
class ArticleView:
    """Everything the results column shows, in the order of the page's output components."""

    status: str  # markdown: time taken, model, sentences
    topic: dict[str, float] | None  # for gr.Label
    stances: str  # HTML
    summary: str
    highlighted: str  # HTML: the article with summary and evidence sentences marked
    warnings: str  # HTML
    contract: dict[str, Any]  # the output contract, for gr.JSON

    def as_outputs(self) -> tuple:
        return tuple(getattr(self, field.name) for field in dataclasses.fields(self))


def analyze_article(
    analyzer: Any,
    title: str | None,
    text: str | None,
    claims: str | None,
    tasks: list[str] | None,
    summary_sentences: float | int,
    limits: Limits = Limits(),
) -> ArticleView:
    """The Analyze button. `analyzer` is an Analyzer or a QueuedAnalyzer; problems become gr.Error."""
    from classifier.analyzer import ArticleInput

    text = text or ""
    if not text.strip():
        raise gr.Error("Paste an article (or upload a .txt/.html file, or pick an example) first.",
                       print_exception=False)
    if len(text) > limits.max_chars:
        raise gr.Error(f"The article has {len(text):,} characters; this server takes at most "
                       f"{limits.max_chars:,} per article.", print_exception=False)
    if not tasks:
        raise gr.Error("Choose at least one task (topic, stance or summary).", print_exception=False)
    targets = tuple(line.strip() for line in (claims or "").splitlines() if line.strip())
    if len(targets) > limits.max_targets:
        raise gr.Error(f"{len(targets)} claims given; at most {limits.max_targets} per article.",
                       print_exception=False)
    article = ArticleInput(text, title=(title or "").strip() or None, targets=targets)
    started = time.perf_counter()
    try:
        analysis = analyzer.analyze(article, tasks=list(tasks), summary_sentences=int(summary_sentences))
    except InputError as error:
        raise gr.Error(f"This article cannot be analyzed: {error}", print_exception=False) from None
    except QueueFullError as error:
        raise gr.Error(f"The server is busy; try again in {error.retry_after} s.", print_exception=False) from None
    except BatcherClosedError:
        raise gr.Error("The server is shutting down; try again in a moment.", print_exception=False) from None
    except Exception as error:  # a bug: the log gets the stack trace, the page a readable sentence
        log.exception("analysis failed")
        raise gr.Error(f"Something went wrong on the server ({type(error).__name__}); the details are in "
                       "the server log.", print_exception=False) from None
    return render_analysis(analysis, time.perf_counter() - started)


def render_analysis(analysis: Any, seconds: float) -> ArticleView:
    """The page's view of one Analysis (pure: no model, no gradio state)."""
    contract = analysis.to_dict()
    model = contract["model"]
    status = (f"Analyzed in **{seconds:.2f} s** · {len(analysis.sentences)} sentences · "
              f"model `{model['name']}` {model['version']}")
    if analysis.title:
        status = f"**{_markdown_escape(analysis.title)}**\n\n" + status
    topic = dict(contract["topic"]["scores"]) if "topic" in contract else None
    stances = _stances_html(contract["stances"]) if "stances" in contract else _muted("Stance was not requested.")
    summary = contract["summary"]["text"] if "summary" in contract else "(summary not requested)"
    return ArticleView(
        status=status,
        topic=topic,
        stances=stances,
        summary=summary,
        highlighted=highlight_sentences(analysis),
        warnings=_warnings_html(contract["warnings"]),
        contract=contract,
    )


def highlight_sentences(analysis: Any) -> str:
    """The cleaned article as HTML, summary and evidence sentences marked (hover: index and role).

    HTML rather than gr.HighlightedText: the sentences flow as text, and each carries its index, which is
    the `index` the JSON output uses for summary and evidence sentences.
    """
    in_summary = {s.index for s in analysis.summary.sentences} if analysis.summary else set()
    in_evidence = {s.index for stance in analysis.stances or () for s in stance.evidence}
    parts = []
    for index, sentence in enumerate(analysis.sentences):
        roles = [role for role, marked in (("summary", index in in_summary), ("evidence", index in in_evidence))
                 if marked]
        css = {("summary",): "pl-summary", ("evidence",): "pl-evidence", ("summary", "evidence"): "pl-both"}
        hint = f"sentence #{index}" + (f" · {' + '.join(roles)}" if roles else "")
        text = html.escape(sentence)
        if roles:
            text = f'<mark class="{css[tuple(roles)]}" data-index="{index}" title="{hint}">{text}</mark>'
        else:
            text = f'<span data-index="{index}" title="{hint}">{text}</span>'
        parts.append(text)
    legend = ('<div class="pl-legend"><mark class="pl-summary">summary</mark> <mark class="pl-evidence">'
              'evidence</mark> <mark class="pl-both">summary + evidence</mark></div>')
    return f'{legend}<div class="pl-article">{" ".join(parts)}</div>'


def _stances_html(stances: list[dict[str, Any]]) -> str:
    if not stances:
        return _muted("No stance: the article has no headline and no claim was given.")
    cards = []
    for stance in stances:
        bars = "".join(
            f'<div class="pl-bar-row"><span class="pl-bar-label">{html.escape(label)}</span>'
            f'<span class="pl-bar"><span style="width:{score * 100:.1f}%"></span></span>'
            f'<span class="pl-bar-value">{score:.0%}</span></div>'
            for label, score in sorted(stance["scores"].items(), key=lambda item: -item[1])
        )
        evidence = "".join(
            f'<li><span class="pl-index">#{e["index"]}</span> {html.escape(e["text"])}</li>' for e in stance["evidence"]
        )
        cards.append(
            '<div class="pl-stance">'
            f'<div class="pl-claim">Claim: <q>{html.escape(stance["target"])}</q></div>'
            f'<div class="pl-verdict">Stance: <strong class="pl-label-{html.escape(stance["label"])}">'
            f'{html.escape(stance["label"])}</strong> ({stance["score"]:.0%})</div>'
            f'<div class="pl-bars">{bars}</div>'
            f'<div class="pl-evidence-title">Evidence sentences</div><ul class="pl-evidence">{evidence}</ul>'
            "</div>"
        )
    return '<div class="pl-stances">' + "".join(cards) + "</div>"


def _warnings_html(warnings: list[str]) -> str:
    if not warnings:
        return _muted("No warnings: nothing was removed and the article fit one window.")
    items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
    return f'<div class="pl-warnings"><strong>Warnings</strong><ul>{items}</ul></div>'


def _muted(text: str) -> str:
    return f'<p class="pl-muted">{html.escape(text)}</p>'


def _markdown_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in text)


def load_article_file(path: str | None) -> tuple[str, str]:
    """An uploaded .txt/.html file -> (title box, text box). The text goes in whole: cleaning finds the
    headline and strips HTML exactly as `presslens analyze FILE` does."""
    from classifier.text import decode_bytes

    if not path:
        return gr.update(), gr.update()  # the upload was cleared: leave the boxes as they are
    data = Path(path).read_bytes()
    notes: list[str] = []
    text = decode_bytes(data, notes)
    for note in notes:
        gr.Warning(note)
    return "", text


# ----------------------------------------------------------------------------------------------- batch
def run_batch_file(
    analyzer: Any,
    work_dir: Path,
    path: str | None,
    tasks: list[str] | None,
    summary_sentences: float | int,
    progress: Any = gr.Progress(track_tqdm=True),
) -> tuple[str, str]:
    """The Run batch button: the uploaded file through `classifier.batch.run_batch`, results file back.

    Returns (path of the results file, in the input's format; a markdown report).
    """
    from classifier.batch import BatchSettings, plan_run, run_batch
    from classifier.records import detect_format

    if not path:
        raise gr.Error("Upload a .jsonl or .csv file of articles first.", print_exception=False)
    if not tasks:
        raise gr.Error("Choose at least one task (topic, stance or summary).", print_exception=False)
    try:
        fmt = detect_format(path)
    except ValueError as error:
        raise gr.Error(f"{error}.", print_exception=False) from None
    name = Path(path).name
    stem = name[: -len(fmt) - 1] if name.lower().endswith("." + fmt) else Path(path).stem
    run_dir = Path(tempfile.mkdtemp(prefix="batch-", dir=work_dir))
    output = run_dir / f"{stem}.presslens.{fmt}"
    settings = BatchSettings(input=path, output=str(output), tasks=tuple(tasks),
                             summary_sentences=int(summary_sentences))
    progress(0, desc="reading the file")
    try:
        report = run_batch(plan_run(settings, resume=False, overwrite=False), analyzer, progress=True)
    except (BatchError, InputError, ValueError) as error:
        raise gr.Error(f"The batch cannot run: {error}", print_exception=False) from None
    except PresslensError as error:
        raise gr.Error(f"The batch stopped: {error}", print_exception=False) from None
    except Exception as error:
        log.exception("batch run failed")
        raise gr.Error(f"Something went wrong on the server ({type(error).__name__}); the details are in "
                       "the server log.", print_exception=False) from None
    lines = [f"**{report.total} records** in {report.seconds:.1f} s: {report.ok} analyzed, "
             f"{report.errors} with errors."]
    for record_id, message in report.error_examples:
        lines.append(f"- record `{record_id}`: {_markdown_escape(message)}")
    return str(output), "\n".join(lines)


# ------------------------------------------------------------------------------------------------ page
CSS = """
.pl-muted { color: var(--body-text-color-subdued); }
.pl-stance { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.pl-claim { font-style: italic; margin-bottom: 4px; }
.pl-bar-row { display: flex; align-items: center; gap: 8px; font-size: 0.9em; }
.pl-bar-label { width: 6.5em; }
.pl-bar { flex: 1; height: 8px; background: var(--background-fill-secondary); border-radius: 4px; overflow: hidden; }
.pl-bar > span { display: block; height: 100%; background: var(--color-accent); }
.pl-bar-value { width: 3em; text-align: right; }
.pl-evidence-title { margin-top: 6px; font-weight: 600; }
.pl-evidence { margin: 2px 0 0 1.2em; }
.pl-index { color: var(--body-text-color-subdued); font-size: 0.85em; }
.pl-warnings ul { margin: 2px 0 0 1.2em; }
.pl-legend { margin-bottom: 6px; font-size: 0.9em; }
.pl-article { line-height: 1.7; max-height: 640px; overflow-y: auto; padding: 8px 12px;
              border: 1px solid var(--border-color-primary); border-radius: 8px; }
mark.pl-summary { background: #fde68a; color: #1f2937; border-radius: 3px; padding: 1px 2px; }
mark.pl-evidence { background: #a5f3fc; color: #1f2937; border-radius: 3px; padding: 1px 2px; }
mark.pl-both { background: #bbf7d0; color: #1f2937; border-radius: 3px; padding: 1px 2px;
               box-shadow: inset 0 -2px 0 #0e7490; }
"""


def build_ui(analyzer: Any, *, work_dir: Path, limits: Limits = Limits()) -> gr.Blocks:
    """The page. `analyzer`: a QueuedAnalyzer in the server (an Analyzer works too)."""
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
                                       placeholder="Leave empty to take the article's first line if it is one")
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
                "analyzed gets an `error` instead."
            )
            batch_file = gr.File(label="Articles file", file_types=BATCH_FILE_TYPES, type="filepath",
                                 elem_id="batch-file")
            with gr.Row():
                batch_tasks = gr.CheckboxGroup(list(TASKS), value=list(TASKS), label="Tasks", elem_id="batch-tasks")
                batch_summary = gr.Slider(1, min(10, limits.max_summary_sentences), value=3, step=1,
                                          label="Summary sentences")
            batch_button = gr.Button("Run batch", variant="primary", elem_id="run-batch")
            batch_report = gr.Markdown(elem_id="batch-report")
            batch_result = gr.File(label="Results file", interactive=False, elem_id="batch-result")

        results = [status, topic, stances, summary, highlighted, warnings, contract]

        def on_analyze(title_value, text_value, claims_value, tasks_value, k):
            return analyze_article(analyzer, title_value, text_value, claims_value, tasks_value, k,
                                   limits).as_outputs()

        def on_batch(path, tasks_value, k, progress=gr.Progress(track_tqdm=True)):
            return run_batch_file(analyzer, work_dir, path, tasks_value, k, progress)

        analyze_button.click(on_analyze, [title, text, claims, tasks, summary_sentences], results,
                             api_visibility="private", concurrency_limit=8)
        upload.upload(load_article_file, upload, [title, text], api_visibility="private")
        batch_button.click(on_batch, [batch_file, batch_tasks, batch_summary], [batch_result, batch_report],
                           api_visibility="private", concurrency_limit=1)
    return blocks
