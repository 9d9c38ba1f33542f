"""A raw-socket HTTP/1.1 client read by h11, the strict parser, for checking how answers are framed.

h11 refuses what strict clients refuse (a body longer or shorter than its framing, conflicting
lengths, a broken chunked body), but it quietly merges repeated identical `Content-Length`
headers. Node's undici refuses those too, so each answer's head is also kept as sent, line by
line, for `assert_well_framed`.
"""

from __future__ import annotations

import json
import socket
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import h11

__all__ = ["Answer", "StrictConnection", "assert_well_framed"]

_RECV_BYTES = 65536


@dataclass(frozen=True)
class Answer:
    """One answer: its status, its header lines exactly as sent (names as written), its body and the connection it came on."""

    method: str
    target: str
    status: int
    head: list[tuple[str, str]]
    body: bytes = field(repr=False)
    connection: int

    def header(self, name: str) -> str | None:
        """The value of header `name` (any case); None when absent."""
        values = [value for key, value in self.head if key.lower() == name.lower()]
        return values[0] if values else None

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)

    def __str__(self) -> str:
        return f"{self.method} {self.target} -> {self.status}"


@dataclass
class StrictConnection:
    """HTTP/1.1 to `host:port`, one request at a time on one socket, reopened only when the server closes it.

    `connection` counts the sockets used, so a test can tell whether keep-alive held.
    """

    host: str
    port: int
    timeout: float = 30.0
    connection: int = -1
    _sock: socket.socket | None = field(default=None, init=False, repr=False)
    _h11: h11.Connection = field(default_factory=lambda: h11.Connection(h11.CLIENT), init=False, repr=False)

    def request(
        self, method: str, target: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> Answer:
        """Send one request and read its whole answer with h11."""
        sock = self._ready()
        content = body or b""
        lines = [("Host", f"{self.host}:{self.port}"), *(headers or {}).items()]
        if body is not None or method in ("POST", "PUT", "PATCH"):
            lines.append(("Content-Length", str(len(content))))
        sock.sendall(self._h11.send(h11.Request(method=method, target=target, headers=lines)) or b"")
        if content:
            sock.sendall(self._h11.send(h11.Data(data=content)) or b"")
        sock.sendall(self._h11.send(h11.EndOfMessage()) or b"")
        return self._read(sock, method, target)

    def json(self, method: str, target: str, payload: Any, headers: dict[str, str] | None = None) -> Answer:
        """A request with a JSON body (`Content-Type: application/json`)."""
        sent = {"Content-Type": "application/json", **(headers or {})}
        return self.request(method, target, sent, json.dumps(payload).encode())

    def close(self) -> None:
        """Close the socket (the next request opens a new one)."""
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _ready(self) -> socket.socket:
        connection = self._h11
        if connection.our_state is h11.DONE and connection.their_state is h11.DONE:
            connection.start_next_cycle()  # keep-alive: the same socket for the next request
        elif connection.our_state is not h11.IDLE or self._sock is None:
            self.close()
            self._h11 = h11.Connection(h11.CLIENT)
        if self._sock is None:
            self._sock = socket.create_connection((self.host, self.port), timeout=self.timeout)
            self.connection += 1
        return self._sock

    def _read(self, sock: socket.socket, method: str, target: str) -> Answer:
        raw = bytearray()
        response: h11.Response | None = None
        body = bytearray()
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA:
                data = sock.recv(_RECV_BYTES)
                raw += data
                self._h11.receive_data(data)
            elif isinstance(event, h11.Response):
                response = event
            elif isinstance(event, h11.Data):
                body += event.data
            elif isinstance(event, h11.EndOfMessage):
                break
            elif isinstance(event, h11.ConnectionClosed):
                raise AssertionError(f"{method} {target}: the server closed the connection before answering")
        assert response is not None
        left = self._h11.trailing_data[0]
        assert not left, f"{method} {target}: {len(left)} bytes arrived past the end of the answer's framing"
        if self._h11.their_state is h11.MUST_CLOSE or self._h11.our_state is h11.MUST_CLOSE:
            self.close()  # the server said `Connection: close` (or spoke HTTP/1.0)
        head_end = raw.index(b"\r\n\r\n")
        lines = bytes(raw[:head_end]).decode("latin-1").split("\r\n")[1:]
        head = [(name, value.strip(" \t")) for name, _, value in (line.partition(":") for line in lines)]
        return Answer(method, target, response.status_code, head, bytes(body), self.connection)


# One value each: a second copy is a conflict strict parsers refuse (RFC 9110 5.3), or noise.
def assert_well_framed(answer: Answer) -> None:
    """The checks a strict client (undici, a strict proxy) makes of one answer's head and length.

    Every header once (the mock sends no list-valued header twice); exactly one framing
    header, none on 1xx and 204 and no `Transfer-Encoding` on 304 (RFC 9112 6.1, 6.3); a
    `Content-Length` equal to the bytes sent (none after a HEAD); one `Date`.
    """
    names = Counter(name.lower() for name, _ in answer.head)
    repeated = sorted(name for name, count in names.items() if count > 1)
    assert not repeated, f"{answer}: headers sent more than once: {repeated}\n{answer.head}"
    framing = {"content-length", "transfer-encoding"} & names.keys()
    status = answer.status
    if status < 200 or status == 204:
        assert not framing, f"{answer}: a {status} carries no framing header, got {framing}"
    elif status == 304:
        assert "transfer-encoding" not in framing, f"{answer}: a 304 is never chunked"
    else:
        assert len(framing) == 1, f"{answer}: exactly one of Content-Length and Transfer-Encoding, got {framing}"
    length = answer.header("content-length")
    if answer.method == "HEAD" or status in (204, 304) or status < 200:
        assert answer.body == b"", f"{answer}: no body expected"
    elif length is not None:
        assert length.isdigit() and int(length) == len(answer.body), f"{answer}: Content-Length {length}"
    if answer.body or answer.method == "HEAD":
        assert answer.header("content-type"), f"{answer}: a body without a Content-Type"
    assert names["date"] == 1, f"{answer}: an origin server with a clock sends one Date (RFC 9110 6.6.1)"
