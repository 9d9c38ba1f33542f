"""Security guarantees: loopback bind, an admin API only loopback (or a token) may use,
bearer tokens never logged or journaled, and no traffic off loopback, ever.

tests/live/test_server_admin.py covers the basic admin refusal; this module extends it.
"""

from __future__ import annotations

import io
import json
import logging
import os
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
from flask.testing import FlaskClient

from mockserver.cli import settings_from_args
from mockserver.config_sources import settings_from_sources
from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.live import LiveServer
from mockserver.live.app import create_app
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import CREATE, live_server
from tests.support.no_outbound import OUTBOUND, is_loopback, no_outbound_connections, watch

__all__ = ["no_outbound_connections"]  # the autouse guard applies to every test here

COMMAND = Path(sys.executable).with_name("mockserver")
TOKEN = "sk-canary-7f3a9c1e"  # distinctive, so any leak is found by a plain substring search
WRONG = "sk-canary-wrong-52d1"
ADMIN = "adm-canary-0b6e44"
SECRETS = (TOKEN, WRONG, ADMIN)
BODY = {"model": "viduq3p-720p", "prompt": "a fox in the snow"}


# -- Loopback bind ---------------------------------------------------------------------
def test_every_default_binds_loopback() -> None:
    assert Settings().host == "127.0.0.1"
    assert settings_from_sources(environ={}).host == "127.0.0.1"
    assert settings_from_args([], environ={}).host == "127.0.0.1"


