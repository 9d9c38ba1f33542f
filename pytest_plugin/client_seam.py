"""The part every in-process client bridge shares: where a request goes, and whether its wait ends in a timeout.

`VideoAPI.exchange` turns a request into the engine's `Outgoing` (or says the request is
not the fake's); each bridge (`httpx_bridge`, `requests_bridge`, `aiohttp_bridge`) only
translates its client's request in and acts out the `Outgoing` the way that client would
see it. The one rule about waiting lives here: nothing is slept, so a bridge asks
`wait_outcome` what the client would have seen after waiting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum
from http import HTTPStatus
from typing import Protocol

from mockserver.contract.header_fields import sendable_headers
from mockserver.contract.messages import Outgoing

__all__ = [
    "LET_THROUGH",
    "Exchanger",
    "HangsForeverError",
    "Wait",
    "Where",
    "framed",
    "hangs_forever",
    "reason_phrase",
    "wait_outcome",
]


@dataclass(frozen=True, slots=True)
class Where:
    """A request the fake answers: its base URL, its API path below it, and its query string."""

    base_url: str
    path: str
    query: str = ""  # the raw query string, for the routes that read one (Vidu's task list)


LET_THROUGH = "let-through"  # `VideoAPI.where`: a URL under a base URL named as real (sent untouched)


class Exchanger(Protocol):
    """What a bridge needs of `VideoAPI` (typed here so bridges never import it)."""

    def where(self, url: str) -> Where | str | None:
        """The request's `Where`, `LET_THROUGH`, or None when the fake does not answer `url`."""

    def exchange(self, method: str, where: Where, headers: Mapping[str, str], body: bytes) -> Outgoing:
        """The engine's answer to one request (journalled; its delay recorded, never slept)."""


class Wait(Enum):
    """What a client waiting for a reply sees once the injected delay and fault are acted out."""

    ANSWER = "answer"  # the reply arrives (after a delay no longer than the client's limit)
    TIMEOUT = "timeout"  # the client's own timeout fires
    FOREVER = "forever"  # no limit was set: a real client would wait for ever


class HangsForeverError(AssertionError):
    """A `timeout` fault reached a call that set no timeout: against the real API it would never return.

    An `AssertionError`, not a client error, so the code under test cannot catch it as a
    network failure and carry on: the missing timeout is the bug the test found.
    """


def wait_outcome(reply: Outgoing, limit_seconds: float | None) -> Wait:
    """What the client sees: `limit_seconds` is its read limit for this call (None: none set).

    A `timeout` fault never answers, so it ends in the client's timeout, or nowhere; a delay
    longer than the limit ends in the timeout at once, as it would after waiting.
    """
    if reply.fault == "timeout":
        return Wait.FOREVER if limit_seconds is None else Wait.TIMEOUT
    if reply.delay_ms and limit_seconds is not None and reply.delay_ms / 1000 > limit_seconds:
        return Wait.TIMEOUT
    return Wait.ANSWER


def hangs_forever(client: str, method: str, path: str) -> HangsForeverError:
    """The error for a `timeout` fault on a `client` call with no timeout."""
    return HangsForeverError(
        f"the timeout fault on {method} {path}: this {client} call set no timeout, so against the real API it "
        "would wait for ever. Give the call a timeout (the fault then raises the client's timeout error)."
    )


def framed(reply: Outgoing, method: str) -> tuple[list[tuple[str, str]], bytes]:
    """The headers and body a client receives for `reply`, framed as the live face frames them.

    Only headers every face may write (`sendable_headers`: none unchecked). The engine's
    replies carry no length: it is added here. A HEAD gets the GET's headers, its length
    included, and no body.
    """
    headers = [(name, value) for name, value in sendable_headers(reply.headers) if name.lower() != "content-length"]
    headers.append(("Content-Length", str(len(reply.body))))
    return headers, b"" if method.upper() == "HEAD" else reply.body


def reason_phrase(status: int) -> str:
    """The reason phrase a status line carries (empty for a status with none)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""
