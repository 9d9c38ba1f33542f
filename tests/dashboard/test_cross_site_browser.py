"""A web page on another origin tries to steer the mock from a real browser (Debian's chromium through Playwright).

The page is served by a second loopback server on another port: from `127.0.0.1` (another
origin on the same site, like a dev server on :3000) and from `localhost` (another site).
It fires what a browser sends to any site without asking first: form posts (`text/plain`,
one crafted so its body is a valid failure rule), `no-cors` fetches and `text/plain`
beacons, at `/__mock/reset` and `/__mock/failures`. Every one must reach the mock and be
refused (its log lines say so), and the mock's state must be as it was.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from string import Template

import pytest
import requests
from playwright.sync_api import Browser

from mockserver.live import LiveServer
from mockserver.live.app import REQUEST_LOG
from tests.support.browser import CHROMIUM, chromium
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]

RULE = '{"error": 503, "times": 100}'
# A text/plain form sends `name=value`: split so the whole body is valid JSON, a rule the mock would take.
PAGE = Template("""<!doctype html>
<meta charset="utf-8"><title>some other site</title>
<iframe name="sink1"></iframe><iframe name="sink2"></iframe>
<form id="rule" method="post" enctype="text/plain" action="$mock/__mock/failures" target="sink1">
  <input type="hidden" name='{"error": 503, "times": 100, "model": "' value='viduq3p-720p"}'>
</form>
<form id="reset" method="post" enctype="text/plain" action="$mock/__mock/reset" target="sink2"></form>
<script>
  document.getElementById("rule").submit();
  document.getElementById("reset").submit();
  fetch("$mock/__mock/failures", {mode: "no-cors", method: "POST", body: '$rule'}).catch(() => {});
  fetch("$mock/__mock/reset", {mode: "no-cors", method: "POST", body: "{}"}).catch(() => {});
  navigator.sendBeacon("$mock/__mock/failures", new Blob(['$rule'], {type: "text/plain"}));
  navigator.sendBeacon("$mock/__mock/reset", "{}");
</script>
""")
ATTEMPTS = 6  # two forms, two fetches, two beacons


class _Counter(logging.Handler):
    """Collects the mock's log lines for admin writes; `done` is set once `ATTEMPTS` have arrived."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []
        self.done = threading.Event()

    def emit(self, record: logging.LogRecord) -> None:
        line = record.getMessage()
        if "/__mock/" in line:
            self.lines.append(line)
            if len(self.lines) >= ATTEMPTS:
                self.done.set()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as started:
        yield started


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server() as started:
        yield started


@pytest.fixture
def counter() -> Iterator[_Counter]:
    handler = _Counter()
    level = REQUEST_LOG.level
    REQUEST_LOG.addHandler(handler)
    REQUEST_LOG.setLevel(logging.INFO)
    try:
        yield handler
    finally:
        REQUEST_LOG.removeHandler(handler)
        REQUEST_LOG.setLevel(level)


def _other_origin(page: bytes) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return ThreadingHTTPServer(("127.0.0.1", 0), Handler)


def _state(server: LiveServer) -> tuple[list[dict[str, object]], list[dict[str, object]], int]:
    """The journal and the failure queue as the admin API reads them, and the number of tasks."""
    journal = requests.get(server.url + "/__mock/journal", timeout=5).json()["entries"]
    rules = requests.get(server.url + "/__mock/failures", timeout=5).json()["rules"]
    return journal, rules, len(server.engine.store)


@pytest.mark.parametrize("page_host", ["127.0.0.1", "localhost"])
def test_a_page_on_another_origin_cannot_reset_the_mock_or_queue_failures(
    server: LiveServer, browser: Browser, counter: _Counter, page_host: str
) -> None:
    assert requests.post(server.url + CREATE, json=TEXT, headers=AUTH, timeout=5).status_code == 200
    server.control.queue_failure(429, model="viduq3t-540p")
    before = _state(server)
    assert len(before[0]) == 1 and len(before[1]) == 1 and before[2] == 1
    other = _other_origin(PAGE.substitute(mock=server.url, rule=RULE).encode())
    threading.Thread(target=other.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        context.new_page().goto(f"http://{page_host}:{other.server_port}/")
        # Waits for the mock to have answered all six (its log lines), not for a fixed time.
        assert counter.done.wait(30), counter.lines
    finally:
        context.close()
        other.shutdown()
        other.server_close()
    assert sorted(line.split(" -> ")[0] for line in counter.lines) == sorted(
        ["POST /__mock/failures"] * 3 + ["POST /__mock/reset"] * 3
    )
    assert all(" -> 403 " in line for line in counter.lines), counter.lines
    assert _state(server) == before  # nothing reset, nothing queued


def test_without_the_check_the_same_page_would_reset_the_mock_and_queue_failures(
    server: LiveServer, browser: Browser, counter: _Counter, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The control: the page above does reach the mock's state when only the cross-site check is gone."""
    monkeypatch.setattr("mockserver.contract.admin.guard.cross_site_refusal", lambda request: None)
    other = _other_origin(PAGE.substitute(mock=server.url, rule=RULE).encode())
    threading.Thread(target=other.serve_forever, daemon=True).start()
    context = browser.new_context()
    try:
        context.new_page().goto(f"http://127.0.0.1:{other.server_port}/")
        assert counter.done.wait(30), counter.lines
    finally:
        context.close()
        other.shutdown()
        other.server_close()
    answers = sorted(counter.lines)
    assert not any(" -> 403 " in line for line in answers), answers
    resets = [line for line in answers if line.startswith("POST /__mock/reset")]
    assert len(resets) == 3 and all(" -> 200 " in line for line in resets), answers
    queued = [line for line in answers if line.startswith("POST /__mock/failures") and " -> 201 " in line]
    assert len(queued) >= 2, answers  # the fetch and the beacon carry a valid rule
