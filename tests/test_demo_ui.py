"""The page's event functions as plain functions, with the real tiny analyzer (no browser, no server)."""

from __future__ import annotations

import csv
import json
import re

import pytest

gr = pytest.importorskip("gradio")

from demo.schemas import Limits  # noqa: E402
from demo.batching import MicroBatcher, QueuedAnalyzer  # noqa: E402
from demo.render import highlight_sentences  # noqa: E402
from demo.ui import analyze_article, build_ui, load_article_file, load_examples, run_batch_file  # noqa: E402

TASKS = ["topic", "stance", "summary"]


@pytest.fixture(scope="module")
def examples():
    return load_examples()


@pytest.fixture
def queued(tiny_analyzer):
    batcher = MicroBatcher(tiny_analyzer, max_pending=64, max_batch=8, max_wait=0.0).start()
    yield QueuedAnalyzer(batcher)
    batcher.close()


# ---------------------------------------------------------------------------------------------- examples
def test_at_least_three_example_articles_with_headlines_on_different_topics(examples):
    assert len(examples) >= 3
    assert len({e.title for e in examples}) == len(examples)
    for example in examples:
        assert 3 <= len(example.title.split()) <= 25 and not example.title.endswith(".")
        assert len(example.text.split()) > 150  # real articles, not stubs


# --------------------------------------------------------------------------------------- analyze event
def test_analyze_an_example_shows_every_part(tiny_analyzer, examples):
    example = examples[0]
    view = analyze_article(tiny_analyzer, example.title, example.text, "", TASKS, 3)
    assert set(view.topic) == set(tiny_analyzer.labels["topic"])
    assert sum(view.topic.values()) == pytest.approx(1, abs=1e-3)
    assert "Analyzed in" in view.status and "presslens-tiny-test" in view.status
    assert "pl-stance" in view.stances and "Evidence sentences" in view.stances
    contract = view.contract
    assert contract["stances"][0]["target"] == example.title  # no claim: the headline
    assert view.summary == contract["summary"]["text"]
    # The article is marked: each summary and evidence sentence, by its index.
    for sentence in contract["summary"]["sentences"]:
        assert f'data-index="{sentence["index"]}"' in view.highlighted
    assert "pl-summary" in view.highlighted or "pl-both" in view.highlighted
    assert "pl-evidence" in view.highlighted or "pl-both" in view.highlighted
    # Same result as the library on the same input.
    expected = tiny_analyzer.analyze(example.text, title=example.title).to_dict()
    assert contract["topic"]["label"] == expected["topic"]["label"]
    assert contract["summary"]["text"] == expected["summary"]["text"]


def test_a_topic_below_the_minimum_score_shows_none_of_these(tiny_analyzer, examples):
    from demo.render import NONE_OF_THESE, render_analysis

    analysis = tiny_analyzer.analyze(examples[0].text, title=examples[0].title, min_topic_score=1.0)
    view = render_analysis(analysis, seconds=0.1)
    assert view.topic == NONE_OF_THESE == "none of these"
    assert view.contract["topic"]["label"] is None and "none of these" in view.warnings
    assert isinstance(render_analysis(tiny_analyzer.analyze(examples[0].text), seconds=0.1).topic, dict)


def test_claims_one_per_line_each_get_a_stance(tiny_analyzer, examples):
    claims = "The talks collapsed\n\n  Pensions will rise  \n"
    view = analyze_article(tiny_analyzer, "", examples[0].text, claims, TASKS, 2)
    assert [s["target"] for s in view.contract["stances"]] == ["The talks collapsed", "Pensions will rise"]
    assert view.stances.count('class="pl-stance"') == 2


def test_switched_off_tasks_are_shown_as_not_requested(tiny_analyzer, examples):
    view = analyze_article(tiny_analyzer, None, examples[1].text, None, ["topic"], 3)
    assert view.topic is not None
    assert "not requested" in view.stances and "not requested" in view.summary
    assert "summary" not in view.contract and "stances" not in view.contract
    assert "<mark" not in view.highlighted.split("</div>", 1)[1]  # nothing marked in the article


def test_works_through_the_shared_queue(queued, examples):
    view = analyze_article(queued, examples[2].title, examples[2].text, "", TASKS, 3)
    assert view.contract["model"]["name"] == "presslens-tiny-test"
    assert queued.batcher.articles_done == 1


