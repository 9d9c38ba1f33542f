"""One small driver per HTTP client users run under `video_api` (httpx, requests, aiohttp), with one interface.

Each sends a request the way that client's users do and hands back status, headers and
body, or lets the client's own exception out, so one behaviour table runs over all three.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Coroutine, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

import aiohttp
import httpx
import requests

__all__ = [
    "CLIENTS",
    "FAULT_ERRORS",
    "JSON_ERRORS",
    "TIMEOUT_ERRORS",
    "Client",
    "Reply",
    "client_named",
]

T = TypeVar("T")
DEFAULT = 5.0  # seconds: every call sets a timeout unless a test passes None


@dataclass(frozen=True)
class Reply:
    """What the client got: status, headers (names lower-cased) and the body."""

    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Client(Protocol):
    """A client under test: `send` raises that client's own exceptions."""

    name: str

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = DEFAULT,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Reply:
        """One request; the body read whole (`json_body`, or a multipart form of `data` and `files`)."""

    def download(self, url: str, headers: dict[str, str]) -> Reply:
        """A GET whose body is streamed in chunks, as a client downloads a video."""

    def post_json(self, url: str, json_body: Any, headers: dict[str, str]) -> Any:
        """A POST whose reply is decoded by the client's own JSON helper (which raises its own error)."""


class HttpxClient:
    name = "httpx"

    def __init__(self) -> None:
        self.client = httpx.Client()

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = DEFAULT,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Reply:
        response = self.client.request(
            method, url, json=json_body, headers=headers, timeout=timeout, files=files, data=data
        )
        return Reply(response.status_code, dict(response.headers.items()), response.content)

    def download(self, url: str, headers: dict[str, str]) -> Reply:
        with self.client.stream("GET", url, headers=headers, timeout=DEFAULT) as response:
            body = b"".join(response.iter_bytes(1024))
        return Reply(response.status_code, dict(response.headers.items()), body)

    def post_json(self, url: str, json_body: Any, headers: dict[str, str]) -> Any:
        return self.client.post(url, json=json_body, headers=headers, timeout=DEFAULT).json()

    def close(self) -> None:
        self.client.close()


class RequestsClient:
    name = "requests"

    def __init__(self) -> None:
        self.session = requests.Session()

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = DEFAULT,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Reply:
        response = self.session.request(
            method, url, json=json_body, headers=headers, timeout=timeout, files=files, data=data
        )
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, response.content)

    def download(self, url: str, headers: dict[str, str]) -> Reply:
        with self.session.get(url, headers=headers, timeout=DEFAULT, stream=True) as response:
            body = b"".join(response.iter_content(1024))
        return Reply(response.status_code, {k.lower(): v for k, v in response.headers.items()}, body)

    def post_json(self, url: str, json_body: Any, headers: dict[str, str]) -> Any:
        return self.session.post(url, json=json_body, headers=headers, timeout=DEFAULT).json()

    def close(self) -> None:
        self.session.close()


class AiohttpClient:
    name = "aiohttp"

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.session = self.run(self._open())

    async def _open(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession()

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run_until_complete(work)

    def send(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = DEFAULT,
        files: dict[str, tuple[str, bytes, str]] | None = None,
        data: dict[str, str] | None = None,
    ) -> Reply:
        # A per-call read limit (`sock_read`), or no limit at all (aiohttp's session default is total=300).
        limit = aiohttp.ClientTimeout(sock_read=timeout) if timeout else aiohttp.ClientTimeout(total=None)
        form: aiohttp.FormData | None = None
        if files is not None or data is not None:
            form = aiohttp.FormData()
            for name, value in (data or {}).items():
                form.add_field(name, value)
            for name, (filename, content, content_type) in (files or {}).items():
                form.add_field(name, content, filename=filename, content_type=content_type)

        async def call() -> Reply:
            async with self.session.request(
                method, url, json=json_body, data=form, headers=headers, timeout=limit
            ) as response:
                body = await response.read()
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, body)

        return self.run(call())

    def download(self, url: str, headers: dict[str, str]) -> Reply:
        async def call() -> Reply:
            async with self.session.get(url, headers=headers) as response:
                chunks = []
                while chunk := await response.content.read(1024):
                    chunks.append(chunk)
                return Reply(response.status, {k.lower(): v for k, v in response.headers.items()}, b"".join(chunks))

        return self.run(call())

    def post_json(self, url: str, json_body: Any, headers: dict[str, str]) -> Any:
        async def call() -> Any:
            async with self.session.post(url, json=json_body, headers=headers) as response:
                return await response.json()

        return self.run(call())

    def close(self) -> None:
        self.run(self.session.close())
        self.loop.close()


CLIENTS = ("httpx", "requests", "aiohttp")
_KINDS: dict[str, type[HttpxClient | RequestsClient | AiohttpClient]] = {
    "httpx": HttpxClient,
    "requests": RequestsClient,
    "aiohttp": AiohttpClient,
}

# What each client raises for each connection fault, measured against the live server
# (tests/plugin/test_client_bridges.py keeps the in-process face to the same types and messages).
FAULT_ERRORS: dict[str, dict[str, type[BaseException]]] = {
    "httpx": {"reset": httpx.ReadError, "empty": httpx.RemoteProtocolError, "timeout": httpx.ReadTimeout},
    "requests": {
        "reset": requests.ConnectionError,
        "empty": requests.ConnectionError,
        "timeout": requests.ReadTimeout,
    },
    "aiohttp": {
        "reset": aiohttp.ClientOSError,
        "empty": aiohttp.ServerDisconnectedError,
        "timeout": aiohttp.SocketTimeoutError,
    },
}
TIMEOUT_ERRORS = {name: errors["timeout"] for name, errors in FAULT_ERRORS.items()}
# What decoding the `malformed` body raises with each client's own JSON helper.
JSON_ERRORS: dict[str, type[ValueError]] = {
    "httpx": json.JSONDecodeError,
    "requests": requests.exceptions.JSONDecodeError,
    "aiohttp": json.JSONDecodeError,
}


@contextmanager
def client_named(name: str) -> Iterator[Client]:
    """A fresh client of that kind, closed afterwards."""
    client = _KINDS[name]()
    try:
        yield client
    finally:
        client.close()
