"""Request smuggling, malformed heads and pipelining, against the `mockserver` command and `video_server`.

Each attack is a request whose length two HTTP servers could read differently, with a
marker request hidden in its body: a server that reads the body as the next request runs
the marker, and the journal shows it. Both faces must refuse the attack (400, in the
§3 shape), close the connection, and never journal the marker. A control sends the
marker after an honest request, to show the journal check sees a marker that ran.
"""

from __future__ import annotations

import http.client
import io
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

from pytest_plugin.video_server import VideoServer
from tests.live.test_http_framing import ADMIN, mockserver_command
from tests.support.contract_checks import assert_conforms

WAIT = 10.0  # seconds: a bound on waiting for the server, never a timing assertion
CREATE = "/v1/video/generations"
MARKER = "task_smuggled_marker"
HIDDEN = f"GET {CREATE}/{MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-x\r\n\r\n".encode()
BODY = b'{"model": "viduq3p-720p", "prompt": "a fox"}'


def post(headers: str, body: bytes, version: str = "HTTP/1.1") -> bytes:
    """A keep-alive POST (no `Connection: close`: a lenient server would read on) with `headers` as given."""
    head = f"POST {CREATE} {version}\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-x\r\n"
    return (head + "Content-Type: application/json\r\n" + headers + "\r\n").encode() + body


END = b"0\r\n\r\n"  # the last chunk: where a server reading `chunked` ends the body
ATTACKS = {
    "CL with TE": post(f"Content-Length: {len(END + HIDDEN)}\r\nTransfer-Encoding: chunked\r\n", END + HIDDEN),
    "TE gzip": post("Transfer-Encoding: gzip\r\n", HIDDEN),
    "TE xchunked": post("Transfer-Encoding: xchunked\r\n", END + HIDDEN),
    "chunked not last": post("Transfer-Encoding: chunked, gzip\r\n", END + HIDDEN),
    "gzip then chunked": post("Transfer-Encoding: gzip, chunked\r\n", END + HIDDEN),
    "duplicate CL, different values": post(f"Content-Length: {len(HIDDEN)}\r\nContent-Length: 0\r\n", HIDDEN),
    "non-numeric CL": post("Content-Length: 0x10\r\n", HIDDEN),
    "bad chunk size": post("Transfer-Encoding: chunked\r\n", b"-1\r\n" + HIDDEN),
}
MALFORMED = {
    "HTTP/1.1 without Host": f"GET {CREATE}/{MARKER} HTTP/1.1\r\nAuthorization: Bearer sk-x\r\n\r\n".encode(),
    "control character in a header name": post(f"X\x01Note: a\r\nContent-Length: {len(BODY)}\r\n", BODY),
    "NUL in the method": f"G\x00T {CREATE}/{MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
    "two Host headers": f"GET {CREATE}/{MARKER} HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n".encode(),
}


class _Stream(io.BufferedReader):
    """A socket's read side that `HTTPResponse` cannot close: the answers after one stay readable."""

    def close(self) -> None:
        pass


class _Shared:
    """Lets consecutive `HTTPResponse`s read one buffered stream (pipelined answers)."""

    def __init__(self, stream: _Stream) -> None:
        self.stream = stream

    def makefile(self, *args: Any, **kwargs: Any) -> _Stream:
        return self.stream


def answers(port: int, raw: bytes, count: int) -> tuple[list[tuple[int, dict[str, str], bytes]], bytes]:
    """Send `raw` in one write; read `count` answers with http.client, then what follows until close or timeout."""
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(raw)
        stream = _Stream(socket.SocketIO(sock, "rb"))
        read = []
        for _ in range(count):
            response = http.client.HTTPResponse(_Shared(stream))  # type: ignore[arg-type]
            response.begin()
            read.append((response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()))
        try:
            rest = stream.read1(65536)  # b"" once the server closed the connection
        except TimeoutError:
            rest = b"(still open)"
        return read, rest


def journal_paths(port: int, headers: dict[str, str]) -> list[str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=WAIT)
    try:
        connection.request("GET", "/__mock/journal", headers=headers)
        response = connection.getresponse()
        assert response.status == 200
        return [entry["path"] for entry in json.loads(response.read())["entries"]]
    finally:
        connection.close()


@pytest.fixture(scope="module")
def command() -> Iterator[tuple[int, dict[str, str]]]:
    """The `mockserver` command (a subprocess), and the headers its admin API wants."""
    with mockserver_command("uniall") as port:
        yield port, ADMIN


@pytest.fixture(params=["command", "video_server"])
def face(request: pytest.FixtureRequest) -> tuple[int, dict[str, str]]:
    if request.param == "command":
        started: tuple[int, dict[str, str]] = request.getfixturevalue("command")
        return started
    server: VideoServer = request.getfixturevalue("video_server")
    return int(server.url.rsplit(":", 1)[1]), {}


def assert_refused_and_closed(port: int, raw: bytes) -> None:
    [(status, headers, body)], rest = answers(port, raw, 1)
    assert (status, json.loads(body)["error"]["code"]) == (400, "bad_request"), body
    assert_conforms(400, body)
    assert headers["connection"] == "close"
    assert rest == b"", "the connection stayed open after a request whose framing was refused"


@pytest.mark.slow  # a mockserver subprocess
@pytest.mark.parametrize("attack", ATTACKS)
def test_a_smuggling_attempt_is_refused_and_its_hidden_request_never_runs(
    face: tuple[int, dict[str, str]], attack: str
) -> None:
    port, admin = face
    assert_refused_and_closed(port, ATTACKS[attack])
    assert not [path for path in journal_paths(port, admin) if MARKER in path]


@pytest.mark.slow
@pytest.mark.parametrize("head", MALFORMED)
def test_a_malformed_head_is_a_400(face: tuple[int, dict[str, str]], head: str) -> None:
    port, admin = face
    assert_refused_and_closed(port, MALFORMED[head])
    assert not [path for path in journal_paths(port, admin) if MARKER in path]


@pytest.mark.slow
def test_the_journal_check_sees_a_marker_that_ran(face: tuple[int, dict[str, str]]) -> None:
    port, admin = face
    honest = post(f"Content-Length: {len(BODY)}\r\n", BODY)
    [(created, _, _), (hidden, _, _)], _ = answers(port, honest + HIDDEN, 2)
    assert (created, hidden) == (200, 404)
    assert f"{CREATE}/{MARKER}" in journal_paths(port, admin)


@pytest.mark.slow
def test_four_pipelined_requests_in_one_write_get_four_answers_in_order(face: tuple[int, dict[str, str]]) -> None:
    port, _ = face
    four = (
        post(f"Content-Length: {len(BODY)}\r\n", BODY)
        + post(f"Prefer: code=429\r\nContent-Length: {len(BODY)}\r\n", BODY)
        + f"GET {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer sk-x\r\n\r\n".encode()
        + b"GET /nope HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    read, rest = answers(port, four, 4)
    assert [(status, json.loads(body).get("error", {}).get("code")) for status, _, body in read] == [
        (200, None),
        (429, "rate_limit_exceeded"),
        (405, "method_not_allowed"),
        (404, "not_found"),
    ]
    assert rest == b""  # the last asked to close
