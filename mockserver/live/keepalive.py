"""HTTP/1.1 persistent connections for Werkzeug's threaded server.

Werkzeug's `run_wsgi` sends `Connection: close` on every response, because after a
response it drains "whatever is left" on the socket, which on a kept-alive connection
would be the next request. Pooled clients (the OpenAI SDK, `requests.Session`, httpx)
then reconnect for every request, unlike against a real gateway. `KeepAliveHandler`
answers a request, reads (and drops) exactly what is left of *that* request's body, and
keeps the connection for the next one.

Two timeouts bound what a connection may hold: `idle_seconds` between requests (a pooled
connection nobody uses is closed, freeing its thread) and `read_seconds` while a request
is being read (a client that stalls mid-headers or mid-body frees its thread too).
"""

from __future__ import annotations

import contextlib
import selectors
import socket
import threading
import weakref
from typing import Any

from werkzeug.exceptions import ClientDisconnected
from werkzeug.serving import WSGIRequestHandler, connection_dropped_errors
from werkzeug.wsgi import LimitedStream

__all__ = ["DEFAULT_IDLE_SECONDS", "DEFAULT_READ_SECONDS", "KeepAliveHandler", "close_open_connections"]

#: How long a kept-alive connection may sit idle between requests.
DEFAULT_IDLE_SECONDS = 15.0
#: How long reading one request (line, headers, body) may stall before the connection is dropped.
DEFAULT_READ_SECONDS = 30.0
# What is left of a request body after the app answered is read and dropped up to this
# much; a larger remainder closes the connection instead (a 413 for a huge body).
_DRAIN_BYTES = 4 * 1024 * 1024
_HOP_BY_HOP = frozenset({"connection", "keep-alive", "transfer-encoding"})

# Per server: the sockets of the connections it is serving, so closing the server ends
# idle keep-alive connections at once instead of after `idle_seconds`.
_OPEN: weakref.WeakKeyDictionary[Any, set[socket.socket]] = weakref.WeakKeyDictionary()
_OPEN_LOCK = threading.Lock()


def close_open_connections(server: Any) -> None:
    """End every connection `server` is still serving (idle ones at once, busy ones after their answer)."""
    with _OPEN_LOCK:
        sockets = list(_OPEN.pop(server, ()))
    for sock in sockets:
        with contextlib.suppress(OSError):
            sock.shutdown(socket.SHUT_RD)