def _refused_on_another_loopback_address(port: int) -> bool:
    # A socket bound to 127.0.0.1 alone refuses 127.0.0.2; a wildcard bind would accept.
    try:
        socket.create_connection(("127.0.0.2", port), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def test_the_live_server_listens_on_127_0_0_1_only() -> None:
    with LiveServer(Settings(port=0)) as server:
        assert server._server is not None
        assert server._server.socket.getsockname()[0] == "127.0.0.1"
        assert _refused_on_another_loopback_address(server.port)


def _listening_addresses(port: int) -> set[str]:
    """Local addresses of LISTEN sockets on `port`, from /proc/net/tcp (hex, little-endian)."""
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, state = line.split()[1], line.split()[3]
        address, hex_port = local.split(":")
        if state == "0A" and int(hex_port, 16) == port:
            found.add(socket.inet_ntoa(bytes.fromhex(address)[::-1]))
    return found


@contextmanager
def cli_server(env: dict[str, str]) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """The installed `mockserver` command with default flags (a free port only)."""
    process = subprocess.Popen(
        [str(COMMAND), "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
    )
    try:
        assert process.stdout is not None
        match = re.search(r"serving (http://127\.0\.0\.1:(\d+))", process.stdout.readline())
        assert match, "no banner"
        yield match.group(1), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def _drive(url: str) -> None:
    """Requests a real client sends, good and bad, each with a secret somewhere in its headers."""
    auth = {"Authorization": f"Bearer {TOKEN}"}
    admin = {"X-Mock-Admin-Token": ADMIN}
    task = requests.post(url + CREATE, json=BODY, headers=auth, timeout=5)
    assert task.status_code == 200, task.text
    task_id = assert_conforms(200, task.content)["id"]
    assert requests.get(f"{url}{CREATE}/{task_id}", headers=auth, timeout=5).status_code == 200
    wrong = requests.post(url + CREATE, json=BODY, headers={"Authorization": f"Bearer {WRONG}"}, timeout=5)
    assert wrong.status_code == 401 and WRONG not in wrong.text
    bad = requests.post(url + CREATE, data=b"{", headers={**auth, "Content-Type": "application/json"}, timeout=5)
    assert bad.status_code == 400
    injected = requests.post(url + CREATE, json=BODY, headers={**auth, "Prefer": "code=503"}, timeout=5)
    assert injected.status_code == 503
    too_long = requests.get(f"{url}{CREATE}/{'a' * 70_000}", headers=auth, timeout=5)
    assert too_long.status_code == 414
    headers = {**auth, **admin, "Cookie": f"session={TOKEN}", "X-Api-Key": TOKEN, "Proxy-Authorization": TOKEN}
    assert requests.get(f"{url}{CREATE}/task_unknown", headers=headers, timeout=5).status_code == 404
    for path in ("journal", "config", "failures", "tasks", ""):  # "": the dashboard page
        answer = requests.get(f"{url}/__mock/{path}", headers=admin, timeout=5)
        assert answer.status_code == 200
        for secret in SECRETS:
            assert secret not in answer.text, (path, secret)


@pytest.mark.slow  # the installed CLI in a subprocess
def test_the_cli_binds_loopback_and_never_prints_a_token() -> None:
    env = {"VIDU_MOCK_TOKENS": TOKEN, "VIDU_MOCK_ADMIN_TOKEN": ADMIN}
    with cli_server(env) as (url, process):
        port = int(url.rsplit(":", 1)[1])
        if Path("/proc/net/tcp").exists():
            assert _listening_addresses(port) == {"127.0.0.1"}
        assert _refused_on_another_loopback_address(port)
        _drive(url)
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=10)
    assert process.returncode == 0, err
    assert re.search(r"POST /v1/video/generations -> 200 .* task=task_", err), err  # it did log
    assert "-> 414 uri_too_long" in err
    for secret in SECRETS:
        assert secret not in out and secret not in err, secret


# -- Logs and journal --------------------------------------------------------------------
@contextmanager
def all_logs() -> Iterator[io.StringIO]:
    """Every log record of every logger at DEBUG, whatever propagation was set up before."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    loggers = [logging.getLogger(), logging.getLogger("mockserver.requests"), logging.getLogger("werkzeug")]
    saved = [(logger.level, logger.propagate) for logger in loggers]
    for logger in loggers:
        logger.addHandler(handler)
        logger.setLevel(logging.DEBUG)
        logger.propagate = False
    try:
        yield stream
    finally:
        for logger, (level, propagate) in zip(loggers, saved, strict=True):
            logger.removeHandler(handler)
            logger.setLevel(level)
            logger.propagate = propagate


def test_no_log_line_and_no_journal_entry_holds_a_secret() -> None:
    with live_server(tokens=(TOKEN,), admin_token=ADMIN) as server, all_logs() as logs:
        _drive(server.url)
        # The header names survive (so the journal is useful); only the values are gone.
        poll = next(entry for entry in server.control.journal if entry.task_id == "task_unknown")
        assert poll.headers["authorization"] == "Bearer [redacted]"
        assert {"x-mock-admin-token", "cookie", "x-api-key", "proxy-authorization"} <= set(poll.headers)
        journal = json.dumps([entry.to_json() for entry in server.control.journal])
        shown = repr(server.control.journal) + repr(server.engine.settings) + repr(server.control)
    text = logs.getvalue()
    assert "POST /v1/video/generations -> 200" in text and "-> 414 uri_too_long" in text  # the capture works
    for secret in SECRETS:
        assert secret not in text, secret
        assert secret not in journal, secret
        assert secret not in shown, secret


@pytest.mark.parametrize("value", [f"Bearer {TOKEN}", TOKEN, f"bearer   {TOKEN}", f"Token {TOKEN}"])
def test_the_journal_redacts_any_form_of_authorization(value: str) -> None:
    with live_server() as server:
        requests.post(server.url + CREATE, json=BODY, headers={"Authorization": value}, timeout=5)
        [entry] = server.control.journal
    assert TOKEN not in json.dumps(entry.to_json())
    assert entry.headers["authorization"].endswith("[redacted]")


# -- Who may use the admin API ------------------------------------------------------------
REMOTE = ["203.0.113.9", "10.0.0.1", "192.168.1.20", "::ffff:10.0.0.1", "2001:db8::1", "fe80::1%eth0", "unknown"]
LOOPBACK = ["127.0.0.1", "127.8.9.10", "::1"]
ADMIN_CALLS = [
    ("GET", "journal", None),
    ("DELETE", "journal", None),
    ("GET", "failures", None),
    ("POST", "failures", {"error": "500"}),
    ("DELETE", "failures", None),
    ("POST", "reset", None),
    ("GET", "config", None),
    ("GET", "clock", None),
    ("POST", "clock", {"advance": 100}),
    ("POST", "tasks/{task}", {"action": "complete"}),
    ("GET", "tasks", None),
    ("GET", "", None),  # the dashboard page
    ("GET", "assets/dashboard.js", None),
]


def _task_made_locally(client: FlaskClient) -> str:
    response = client.post(CREATE, json=BODY, headers={"Authorization": f"Bearer {TOKEN}"})
    task_id: str = response.get_json()["id"]
    return task_id


@pytest.mark.parametrize("remote", REMOTE)
def test_every_admin_call_from_off_loopback_is_refused_and_changes_nothing(remote: str) -> None:
    # A manual clock, so "clock unchanged" below means no refused call moved it.
    client = create_app(engine=ContractEngine(Settings(), ManualClock())).test_client()
    task_id = _task_made_locally(client)
    local = {"REMOTE_ADDR": "127.0.0.1"}
    before = [client.get(f"/__mock/{p}", environ_base=local).get_json() for p in ("journal", "clock", "failures")]
    for method, path, body in ADMIN_CALLS:
        # X-Forwarded-For is not trusted: the socket's peer decides.
        answer = client.open(
            f"/__mock/{path.format(task=task_id)}",
            method=method,
            json=body,
            environ_base={"REMOTE_ADDR": remote},
            headers={"X-Forwarded-For": "127.0.0.1", "X-Real-IP": "127.0.0.1"},
        )
        assert (answer.status_code, answer.get_json()["error"]["code"]) == (403, "admin_forbidden"), (method, path)
        assert_conforms(403, answer.data)
    after = [client.get(f"/__mock/{p}", environ_base=local).get_json() for p in ("journal", "clock", "failures")]
    assert after == before  # nothing reset, queued, cleared or advanced
    assert client.get(f"/__mock/tasks/{task_id}", environ_base=local).get_json()["status"] == "queued"


@pytest.mark.parametrize("caller", LOOPBACK)
def test_loopback_callers_may_use_the_admin_api_without_a_token(caller: str) -> None:
    client = create_app(Settings()).test_client()
    assert client.get("/__mock/config", environ_base={"REMOTE_ADDR": caller}).status_code == 200


def test_with_an_admin_token_everyone_needs_it_and_a_wrong_one_is_not_echoed() -> None:
    client = create_app(Settings(admin_token=ADMIN)).test_client()
    for caller in ("127.0.0.1", "203.0.113.9"):
        env = {"REMOTE_ADDR": caller}
        assert client.get("/__mock/journal", environ_base=env).status_code == 403
        wrong = client.get("/__mock/journal", environ_base=env, headers={"X-Mock-Admin-Token": WRONG})
        assert wrong.status_code == 403 and WRONG not in wrong.get_data(as_text=True)
        empty = client.get("/__mock/journal", environ_base=env, headers={"X-Mock-Admin-Token": ""})
        assert empty.status_code == 403
        right = client.get("/__mock/journal", environ_base=env, headers={"X-Mock-Admin-Token": ADMIN})
        assert right.status_code == 200


def test_the_public_api_does_not_depend_on_the_callers_address() -> None:
    # Only the admin API checks the caller; a remote API client is served like a local one.
    client = create_app(Settings()).test_client()
    answer = client.post(
        CREATE, json=BODY, headers={"Authorization": f"Bearer {TOKEN}"}, environ_base={"REMOTE_ADDR": "203.0.113.9"}
    )
    assert answer.status_code == 200
    assert_conforms(200, answer.data)


# -- Never a connection off loopback ---------------------------------------------------------
URLS_IN_BODIES = [
    {"model": "viduq3p-720p", "image": "http://example.com/first.png", "prompt": "zoom"},
    {"model": "viduq3p-720p", "image": "https://169.254.169.254/latest/meta-data", "last_image": "http://10.0.0.1/x"},
    {
        "model": "viduq3p-mix-720p",
        "prompt": "a fox",
        "reference_image_urls": ["http://example.org/a.png", "https://[2001:db8::1]/b.png", "http://localhost:1/c"],
    },
]


def test_a_full_run_opens_no_connection_off_loopback() -> None:
    with live_server(lifecycle="step") as server, watch() as seen:
        auth = {"Authorization": f"Bearer {TOKEN}"}
        for body in URLS_IN_BODIES:
            created = requests.post(server.url + CREATE, json=body, headers=auth, timeout=5)
            assert created.status_code == 200, created.text
            task_id = created.json()["id"]
            for _ in range(2):
                done = requests.get(f"{server.url}{CREATE}/{task_id}", headers=auth, timeout=5)
            job = assert_conforms(200, done.content)
            assert job["status"] == "completed"
            video = requests.get(job["video_url"], timeout=5)
            assert video.status_code == 200 and video.headers["Content-Type"] == "video/mp4"
        requests.get(server.url + "/__mock/journal", timeout=5).raise_for_status()
    connects = [attempt for attempt in seen if attempt.event == "socket.connect"]
    assert len(connects) >= len(URLS_IN_BODIES) * 4  # the hook saw our own requests
    assert all(is_loopback(attempt.host) for attempt in seen), [a for a in seen if not is_loopback(a.host)]
    assert not [attempt for attempt in seen if "example" in attempt.host or "169.254" in attempt.host]


def test_the_guard_can_fail() -> None:
    # A synthetic audit event, as `socket.connect` raises it, for a TEST-NET address: no
    # packet is sent, but the hook must record it and the guard must see it as off loopback.
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with watch() as seen:
            sys.audit("socket.connect", probe, ("192.0.2.1", 9))
    finally:
        probe.close()
    assert [(a.event, a.host) for a in seen] == [("socket.connect", "192.0.2.1")]
    assert OUTBOUND[-1].host == "192.0.2.1"
    OUTBOUND.remove(OUTBOUND[-1])  # recorded on purpose: keep this test's own guard green
