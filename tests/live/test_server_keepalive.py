"""HTTP/1.1 keep-alive: pooled clients reuse one connection; idle and stalled connections are let go."""

from __future__ import annotations

import http.client
import json
import socket
from dataclasses import replace
from typing import Any

import pytest
import requests

from mockserver.contract import Settings
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

WAIT = 10.0  # seconds; a bound on waiting for the server, never a timing assertion
BODY = json.dumps(TEXT).encode()
POST = (
    f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH['Authorization']}\r\n"
    f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
).encode() + BODY


def read_response(sock: socket.socket, pending: bytearray) -> tuple[int, dict[str, str], bytes]:
    """Read one response with a Content-Length from `sock` (what is read past it stays in `pending`)."""
    while b"\r\n\r\n" not in pending:
        chunk = sock.recv(65536)
        assert chunk, f"the server closed the connection; got {bytes(pending)!r}"
        pending += chunk
    head, _, rest = bytes(pending).partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value for name, _, value in (line.partition(": ") for line in lines[1:])}
    length = int(headers["content-length"])
    while len(rest) < length:
        chunk = sock.recv(65536)
        assert chunk, "the server closed the connection mid-body"
        rest += chunk
    pending[:] = rest[length:]
    return int(lines[0].split()[1]), headers, rest[:length]


def wait_for_close(sock: socket.socket) -> bytes:
    """Everything the server still sends until it closes the connection (at most `WAIT` seconds)."""
    sock.settimeout(WAIT)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    return received


def test_one_connection_serves_many_requests() -> None:
    with live_server() as server, socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        pending = bytearray()
        for _ in range(3):
            sock.sendall(POST)
            status, headers, body = read_response(sock, pending)
            assert status == 200, body
            assert "connection" not in headers  # no "Connection: close"
            assert json.loads(body)["status"] == "queued"
        assert len(server.control.journal) == 3


def test_a_pooled_client_keeps_its_connection() -> None:
    with live_server() as server, requests.Session() as session:
        answers = [session.post(server.url + CREATE, json=TEXT, headers=AUTH, timeout=WAIT) for _ in range(2)]
        assert [answer.status_code for answer in answers] == [200, 200]
        assert all("connection" not in {name.lower() for name in answer.headers} for answer in answers)
    with live_server() as server:
        client = http.client.HTTPConnection("127.0.0.1", server.port, timeout=WAIT)
        try:
            client.request("POST", CREATE, BODY, {**AUTH, "Content-Type": "application/json"})
            assert client.getresponse().read() and client.sock is not None
            first = client.sock
            client.request("POST", CREATE, BODY, {**AUTH, "Content-Type": "application/json"})
            assert client.getresponse().status == 200
            assert client.sock is first  # http.client drops its socket when the server closes
        finally:
            client.close()


def test_a_body_the_app_did_not_read_does_not_spill_into_the_next_request() -> None:
    # Over the size cap, the app answers 413 without reading the body; the server reads it past.
    oversized = json.dumps({**TEXT, "prompt": "x" * 200}).encode()
    first = POST.replace(BODY, oversized).replace(
        f"Content-Length: {len(BODY)}".encode(), b"Content-Length: %d" % len(oversized)
    )
    with (
        live_server(max_body_bytes=100) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock,
    ):
        pending = bytearray()
        sock.sendall(first + POST)  # pipelined: the second request follows the unread body at once
        assert read_response(sock, pending)[0] == 413
        assert read_response(sock, pending)[0] == 200


def test_http_1_0_clients_get_one_answer_per_connection() -> None:
    with live_server() as server, socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(POST.replace(b"HTTP/1.1", b"HTTP/1.0", 1))
        received = wait_for_close(sock)
    assert received.startswith(b"HTTP/1.1 200 ") and b"\r\nConnection: close\r\n" in received


def test_an_idle_connection_is_closed_after_the_idle_timeout() -> None:
    with live_server(idle_timeout_seconds=0.2) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(POST)
        assert read_response(sock, bytearray())[0] == 200
        assert wait_for_close(sock) == b""  # closed by the server, well before WAIT


def test_a_client_stalling_mid_body_is_dropped_after_the_read_timeout() -> None:
    with live_server(read_timeout_seconds=0.2) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(POST[: len(POST) - 10])  # ten bytes of the body never come
        received = wait_for_close(sock)
    # The request could not be read: a 400 (or nothing), never a hung thread.
    assert received == b"" or received.startswith(b"HTTP/1.1 400 ")


def test_a_client_stalling_mid_headers_is_dropped_after_the_read_timeout() -> None:
    with live_server(read_timeout_seconds=0.2) as server, socket.create_connection(("127.0.0.1", server.port)) as sock:
        sock.sendall(b"POST /v1/video/generations HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        assert wait_for_close(sock) == b""  # dropped, well before WAIT


def test_stopping_the_server_closes_idle_kept_alive_connections() -> None:
    server = live_server(idle_timeout_seconds=3600)
    with server as started, socket.create_connection(("127.0.0.1", started.port), timeout=WAIT) as sock:
        sock.sendall(POST)
        assert read_response(sock, bytearray())[0] == 200
        started.stop()
        assert wait_for_close(sock) == b""


@pytest.mark.parametrize("name", ["idle_timeout_seconds", "read_timeout_seconds"])
@pytest.mark.parametrize("value", [0, -1, 3601])
def test_timeouts_must_be_positive_and_at_most_an_hour(name: str, value: float) -> None:
    with pytest.raises(ValueError, match=name):
        changes: dict[str, Any] = {name: value}
        replace(Settings(), **changes)


def test_a_client_leaving_mid_body_after_a_refusal_is_let_go_quietly(capfd: pytest.CaptureFixture[str]) -> None:
    # Over the size cap the answer comes before the body; the client then hangs up mid-body.
    oversized = (
        b"POST /v1/video/generations HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 50000000\r\n\r\n" + b" " * 1000
    )
    with live_server(max_body_bytes=100) as server:
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
            sock.sendall(oversized)
            assert read_response(sock, bytearray())[0] == 413
        # The server still answers, and printed no traceback for the hang-up.
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
            sock.sendall(POST)
            assert read_response(sock, bytearray())[0] == 200
    assert "Traceback" not in capfd.readouterr().err
