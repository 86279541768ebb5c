"""The page in a real headless Chromium: analyze pasted and uploaded articles, run a batch, see errors.

    .venv/bin/python -m pytest -q -m browser                       # screenshots in a temporary folder
    PRESSLENS_SCREENSHOT_DIR=/tmp/shots .venv/bin/python -m pytest -q -m browser
"""

from __future__ import annotations

import json

import pytest

pytestmark = pytest.mark.browser

ARTICLE = """Rail strike halts trains across the south for a second day

Trains across the south of the country stood still for a second day on Wednesday as drivers continued a strike over pay and new rosters.

The drivers' union said 94 percent of its members had walked out, and operators ran only a handful of replacement buses between the largest towns.

Commuters queued for more than an hour at bus stops in Marlow Bay, where the station car park was empty by seven in the morning.

The transport ministry called the strike "deeply regrettable" and said a pay offer of 4.5 percent over two years remained on the table.

Union leaders said they would meet the operators again on Friday but warned that further strike days in May were likely if the roster changes were not withdrawn."""


def result_text(page, selector: str) -> str:
    return page.locator(selector).inner_text()


def upload_batch_file(page, path) -> None:
    """Give the Batch tab a file and wait until the page lists it. The list shows the name as two pieces
    (`articles` `.csv`), so the name as one text is only on screen while the upload is in flight; the
    listed file carries the whole name as its accessible label."""
    page.locator("#batch-file input[type=file]").set_input_files(str(path))
    page.locator("#batch-file").get_by_label(path.name, exact=True).first.wait_for(timeout=60_000)


def test_paste_an_article_and_see_every_result(page, screenshot_dir):
    page.locator("#article-text textarea").fill(ARTICLE)
    page.locator("#claims textarea").fill("Trains are running normally\nThe union will meet operators on Friday")
    page.locator("#analyze").click()
    page.locator("#highlighted .pl-article").wait_for(timeout=60_000)

    topic = result_text(page, "#topic")
    assert any(label in topic for label in ("Business", "Sci/Tech", "Sports", "World"))
    stances = page.locator("#stances .pl-stance")
    assert stances.count() == 2
    assert "Trains are running normally" in stances.nth(0).inner_text()
    assert "Evidence sentences" in stances.nth(0).inner_text()
    summary = page.locator("#summary textarea").input_value()
    assert summary and summary.split(". ")[0] in ARTICLE
    marks = page.locator("#highlighted .pl-article mark")
    assert marks.count() >= 2  # summary and evidence sentences are marked in the article
    assert "Analyzed in" in result_text(page, "#status")
    assert "Rail strike halts trains" in result_text(page, "#status")  # the detected headline
    page.screenshot(path=str(screenshot_dir / "analyze.png"), full_page=True)


def test_an_example_article(page, screenshot_dir):
    from demo.screenshot import analyze_example

    analyze_example(page, "Fenwick Foods")
    assert "Fenwick Foods" in page.locator("#title textarea, #title input").first.input_value()
    assert page.locator("#stances .pl-stance").count() == 1
    page.screenshot(path=str(screenshot_dir / "example.png"), full_page=True)


def test_upload_an_html_article(page, tmp_path):
    html = ("<html><head><title>Library reopens after flood repairs</title></head><body><nav>Home | News</nav>"
            "<h1>Library reopens after flood repairs</h1><p>The central library in Dunmore reopened on Monday "
            "after eight months of repairs.</p><p>Staff said 12,000 books had been restored or replaced.</p>"
            "<footer>Copyright 2026</footer></body></html>")
    path = tmp_path / "library.html"
    path.write_text(html, encoding="utf-8")
    page.locator("#article-file input[type=file]").set_input_files(str(path))
    text_box = page.locator("#article-text textarea")
    page.wait_for_function("document.querySelector('#article-text textarea').value.includes('library')")
    assert "<h1>" in text_box.input_value()
    page.locator("#analyze").click()
    page.locator("#highlighted .pl-article").wait_for(timeout=60_000)
    article = result_text(page, "#highlighted .pl-article")
    assert "12,000 books" in article and "Home | News" not in article and "<p>" not in article
    assert "removed non-article HTML" in result_text(page, "#warnings")


def test_an_empty_article_shows_a_readable_error(page, screenshot_dir):
    page.locator("#analyze").click()
    error = page.get_by_text("Paste an article")
    error.first.wait_for(timeout=30_000)
    assert error.first.is_visible()
    body = page.locator("body").inner_text()
    assert "Traceback" not in body
    page.screenshot(path=str(screenshot_dir / "error.png"), full_page=True)


def test_an_article_with_nothing_left_after_cleaning_shows_why(page):
    page.locator("#article-text textarea").fill("Share on Facebook\nAdvertisement\n")
    page.locator("#analyze").click()
    page.get_by_text("cannot be analyzed").first.wait_for(timeout=30_000)
    assert "Traceback" not in page.locator("body").inner_text()


def test_batch_upload_progress_and_download(page, tmp_path, screenshot_dir):
    records = [{"id": f"r{n}", "title": f"Story {n}", "text": ARTICLE.replace("second", f"day {n}")}
               for n in range(12)]
    records.append({"id": "broken", "text": 42})
    source = tmp_path / "articles.jsonl"
    source.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")

    page.get_by_role("tab", name="Batch").click()
    upload_batch_file(page, source)
    page.locator("#run-batch").click()
    report = page.locator("#batch-report")
    page.wait_for_function(
        "document.querySelector('#batch-report').innerText.includes('with errors')", timeout=120_000
    )
    assert "13 records" in report.inner_text() and "1 with errors" in report.inner_text()
    page.screenshot(path=str(screenshot_dir / "batch.png"), full_page=True)

    link = page.locator("#batch-result a").first
    with page.expect_download() as download_info:
        link.click()
    saved = tmp_path / "downloaded.jsonl"
    download_info.value.save_as(saved)
    lines = [json.loads(line) for line in saved.read_text(encoding="utf-8").splitlines()]
    assert [line["id"] for line in lines] == [r["id"] for r in records]
    assert "error" in lines[-1] and "topic" in lines[0]


def test_batch_with_a_bad_file_shows_a_readable_error(page, tmp_path):
    source = tmp_path / "articles.csv"
    source.write_text("headline,body\nA,B\n", encoding="utf-8")
    page.get_by_role("tab", name="Batch").click()
    upload_batch_file(page, source)
    page.locator("#run-batch").click()
    page.get_by_text("no column 'text'").first.wait_for(timeout=30_000)
    assert "Traceback" not in page.locator("body").inner_text()


def test_the_page_and_docs_load_nothing_from_outside_the_server(browser, page_server):
    """The server may run without internet access: no CDN, font service or analytics call."""
    from demo.screenshot import VIEWPORT

    page = browser.new_page(viewport=VIEWPORT)
    outside: list[str] = []
    page.on("request", lambda request: outside.append(request.url)
            if not request.url.startswith((page_server.url, "data:", "blob:")) else None)
    try:
        page.goto(page_server.url + "/")
        page.locator("#analyze").wait_for()
        page.locator("#article-text textarea").fill(ARTICLE)
        page.locator("#analyze").click()
        page.locator("#highlighted .pl-article").wait_for(timeout=60_000)
        page.goto(page_server.url + "/docs")
        page.get_by_text("/api/v1/analyze").first.wait_for(timeout=30_000)
    finally:
        page.close()
    assert outside == []