class KeepAliveHandler(WSGIRequestHandler):
    """A WSGI request handler that keeps HTTP/1.1 connections open between requests.

    The server may set `idle_seconds` and `read_seconds` attributes; the module defaults
    apply otherwise.
    """

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # the answer goes out in one write; never wait for an ACK

    def setup(self) -> None:
        """Register the connection with its server (see `close_open_connections`)."""
        super().setup()
        with _OPEN_LOCK:
            _OPEN.setdefault(self.server, set()).add(self.connection)

    def finish(self) -> None:
        """Forget the connection, then close it as usual."""
        with _OPEN_LOCK:
            self._open_set().discard(self.connection)
        super().finish()

    def _open_set(self) -> set[socket.socket]:
        return _OPEN.get(self.server, set())

    def handle_one_request(self) -> None:
        """Wait up to `idle_seconds` for a request, then read and answer it within `read_seconds` a read."""
        idle = float(getattr(self.server, "idle_seconds", DEFAULT_IDLE_SECONDS))
        read = float(getattr(self.server, "read_seconds", DEFAULT_READ_SECONDS))
        try:
            self.connection.settimeout(idle)
            if not self.rfile.peek(1):  # type: ignore[attr-defined]  # a BufferedReader
                self.close_connection = True  # the client closed the connection
                return
        except (TimeoutError, OSError):
            self.close_connection = True  # idle too long (or gone): free the thread quietly
            return
        self.connection.settimeout(read)
        super().handle_one_request()

    def log_error(self, format: str, *args: Any) -> None:
        """Do nothing: timed-out and malformed requests are answered or dropped, not printed."""

    def run_wsgi(self) -> None:
        """Run the app for one request; keep the connection when the request was read to its end."""
        if self.headers.get("Expect", "").lower().strip(" \t") == "100-continue":
            self.wfile.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        environ = self.environ = self.make_environ()
        body = self._bounded_input(environ)
        if self.request_version != "HTTP/1.1":
            self.close_connection = True  # HTTP/1.0 clients get one answer per connection
        try:
            self._answer(environ, body)
        except connection_dropped_errors as error:
            self.close_connection = True
            self.connection_dropped(error, environ)
            return
        except Exception:  # a bug of ours below the app's own handler: close, as Werkzeug's 500 would
            self.close_connection = True
            with contextlib.suppress(Exception):
                self._send(500, "INTERNAL SERVER ERROR", [("Content-Type", "text/plain")], [b"Internal Server Error"])
            raise
        if body is None:
            return
        if self.close_connection:
            _read_past(self.connection, body)  # lets the client finish sending and read the answer
        elif not _drained(body):
            self.close_connection = True

    def _bounded_input(self, environ: dict[str, Any]) -> Any:
        """Give the app only this request's body, so the next request on the connection stays unread."""
        if environ.get("wsgi.input_terminated"):  # chunked: Werkzeug's DechunkedInput stops at the last chunk
            return environ["wsgi.input"]
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = -1
        if length < 0:
            self.close_connection = True  # no way to tell where the next request starts
            return None
        stream = LimitedStream(self.rfile, length)  # type: ignore[arg-type]  # a BufferedReader is IO[bytes]
        environ["wsgi.input"] = stream
        environ["wsgi.input_terminated"] = True
        return stream

    def _answer(self, environ: dict[str, Any], body: Any) -> None:
        status: list[Any] = []

        def start_response(line: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            status[:] = [line, headers]
            return _no_write

        chunks = self.server.app(environ, start_response)
        if isinstance(body, LimitedStream) and body.limit - body._pos > _DRAIN_BYTES:
            self.close_connection = True  # too much left to read past (a 413): say so in the answer
        try:
            line, headers = status
            code_text, _, reason = line.partition(" ")
            self._send(int(code_text), reason, headers, chunks)
        finally:
            close = getattr(chunks, "close", None)
            if close is not None:
                close()

    def _send(self, code: int, reason: str, headers: list[tuple[str, str]], chunks: Any) -> None:
        """Write status, headers and body in one write when the body has a length."""
        if self.request_version == "HTTP/0.9":  # no status line, no headers: the body alone
            self.close_connection = True
            self.wfile.write(b"".join(chunks))
            return
        head = [f"HTTP/1.1 {code} {reason}\r\n", f"Server: {self.version_string()}\r\n"]
        head.append(f"Date: {self.date_time_string()}\r\n")
        length: str | None = None
        for name, value in headers:
            lowered = name.lower()
            if lowered in _HOP_BY_HOP:
                continue
            if lowered == "content-length":
                length = value
            head.append(f"{name}: {value}\r\n")
        no_body = self.command == "HEAD" or code in (204, 304) or 100 <= code < 200
        chunked = length is None and not no_body
        if chunked:
            head.append("Transfer-Encoding: chunked\r\n")
        if self.close_connection:
            head.append("Connection: close\r\n")
        head.append("\r\n")
        self.log_request(code)
        out = bytearray("".join(head).encode("latin-1"))
        for chunk in chunks:
            if no_body or not chunk:
                continue
            if chunked:
                out += b"%x\r\n%s\r\n" % (len(chunk), chunk)
            else:
                out += chunk
            if len(out) > 65536:
                self.wfile.write(out)
                out.clear()
        if chunked:
            out += b"0\r\n\r\n"
        self.wfile.write(out)
        self.wfile.flush()


def _drained(body: Any) -> bool:
    """Read what is left of a request body; False when more than `_DRAIN_BYTES` (or an error) is left."""
    left = _DRAIN_BYTES
    try:
        while left > 0:
            chunk = body.read(min(left, 65536))
            if not chunk:
                return True
            left -= len(chunk)
    except (OSError, ValueError, ClientDisconnected):  # the client went away mid-body
        return False
    return not body.read(1)


def _read_past(connection: socket.socket, body: Any) -> None:
    """Before closing, read what the client is still sending of this request, while it keeps coming.

    Closing with unread data resets the connection, and a client still sending a refused
    body would see the reset instead of the answer. The same short wait as Werkzeug's.
    """
    with selectors.DefaultSelector() as selector:
        selector.register(connection, selectors.EVENT_READ)
        try:
            while selector.select(timeout=0.01) and body.read(65536):
                pass
        except (OSError, ValueError, ClientDisconnected):  # the client went away mid-body
            return


def _no_write(data: bytes) -> None:
    raise RuntimeError("the mock's app never uses the WSGI write() callable")
