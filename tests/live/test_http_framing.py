"""Every answer of the live faces, read by a strict HTTP/1.1 parser (h11) off a raw socket.

Strict clients (Node's fetch, Stoplight Prism, strict proxies) refuse an answer with two
`Content-Length` headers, a length that differs from the bytes sent, or a body after a HEAD;
lenient Python clients hide all three. One script walks every route the mock serves (the
API, the admin API, the dashboard) through the statuses they answer, and checks each answer
with `assert_well_framed`; HEAD answers carry the GET's headers and no body. It runs on
`LiveServer` (both dialects), the `mockserver` command and gunicorn (sync and gthread
workers), so any HTTP server put behind them meets the same checks; requests the server's own
parser refuses (414, 431) are checked too, on the mock's own servers. No route of the mock
answers 204 or 304 (nothing is conditional, nothing is empty), so the checks for those
statuses never come into play here.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.live import LiveServer
from tests.support.gunicorn_hosts import gunicorn_host
from tests.support.strict_http import Answer, StrictConnection, assert_well_framed

AUTH = {"Authorization": "Bearer sk-strict"}
ADMIN = {"X-Mock-Admin-Token": "admin-strict"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox in the snow"}
CREATE = "/v1/video/generations"
MAX_BODY = 4096
# The settings of every server here: step jobs (two polls to completed), an admin token (so a
# 403 is reachable from loopback) and a small body cap (so a 413 is cheap).
SETTINGS = {"lifecycle": "step", "admin_token": ADMIN["X-Mock-Admin-Token"], "max_body_bytes": str(MAX_BODY)}
# What the walk must have met, in either dialect: the list of statuses.
STATUSES = {200, 201, 400, 401, 403, 404, 405, 409, 413, 429, 500, 503}


class Walk:
    """Sends requests on one `StrictConnection`, checking and keeping every answer."""

    def __init__(self, connection: StrictConnection) -> None:
        self.connection = connection
        self.answers: list[Answer] = []

    def send(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> Answer:
        answer = self.connection.request(method, target, headers, body)
        assert_well_framed(answer)
        self.answers.append(answer)
        return answer

    def json(self, method: str, target: str, payload: object, headers: dict[str, str] | None = None) -> Answer:
        answer = self.connection.json(method, target, payload, headers)
        assert_well_framed(answer)
        self.answers.append(answer)
        return answer

    def get_and_head(self, target: str, headers: dict[str, str] | None = None) -> tuple[Answer, Answer]:
        """GET then HEAD on a route whose answer does not change between the two: same status and headers, no body."""
        got = self.send("GET", target, headers)
        head = self.send("HEAD", target, headers)
        assert head.status == got.status, f"{head} but {got}"
        for name in ("content-length", "content-type", "allow", "cache-control"):
            assert head.header(name) == got.header(name), (
                f"{head}: {name} {head.header(name)!r} != {got.header(name)!r}"
            )
        return got, head


def walk(connection: StrictConnection, keep_alive: bool) -> list[Answer]:
    """Every route through the statuses it answers; returns the checked answers in order.

    With `keep_alive`, the server must keep the connection open after the download.
    """
    w = Walk(connection)
    assert w.json("POST", "/__mock/reset", {}, ADMIN).status == 200
    created = w.json("POST", CREATE, TEXT, AUTH)
    assert created.status == 200
    task = created.json()["task_id"]
    poll, content = f"{CREATE}/{task}", f"{CREATE}/{task}/content"
    assert w.send("GET", poll, AUTH).status == 200  # in progress
    assert w.send("GET", content).status in (400, 404)  # not completed yet (404 uniall, 400 new-api)
    assert w.send("GET", f"/v1/videos/{task}", AUTH).status == 200  # completed now
    for target in (poll, f"/v1/videos/{task}"):
        w.get_and_head(target, AUTH)

    # The download (both routes), its HEAD, then a create on the same connection.
    for target in (content, f"/v1/videos/{task}/content"):
        video, head = w.get_and_head(target)
        assert (video.status, video.header("content-type"), video.body[4:8]) == (200, "video/mp4", b"ftyp")
        assert head.header("content-length") == str(len(video.body))
    downloaded_on = w.answers[-1].connection
    after = w.json("POST", CREATE, TEXT, AUTH)
    assert after.status == 200
    assert after.connection == downloaded_on or not keep_alive

    # Refusals of the API.
    assert w.send("POST", CREATE, {**AUTH, "Content-Type": "application/json"}, b"{not json").status == 400
    assert w.json("POST", CREATE, {"model": "viduq3p-720p"}, AUTH).status == 400
    assert w.json("POST", CREATE, TEXT).status == 401
    assert w.json("POST", CREATE, TEXT, {**AUTH, "Prefer": "job=maybe"}).status == 400
    assert w.send("POST", CREATE, {**AUTH, "Content-Type": "application/json"}, b" " * (MAX_BODY + 1)).status == 413
    assert w.send("GET", CREATE, AUTH).status == 405
    assert w.send("HEAD", CREATE, AUTH).status == 405
    assert w.send("PUT", poll, AUTH).status == 405
    assert w.send("GET", f"{CREATE}/task_unknown", AUTH).status in (400, 404)
    w.get_and_head("/v2/anything", AUTH)  # 404
    # Injected: by the Prefer header, then by queued failure rules (one on the download).
    for status in (429, 503, 500):
        answer = w.json("POST", CREATE, TEXT, {**AUTH, "Prefer": f"code={status}"})
        assert answer.status == status
    malformed = w.json("POST", CREATE, TEXT, {**AUTH, "Prefer": "fault=malformed"})
    assert malformed.status == 200
    assert w.json("POST", "/__mock/failures", {"error": "503"}, ADMIN).status == 201
    assert w.json("POST", CREATE, TEXT, AUTH).status == 503
    assert w.json("POST", "/__mock/failures", {"error": "429", "endpoint": "content"}, ADMIN).status == 201
    assert w.send("GET", content).status == 429

    # The admin API: reads (with their HEADs), writes and refusals.
    for target in ("/__mock/journal", "/__mock/failures", "/__mock/jobs", "/__mock/config", "/__mock/tasks"):
        assert w.get_and_head(target, ADMIN)[0].status == 200
    assert w.get_and_head(f"/__mock/tasks/{task}", ADMIN)[0].status == 200
    assert w.json("POST", "/__mock/clock", {"advance": 1}, ADMIN).status == 200
    assert w.send("GET", "/__mock/clock", ADMIN).status == 200
    assert w.json("POST", f"/__mock/tasks/{task}", {"status": "queued"}, ADMIN).status == 409
    assert w.json("POST", "/__mock/jobs", {"outcome": "fail", "polls": 1}, ADMIN).status == 201
    assert w.json("DELETE", "/__mock/jobs", {}, ADMIN).status == 200
    assert w.json("DELETE", "/__mock/config", {}, ADMIN).status == 405
    assert w.send("GET", "/__mock/nothing", ADMIN).status == 404
    assert w.send("GET", "/__mock/journal").status == 403
    # The dashboard: its page and assets (GET and HEAD).
    assert w.send("GET", "/__mock/", ADMIN).header("content-type") == "text/html; charset=utf-8"
    assert w.send("HEAD", "/__mock/", ADMIN).status == 200
    for asset in ("/__mock/assets/dashboard.js", "/__mock/assets/dashboard.css"):
        assert w.get_and_head(asset)[0].status == 200
    assert w.json("POST", CREATE, TEXT, AUTH).status == 200  # still serving on the same terms
    return w.answers


def assert_walked(answers: list[Answer], keep_alive: bool) -> None:
    """The walk met every status it should; with keep-alive, all on one connection."""
    missing = STATUSES - {answer.status for answer in answers}
    assert not missing, f"the walk never met {sorted(missing)}"
    assert {answer.method for answer in answers} >= {"GET", "HEAD", "POST", "PUT", "DELETE"}
    if keep_alive:
        assert {answer.connection for answer in answers} == {0}, "a connection was closed on the way"
        assert not [a for a in answers if (a.header("connection") or "").lower() == "close"]


@pytest.fixture(params=["uniall", "new-api"])
def live(request: pytest.FixtureRequest) -> Iterator[LiveServer]:
    """The `mockserver` command's server (`LiveServer`) in each dialect."""
    settings = Settings(
        port=0,
        dialect=request.param,
        lifecycle="step",
        admin_token=ADMIN["X-Mock-Admin-Token"],
        max_body_bytes=MAX_BODY,
    )
    engine = ContractEngine(settings, ManualClock())
    with LiveServer(engine=engine) as server:
        yield server


