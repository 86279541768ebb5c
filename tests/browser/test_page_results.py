"""What the page shows, in a real Chromium (issue 21, item 16).

Before: an error toast from an earlier run stayed over new results; the article view ran its paragraphs
together; the page's date, author and site were not shown; the Batch tab listed 3 errors, had no field
mapping and no preview; a low-confidence answer looked as sure as any other.
"""

from __future__ import annotations

import pytest

from test_demo_page import ARTICLE, upload_batch_file  # tests/browser is on sys.path (no package)

pytestmark = pytest.mark.browser

PAGE = ("<html><head><title>Library reopens after flood repairs</title><meta name=\"author\" content=\"Mara Lind\">"
        "<meta property=\"article:published_time\" content=\"2026-03-14\">"
        "<meta property=\"og:site_name\" content=\"Dunmore Gazette\"></head><body><article>"
        "<h1>Library reopens after flood repairs</h1>"
        "<p>The central library in Dunmore reopened on Monday after eight months of repairs. The roof was replaced.</p>"
        "<p>Staff said 12,000 books had been restored or replaced. Volunteers helped dry them.</p>"
        "<p>The mayor thanked the volunteers at a ceremony. Opening hours are unchanged.</p></article></body></html>")


def visible_toasts(page, text: str) -> int:
    toasts = page.locator(".toast-body", has_text=text)
    return sum(toasts.nth(k).is_visible() for k in range(toasts.count()))


def test_an_old_error_toast_does_not_stay_over_new_results(page):
    page.locator("#analyze").click()
    page.get_by_text("Paste an article").first.wait_for(timeout=30_000)
    assert visible_toasts(page, "Paste an article") == 1
    page.locator("#article-text textarea").fill(ARTICLE)
    page.locator("#analyze").click()
    page.locator("#highlighted .pl-article").wait_for(timeout=60_000)
    page.wait_for_timeout(500)
    assert visible_toasts(page, "Paste an article") == 0


@pytest.fixture(scope="module")
def unsure_page(browser, tmp_path_factory):
    """A page over a tiny model whose temperatures (50) make every answer close to uniform: unsure."""
    import importlib.util
    from pathlib import Path

    from demo.process import ServerProcess
    from demo.screenshot import open_page

    spec = importlib.util.spec_from_file_location("tests_conftest", Path(__file__).parents[1] / "conftest.py")
    fixtures = importlib.util.module_from_spec(spec)  # tests/conftest.py (this folder has a conftest too)
    spec.loader.exec_module(fixtures)
    checkpoint = fixtures.build_tiny_checkpoint(tmp_path_factory.mktemp("unsure_model"),
                                       temperatures={"topic": 50.0, "stance": 50.0, "summary": 1.2})
    server = ServerProcess(checkpoint, args=["--precision", "fp32"],
                           log_path=tmp_path_factory.mktemp("unsure") / "server.log").start()
    opened = open_page(browser, server.url + "/")
    yield opened
    opened.close()
    server.stop()


def test_paragraphs_metadata_and_low_confidence_are_shown(unsure_page):
    page = unsure_page
    page.locator("#article-text textarea").fill(PAGE)
    page.locator("#analyze").click()
    page.locator("#highlighted .pl-article").wait_for(timeout=60_000)
    paragraphs = page.locator("#highlighted .pl-article p")
    assert paragraphs.count() == 3
    assert "Staff said 12,000 books" in paragraphs.nth(1).inner_text()
    status = page.locator("#status").inner_text()
    assert "2026-03-14" in status and "Mara Lind" in status and "Dunmore Gazette" in status
    # The tiny random test model is unsure of everything: its answers must say so.
    assert page.locator("#stances .pl-unsure").count() >= 1
    assert "low confidence" in page.locator("#stances").inner_text()
    assert "low confidence" in status  # the topic's


def test_batch_lists_every_error_maps_fields_and_previews(page, tmp_path):
    import csv

    source = tmp_path / "mapped.csv"
    with open(source, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream)
        writer.writerow(["key", "headline", "body"])
        for n in range(10):
            writer.writerow([f"k{n}", f"Story {n}", "" if n % 2 else ARTICLE])
    page.get_by_role("tab", name="Batch").click()
    page.locator("#field-text input, #field-text textarea").first.fill("body")
    page.locator("#field-title input, #field-title textarea").first.fill("headline")
    page.locator("#field-id input, #field-id textarea").first.fill("key")
    upload_batch_file(page, source)
    page.locator("#run-batch").click()
    page.wait_for_function("document.querySelector('#batch-report').innerText.includes('analyzed,')",
                           timeout=120_000)
    report = page.locator("#batch-report").inner_text()
    assert "10 records" in report and "5 with errors" in report
    for n in (1, 3, 5, 7, 9):  # all five errors, not three
        assert f"k{n}" in report
    preview = page.locator("#batch-preview").inner_text()
    assert "k0" in preview and "k2" in preview
