"""How one analysis looks on the page: pure functions from an Analysis to component values (HTML escaped).

    view = render_analysis(analysis, seconds=0.4)
    view.topic        # {label: probability} for gr.Label
    view.highlighted  # the article as HTML, summary and evidence sentences in <mark>
"""

from __future__ import annotations

import dataclasses
import html
from typing import Any


@dataclasses.dataclass(frozen=True)
class ArticleView:
    """Everything the results column shows, in the order of the page's output components."""

    status: str  # markdown: time taken, model, sentences
    topic: dict[str, float] | str | None  # for gr.Label: the scores, or NONE_OF_THESE
    stances: str  # HTML
    summary: str
    highlighted: str  # HTML: the article with summary and evidence sentences marked
    warnings: str  # HTML
    contract: dict[str, Any]  # the output contract, for gr.JSON

    def as_outputs(self) -> tuple:
        return tuple(getattr(self, field.name) for field in dataclasses.fields(self))


LOW_CONFIDENCE = 0.5  # a topic or stance whose probability is below this is shown as unsure


def render_analysis(analysis: Any, seconds: float, paragraph_starts: set[int] | None = None) -> ArticleView:
    """The page's view of one Analysis (pure: no model, no gradio state). `paragraph_starts`: indices of
    the sentences that begin a paragraph (see paragraph_starts), so the article view keeps its breaks."""
    contract = analysis.to_dict()
    model = contract["model"]
    status = (f"Analyzed in **{seconds:.2f} s** · {len(analysis.sentences)} sentences · "
              f"model `{model['name']}` {model['version']}")
    read = [f"headline: **{markdown_escape(analysis.title)}**" if analysis.title else "no headline found"]
    if getattr(analysis, "language", None):
        read.append(f"language: **{analysis.language}**")
    for key, value in getattr(analysis, "metadata", ()) or ():  # date, author, site, as the page gave them
        read.append(f"{key}: **{markdown_escape(str(value))}**")
    # (a topic under the minimum score has no label: it is shown as "none of these" instead)
    if "topic" in contract and contract["topic"]["label"] is not None and contract["topic"]["score"] < LOW_CONFIDENCE:
        read.append(f"topic: low confidence ({contract['topic']['score']:.0%} for "
                    f"{markdown_escape(contract['topic']['label'])})")
    status = " · ".join(read) + "\n\n" + status
    topic = _topic_value(contract["topic"]) if "topic" in contract else None
    stances = _stances_html(contract["stances"]) if "stances" in contract else _muted("Stance was not requested.")
    summary = contract["summary"]["text"] if "summary" in contract else "(summary not requested)"
    return ArticleView(
        status=status,
        topic=topic,
        stances=stances,
        summary=summary,
        highlighted=highlight_sentences(analysis, paragraph_starts),
        warnings=_warnings_html(contract["warnings"], contract.get("notes", [])),
        contract=contract,
    )


NONE_OF_THESE = "none of these"


def _topic_value(topic: dict[str, Any]) -> dict[str, float] | str:
    """gr.Label shows the top class of a score dict as the answer; when no label reaches the minimum topic
    score the answer is "none of these" (the warnings say which label came closest, the JSON has the scores)."""
    return NONE_OF_THESE if topic["label"] is None else dict(topic["scores"])


def paragraph_starts(paragraphs: list[str] | tuple[str, ...], sentences: tuple[str, ...] | list[str]) -> set[int]:
    """Indices of the sentences that begin a paragraph: each sentence is looked for in the paragraphs, in
    order (the model's output keeps sentences only; the page wants the article's paragraph breaks back)."""
    starts: set[int] = set()
    current, offset = -1, 0
    for index, sentence in enumerate(sentences):
        probe = sentence[:60]
        for number in range(max(current, 0), len(paragraphs)):
            found = paragraphs[number].find(probe, offset if number == current else 0)
            if found >= 0:
                if number != current:
                    starts.add(index)
                current, offset = number, found + len(probe)
                break
    return starts


