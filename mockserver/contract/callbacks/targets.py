"""Which callback URLs the mock may call: loopback, plus the hosts the user allowed.

Decided on the URL alone, before any connection and without a DNS lookup (a name is
allowed only when named, so a name that resolves off the machine cannot slip through).
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

__all__ = ["LOOPBACK_NAMES", "refusal"]

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def _host(url: str) -> str | None:
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return None
    return host.rstrip(".").lower() if host else None


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


def refusal(url: str, allowed: tuple[str, ...] = ()) -> str | None:
    """Why the mock will not call `url` (None: it may): not http(s), no host, or a host neither loopback nor allowed."""
    try:
        scheme = urlsplit(url).scheme.lower()
    except ValueError:
        return "not a URL"
    if scheme not in ("http", "https"):
        return f"only http and https callback URLs are called, not {scheme or 'a URL without a scheme'}"
    host = _host(url)
    if host is None:
        return "the callback URL names no host"
    if _is_loopback(host) or host in {a.strip("[]").rstrip(".").lower() for a in allowed}:
        return None
    return (
        f"{host} is not a loopback address; callbacks go to other hosts only when named with "
        f"--callback-allow {host} (or VIDU_MOCK_CALLBACK_ALLOW)"
    )
