"""Which URLs the in-process fake answers, and how each splits into a base URL and an API path."""

from __future__ import annotations

import re
from dataclasses import dataclass

import httpx

from mockserver.contract.routes.paths import API_PATH
from mockserver.contract.vidu.paths import VIDU_API_PATH

__all__ = ["DEFAULT_URL", "ApiScope"]

# A reserved `.test` host: never resolvable, so a request that escapes the fake cannot go anywhere.
DEFAULT_URL = "https://vidu-mock.test"

# Any prefix (a gateway's `/vidu`), then the API paths: create, poll and video download, on
# `/v1/video/generations` and on the OpenAI-style family (`POST /v1/videos`, `/v1/videos/{task_id}`, its remix),
# and Vidu's own `/ent/v2/...` (the `vidu` dialect).
_API_PATH = re.compile(rf"^(?P<prefix>(?:/[^/]+)*?)(?P<api>{API_PATH}|{VIDU_API_PATH})$")


@dataclass(frozen=True)
class ApiScope:
    """With no `base_url`, the API's paths on any host; with one, everything under it.

    A trailing `/v1` on `base_url` is dropped, so an SDK-style `https://host/v1` works.
    """

    base_url: str | None = None

    def __post_init__(self) -> None:
        if self.base_url is not None:
            url = httpx.URL(self.base_url)
            if url.scheme not in ("http", "https") or not url.host:
                raise ValueError(f"base_url must be an http(s) URL with a host, got {self.base_url!r}")
            root = str(url.copy_with(query=None, fragment=None)).rstrip("/").removesuffix("/v1")
            object.__setattr__(self, "base_url", root)

    @property
    def url(self) -> str:
        """A base URL this scope answers: `base_url`, or `DEFAULT_URL` when any host is answered."""
        return self.base_url or DEFAULT_URL

    def split(self, url: httpx.URL) -> tuple[str, str] | None:
        """`(base URL, API path)` for a URL this scope answers, else None."""
        if url.scheme not in ("http", "https"):
            return None
        if self.base_url is None:
            match = _API_PATH.match(url.path)
            if match is None:
                return None
            return _origin(url) + match.group("prefix"), match.group("api")
        base = httpx.URL(self.base_url)
        if (url.scheme, url.host, url.port) != (base.scheme, base.host, base.port):
            return None
        prefix = base.path.rstrip("/")
        rest = url.path[len(prefix) :]
        if not url.path.startswith(prefix) or (rest and not rest.startswith("/")):
            return None
        return self.base_url, rest or "/"


def _origin(url: httpx.URL) -> str:
    return f"{url.scheme}://{url.netloc.decode('ascii')}"
