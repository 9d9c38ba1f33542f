"""A polite HTTP client for the gateway under test: rate cap, request cap, Retry-After, key scoping.

The API key is attached only to requests for the base URL's own origin (scheme, host and
port) and redirects are never followed there, so it cannot leak to another host. A video
download goes without the key, to whatever http(s) URL the gateway returned, with its
size capped; it follows up to three redirects (a CDN), still without the key.

A request with no answer (a timeout, a reset, a refused connection) raises `NoAnswer`: the
check it belongs to is incomplete and the run goes on, until `SILENT_LIMIT` requests in a
row got none (`check_silence` then raises `StopRun`). Every exchange can be handed to an
`on_exchange` hook as a recording `Exchange` (see `mockserver.verify.recording`).
"""

from __future__ import annotations

import enum
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

from mockserver.contract.replay.format import Exchange

__all__ = [
    "RETRY_STATUSES",
    "SILENT_LIMIT",
    "Answer",
    "BudgetExhausted",
    "Download",
    "KeyChoice",
    "NoAnswer",
    "PoliteClient",
    "StopRun",
    "retry_delay",
]

#: Statuses a polite client retries after the wait the server asks for (transient, never a verdict).
RETRY_STATUSES = frozenset({429, 503})
_MAX_RETRIES = 3
_MAX_WAIT_SECONDS = 60.0
_BODY_CAP = 1024 * 1024  # API answers are small; a bigger one is read no further
#: After this many requests in a row with no answer the run stops (the gateway is down, not slow).
SILENT_LIMIT = 3
#: A downloaded video up to this size is handed to the recording whole; a bigger one is not kept.
_KEEP_VIDEO_BYTES = 256 * 1024


class KeyChoice(enum.Enum):
    """The default of `PoliteClient.api(key=...)`: send the key the client was given."""

    OWN = "own"


class BudgetExhausted(Exception):
    """The total request cap (`--max-requests`) is spent."""


class NoAnswer(Exception):
    """A request got no answer: the check is incomplete, and the run goes on."""

    def __init__(self, message: str, *, unreachable: bool = False) -> None:
        super().__init__(message)
        #: The connection itself was refused (before any answer: the host is unreachable).
        self.unreachable = unreachable


class StopRun(Exception):
    """The run cannot usefully go on (too many requests in a row went unanswered)."""


@dataclass(frozen=True)
class Answer:
    """One HTTP answer, reduced to what the checks read."""

    status: int
    headers: httpx.Headers
    text: str
    json: Any  # the parsed body, or `NOT_JSON`

    @property
    def is_json(self) -> bool:
        return self.json is not NOT_JSON

    def brief(self) -> str:
        """A one-line description of the answer for the report (never a header)."""
        kind = self.headers.get("content-type", "no content-type").split(";")[0]
        if self.is_json:
            return f"{self.status} {kind}"
        return f"{self.status} {kind}: {self.text[:60]!r}"


class _NotJson:
    def __repr__(self) -> str:
        return "NOT_JSON"


NOT_JSON: Any = _NotJson()


@dataclass(frozen=True)
class Download:
    """The start of a downloaded file and how much of it was read."""

    status: int
    content_type: str
    head: bytes
    size: int
    truncated: bool


def retry_delay(headers: httpx.Headers, attempt: int) -> float:
    """Seconds to wait before retrying: `retry-after-ms`, then `Retry-After` seconds, else 1, 2, 4 s."""
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is None:
            continue
        try:
            seconds = float(value) * scale
        except ValueError:
            continue  # an HTTP date: fall back to the backoff below
        if seconds >= 0:
            return min(seconds, _MAX_WAIT_SECONDS)
    return float(min(2**attempt, _MAX_WAIT_SECONDS))


def _read_capped(response: httpx.Response, cap: int) -> bytes:
    """At most `cap` bytes of the body: a gateway cannot make the verifier hold more."""
    body = bytearray()
    for chunk in response.iter_bytes():
        body += chunk
        if len(body) >= cap:
            return bytes(body[:cap])
    return bytes(body)


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    port = parts.port or {"http": 80, "https": 443}.get(parts.scheme)
    return parts.scheme, (parts.hostname or "").lower(), port