def test_article_text_is_escaped_in_the_html(tiny_analyzer):
    text = "Officials said <script>alert(1)</script> was found. The <b>mayor</b> & council agreed on Monday."
    view = analyze_article(tiny_analyzer, "Script tags & things", text, "A <claim>", TASKS, 2)
    for fragment in (view.highlighted, view.stances):
        assert "<script>" not in fragment and "<b>" not in fragment and "<claim>" not in fragment
    assert "&lt;claim&gt;" in view.stances


def test_warnings_are_listed(tiny_analyzer):
    text = "Rates rose again on Tuesday.\nRead more: our rates coverage\nThe bank said inflation was too high."
    view = analyze_article(tiny_analyzer, "Rates rise", text, "", TASKS, 2)
    assert "boilerplate" in view.warnings and "<li>" in view.warnings


@pytest.mark.parametrize(
    ("text", "claims", "tasks", "message"),
    [
        ("", "", TASKS, "Paste an article"),
        ("   \n ", "", TASKS, "Paste an article"),
        ("Some text here.", "", [], "at least one task"),
        ("The harbour talks went on. " * 5, "", TASKS, "the limit is 100 characters of article text"),
        ("Some text here.", "a\nb\nc\nd", TASKS, "at most 3"),
        ("!!! ... ???", "", TASKS, "cannot be analyzed"),
    ],
)
def test_problems_become_readable_errors(tiny_analyzer, text, claims, tasks, message):
    limits = Limits(max_chars=100, max_targets=3, max_articles=4, queue_articles=8)
    with pytest.raises(gr.Error) as raised:
        analyze_article(tiny_analyzer, "", text, claims, tasks, 3, limits)
    assert message in raised.value.message
    assert "Traceback" not in raised.value.message and "0-based" not in raised.value.message


def test_highlight_marks_summary_evidence_and_both(tiny_analyzer):
    from classifier.results import Analysis, ModelInfo, Sentence, Stance, Summary

    analysis = Analysis(
        model=ModelInfo("m", "1"), sentences=("Zero.", "One.", "Two.", "Three."),
        summary=Summary((Sentence(0, "Zero.", 0.9), Sentence(2, "Two.", 0.8))),
        stances=(Stance("c", "agree", 0.9, {"agree": 0.9}, (Sentence(2, "Two."), Sentence(3, "Three."))),),
    )
    marked = highlight_sentences(analysis).split('class="pl-article"', 1)[1]
    assert '<mark class="pl-summary" data-index="0"' in marked
    assert '<span data-index="1"' in marked
    assert '<mark class="pl-both" data-index="2"' in marked
    assert '<mark class="pl-evidence" data-index="3"' in marked


# ------------------------------------------------------------------------------------------ file upload
def test_upload_a_text_file_fills_the_text_box(tmp_path, examples):
    path = tmp_path / "story.txt"
    path.write_text(f"{examples[0].title}\n\n{examples[0].text}", encoding="utf-8")
    title, text = load_article_file(str(path))
    assert title == "" and text.startswith(examples[0].title)


def test_upload_html_and_legacy_encodings(tmp_path, tiny_analyzer):
    page = tmp_path / "story.html"
    page.write_bytes("<html><head><title>Café closes</title></head><body><h1>Café closes</h1>"
                     "<p>The café on Main Street closed on Friday after 40 years.</p>"
                     "<p>Its owner said rents had doubled.</p></body></html>".encode("cp1252"))
    with pytest.warns(UserWarning, match="cp1252"):  # gr.Warning: a toast on the page, a warning here
        title, text = load_article_file(str(page))
    assert "Café" in text and "<p>" in text  # decoded (cp1252), HTML left for the cleaner
    view = analyze_article(tiny_analyzer, title, text, "", TASKS, 1)
    assert view.contract["stances"][0]["target"] == "Café closes"
    assert "<p>" not in view.contract["summary"]["text"] and "Main Street" in view.contract["summary"]["text"]


def test_clearing_the_upload_leaves_the_boxes_alone():
    title, text = load_article_file(None)
    assert title == gr.update() and text == gr.update()


