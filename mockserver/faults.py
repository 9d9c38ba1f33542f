"""Acting out an `Outgoing`'s delay and network fault on a real WSGI connection.

The engine only decides *what* goes wrong; this module makes a client really see it: a
TCP reset, a connection closed with no reply, a reply that is not valid JSON, or a reply
that never comes before the client's timeout.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

from mockserver.contract.replies import Outgoing

__all__ = [
    "FAULT_KEY",
    "MALFORMED_BODY",
    "FaultAborted",
    "FaultMiddleware",
    "act_out_delay",
    "malformed_reply",
    "wants_reset",
]

FAULT_KEY = "vidu_mock.fault"

# A job object cut off mid-string: valid HTTP, invalid JSON.
MALFORMED_BODY = b'{"id": "task_malformed", "object": "video.generation.j'


class FaultAborted(ConnectionResetError):
    """Raised inside the app to drop the connection; servers treat it as a client hang-up."""

    def __init__(self, what: str) -> None:
        # errno ECONNRESET makes gunicorn's workers drop the socket silently instead of
        # answering 500, and Werkzeug's server treats any ConnectionError the same way.
        super().__init__(errno.ECONNRESET, f"fault injected: {what}")


def _client_socket(environ: dict[str, Any]) -> socket.socket | None:
    for key in ("werkzeug.socket", "gunicorn.socket"):
        candidate = environ.get(key)
        if isinstance(candidate, socket.socket):
            return candidate
    return None


def act_out_delay(reply: Outgoing, stop: threading.Event) -> None:
    """Wait the reply's injected delay (cut short when the server shuts down)."""
    if reply.delay_ms > 0:
        stop.wait(reply.delay_ms / 1000)


def malformed_reply(reply: Outgoing) -> Outgoing:
    """A 200 `application/json` reply whose body is truncated JSON."""
    headers = {k: v for k, v in reply.headers.items() if k.lower() == "x-request-id"}
    headers["Content-Type"] = "application/json"
    return Outgoing(200, headers, MALFORMED_BODY, task_id=reply.task_id)


def _abort_connection(fault: str, environ: dict[str, Any], stop: threading.Event, timeout_seconds: float) -> None:
    """Act out `reset`, `empty` or `timeout` on this request's connection; always raises `FaultAborted`.

    `timeout` first holds the connection silent for `timeout_seconds` (or until shutdown).
    Shutting the read side makes a keep-alive server loop see EOF and close the socket
    at once; SO_LINGER 0 turns that close into a TCP RST for `reset` (a plain FIN, so an
    empty reply, otherwise).
    """
    if fault == "timeout":
        stop.wait(timeout_seconds)
    sock = _client_socket(environ)
    if sock is not None:
        if fault == "reset":
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)
    raise FaultAborted(fault)


def wants_reset(sock: socket.socket) -> bool:
    """Whether `sock` was marked for an abortive close (SO_LINGER on with 0 seconds)."""
    try:
        on, seconds = struct.unpack("ii", sock.getsockopt(socket.SOL_SOCKET, socket.SO_LINGER, 8))
    except OSError:
        return False
    return bool(on) and seconds == 0


class FaultMiddleware:
    """WSGI middleware: when the app marked the request with `FAULT_KEY`, drop its connection.

    The fault is raised outside Flask, so Flask's error handling never turns it into a 500.
    """

    def __init__(self, app: Any, stop: threading.Event, timeout_seconds: Callable[[], float]) -> None:
        self.app = app
        self.stop = stop
        self.timeout_seconds = timeout_seconds

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        held: list[tuple[Any, ...]] = []

        def hold(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            held.append((status, headers, exc_info))
            return _no_write

        body = self.app(environ, hold)
        fault = environ.get(FAULT_KEY)
        if fault is not None:
            close = getattr(body, "close", None)
            if close is not None:
                close()
            _abort_connection(str(fault), environ, self.stop, self.timeout_seconds())
        start_response(*held[0])
        return body  # type: ignore[no-any-return]


def _no_write(data: bytes) -> None:
    raise RuntimeError("the mock's app never uses the WSGI write() callable")
