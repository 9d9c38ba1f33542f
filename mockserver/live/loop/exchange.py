"""Between the wire and the core: a parsed request to an `Incoming`, an `Outgoing` to response bytes.

What the Flask face (`mockserver.live.app`) does for WSGI servers, done directly for the
event-loop server: the same path decoding, host URL, header names and log line as
Werkzeug gave, so both live servers answer alike (`tests/live/test_faces_parity.py`).
"""

from __future__ import annotations

import json
import re
import sys
import time
from email.utils import formatdate
from http import HTTPStatus
from urllib.parse import quote, unquote, urlsplit

from mockserver.contract.data.catalogue import error_spec
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.live.loop.request_reader import Head, HeadError
from mockserver.live.output import REQUEST_LOG, base_url, log_reply, reply_body, reply_headers

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

#: The `Server` header: the mock's name and the Python serving it, as Werkzeug's server sent.
SERVER_HEADER = f"vidu-mock Python/{sys.version.split()[0]}"
#: Status the HTTP layer chose -> catalogue code; anything else is a 400 `bad_request`.
HTTP_LAYER_ERRORS: dict[int, str] = {400: "bad_request", 414: "uri_too_long", 431: "header_too_large"}
_REASONS = {status.value: status.phrase for status in HTTPStatus}
_SIMPLE_HOST = re.compile(r"[A-Za-z0-9.\-]*")


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
        return base_url("http", hostname, port)


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
    lines += [f"{name}: {value}\r\n" for name, value in reply_headers(reply)]
    body = reply_body(reply)
    if body is None:
        body = b""
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
