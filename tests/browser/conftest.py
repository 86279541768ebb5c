"""Browser-test fixtures: a real server (tiny model) and Debian's headless Chromium through Playwright.

Every test here is marked `browser` and skipped, with the reason, when /usr/bin/chromium or playwright is
missing (.ci/run installs both). Screenshots go to PRESSLENS_SCREENSHOT_DIR if set, else a temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from demo.screenshot import CHROMIUM


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        pytest.skip(f"{CHROMIUM} is missing (apt-get install -y chromium); .ci/run installs it")
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (dev extra)")
    from demo.screenshot import launch_chromium

    with sync_api.sync_playwright() as playwright:
        chromium = launch_chromium(playwright)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def page_server(tiny_checkpoint, tmp_path_factory, browser):
    pytest.importorskip("gradio")
    from demo.process import ServerProcess

    log_path = tmp_path_factory.mktemp("page_server") / "server.log"
    server = ServerProcess(tiny_checkpoint, args=["--max-chars", "20000"], log_path=log_path).start()
    yield server
    assert server.stop() == 0, server.log()


@pytest.fixture(scope="session")
def screenshot_dir(tmp_path_factory) -> Path:
    folder = os.environ.get("PRESSLENS_SCREENSHOT_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        return Path(folder)
    return tmp_path_factory.mktemp("screenshots")


@pytest.fixture
def page(browser, page_server):
    from demo.screenshot import open_page

    opened = open_page(browser, page_server.url + "/")
    yield opened
    opened.close()
