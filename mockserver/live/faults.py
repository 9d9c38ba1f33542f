"""Acting out an `Outgoing`'s delay and connection fault on a real WSGI connection.

The core decides *what* goes wrong (`mockserver.contract.injection.decision`) and already made a
`malformed` reply; this module makes a client really see the rest: a TCP reset, a
connection closed with no reply, or a reply that never comes before the client's timeout.
"""

from __future__ import annotations

import contextlib
import errno
import socket
import struct
import threading
from collections.abc import Callable, Iterable
from typing import Any

from mockserver.contract.injection.decision import DROPS_CONNECTION, MALFORMED_BODY
from mockserver.contract.messages import Outgoing, malformed_reply

__all__ = [
    "FAULT_KEY",
    "MALFORMED_BODY",
    "FaultAborted",
    "FaultMiddleware",
    "act_out_delay",
    "mark_dropped",
    "malformed_reply",
    "wants_reset",
]

FAULT_KEY = "vidu_mock.fault"


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


def mark_dropped(reply: Outgoing, environ: dict[str, Any]) -> None:
    """Mark the request for `FaultMiddleware` when `reply` carries a connection-dropping fault."""
    if reply.fault in DROPS_CONNECTION:
        environ[FAULT_KEY] = reply.fault


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
