"""`RequestGuard`: what keeps the web pages a developer has open away from a live mock.

Two checks, pure logic over an `Incoming`, applied by `Router` when a live face gives it
a guard (the in-process face gives none: no browser can reach it):

- **the Host name** (every route): a web page that rebinds its own DNS name to 127.0.0.1
  reaches a loopback server with its own name in `Host`. Bound to loopback, the mock
  answers only to loopback names (`127.0.0.1` and the rest of 127.0.0.0/8, `localhost`,
  `[::1]`, any port) and the names given with `--allow-host`; bound to another interface,
  to the `--allow-host` names (and loopback names), or to any name when none is given.
- **cross-site admin writes** (`/__mock/…` with any method but GET, HEAD or OPTIONS):
  a page on another origin can send a "simple" POST (form, `no-cors` fetch, beacon)
  without asking first, but never with `Content-Type: application/json`. So a write must
  carry that type, and when `Origin` or `Sec-Fetch-Site` is present it must name the
  mock's own origin (`Sec-Fetch-Site`, the browser's own verdict, decides when sent).

Both refuse with a 403 in the §3 shape whose message says why and what to do instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from urllib.parse import urlsplit

from mockserver.contract.errors import ApiError
from mockserver.contract.loopback import is_loopback
from mockserver.contract.messages import JSON_TYPE, Incoming

__all__ = ["LOOPBACK_NAMES", "RequestGuard", "cross_site_refusal", "host_name"]

#: The names every live server answers to: they can only mean this machine.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "[::1]")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: `Sec-Fetch-Site` values of a request the mock's own page (or no page: a typed URL) sent.
_OWN_SITE = frozenset({"same-origin", "none"})
_DEFAULT_PORTS = {"http": 80, "https": 443}
_SHOWN = 100  # characters of a client's value echoed back
_LONGEST_HOST = 260


def host_name(host: str) -> str | None:
    """The name in a `Host` header (`name[:port]`, `[v6][:port]`), lower-cased, no final dot; None if unusable."""
    host = host.strip().lower()
    if host.startswith("["):
        end = host.find("]")
        if end < 0:
            return None
        name, rest = host[: end + 1], host[end + 1 :]
    else:
        name, colon, port = host.partition(":")
        name, rest = name.rstrip("."), colon + port
    # What may follow the name: nothing, or ":" and a port of up to 5 digits (RFC 3986 allows none).
    if rest and not (rest[0] == ":" and len(rest) <= 6 and (rest[1:].isdigit() or rest == ":")):
        return None
    return name or None


def _shown(value: str) -> str:
    printable = "".join(c if c.isprintable() else "?" for c in value[:_SHOWN])
    return printable + ("..." if len(value) > _SHOWN else "")


@dataclass(frozen=True, slots=True)
class RequestGuard:
    """The Host allow-list of one live server, and the cross-site check of its admin writes.

    `names` None answers to any name (bound to another interface with no `--allow-host`).
    """

    names: frozenset[str] | None

    @classmethod
    def for_server(cls, bound_host: str, allow_host: Iterable[str] = ()) -> RequestGuard:
        """The guard of a server listening on `bound_host` with the `--allow-host` names `allow_host`."""
        allowed = frozenset(name.lower().rstrip(".") for name in allow_host)
        if "*" in allowed or (not allowed and not is_loopback(host_name(bound_host) or bound_host)):
            return cls(None)
        return cls(allowed)

    def refusal(self, request: Incoming, *, admin: bool) -> ApiError | None:
        """The 403 for `request` (to the admin API when `admin`), or None to let it through."""
        refused = self.host_refusal(request.headers)
        if refused is None and admin and request.method.upper() not in _READS:
            refused = cross_site_refusal(request)
        return refused

    def host_refusal(self, headers: Mapping[str, str]) -> ApiError | None:
        """The 403 for a `Host` this server does not answer to; a request without one (HTTP/1.0) passes."""
        if self.names is None:
            return None
        host = _header(headers, "host")
        # A longer value is no host name (253 characters and a port), and is not remembered.
        if host is None or (len(host) <= _LONGEST_HOST and _answers_to(self.names, host)):
            return None
        return ApiError(
            "host_not_allowed",
            f"This mock does not answer to the name {_shown(host)!r}: a web page can reach a loopback server "
            f"under its own name (DNS rebinding). It answers to {', '.join((*LOOPBACK_NAMES, *sorted(self.names)))}"
            ". To serve it under another name (a container, a CI service alias), start it with "
            "--allow-host NAME (or VIDU_MOCK_ALLOW_HOST=NAME).",
        )


@lru_cache(maxsize=512)
def _answers_to(names: frozenset[str], host: str) -> bool:
    """Whether a server answering to `names` (and the loopback ones) answers to `Host: host`.

    Remembered: clients send the same few Host headers, and parsing an address costs more
    than the rest of the check.
    """
    name = host_name(host)
    return name is not None and (name in names or is_loopback(name))


def _header(headers: Mapping[str, str], name: str) -> str | None:
    """Header `name` (lower case), however the face cased the names (the live faces lower-case them)."""
    value = headers.get(name)
    if value is None:
        value = next((v for k, v in headers.items() if k.lower() == name), None)
    return value


def cross_site_refusal(request: Incoming) -> ApiError | None:
    """The 403 for an admin write a web page on another origin could have sent, or None."""
    headers = request.headers
    media_type = (_header(headers, "content-type") or "").split(";", 1)[0].strip().lower()
    if media_type != JSON_TYPE:
        return ApiError(
            "admin_forbidden",
            "Admin writes must be sent with 'Content-Type: application/json' (a web page on another site "
            "cannot send that without the mock's consent, so this refuses writes from the pages you browse). "
            "From curl add -H 'Content-Type: application/json' (the body may be {} or empty); requests and "
            "httpx send it with json=.",
        )
    # The browser's own verdict, when it gives one, decides: it holds behind a proxy that
    # changes the scheme or the name the mock sees, where comparing Origin could not.
    fetch_site = _header(headers, "sec-fetch-site")
    if fetch_site is not None:
        return (
            None if fetch_site.strip().lower() in _OWN_SITE else _foreign_page(f"Sec-Fetch-Site: {_shown(fetch_site)}")
        )
    origin = _header(headers, "origin")
    if origin is not None and not _same_origin(origin, request.base_url):
        return _foreign_page(f"Origin: {_shown(origin)}")
    return None


def _foreign_page(evidence: str) -> ApiError:
    return ApiError(
        "admin_forbidden",
        f"This admin write came from a web page on another origin ({evidence}); pages other than the mock's "
        "own dashboard may not steer it. Send it from a non-browser client (curl, your tests) or use the "
        "dashboard at /__mock/.",
    )


def _origin_key(url: str) -> tuple[str, str, int | None] | None:
    try:
        parts = urlsplit(url.strip().lower())
        port = parts.port
    except ValueError:
        return None
    if not parts.hostname:
        return None
    host = f"[{parts.hostname}]" if ":" in parts.hostname else parts.hostname
    return parts.scheme, host.rstrip("."), _DEFAULT_PORTS.get(parts.scheme) if port is None else port


def _same_origin(origin: str, base_url: str) -> bool:
    """Whether `Origin` names the scheme, host and port the request reached (`null` and garbage do not)."""
    mine = _origin_key(base_url)
    return mine is not None and _origin_key(origin) == mine
