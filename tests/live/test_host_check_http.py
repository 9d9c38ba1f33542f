"""The live server's Host check over real loopback HTTP, and where its allow-list comes from."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from mockserver.cli import banner, settings_from_args
from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.live import LiveServer
from mockserver.live.app import create_app
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

# One route of each kind: the API, an admin read, the dashboard page and its script.
ROUTES = [
    ("POST", CREATE),
    ("GET", f"{CREATE}/task_unknown"),
    ("GET", "/__mock/journal"),
    ("GET", "/__mock/"),
    ("GET", "/__mock/assets/dashboard.js"),
]


def _ipv6_loopback() -> bool:
    try:
        with socket.socket(socket.AF_INET6) as probe:
            probe.bind(("::1", 0))
        return True
    except OSError:
        return False


def call(port: int, method: str, path: str, host: str, *, address: str = "127.0.0.1") -> tuple[int, bytes]:
    """One request with `Host: host` exactly (http.client sends what it is given)."""
    connection = http.client.HTTPConnection(address, port, timeout=5)
    try:
        headers = {"Host": host, **AUTH, "Content-Type": "application/json"}
        body = json.dumps(TEXT).encode() if method == "POST" else None
        connection.request(method, path, body=body, headers=headers)
        answer = connection.getresponse()
        return answer.status, answer.read()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def server() -> Iterator[LiveServer]:
    with live_server(allow_host=("mock", "ci-mock.internal")) as started:
        yield started


@pytest.mark.parametrize("host", ["evil.example", "evil.example:8000", "127.0.0.1.nip.io", "192.168.1.20", "[::2]"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_foreign_host_is_refused_on_every_route(server: LiveServer, method: str, path: str, host: str) -> None:
    status, body = call(server.port, method, path, host)
    error = assert_conforms(status, body)["error"]
    assert (status, error["code"]) == (403, "host_not_allowed")
    assert "--allow-host" in error["message"] and "DNS rebinding" in error["message"]
    assert server.control.journal == []  # refused before the engine: nothing journaled, nothing created


@pytest.mark.parametrize("name", ["127.0.0.1", "localhost", "[::1]", "mock", "ci-mock.internal", "MOCK"])
@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_the_loopback_names_and_the_allowed_ones_work(server: LiveServer, method: str, path: str, name: str) -> None:
    status, body = call(server.port, method, path, f"{name}:{server.port}")
    assert status == (404 if path.endswith("task_unknown") else 200), body[:300]


@pytest.mark.skipif(not _ipv6_loopback(), reason="no IPv6 loopback here")
def test_a_server_on_ipv6_loopback_answers_to_its_name_and_refuses_others() -> None:
    engine = ContractEngine(Settings(port=0), ManualClock())
    with LiveServer(engine=engine, host="::1") as server:
        assert call(server.port, "GET", "/__mock/journal", f"[::1]:{server.port}", address="::1")[0] == 200
        assert call(server.port, "GET", "/__mock/journal", "localhost", address="::1")[0] == 200
        assert call(server.port, "GET", "/__mock/journal", "evil.example", address="::1")[0] == 403


def test_bound_to_every_interface_any_name_works_unless_names_are_listed() -> None:
    # The tests stay on loopback: the app is told the interface, as `LiveServer` tells it.
    for allow, expected in [((), 200), (("mock",), 403)]:
        app = create_app(Settings(allow_host=allow), bound_host="0.0.0.0")  # the case under test
        client = app.test_client()
        for host, status in [("any-name.example", expected), ("127.0.0.1:8000", 200), ("mock:8000", 200)]:
            assert client.get("/__mock/journal", headers={"Host": host}).status_code == status, (allow, host)


def test_allow_host_comes_from_repeated_flags_commas_the_environment_and_the_config_file(tmp_path: Path) -> None:
    assert settings_from_args(["--allow-host", "mock,CI-Mock.", "--allow-host", "other"], {}).allow_host == (
        "mock",
        "ci-mock",
        "other",
    )
    assert settings_from_args([], {"VIDU_MOCK_ALLOW_HOST": "a, b"}).allow_host == ("a", "b")
    config = tmp_path / "mock.toml"
    config.write_text('allow_host = ["svc", "::1"]\n', encoding="utf-8")
    assert settings_from_args(["--config", str(config)], {}).allow_host == ("svc", "[::1]")
    assert Settings(allow_host=("mock",)).public()["allow_host"] == ("mock",)


@pytest.mark.parametrize("bad", ["mock:8000", "http://mock", "a b", "mock/x", "-"])
def test_a_value_that_is_not_a_host_name_stops_the_command_with_one_line(
    bad: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as stopped:
        settings_from_args(["--allow-host", bad], {})
    assert stopped.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith("mockserver: --allow-host") and "not a host name" in err and err.count("\n") == 1


def test_the_banner_says_which_names_it_answers_to_and_how_to_serve_under_another() -> None:
    url = "http://127.0.0.1:8000"
    default = banner(url, Settings()).splitlines()[1]
    assert "127.0.0.1, localhost, [::1];" in default and "--allow-host NAME" in default and "CI service" in default
    assert "127.0.0.1, localhost, [::1], mock;" in banner(url, Settings(allow_host=("mock",)))
    exposed = banner("http://0.0.0.0:8000", Settings(host="0.0.0.0"))  # the case under test
    assert "answers to any Host name; --allow-host NAME limits it" in exposed
