"""What both live faces write for a reply: the framing headers, the host URL and the log line.

The WSGI face (`mockserver.live.app`, for gunicorn) and the event-loop face
(`mockserver.live.loop.exchange`) frame and log answers alike through these, so both
servers answer byte for byte alike (`tests/live/test_faces_parity.py`).
"""

from __future__ import annotations

import logging
import os
import time

from mockserver.contract.header_fields import sendable_headers
from mockserver.contract.messages import Outgoing, new_request_id
from mockserver.live.log_text import printable

__all__ = ["FACE_HEADERS", "REQUEST_LOG", "base_url", "log_reply", "reply_body", "reply_headers", "worker_id"]

REQUEST_LOG = logging.getLogger("mockserver.requests")
#: Framing, hop-by-hop and server headers: a face (or its HTTP server) writes them, once each; never taken
#: from a reply (two lengths side by side and strict parsers, Node's undici or a proxy, refuse the answer).
FACE_HEADERS = frozenset({"connection", "keep-alive", "transfer-encoding", "content-length", "date", "server"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
# This process's id as text, renewed in each forked child (gunicorn workers fork).
_WORKER = [str(os.getpid())]
os.register_at_fork(after_in_child=lambda: _WORKER.__setitem__(0, str(os.getpid())))


def worker_id() -> str:
    """Which process answers (`x-mock-worker`): lets users, and the scale-out test, see workers share tasks."""
    return _WORKER[0]


def reply_headers(reply: Outgoing) -> list[tuple[str, str]]:
    """The headers of `reply` a face sends before its own framing: the engine's, a request id, the worker."""
    items = sendable_headers(reply.headers)  # never a header that could split the answer
    headers: list[tuple[str, str]] = []
    has_id = False
    for name, value in items:
        lowered = _LOWERED.get(name)
        if lowered is None:
            lowered = name.lower()
            if len(_LOWERED) < 1024:
                _LOWERED[name] = lowered
        if lowered in FACE_HEADERS:
            continue
        has_id = has_id or lowered == "x-request-id"
        headers.append((name, value))
    if not has_id:  # CONTRACT §3: every response has one, including those the engine never saw
        headers.append(("x-request-id", new_request_id()))
    headers.append(("x-mock-worker", _WORKER[0]))
    return headers


# Header names as the engine spells them, lower-cased once: answers use a few dozen.
_LOWERED: dict[str, str] = {}


def reply_body(reply: Outgoing) -> bytes | None:
    """The body to send with its `Content-Length`, or None: no body and no length (1xx, 204, 304; RFC 9110 8.6)."""
    status = reply.status
    return None if status in (204, 304) or status < 200 else reply.body


def base_url(scheme: str, hostname: str, port: int | None) -> str:
    """`scheme://host[:port]/`, the port left out when it is the scheme's own, an IPv6 host in brackets."""
    netloc = f"[{hostname}]" if ":" in hostname else hostname
    return f"{scheme}://{netloc}{'' if port in (None, _DEFAULT_PORTS.get(scheme)) else f':{port}'}/"


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
