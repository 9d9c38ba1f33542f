"""The event-loop server on the wire: framing a strict HTTP/1.1 client accepts, binding, and its request reader."""

from __future__ import annotations

import json
import socket
from typing import Any

import h11
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.contract import Settings
from mockserver.live import LiveServer
from mockserver.live.loop.request_reader import HeadError, Parsed, RequestReader
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

WAIT = 10.0  # seconds; a bound on waiting for the server, never a timing assertion
BODY = json.dumps(TEXT).encode()


def exchange(port: int, requests: list[tuple[str, str, bytes]], host: str = "127.0.0.1") -> list[Any]:
    """Send requests on one connection through h11 (strict framing); each answer's (Response, body)."""
    client = h11.Connection(h11.CLIENT)
    answers = []
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as sock:
        sock.settimeout(WAIT)
        sock.connect((host, port))
        for method, target, body in requests:
            headers = [
                ("Host", f"[{host}]" if ":" in host else host),
                ("Authorization", AUTH["Authorization"]),
                ("Content-Type", "application/json"),
            ]
            headers.append(("Content-Length", str(len(body))))
            sock.sendall(client.send(h11.Request(method=method, target=target, headers=headers)))
            sock.sendall(client.send(h11.Data(data=body)) + client.send(h11.EndOfMessage()))
            response, data = None, b""
            while True:
                event = client.next_event()
                if event is h11.NEED_DATA:
                    client.receive_data(sock.recv(65536))
                elif isinstance(event, h11.Response):
                    response = event
                elif isinstance(event, h11.Data):
                    data += event.data
                elif isinstance(event, h11.EndOfMessage):
                    break
            answers.append((response, data))
            client.start_next_cycle()
    return answers


def header_names(response: Any) -> list[bytes]:
    return [name.lower() for name, _ in response.headers]


def test_answers_carry_exactly_one_length_and_no_repeated_header() -> None:
    with live_server(lifecycle="step") as server:
        [(created, body)] = exchange(server.port, [("POST", CREATE, BODY)])
        task = json.loads(body)["id"]
        server.control.advance_clock(60)
        answers = exchange(
            server.port,
            [
                ("GET", f"{CREATE}/{task}", b""),
                ("GET", f"{CREATE}/{task}", b""),
                ("GET", f"{CREATE}/{task}/content", b""),
                ("GET", "/nope", b""),
                ("GET", "/__mock/journal", b""),
            ],
        )
    for response, data in [(created, body), *answers]:
        names = header_names(response)
        assert len(names) == len(set(names)), names
        assert names.count(b"content-length") == 1 and b"transfer-encoding" not in names
        assert int(dict(response.headers)[b"content-length"]) == len(data)
    assert answers[2][0].status_code == 200 and answers[2][1][4:8] == b"ftyp"


def test_head_gets_the_headers_of_the_get_and_no_body() -> None:
    with live_server(lifecycle="step") as server:
        [(_, body)] = exchange(server.port, [("POST", CREATE, BODY)])
        task = json.loads(body)["id"]
        exchange(server.port, [("GET", f"{CREATE}/{task}", b"")] * 2)  # completed
        for target in (f"{CREATE}/{task}/content", f"{CREATE}/{task}", "/nope"):
            [(get, got)] = exchange(server.port, [("GET", target, b"")])
            [(head, nothing)] = exchange(server.port, [("HEAD", target, b"")])
            assert nothing == b"" and head.status_code == get.status_code
            lengths = [value for name, value in head.headers if name.lower() == b"content-length"]
            assert lengths == [str(len(got)).encode()]
            assert dict(head.headers)[b"content-type"] == dict(get.headers)[b"content-type"]


def test_ipv6_loopback_and_port_zero_read_back() -> None:
    try:
        socket.create_server(("::1", 0), family=socket.AF_INET6).close()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    with LiveServer(Settings(host="::1", port=0)) as server:
        assert server.port != 0 and server.url == f"http://[::1]:{server.port}"
        [(response, body)] = exchange(server.port, [("POST", CREATE, BODY)], host="::1")
        assert response.status_code == 200
        assert json.loads(body)["status"] == "queued"


def test_a_server_bound_but_never_started_releases_its_port() -> None:
    server = LiveServer(Settings(port=0)).bind()
    port = server.port
    server.stop()
    with socket.create_server(("127.0.0.1", port)):
        pass  # the port is free again


def read_all(raw: bytes, pieces: int) -> list[Parsed | HeadError]:
    """What a `RequestReader` queues for `raw` fed in `pieces` roughly equal parts."""
    reader = RequestReader(max_body=1024)
    step = max(1, len(raw) // pieces)
    for start in range(0, len(raw), step):
        reader.feed(raw[start : start + step])
    return list(reader.ready)


@settings(max_examples=100, deadline=None)
@given(cuts=st.integers(min_value=1, max_value=200))
def test_requests_arriving_in_pieces_are_read_whole_and_in_order(cuts: int) -> None:
    one = f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    two = f"GET {CREATE}/task_x HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n0\r\n\r\n"
    read = read_all(one + two.encode(), cuts)
    assert [(p.head.method, p.head.target, p.body) for p in read if isinstance(p, Parsed)] == [
        ("POST", CREATE, b"{}"),
        ("GET", f"{CREATE}/task_x", b"a"),
    ]
    assert len(read) == 2


def test_a_head_arriving_in_pieces_is_complete_only_at_its_blank_line() -> None:
    raw = f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    end = raw.index(b"\r\n\r\n") + 4
    reader = RequestReader(max_body=1024)
    for byte in range(end - 1):
        reader.feed(raw[byte : byte + 1])
        assert reader.head is None and not reader.ready
    reader.feed(raw[end - 1 : end])
    assert reader.head is not None and reader.awaiting_body and not reader.ready
    reader.feed(raw[end:])
    [parsed] = reader.ready
    assert isinstance(parsed, Parsed) and parsed.head.headers["content-length"] == "2" and parsed.body == b"{}"
