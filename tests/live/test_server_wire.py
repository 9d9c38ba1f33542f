"""The event-loop server on the wire: framing a strict HTTP/1.1 client accepts, binding, and its head parser."""

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
from mockserver.live.loop.http_head import _any_head, _common_head, parse_head
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


_TOKEN = st.text(st.sampled_from("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-"), min_size=1)
_VALUE = st.text(st.characters(min_codepoint=0, max_codepoint=255, blacklist_characters="\r\n"), max_size=40)


@settings(max_examples=300, deadline=None)
@given(
    method=st.sampled_from(["GET", "POST", "HEAD", "post", "BREW", "G\x00T"]),
    target=st.text(st.characters(min_codepoint=33, max_codepoint=255), min_size=1, max_size=40),
    version=st.sampled_from(["HTTP/1.1", "HTTP/1.0", "HTTP/2.0", "HTTP/1.10", "http/1.1"]),
    headers=st.lists(st.tuples(_TOKEN | st.sampled_from(["X_Y", " X", "X ", ""]), _VALUE), max_size=8),
)
def test_the_fast_head_parser_agrees_with_the_careful_one(
    method: str, target: str, version: str, headers: list[tuple[str, str]]
) -> None:
    raw = (f"{method} {target} {version}\r\n" + "".join(f"{n}:{v}\r\n" for n, v in headers) + "\r\n").encode("latin-1")
    fast = _common_head(raw, raw.find(b"\r\n\r\n"))
    try:
        careful = _any_head(raw)
    except Exception as error:  # the careful way refuses: the fast one must have declined
        assert fast is None, (raw, error)
        return
    assert fast is None or fast == careful
    assert parse_head(raw) == careful


def test_a_head_arriving_in_pieces_is_complete_only_at_its_blank_line() -> None:
    raw = f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    end = raw.index(b"\r\n\r\n") + 4
    assert all(parse_head(raw[:cut]) is None for cut in range(end))
    head = parse_head(raw)
    assert head is not None and head.size == end and head.headers["content-length"] == "2"
