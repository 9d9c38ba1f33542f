"""Between the wire and the core: a parsed request to an `Incoming`, an `Outgoing` to response bytes.

What the Flask face (`mockserver.live.app`) does for WSGI servers, done directly for the
event-loop server: the same path decoding, host URL, header names and log line as
Werkzeug gave, so both live servers answer alike (`tests/live/test_faces_parity.py`).
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
import time
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import quote, unquote, urlsplit

from mockserver.contract.data.catalogue import error_spec
from mockserver.contract.errors import ApiError
from mockserver.contract.header_fields import sendable_headers
from mockserver.contract.messages import Incoming, Outgoing, new_request_id
from mockserver.live.log_text import printable
from mockserver.live.loop.request_reader import Head, HeadError

__all__ = [
    "HTTP_LAYER_ERRORS",
    "REQUEST_LOG",
    "SERVER_HEADER",
    "HostUrls",
    "incoming",
    "log_reply",
    "refusal",
    "response_bytes",
]

REQUEST_LOG = logging.getLogger("mockserver.requests")
#: The `Server` header: the mock's name and the Python serving it, as Werkzeug's server sent.
SERVER_HEADER = f"vidu-mock Python/{sys.version.split()[0]}"
#: Status the HTTP layer chose -> catalogue code; anything else is a 400 `bad_request`.
HTTP_LAYER_ERRORS: dict[int, str] = {400: "bad_request", 414: "uri_too_long", 431: "header_too_large"}
# Framing, hop-by-hop and server headers: this face writes them itself, once each; never taken from a reply.
_OWN_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_SIMPLE_HOST = re.compile(r"[A-Za-z0-9.\-]*")
# This process's id as text, renewed in a forked child (see `mockserver.live.app`).
_WORKER = [str(os.getpid())]
os.register_at_fork(after_in_child=lambda: _WORKER.__setitem__(0, str(os.getpid())))


class HostUrls:
    """The base URL (`http://host[:port]/`) for each Host header, as Werkzeug's `host_url` gives it.

    Host lower-cased, port 80 dropped, no IDNA decoding; remembered for up to 256 distinct
    Host headers, since clients send the same few. No Host (HTTP/1.0) means the bound address.
    """

    def __init__(self, server_host: str, server_port: int) -> None:
        host = server_host.strip("[]")
        self.default = (
            self._build(f"[{host}]:{server_port}" if ":" in host else f"{host}:{server_port}") or "http://127.0.0.1/"
        )
        self._known: dict[str, str] = {}

    def __call__(self, host: str | None) -> str:
        if host is None:
            return self.default
        url = self._known.get(host)
        if url is None:
            url = self._build(host) or self.default
            if len(self._known) < 256:
                self._known[host] = url
        return url

    @staticmethod
    def _build(host: str) -> str | None:
        try:
            parts = urlsplit(f"http://{host}/")
            hostname, port = parts.hostname or "", parts.port
        except ValueError:
            return None  # an unusable Host header: the bound address instead
        if not _SIMPLE_HOST.fullmatch(hostname) and ":" not in hostname:
            hostname = quote(hostname, safe="")  # echoed into video URLs: never raw odd characters
        netloc = f"[{hostname}]" if ":" in hostname else hostname
        return f"http://{netloc}{'' if port in (None, 80) else f':{port}'}/"


def _path_and_host(target: str) -> tuple[str, str | None]:
    """The decoded path of a request target, and the host an absolute-form target names."""
    if target[:1] == "/" and target[1:2] != "/" and "%" not in target and "?" not in target and "#" not in target:
        return target, None  # the common case, without urlsplit and unquote
    url = urlsplit(target)
    if url.scheme and url.netloc:
        return "/" + unquote(url.path).lstrip("/"), url.netloc  # RFC 9112 3.2.2: the target's host wins
    path = f"/{url.netloc}{url.path}" if url.netloc else url.path  # `//a/b` is a path, not a host
    return "/" + unquote(path).lstrip("/"), None


def incoming(
    head: Head, body: bytes, remote_addr: str | None, host_urls: HostUrls, declared_size: int | None = None
) -> Incoming:
    """The core's view of a request read off the wire."""
    path, host = _path_and_host(head.target)
    query = urlsplit(head.target).query if "?" in head.target else ""
    headers = head.headers
    if host is not None:
        headers = {**headers, "host": host}  # the target's host is the request's Host, as under Werkzeug
    return Incoming(
        method=head.method,
        path=path,
        headers=headers,
        body=body,
        base_url=host_urls(headers.get("host")),
        remote_addr=remote_addr,
        declared_size=declared_size,
        query=query,
    )


_date_cache: list[object] = [0, ""]


def _date() -> str:
    """The `Date` header, formatted once a second."""
    now = int(time.time())
    if _date_cache[0] != now:
        _date_cache[:] = [now, formatdate(now, usegmt=True)]
    return str(_date_cache[1])


def response_bytes(reply: Outgoing, *, head_only: bool, close: bool) -> bytes:
    """Status line, headers and body of `reply`: one `Content-Length` (none on 1xx, 204 and 304).

    A HEAD answer carries the headers a GET would, its `Content-Length` included, and no body.
    """
    status = reply.status
    lines = [f"HTTP/1.1 {status} {_REASONS.get(status, 'Unknown')}\r\nServer: {SERVER_HEADER}\r\nDate: {_date()}\r\n"]
    has_id = False
    for name, value in sendable_headers(reply.headers):
        lowered = name.lower()
        if lowered in _OWN_HEADERS:
            continue
        if lowered == "x-request-id":
            has_id = True
        lines.append(f"{name}: {value}\r\n")
    if not has_id:  # CONTRACT §3: every response has one, including those the engine never saw
        lines.append(f"x-request-id: {new_request_id()}\r\n")
    lines.append(f"x-mock-worker: {_WORKER[0]}\r\n")
    body = reply.body
    if status in (204, 304) or status < 200:
        body = b""  # these never carry a body, nor a length (RFC 9110 8.6)
    else:
        lines.append(f"Content-Length: {len(body)}\r\n")
    if close:
        lines.append("Connection: close\r\n")
    lines.append("\r\n")
    head = "".join(lines).encode("latin-1", "replace")
    return head if head_only else head + body


def refusal(error: HeadError) -> tuple[Outgoing, str]:
    """The §3 answer to a request the HTTP layer refused (no engine, no journal), and its code."""
    code = HTTP_LAYER_ERRORS.get(error.status, "bad_request")
    spec = error_spec(code)
    detail = f"{spec.message.rstrip('.')} ({error.reason[:120]})." if error.reason else spec.message
    body = json.dumps(ApiError(code, detail).body(), separators=(",", ":")).encode()
    return Outgoing(spec.status, {"Content-Type": "application/json"}, body), code


def log_reply(method: str, path: str, reply: Outgoing, started: float) -> None:
    """One console line per request: method, path, status, time, task and fault; never a header."""
    if not REQUEST_LOG.isEnabledFor(logging.INFO):
        return
    # The dashboard reads the admin API every second; those reads would bury the API's lines.
    if method in ("GET", "HEAD") and path.startswith("/__mock"):
        return
    millis = (time.perf_counter() - started) * 1000
    REQUEST_LOG.info(
        "%s %s -> %d %.1fms%s%s",
        printable(method, 20),
        printable(path),
        reply.status,
        millis,
        f" task={printable(reply.task_id)}" if reply.task_id else "",
        f" fault={reply.fault}" if reply.fault else "",
    )
