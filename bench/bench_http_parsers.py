"""httptools (llhttp) against h11 as the event-loop server's request parser: correctness first, then speed.

Correctness: each framing attack and malformed head of issue 39 is fed to both parsers
as they come (no checks of the mock's own on top); a parser "refuses" it when it raises
before handing over a complete request. Speed: microseconds to parse one typical create
request (head and JSON body), and four pipelined in one buffer, best of five rounds.

    python bench/bench_http_parsers.py
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from importlib.metadata import version

import h11
import httptools

BODY = b'{"model": "viduq3p-720p", "prompt": "a fox in the snow"}'
CREATE = (
    b"POST /v1/video/generations HTTP/1.1\r\nHost: 127.0.0.1:8000\r\nUser-Agent: wrk\r\n"
    b"Authorization: Bearer sk-bench\r\nContent-Type: application/json\r\n"
    b"Content-Length: %d\r\n\r\n" % len(BODY)
) + BODY
MARKER = b"GET /__mock/journal HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"


def _post(headers: bytes, body: bytes = b"") -> bytes:
    return b"POST /v1/video/generations HTTP/1.1\r\nHost: 127.0.0.1\r\n" + headers + b"\r\n" + body


ATTACKS: dict[str, bytes] = {
    "CL with TE": _post(b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n", b"0\r\n\r\n" + MARKER),
    "TE gzip": _post(b"Transfer-Encoding: gzip\r\n", MARKER),
    "TE xchunked": _post(b"Transfer-Encoding: xchunked\r\n", b"0\r\n\r\n" + MARKER),
    "chunked not last": _post(b"Transfer-Encoding: chunked, gzip\r\n", b"0\r\n\r\n" + MARKER),
    "gzip, chunked": _post(b"Transfer-Encoding: gzip, chunked\r\n", b"0\r\n\r\n" + MARKER),
    "two different CL": _post(b"Content-Length: 0\r\nContent-Length: 50\r\n", MARKER),
    "non-numeric CL": _post(b"Content-Length: 5x\r\n", MARKER),
    "bad chunk size": _post(b"Transfer-Encoding: chunked\r\n", b"zz\r\n" + MARKER),
    "HTTP/1.1 without Host": b"GET / HTTP/1.1\r\n\r\n",
    "two Host headers": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: 127.0.0.1\r\n\r\n",
    "control char in a name": b"GET / HTTP/1.1\r\nHost: a\r\nX\x01Y: 1\r\n\r\n",
    "NUL in the method": b"G\x00T / HTTP/1.1\r\nHost: a\r\n\r\n",
    "HTTP/2.0 request line": b"GET / HTTP/2.0\r\nHost: a\r\n\r\n",
}


class _Sink:
    """httptools callbacks that keep the parts, as the server's reader does."""

    def __init__(self) -> None:
        self.complete = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.body = bytearray()

    def on_url(self, url: bytes) -> None:
        self.url = url

    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body += body

    def on_message_complete(self) -> None:
        self.complete += 1


def httptools_parse(raw: bytes) -> int:
    """Complete requests httptools reads from `raw`; raises when it refuses."""
    sink = _Sink()
    httptools.HttpRequestParser(sink).feed_data(raw)
    return sink.complete


def h11_parse(raw: bytes) -> int:
    """Complete requests h11 reads from `raw` (answering each with an empty 200); raises when it refuses."""
    connection = h11.Connection(h11.SERVER)
    connection.receive_data(raw)
    complete = 0
    while True:
        event = connection.next_event()
        if event is h11.NEED_DATA or event is h11.PAUSED:
            if event is h11.PAUSED and connection.their_state is h11.DONE:
                connection.send(h11.Response(status_code=200, headers=[("Content-Length", "0")]))
                connection.send(h11.EndOfMessage())
                connection.start_next_cycle()
                continue
            return complete
        if isinstance(event, h11.EndOfMessage):
            complete += 1


def verdict(parse: Callable[[bytes], int], raw: bytes) -> str:
    try:
        complete = parse(raw)
    except Exception as error:  # a refusal: the parser's own error
        return f"refused ({type(error).__name__})"
    return f"ACCEPTED ({complete} request{'s' * (complete != 1)})"


def per_request_us(parse: Callable[[bytes], int], raw: bytes, count: int) -> float:
    rounds = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(2000):
            parse(raw)
        rounds.append((time.perf_counter() - started) / 2000 / count * 1e6)
    return min(rounds)


def main() -> None:
    print(f"load average {os.getloadavg()[0]:.2f} (1 min)")
    print(f"{'input':24} | {'httptools ' + httptools.__version__:32} | h11 {version('h11')}")
    for name, raw in ATTACKS.items():
        print(f"{name:24} | {verdict(httptools_parse, raw):32} | {verdict(h11_parse, raw)}")
    print()
    for label, raw, count in (("one create", CREATE, 1), ("four pipelined creates", CREATE * 4, 4)):
        fast = per_request_us(httptools_parse, raw, count)
        slow = per_request_us(h11_parse, raw, count)
        print(f"{label}: httptools {fast:.1f} us/request, h11 {slow:.1f} us/request ({slow / fast:.0f}x)")
    print(f"load average {os.getloadavg()[0]:.2f} (1 min)")


if __name__ == "__main__":
    main()