class PoliteClient:
    """Sends the verifier's requests: at most `rps` per second and `max_requests` in all."""

    def __init__(
        self,
        base_url: str,
        key: str,
        *,
        rps: float,
        max_requests: int,
        timeout: float = 30.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        on_exchange: Callable[[Exchange], None] | None = None,
        auth_scheme: str = "Bearer",
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._key = key
        self._auth_scheme = auth_scheme  # Vidu's own API takes `Token <key>`
        self._interval = 1.0 / rps
        self.max_requests = max_requests
        self.sent = 0
        self.retries = 0
        self.answered = 0
        self.silent_in_a_row = 0
        self.timeout = timeout
        self._on_exchange = on_exchange
        self._sleep = sleep
        self._clock = clock
        self._next_slot = 0.0
        # No Authorization on the client itself: only `api` adds one, per request, for the base origin.
        self._http = httpx.Client(timeout=timeout, follow_redirects=False, max_redirects=3, transport=transport)
        self._origin = _origin(self.base_url)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PoliteClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _no_answer(self, error: httpx.RequestError) -> NoAnswer:
        self.silent_in_a_row += 1
        if isinstance(error, httpx.TimeoutException):
            return NoAnswer(f"no answer in {self.timeout:g} s")
        return NoAnswer(f"no answer: {type(error).__name__}", unreachable=isinstance(error, httpx.ConnectError))

    def _answered(self) -> None:
        self.silent_in_a_row = 0
        self.answered += 1

    def check_silence(self) -> None:
        """Raise `StopRun` once `SILENT_LIMIT` requests in a row got no answer."""
        if self.silent_in_a_row >= SILENT_LIMIT:
            raise StopRun(f"{self.silent_in_a_row} requests in a row got no answer in {self.timeout:g} s")

    def _record(self, response: httpx.Response, body: bytes | None, *, endpoint: str, notes: tuple[str, ...]) -> None:
        if self._on_exchange is None:
            return
        request = response.request
        self._on_exchange(
            Exchange(
                seq=0,
                method=request.method,
                path=request.url.path,
                query=request.url.query.decode("ascii", "replace"),
                status=response.status_code,
                request_headers=dict(request.headers),
                request_body=request.content,
                response_headers=dict(response.headers),
                response_body=body,
                endpoint=endpoint,
                elapsed_ms=int(response.elapsed.total_seconds() * 1000),
                notes=notes,
            )
        )

    @property
    def remaining(self) -> int:
        return self.max_requests - self.sent

    def _take_slot(self) -> None:
        if self.sent >= self.max_requests:
            raise BudgetExhausted(f"the request cap ({self.max_requests}) is spent")
        now = self._clock()
        if now < self._next_slot:
            self._sleep(self._next_slot - now)
            now = self._next_slot
        self._next_slot = now + self._interval
        self.sent += 1

    def api(
        self,
        method: str,
        path: str,
        *,
        key: str | KeyChoice | None = KeyChoice.OWN,
        json_body: Any = None,
        raw: bytes | None = None,
        retry: bool = True,
        content_type: str = "application/json",
    ) -> Answer:
        """Send one API request to the base URL with the key; `key=None` sends none, a string sends that one.

        429 and 503 are retried (at most three times) after the wait the answer asks for.
        """
        url = self.base_url + path
        if _origin(url) != self._origin:  # pragma: no cover - paths are ours, never a full URL
            raise ValueError("API requests go to the base URL only")
        headers = {"Accept": "application/json"}
        token = self._key if key is KeyChoice.OWN else key
        if token is not None:
            headers["Authorization"] = f"{self._auth_scheme} {token}"
        content: bytes | None = raw
        if raw is None and json_body is not None:
            content = httpx.Request("POST", url, json=json_body).content
        if content is not None:
            headers["Content-Type"] = content_type
        attempt = 0
        while True:
            self._take_slot()
            try:
                with self._http.stream(method, url, headers=headers, content=content) as response:
                    body = _read_capped(response, _BODY_CAP)
            except httpx.RequestError as error:
                raise self._no_answer(error) from None
            self._answered()
            self._record(response, body, endpoint="other", notes=())
            if retry and response.status_code in RETRY_STATUSES and attempt < _MAX_RETRIES:
                wait = retry_delay(response.headers, attempt)
                attempt += 1
                self.retries += 1
                self._sleep(wait)
                continue
            try:
                parsed: Any = json.loads(body) if body else NOT_JSON
            except ValueError:  # includes a body cut at the cap, and bytes that are not UTF-8
                parsed = NOT_JSON
            return Answer(response.status_code, response.headers, body.decode("utf-8", "replace"), parsed)

    def download(self, url: str, *, cap_bytes: int) -> Download:
        """GET `url` without the key and read at most `cap_bytes` of it (`NoAnswer` when none comes)."""
        if urlsplit(url).scheme not in ("http", "https"):
            raise ValueError(f"not an http(s) URL: {url[:80]!r}")
        self._take_slot()
        kept = bytearray()
        size = 0
        truncated = False
        try:
            with self._http.stream("GET", url, follow_redirects=True) as response:
                for chunk in response.iter_bytes():
                    if size < _KEEP_VIDEO_BYTES:
                        kept += chunk
                    size += len(chunk)
                    if size > cap_bytes:
                        truncated = True
                        break
        except httpx.RequestError as error:
            raise self._no_answer(error) from None
        self._answered()
        whole = not truncated and size <= _KEEP_VIDEO_BYTES
        where = "the base URL's host" if self.same_origin(url) else f"{urlsplit(url).hostname}"
        notes = [f"fetched from {where}, without the key"]
        if not whole:
            notes.append(f"body not kept: {size} bytes read, over the recording's {_KEEP_VIDEO_BYTES} B")
        self._record(response, bytes(kept) if whole else None, endpoint="content", notes=tuple(notes))
        content_type = response.headers.get("content-type", "").split(";")[0].strip()
        return Download(response.status_code, content_type, bytes(kept[:64]), size, truncated)

    def scrub(self, text: str) -> str:
        """`text` with the key replaced, for anything printed while the run goes on."""
        return text.replace(self._key, "[redacted]") if self._key else text

    def same_origin(self, url: str) -> bool:
        """Whether `url` is on the base URL's scheme, host and port."""
        return _origin(url) == self._origin
