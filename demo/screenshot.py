"""Drive the page in headless Chromium (Debian's /usr/bin/chromium, never a downloaded browser).

    python -m demo.screenshot --out docs/screenshot.png                  # the shipped default model
    python -m demo.screenshot --model path/to/checkpoint --out shot.png

Starts `python -m demo.server` on a free port, opens the page, analyzes an example article and saves a
full-page screenshot. The browser tests use `launch_chromium` and `analyze_example` from here too.
Needs the dev extra (playwright, without `playwright install`: the system Chromium is used).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

CHROMIUM = Path(os.environ.get("PRESSLENS_CHROMIUM", "/usr/bin/chromium"))  # Debian's; override for others
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]
VIEWPORT = {"width": 1400, "height": 1000}
RESULT_TIMEOUT_MS = 120_000  # the first analysis of a real model on a busy CPU can take a while


def launch_chromium(playwright: Any) -> Any:
    if not CHROMIUM.exists():
        raise FileNotFoundError(f"{CHROMIUM} is missing; install Debian's package: apt-get install -y chromium")
    return playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)


def open_page(browser: Any, url: str) -> Any:
    page = browser.new_page(viewport=VIEWPORT)
    page.goto(url)
    page.locator("#analyze").wait_for()
    return page


def analyze_example(page: Any, headline_start: str) -> None:
    """Click the example whose headline starts with `headline_start`, press Analyze, wait for the results."""
    page.get_by_text(headline_start).first.click()
    page.wait_for_function("document.querySelector('#article-text textarea').value.length > 0")
    page.locator("#analyze").click()
    page.locator("#highlighted .pl-article").wait_for(timeout=RESULT_TIMEOUT_MS)


def capture(url: str, out: Path, headline_start: str = "Harbour City") -> Path:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        try:
            page = open_page(browser, url)
            try:
                analyze_example(page, headline_start)
            except Exception:
                page.screenshot(path=str(out.with_suffix(".failed.png")), full_page=True)  # what went wrong
                raise
            page.wait_for_timeout(500)  # let the label bars finish their transition
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out), full_page=True)
        finally:
            browser.close()
    return out


def main(argv: list[str] | None = None) -> int:
    from .process import ServerProcess

    parser = argparse.ArgumentParser(prog="python -m demo.screenshot", description=__doc__.split("\n")[0])
    parser.add_argument("--model", default=None, help="checkpoint directory (default: the shipped model)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--example", default="Harbour City", help="start of the example headline to analyze")
    args = parser.parse_args(argv)
    with ServerProcess(args.model) as server:
        path = capture(server.url + "/", args.out, args.example)
    print(f"saved {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
