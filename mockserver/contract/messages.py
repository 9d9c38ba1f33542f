"""Request and response values exchanged between the engine and its adapters."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.data.catalogue import ErrorSpec
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import MALFORMED_BODY, MALFORMED_STATUS, Fault

JSON_TYPE = "application/json"
# What json.dumps(separators=(",", ":"), ensure_ascii=False) builds on every call, built once.
_encode_json = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


@dataclass(frozen=True, slots=True)
class Incoming:
    """An HTTP request as any face sees it; `remote_addr` None means in-process (trusted).

    An adapter that refuses to read a body over the size cap passes `declared_size`
    (its Content-Length) with an empty `body`, so the engine answers 413 unread.
    """

    method: str
    path: str
    headers: Mapping[str, str] = field(default_factory=dict)
    body: bytes = b""
    base_url: str = "http://127.0.0.1"
    remote_addr: str | None = None
    declared_size: int | None = None
    # The server runs this app in several processes (WSGI's `wsgi.multiprocess`, as gunicorn
    # sets it): per-process state cannot be steered as one, so admin writes are refused.
    multiprocess: bool = False
    # The raw query string (no `?`), for the routes that read one (Vidu's `GET /ent/v2/tasks`).
    query: str = ""

    @property
    def size(self) -> int:
        """The body's size: as declared when an adapter left an oversized body unread."""
        return len(self.body) if self.declared_size is None else max(self.declared_size, len(self.body))


@dataclass(slots=True)
class Outgoing:
    """The answer: status, headers, body bytes, a delay and a network fault to act out, and the task it concerns."""

    status: int
    headers: dict[str, str]
    body: bytes
    fault: Fault | None = None
    delay_ms: int = 0
    task_id: str | None = None

    def json(self) -> Any:
        """The body decoded as JSON."""
        return json.loads(self.body)


def json_reply(status: int, payload: Any, headers: Mapping[str, str] | None = None) -> Outgoing:
    """A JSON response."""
    # A lone surrogate (JSON allows "\ud800" escapes) cannot be UTF-8: send it back escaped.
    body = _encode_json(payload).encode("utf-8", "backslashreplace")
    return Outgoing(status, {"Content-Type": JSON_TYPE, **(headers or {})}, body)


def error_reply(error: ApiError | ErrorSpec, retry_after_ms: int = 0) -> Outgoing:
    """The §3 error body for `error`, with `Retry-After`/`retry-after-ms` where it calls for them."""
    api_error = error if isinstance(error, ApiError) else ApiError(error.code)
    headers = error_headers(api_error, retry_after_ms)
    if "Allow" in headers:
        api_error.param = None  # the methods go in the header, not in the body's `param`
    return json_reply(api_error.status, api_error.body(), headers)


def error_headers(api_error: ApiError, retry_after_ms: int) -> dict[str, str]:
    """The headers an error answer carries in every dialect: the retry pair, and `Allow` on a 405."""
    headers: dict[str, str] = {}
    if api_error.retry_after:
        headers["Retry-After"] = str(retry_after_ms // 1000)
        headers["retry-after-ms"] = str(retry_after_ms)
    if api_error.status == 405 and api_error.param:
        headers["Allow"] = api_error.param
    return headers


def new_request_id() -> str:
    """A fresh `x-request-id` (CONTRACT §3): `req_` and 24 random hex digits, without building a UUID."""
    return "req_" + os.urandom(12).hex()


def malformed_reply(reply: Outgoing) -> Outgoing:
    """`reply` as the `malformed` fault turns it: `MALFORMED_STATUS` JSON whose body is `MALFORMED_BODY`.

    Only the request id survives; `fault` stays set so faces can log what happened.
    """
    headers = {k: v for k, v in reply.headers.items() if k.lower() == "x-request-id"}
    headers["Content-Type"] = JSON_TYPE
    return Outgoing(MALFORMED_STATUS, headers, MALFORMED_BODY, reply.fault, reply.delay_ms, reply.task_id)