# ------------------------------------------------------------------------------------------------ batch
def test_batch_jsonl_through_the_queue(queued, tmp_path, examples):
    source = tmp_path / "articles.jsonl"
    records = [{"id": f"e{n}", "title": e.title, "text": e.text} for n, e in enumerate(examples)]
    records.append({"id": "bad", "text": ""})
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    output, report, _ = run_batch_file(queued, tmp_path, str(source), ["topic", "summary"], 2)
    assert output.endswith("articles.presslens.jsonl")
    lines = [json.loads(line) for line in open(output, encoding="utf-8")]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert all("topic" in line and "stances" not in line for line in lines[:-1])
    assert "error" in lines[-1]
    assert f"**{len(records)} records**" in report and "1 with errors" in report and "- record bad:" in report


def test_batch_csv_gives_csv(tiny_analyzer, tmp_path, examples):
    source = tmp_path / "articles.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "title", "text", "targets"])
        for n, example in enumerate(examples):
            writer.writerow([n, example.title, example.text, '["a claim", "another claim"]'])
    output, _, _ = run_batch_file(tiny_analyzer, tmp_path, str(source), TASKS, 3)
    with open(output, newline="", encoding="utf-8") as stream:
        rows = list(csv.DictReader(stream))
    assert [row["id"] for row in rows] == [str(n) for n in range(len(examples))]
    assert all(row["topic"] in tiny_analyzer.labels["topic"] for row in rows)


@pytest.mark.parametrize(
    ("name", "content", "tasks", "message"),
    [
        (None, None, TASKS, "Upload"),
        ("articles.txt", "hello", TASKS, "cannot tell the format"),
        ("articles.csv", "title,body\nx,y\n", TASKS, "no column 'text'"),
        ("articles.jsonl", '{"text": "a"}\n', [], "at least one task"),
    ],
)
def test_batch_problems_become_readable_errors(tiny_analyzer, tmp_path, name, content, tasks, message):
    path = None
    if name:
        path = tmp_path / name
        path.write_text(content, encoding="utf-8")
    with pytest.raises(gr.Error) as raised:
        run_batch_file(tiny_analyzer, tmp_path, str(path) if path else None, tasks, 3)
    assert message in raised.value.message


# ------------------------------------------------------------------------------------------------- page
def test_the_page_builds(tiny_analyzer, tmp_path):
    blocks = build_ui(tiny_analyzer, work_dir=tmp_path)
    assert isinstance(blocks, gr.Blocks) and blocks.title == "presslens"


def test_batch_errors_show_file_content_as_text_and_no_server_paths(tiny_analyzer, tmp_path):
    """Before: CSV column names were rendered as HTML (a live <img>, a link) next to the server's temp path."""
    upload_dir, work_dir = tmp_path / "gradio" / "0a1b2c", tmp_path / "work"
    upload_dir.mkdir(parents=True)
    work_dir.mkdir()
    path = upload_dir / "evil.csv"
    path.write_text('<img src=x onerror=alert(1)>,<a href="http://evil.example">x</a>\n1,2\n', encoding="utf-8")
    with pytest.raises(gr.Error) as raised:
        run_batch_file(tiny_analyzer, work_dir, str(path), TASKS, 3)
    message = raised.value.message
    assert "<img" not in message and "<a " not in message
    assert "&lt;img src=x onerror=alert(1)&gt;" in message
    assert str(upload_dir) not in message and str(tmp_path) not in message and "evil.csv" in message


def test_batch_report_shows_hostile_ids_as_text(tiny_analyzer, tmp_path):
    """Before: an id with backticks broke out of the report's code span."""
    source = tmp_path / "ids.jsonl"
    records = [{"id": "a` **b** `<img src=x>", "text": ""}, {"id": "ok", "text": "A fine article. It has words."}]
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    _, report, _ = run_batch_file(tiny_analyzer, tmp_path, str(source), ["topic"], 1)
    line = [row for row in report.splitlines() if row.startswith("- record")][0]
    assert re.search(r"(?<!\\)`", line) is None and "<img" not in line and "\\*\\*b\\*\\*" in line


def test_the_page_keeps_to_the_same_work_budget_as_the_api(queued):
    text = " ".join(f"Sentence {k} of a long story about the harbour budget." for k in range(300))
    limits = Limits(max_windows=20)
    with pytest.raises(gr.Error) as raised:
        analyze_article(queued, "Harbour", text, "claim one\nclaim two", TASKS, 3, limits)
    assert "encoder windows" in raised.value.message and "the limit is 20" in raised.value.message
    assert analyze_article(queued, "Harbour", "A short story. It ends here.", "", TASKS, 3, limits).contract
