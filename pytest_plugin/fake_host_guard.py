"""While `video_api` runs, a client it cannot intercept that looks up its fake host is told which fixture to use.

`video_api` patches httpx and httpx2, and requests and aiohttp when their extras are
installed. urllib, subprocesses (and requests or aiohttp without their extras) resolve the
host themselves, and `vidu-mock.test` (reserved, never resolvable) used to fail with a bare
DNS error. The lookup now fails with a message naming `video_server` and the extras.
"""

from __future__ import annotations

import socket
import threading
from typing import Any

from pytest_plugin.url_scope import DEFAULT_URL

__all__ = ["FAKE_HOST", "NotInterceptedError", "guard_fake_host", "release_fake_host"]

FAKE_HOST = DEFAULT_URL.split("://", 1)[1]
_LOCK = threading.Lock()
_ACTIVE = [0]
_ORIGINAL = socket.getaddrinfo


class NotInterceptedError(socket.gaierror):
    """A client `video_api` does not intercept looked up the fake host."""


def _guarded(host: Any, *args: Any, **kwargs: Any) -> Any:
    name = host.decode("ascii", "replace") if isinstance(host, bytes) else str(host)
    if name.rstrip(".").lower() == FAKE_HOST:
        raise NotInterceptedError(
            socket.EAI_NONAME,
            f"{FAKE_HOST} is video_api's in-process fake: it answers httpx and httpx2 clients (and the "
            "OpenAI SDK), requests with vidu-mock[requests] installed and aiohttp with vidu-mock[aiohttp]. "
            "For urllib or a subprocess, use the video_server fixture and send to video_server.url.",
        )
    return _ORIGINAL(host, *args, **kwargs)


def guard_fake_host() -> None:
    """Start answering lookups of the fake host with `NotInterceptedError` (nestable)."""
    with _LOCK:
        _ACTIVE[0] += 1
        if _ACTIVE[0] == 1:
            socket.getaddrinfo = _guarded


def release_fake_host() -> None:
    """Undo one `guard_fake_host`; the real lookup is back once every guard is released."""
    with _LOCK:
        _ACTIVE[0] = max(0, _ACTIVE[0] - 1)
        if _ACTIVE[0] == 0:
            socket.getaddrinfo = _ORIGINAL
