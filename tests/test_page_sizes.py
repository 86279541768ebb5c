"""A real-size news page (2.5 MB of HTML around a few KB of article) through the HTTP API of a real server
with its default limits, and through the web page's upload and Analyze functions; an image says so."""

from __future__ import annotations

import pytest

httpx = pytest.importorskip("httpx")
gr = pytest.importorskip("gradio")

from synthetic_pages import ARTICLE_PARAGRAPHS, HEADLINE, big_news_page  # noqa: E402

from demo.process import ServerProcess  # noqa: E402
from demo.schemas import Limits  # noqa: E402
from demo.ui import analyze_article, load_article_file  # noqa: E402

PNG = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 1_700


@pytest.fixture(scope="module")
def page() -> str:
    return big_news_page(2.5)


@pytest.fixture(scope="module")
def default_server(tiny_checkpoint, tmp_path_factory):
    process = ServerProcess(tiny_checkpoint, args=["--precision", "fp32"],
                            log_path=tmp_path_factory.mktemp("sizes") / "server.log")
    process.start()
    yield process
    assert process.stop() == 0, process.log()


def test_the_api_reads_a_multi_megabyte_page_with_its_default_limits(default_server, page):
    """Before: 422 article_too_long (the 200,000-character limit was applied to the page's HTML)."""
    with httpx.Client(base_url=default_server.url, timeout=120) as client:
        response = client.post("/api/v1/analyze", json={"text": page, "include_text": True})
        assert response.status_code == 200, response.text
        article = response.json()["article"]
        assert article["title"] == HEADLINE and len(article["sentences"]) == len(ARTICLE_PARAGRAPHS)
        limits = client.get("/healthz").json()["limits"]
        assert limits["max_chars"] == 200_000 and limits["max_input_bytes"] == 20 * 1024 * 1024
        too_long = client.post("/api/v1/analyze", json={"text": "Harbour talks. " * 14_000})
        assert too_long.status_code == 422 and too_long.json()["error"] == "article_too_long"
        assert "--max-chars of the server (presslens serve)" in too_long.json()["message"]


def test_the_page_uploads_and_analyzes_a_multi_megabyte_page(tmp_path, tiny_analyzer, page):
    path = tmp_path / "page.html"
    path.write_text(page, encoding="utf-8")
    title, text = load_article_file(str(path))
    assert text == page
    view = analyze_article(tiny_analyzer, title, text, "", ["topic", "summary"], 3)
    assert ARTICLE_PARAGRAPHS[0][:40] in view.highlighted and view.summary


def test_the_page_says_an_uploaded_image_is_an_image(tmp_path):
    path = tmp_path / "photo.png"
    path.write_bytes(PNG)
    with pytest.raises(gr.Error, match="a PNG image"):
        load_article_file(str(path), Limits(max_input_bytes=100_000))
