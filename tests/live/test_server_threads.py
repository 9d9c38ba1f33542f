"""The event-loop server: every connection on one loop thread, none ever blocking another."""

from __future__ import annotations

import json
import socket
import threading

from tests.live.test_server_keepalive import read_response
from tests.support.live_servers import AUTH, CREATE, TEXT, live_server

WAIT = 10.0  # seconds; a bound on waiting for the server, never a timing assertion
BODY = json.dumps(TEXT).encode()


def post(prefer: str = "") -> bytes:
    extra = f"Prefer: {prefer}\r\n" if prefer else ""
    return (
        f"POST {CREATE} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {AUTH['Authorization']}\r\n{extra}"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


def nothing_yet(sock: socket.socket) -> bool:
    """Whether the server has sent nothing on `sock` so far (and not closed it)."""
    sock.setblocking(False)
    try:
        sock.recv(1, socket.MSG_PEEK)
    except BlockingIOError:
        return True
    finally:
        sock.setblocking(True)
    return False


def test_a_delayed_answer_holds_only_its_own_connection_and_goes_out_at_stop() -> None:
    with live_server() as server, socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as delayed:
        delayed.sendall(post("delay=60000"))  # the longest delay: only the stop below ends it
        for _ in range(3):
            with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as other:
                other.sendall(post())
                assert read_response(other, bytearray())[0] == 200
        assert nothing_yet(delayed)
        server.stop()  # a delayed answer is sent at once when the server stops
        status, headers, _ = read_response(delayed, bytearray())
        assert status == 200 and headers["preference-applied"] == "delay=60000"


def test_a_held_timeout_fault_does_not_block_other_connections() -> None:
    with (
        live_server(timeout_fault_seconds=600) as server,
        socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as held,
    ):
        held.sendall(post("fault=timeout"))
        with socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as other:
            other.sendall(post())
            assert read_response(other, bytearray())[0] == 200
        assert nothing_yet(held)
        server.stop()
        assert held.recv(65536) == b""  # released at stop, without an answer


def test_many_open_connections_start_no_thread() -> None:
    with live_server() as server:
        before = threading.active_count()
        sockets = [socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) for _ in range(20)]
        try:
            for sock in sockets:
                sock.sendall(post())
            for sock in sockets:
                assert read_response(sock, bytearray())[0] == 200
            assert threading.active_count() == before  # one loop thread serves them all
        finally:
            for sock in sockets:
                sock.close()
        assert len(server.control.journal) == 20


def test_pipelined_requests_are_answered_in_order_on_one_connection() -> None:
    with live_server() as server, socket.create_connection(("127.0.0.1", server.port), timeout=WAIT) as sock:
        sock.sendall(post("delay=50") + post("code=429") + post())
        pending = bytearray()
        statuses = [read_response(sock, pending)[0] for _ in range(3)]
    assert statuses == [200, 429, 200]