def assert_refusals_framed(port: int) -> None:
    """What the server's own parser refuses before the app (no app headers) is framed the same way."""
    for target, headers, status in (("/" + "a" * 100_000, {}, 414), ("/x", {"X-Big": "a" * 65536}, 431)):
        connection = StrictConnection("127.0.0.1", port)
        try:
            answer = connection.request("GET", target, headers)
        finally:
            connection.close()
        assert_well_framed(answer)
        assert answer.status == status


def test_every_answer_of_the_live_server_is_strictly_framed(live: LiveServer) -> None:
    connection = StrictConnection("127.0.0.1", live.port)
    try:
        assert_walked(walk(connection, keep_alive=True), keep_alive=True)
    finally:
        connection.close()
    assert_refusals_framed(live.port)


@contextmanager
def mockserver_command(dialect: str) -> Iterator[int]:
    """The `mockserver` command in a subprocess with `SETTINGS`; yields its port."""
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIDU_MOCK_")}
    env["VIDU_MOCK_ADMIN_TOKEN"] = SETTINGS["admin_token"]  # read from the environment only
    command = [str(Path(sys.executable).with_name("mockserver")), "--host", "127.0.0.1", "--port", "0", "--quiet"]
    command += ["--dialect", dialect, "--lifecycle", "step", "--max-body-bytes", str(MAX_BODY)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env)
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()  # printed once it listens
        match = re.search(r"serving http://127\.0\.0\.1:(\d+)", banner)
        assert match, f"mockserver did not start: {banner!r}"
        yield int(match.group(1))
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


@pytest.mark.slow  # a mockserver subprocess
def test_every_answer_of_the_mockserver_command_is_strictly_framed() -> None:
    with mockserver_command("new-api") as port:
        connection = StrictConnection("127.0.0.1", port)
        try:
            assert_walked(walk(connection, keep_alive=True), keep_alive=True)
        finally:
            connection.close()
        assert_refusals_framed(port)


# gunicorn's sync worker (the default) closes every connection; its gthread worker keeps them.
GUNICORN_WORKERS = {
    "sync": ("uniall", (), False),
    "gthread": ("new-api", ("--threads", "2", "--keep-alive", "60"), True),
}


@pytest.mark.slow  # a gunicorn subprocess
@pytest.mark.parametrize("worker", GUNICORN_WORKERS)
def test_every_answer_under_gunicorn_is_strictly_framed(worker: str) -> None:
    dialect, options, keep_alive = GUNICORN_WORKERS[worker]
    with gunicorn_host(1, dialect=dialect, options=options, **SETTINGS) as host:
        port = int(host.url.rsplit(":", 1)[1])
        connection = StrictConnection("127.0.0.1", port)
        try:
            assert_walked(walk(connection, keep_alive), keep_alive)
        finally:
            connection.close()
