"""Regenerate docs/dashboard.png: a mock with a little traffic, its dashboard, one screenshot.

    python tools/dashboard_screenshot.py [OUTPUT.png]

Drives the system's chromium (`chromium` on PATH) through Playwright; loopback only.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import requests
from playwright.sync_api import expect, sync_playwright

from mockserver.contract import ManualClock, Settings
from mockserver.live import LiveServer

ROOT = Path(__file__).resolve().parents[1]
AUTH = {"Authorization": "Bearer sk-demo"}


def _traffic(server: LiveServer) -> None:
    """A few requests a developer's app might send: good, refused, failed by a queued rule."""
    create = server.url + "/v1/video/generations"
    first = requests.post(
        create, json={"model": "viduq3p-720p", "prompt": "a fox in the snow"}, headers=AUTH, timeout=5
    )
    second = requests.post(
        create, json={"model": "viduq3t-1080p", "prompt": "waves at dusk", "duration": 8}, headers=AUTH, timeout=5
    )
    requests.post(create, json={"model": "viduq3p-720p", "duration": 5}, headers=AUTH, timeout=5)
    requests.post(create, json={"model": "viduq3p-720p", "prompt": "<b>bold?</b>"}, timeout=5)
    server.control.queue_failure("429")
    requests.post(create, json={"model": "viduq3p-540p", "prompt": "a busy street"}, headers=AUTH, timeout=5)
    server.control.queue_failure("503", times=2, model="viduq3t-720p")
    for job in (first.json(), second.json()):
        requests.get(f"{create}/{job['id']}", headers=AUTH, timeout=5)
    server.control.complete(first.json()["id"])
    server.control.advance(second.json()["id"])


def take(output: Path) -> None:
    """Write the screenshot to `output`."""
    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("chromium is not installed")
    with LiveServer(Settings(port=0), clock=ManualClock()) as server, sync_playwright() as playwright:
        _traffic(server)
        browser = playwright.chromium.launch(executable_path=chromium)
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 860})
            page.goto(server.url + "/__mock/")
            expect(page.locator("#live")).to_contain_text("Live", timeout=20_000)
            video = page.locator("video").first
            video.evaluate("v => v.readyState >= 2 || new Promise(done => v.addEventListener('loadeddata', done))")
            page.screenshot(path=str(output))
        finally:
            browser.close()


def main(argv: list[str]) -> int:
    """Entry point: the output path (default docs/dashboard.png)."""
    take(Path(argv[0]) if argv else ROOT / "docs" / "dashboard.png")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
