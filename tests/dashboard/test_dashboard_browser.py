"""The dashboard at /__mock/ in a real browser (Debian's chromium through Playwright).

The server runs a `ManualClock`, so tasks stay where the test puts them; every wait is
Playwright's auto-waiting `expect`, never a sleep.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from playwright.sync_api import Browser, Locator, Page, expect

from mockserver.contract.jobs.ids import owner_fingerprint
from mockserver.dashboard.page import NO_HOLDERS, clock_text
from mockserver.live import LiveServer
from tests.support.browser import CHROMIUM, chromium
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server
from tests.support.markdown_examples import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed (.ci/run installs it)"),
]
# Generous for a loaded 2-core CI machine; a passing check returns as soon as it holds.
expect.set_options(timeout=20_000)
ADMIN_TOKEN = "adm-dashboard-Secret-123"
XSS = '<script>window.__xss = 1</script><img src=x onerror="alert(\'xss\')"> & "quotes"'


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with chromium() as started:
        yield started


@pytest.fixture
def server() -> Iterator[LiveServer]:
    with live_server() as started:
        yield started


class Tab:
    """A page in a fresh browser context, recording every dialog and admin request it makes."""

    def __init__(self, browser: Browser, *, javascript: bool = True) -> None:
        self.context = browser.new_context(java_script_enabled=javascript)
        self.page: Page = self.context.new_page()
        self.dialogs: list[str] = []
        self.admin_requests: list[tuple[str, str | None]] = []
        self.page.on("dialog", self._dialog)
        self.page.on("request", lambda r: self.admin_requests.append((r.url, r.headers.get("x-mock-admin-token"))))

    def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        dialog.dismiss()

    def open(self, server: LiveServer) -> Page:
        self.page.goto(server.url + "/__mock/")
        return self.page


@pytest.fixture
def tab(browser: Browser) -> Iterator[Tab]:
    opened = Tab(browser)
    yield opened
    opened.context.close()


def create(server: LiveServer, body: dict[str, Any] = TEXT) -> requests.Response:
    return requests.post(server.url + CREATE, json=body, headers=AUTH, timeout=5)


def live(page: Page) -> None:
    """Wait until the script has drawn the page once from the admin API."""
    expect(page.locator("#live")).to_contain_text("Live")


def task_row(page: Page, task_id: str) -> Locator:
    return page.locator(f'#task-rows tr[data-id="{task_id}"]')


def test_a_request_sent_after_the_page_loaded_shows_up_without_a_reload(server: LiveServer, tab: Tab) -> None:
    page = tab.open(server)
    live(page)
    expect(page.locator("#journal-rows")).to_contain_text("No requests yet.")
    page.evaluate("window.__sameDocument = true")
    job = create(server).json()
    refused = create(server, {"model": "viduq3p-720p"})
    assert refused.status_code == 400
    rows = page.locator("#journal-rows tr")
    expect(rows).to_have_count(2)
    # Newest first: the refused request with its validation message, then the accepted one.
    for text in ("POST", CREATE, "400", "viduq3p-720p", "text-to-video", refused.json()["error"]["message"]):
        expect(rows.nth(0)).to_contain_text(text)
    expect(rows.nth(1)).to_contain_text("200")
    expect(rows.nth(1)).to_contain_text(TEXT["prompt"])
    expect(rows.nth(1).locator("td").nth(5)).to_have_text(re.compile(r"^\d+\.\d ms$"))
    expect(task_row(page, job["id"])).to_contain_text("queued")
    assert page.evaluate("window.__sameDocument") is True, "the page reloaded"
    assert "sk-live-test" not in page.content()


def test_task_controls_advance_complete_and_fail_and_the_video_plays(server: LiveServer, tab: Tab) -> None:
    first, second = create(server).json()["id"], create(server).json()["id"]
    page = tab.open(server)
    live(page)
    row = task_row(page, first)
    status = row.locator("td.status")
    expect(status).to_have_text("queued")
    row.get_by_role("button", name="Advance").click()
    expect(status).to_have_text("in_progress")
    assert server.control.state(first).status == "in_progress"
    row.get_by_role("button", name="Complete").click()
    expect(status).to_have_text("completed")
    expect(row).to_contain_text("100%")
    expect(row.get_by_role("button", name="Fail")).to_be_disabled()
    video = row.locator("video")
    expect(video).to_be_visible()
    duration = video.evaluate(
        """v => new Promise((done, failed) => {
            if (v.readyState >= 1) return done(v.duration);
            v.addEventListener("loadedmetadata", () => done(v.duration));
            v.addEventListener("error", () => failed(new Error("video error " + (v.error && v.error.code))));
        })"""
    )
    assert duration > 0
    other = task_row(page, second)
    other.get_by_role("button", name="Fail").click()
    expect(other.locator("td.status")).to_have_text("failed")
    assert server.control.state(second).status == "failed"
    expect(page.locator("#notice")).to_contain_text(f"Fail: {second}")
    assert tab.dialogs == []


def test_advancing_the_clock_moves_time_and_the_jobs(server: LiveServer, tab: Tab) -> None:
    job = create(server).json()
    start = server.control.now()
    page = tab.open(server)
    live(page)
    expect(page.locator("#clock")).to_have_text(clock_text(start))
    expect(task_row(page, job["id"]).locator("td.status")).to_have_text("queued")
    page.locator("#clock-seconds").fill("3600")
    page.get_by_role("button", name="Advance clock").click()
    expect(page.locator("#clock")).to_have_text(clock_text(start + 3600))
    expect(task_row(page, job["id"]).locator("td.status")).to_have_text("completed")
    assert server.control.now() == start + 3600


def test_queueing_a_failure_shows_the_rule_and_the_injected_answer(server: LiveServer, tab: Tab) -> None:
    page = tab.open(server)
    live(page)
    page.locator("#failure-error").fill("503")
    page.locator("#failure-times").fill("2")
    page.locator("#failure-model").fill("viduq3p-720p")
    page.get_by_role("button", name="Queue failure").click()
    rule = page.locator("#rule-rows tr")
    expect(rule).to_have_count(1)
    expect(rule).to_contain_text("503")
    expect(rule.locator("td").nth(3)).to_have_text("2")
    assert [r.to_json()["error"] for r in server.control.pending_failures] == ["503"]
    assert create(server).status_code == 503
    newest = page.locator("#journal-rows tr").first
    expect(newest).to_contain_text("503")
    expect(newest.locator("td.injected")).to_have_text("rule:503")
    expect(rule.locator("td").nth(3)).to_have_text("1")
    # A rule the mock refuses is reported on the page, not queued.
    page.locator("#failure-error").fill("418")
    page.get_by_role("button", name="Queue failure").click()
    expect(page.locator("#notice.error")).to_contain_text("Bad failure rule")
    assert len(server.control.pending_failures) == 1


def test_reset_forgets_requests_tasks_and_rules(server: LiveServer, tab: Tab) -> None:
    job = create(server).json()
    server.control.queue_failure("429")
    page = tab.open(server)
    live(page)
    expect(task_row(page, job["id"])).to_be_visible()
    expect(page.locator("#rule-rows")).to_contain_text("429")
    page.get_by_role("button", name="Reset").click()
    expect(page.locator("#journal-rows")).to_have_text("No requests yet.")
    expect(page.locator("#task-rows")).to_have_text("No tasks yet.")
    expect(page.locator("#rule-rows")).to_have_text("No failures queued.")
    assert server.control.journal == [] and server.control.pending_failures == []
    assert tab.dialogs == []


def test_a_script_in_a_prompt_stays_text(server: LiveServer, browser: Browser, tab: Tab) -> None:
    create(server, {"model": "viduq3p-720p", "prompt": XSS})
    create(server, {"model": XSS, "prompt": "x"})  # refused, but journaled with its model
    # Server-rendered (no script at all), then drawn by the script.
    static = Tab(browser, javascript=False)
    try:
        page = static.open(server)
        expect(page.locator("#journal-rows td.prompt").last).to_have_text(XSS)  # the oldest row
        expect(page.locator("#journal-rows")).to_contain_text(XSS)
        assert page.locator("#journal-rows img, #journal-rows script").count() == 0
    finally:
        static.context.close()
    page = tab.open(server)
    live(page)
    create(server, {"model": "viduq3p-720p", "prompt": XSS})
    expect(page.locator("#journal-rows td.prompt").filter(has_text=XSS)).to_have_count(2)
    expect(page.locator("#journal-rows td").filter(has_text=XSS)).to_have_count(3)
    assert page.locator("#journal-rows img, #journal-rows script").count() == 0
    assert page.evaluate("window.__xss") is None
    assert tab.dialogs == []


LOADED = """v => new Promise((done, failed) => {
    if (v.readyState >= 1) return done(v.duration);
    v.addEventListener("loadedmetadata", () => done(v.duration));
    v.addEventListener("error", () => failed(new Error("video error " + (v.error && v.error.code))));
})"""


@pytest.mark.parametrize("token", [None, ADMIN_TOKEN], ids=["loopback", "admin-token"])
def test_looking_at_the_page_changes_nothing(browser: Browser, token: str | None) -> None:
    with live_server(admin_token=token) as server:
        headers = {"X-Mock-Admin-Token": token} if token else {}
        job = create(server).json()
        server.control.complete(job["id"])
        assert requests.get(f"{server.url}{CREATE}/{job['id']}", headers=AUTH, timeout=5).status_code == 200
        rule = server.control.queue_failure(503, endpoint="content")
        journal = [entry.to_json() for entry in server.control.journal]
        assert len(journal) == 2
        tab = Tab(browser)
        try:
            if token:
                tab.page.add_init_script(f"sessionStorage.setItem('vidu-mock-admin-token', {token!r})")
            page = tab.open(server)
            live(page)
            video = task_row(page, job["id"]).locator("video")
            expect(video).to_be_visible()
            assert video.evaluate(LOADED) > 0  # the preview played its metadata: the page did fetch a video
            page.reload()  # the server-rendered page too
            live(page)
            assert task_row(page, job["id"]).locator("video").evaluate(LOADED) > 0
        finally:
            tab.context.close()
        fetched = [url for url, _ in tab.admin_requests if "/video" in url or "/content" in url]
        assert fetched and all(f"/__mock/tasks/{job['id']}/video" in url for url in fetched), fetched
        # Unchanged: the journal (no browser request in it) and the queued content failure.
        assert [entry.to_json() for entry in server.control.journal] == journal
        assert server.control.pending_failures == [rule] and rule.times == 1
        listed = requests.get(f"{server.url}/__mock/failures", headers=headers, timeout=5).json()["rules"]
        assert [item["endpoint"] for item in listed] == ["content"]


def test_the_concurrency_panel_shows_the_cap_and_each_tokens_held_slots_and_only_looks(
    server: LiveServer, tab: Tab
) -> None:
    page = tab.open(server)
    live(page)
    expect(page.locator("#concurrency-cap")).to_contain_text("No cap")
    expect(page.locator("#concurrency-rows")).to_have_text(NO_HOLDERS)
    assert requests.put(f"{server.url}/__mock/concurrency", json={"per_token": 1}, timeout=5).status_code == 200
    expect(page.locator("#concurrency-cap")).to_contain_text("Cap: 1 task in flight per token")
    job = create(server).json()
    assert create(server).status_code == 429  # the slot is held: the cap is what the panel says
    rule = server.control.queue_failure(503, endpoint="poll")
    journal = [entry.to_json() for entry in server.control.journal]
    row = page.locator("#concurrency-rows tr")
    expect(row).to_have_count(1)
    fingerprint = owner_fingerprint(server.engine.settings.secret, AUTH["Authorization"].split()[1])
    expect(row.locator("td").nth(0)).to_have_text(fingerprint)
    expect(row.locator("td").nth(1)).to_have_text("1 of 1")
    page.reload()  # the server-rendered panel says the same
    expect(page.locator("#concurrency-rows td").nth(0)).to_have_text(fingerprint)
    live(page)
    assert AUTH["Authorization"].split()[1] not in page.content(), "a fingerprint, never the token"
    server.control.complete(job["id"])  # a final task holds no slot
    expect(page.locator("#concurrency-rows")).to_have_text(NO_HOLDERS)
    # The page only looked: no request journaled, the queued poll failure still there.
    assert [entry.to_json() for entry in server.control.journal] == journal
    assert server.control.pending_failures == [rule] and rule.times == 1
    assert any(url.endswith("/__mock/concurrency") for url, _ in tab.admin_requests)


def test_readable_without_javascript(server: LiveServer, browser: Browser) -> None:
    job = create(server).json()
    server.control.complete(job["id"])
    static = Tab(browser, javascript=False)
    try:
        page = static.open(server)
        expect(page.locator("#journal-rows")).to_contain_text(TEXT["prompt"])
        expect(task_row(page, job["id"]).locator("td.status")).to_have_text("completed")
        expect(task_row(page, job["id"]).locator("video")).to_have_count(1)
        expect(page.locator("#settings-rows")).to_contain_text("lifecycle")
        expect(page.locator("#live")).to_contain_text("Static view")
        expect(page.locator("#controls")).to_be_hidden()
    finally:
        static.context.close()


def test_with_an_admin_token_the_page_asks_for_it_and_sends_it_as_a_header(tab: Tab) -> None:
    with live_server(admin_token=ADMIN_TOKEN) as server:
        create(server)
        page = tab.open(server)
        expect(page.locator("#token-form")).to_be_visible()
        expect(page.locator("#token-status")).to_contain_text("needs its admin token")
        expect(page.locator("#journal-rows")).to_contain_text("Locked")
        expect(page.locator("#controls")).to_be_hidden()
        page.locator("#token-input").fill("adm-wrong")
        page.get_by_role("button", name="Unlock").click()
        expect(page.locator("#token-status")).to_contain_text("refused")
        expect(page.locator("#journal-rows")).to_contain_text("Locked")
        expect(page.locator("#journal-rows")).not_to_contain_text("viduq3p-720p")
        page.locator("#token-input").fill(ADMIN_TOKEN)
        page.get_by_role("button", name="Unlock").click()
        live(page)
        expect(page.locator("#token-form")).to_be_hidden()
        expect(page.locator("#journal-rows")).to_contain_text("viduq3p-720p")
        page.get_by_role("button", name="Reset").click()  # a control, sent with the token
        expect(page.locator("#journal-rows")).to_have_text("No requests yet.")
        assert server.control.journal == []
        admin = [(url, token) for url, token in tab.admin_requests if "/__mock/" in url]
        assert (f"{server.url}/__mock/journal", ADMIN_TOKEN) in admin
        assert (f"{server.url}/__mock/reset", ADMIN_TOKEN) in admin
        assert ("adm-wrong" in str(admin)) and not any("adm-" in url for url, _ in admin), "the token is never in a URL"
        assert ADMIN_TOKEN not in page.content() and ADMIN_TOKEN not in page.url


def test_the_screenshot_tool_writes_a_small_png(tmp_path: Path) -> None:
    output = tmp_path / "dashboard.png"
    result = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "dashboard_screenshot.py"), str(output)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    data = output.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and 10_000 < len(data) < 400_000


def test_under_several_workers_on_memory_state_the_page_says_why_it_shows_no_data(tab: Tab) -> None:
    from mockserver.dashboard.page import PER_WORKER_ROW
    from tests.support.gunicorn_hosts import gunicorn_host

    with gunicorn_host(2, quiet="true") as host:
        requests.post(host.url + CREATE, json=TEXT, headers=AUTH, timeout=10)
        page = tab.page
        page.goto(host.url + "/__mock/")
        expect(page.locator("#live")).to_contain_text("Per-worker state")  # the script met the 409
        for table in ("#journal-rows", "#task-rows", "#rule-rows"):
            expect(page.locator(table)).to_have_text(PER_WORKER_ROW)
        expect(page.locator("#settings-rows")).to_contain_text("memory")  # the settings, alike everywhere
        expect(page.locator("#controls")).to_be_hidden()