def highlight_sentences(analysis: Any, paragraph_starts: set[int] | None = None) -> str:
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
        if paragraph_starts and index in paragraph_starts and parts:
            parts.append("</p><p>")
        parts.append(text)
    legend = ('<div class="pl-legend"><mark class="pl-summary">summary</mark> <mark class="pl-evidence">'
              'evidence</mark> <mark class="pl-both">summary + evidence</mark></div>')
    body = " ".join(parts).replace(" </p><p> ", "</p><p>")
    return f'{legend}<div class="pl-article"><p>{body}</p></div>'


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
            f'<li><span class="pl-index">#{e["index"]}</span> '
            + (f'<span class="pl-says pl-says-{html.escape(e["says"])}">{html.escape(e["says"])} {e["score"]:.0%}</span> '
               if e.get("says") else "")
            + f'{html.escape(e["text"])}</li>' for e in stance["evidence"]
        )
        # the model's own flag (0.4.0: also when no sentence carries an agree / disagree), else the score alone
        unsure = stance.get("confidence") == "low" or stance["score"] < LOW_CONFIDENCE
        cards.append(
            f'<div class="pl-stance{" pl-unsure" if unsure else ""}">'
            f'<div class="pl-claim">Claim: <q>{html.escape(stance["target"])}</q></div>'
            f'<div class="pl-verdict">Stance: <strong class="pl-label-{html.escape(stance["label"])}">'
            f'{html.escape(stance["label"])}</strong> ({stance["score"]:.0%})'
            + (' <span class="pl-unsure-note">low confidence: no sentence of the article says this on its own,'
               ' or the scores are close</span>' if unsure else "") + '</div>'
            f'<div class="pl-bars">{bars}</div>'
            f'<div class="pl-evidence-title">Evidence sentences</div><ul class="pl-evidence">{evidence}</ul>'
            "</div>"
        )
    return '<div class="pl-stances">' + "".join(cards) + "</div>"


def _warnings_html(warnings: list[str], notes: list[str] = ()) -> str:
    """The warnings (problems), then the notes on how the article was read (issue 21: not warnings)."""
    parts = []
    if warnings:
        items = "".join(f"<li>{html.escape(w)}</li>" for w in warnings)
        parts.append(f'<div class="pl-warnings"><strong>Warnings</strong><ul>{items}</ul></div>')
    else:
        parts.append(_muted("No warnings: nothing was removed, replaced or cut."))
    if notes:
        items = "".join(f"<li>{html.escape(n)}</li>" for n in notes)
        parts.append(f'<div class="pl-warnings pl-notes"><strong>How it was read</strong><ul>{items}</ul></div>')
    return "".join(parts)


def _muted(text: str) -> str:
    return f'<p class="pl-muted">{html.escape(text)}</p>'


def markdown_escape(text: str) -> str:
    return "".join("\\" + ch if ch in "\\`*_{}[]()#+-.!|<>" else ch for ch in text)


CSS = """
.pl-muted { color: var(--body-text-color-subdued); }
.pl-stance { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 10px 12px; margin-bottom: 10px; }
.pl-claim { font-style: italic; margin-bottom: 4px; }
.pl-unsure { border-style: dashed; opacity: 0.75; }
.pl-unsure .pl-bar > span { background: var(--body-text-color-subdued); }
.pl-unsure-note { font-size: 0.85em; color: var(--body-text-color-subdued); border: 1px dashed currentColor;
                  border-radius: 4px; padding: 0 4px; margin-left: 4px; }
.pl-article p { margin: 0 0 0.8em 0; }
.pl-bar-row { display: flex; align-items: center; gap: 8px; font-size: 0.9em; }
.pl-bar-label { width: 6.5em; }
.pl-bar { flex: 1; height: 8px; background: var(--background-fill-secondary); border-radius: 4px; overflow: hidden; }
.pl-bar > span { display: block; height: 100%; background: var(--color-accent); }
.pl-bar-value { width: 3em; text-align: right; }
.pl-evidence-title { margin-top: 6px; font-weight: 600; }
.pl-says { font-size: 0.8em; padding: 0 4px; border-radius: 3px; background: var(--background-fill-secondary); }
.pl-says-refutes { background: #fecaca; color: #7f1d1d; }
.pl-says-supports { background: #bbf7d0; color: #14532d; }
.pl-unsure { border-style: dashed; opacity: 0.85; }
.pl-low { font-size: 0.85em; color: var(--body-text-color-subdued); }
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
