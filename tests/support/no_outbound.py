"""An audit hook that sees every socket connect, send, bind and name lookup in this process.

Anything that leaves loopback is recorded in `OUTBOUND`. `watch()` collects every attempt
(loopback too) for a test that wants to see the traffic it caused. The autouse fixture
`no_outbound_connections` fails any test during which something left loopback; import it
into `tests/conftest.py` to make that session-wide.
"""

from __future__ import annotations

import ipaddress
import socket
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import pytest

__all__ = ["OUTBOUND", "Attempt", "install", "is_loopback", "no_outbound_connections", "watch"]

# Audit events (PEP 578) through which Python code can reach another host, or listen for one.
_ADDRESS_EVENTS = frozenset({"socket.connect", "socket.sendto", "socket.sendmsg", "socket.bind"})
_NAME_EVENTS = frozenset(
    {"socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyname_ex", "socket.gethostbyaddr"}
)
_LOCAL_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost", "ip6-loopback"})
_INET = (socket.AF_INET, socket.AF_INET6)


@dataclass(frozen=True)
class Attempt:
    """One audited network operation: the event and the host it aimed at."""

    event: str
    host: str
    port: object


OUTBOUND: list[Attempt] = []
_watchers: list[list[Attempt]] = []
_lock = threading.Lock()
_installed = False


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine's loopback (127.0.0.0/8, ::1, localhost)."""
    name = host.strip("[]").split("%")[0].lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    mapped = getattr(address, "ipv4_mapped", None)
    return address.is_loopback or (mapped is not None and mapped.is_loopback)


def _attempt(event: str, args: tuple[Any, ...]) -> Attempt | None:
    if event in _ADDRESS_EVENTS:
        sock, address = args[0], args[1]
        if getattr(sock, "family", None) not in _INET or not isinstance(address, tuple):
            return None  # Unix sockets, netlink, or a send on an already connected socket
        host = address[0].decode() if isinstance(address[0], bytes) else str(address[0])
        # Binding "" or 0.0.0.0 listens on every interface: an exposure, so never loopback.
        return Attempt(event, host or "0.0.0.0", address[1])
    if event in _NAME_EVENTS:
        host = args[0]
        if host is None:
            return None  # getaddrinfo(None, port): the local wildcard, no lookup
        return Attempt(
            event,
            host.decode() if isinstance(host, bytes) else str(host),
            args[1] if event == "socket.getaddrinfo" else None,
        )
    return None


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _ADDRESS_EVENTS and event not in _NAME_EVENTS:
        return
    attempt = _attempt(event, args)
    if attempt is None:
        return
    with _lock:
        for watcher in _watchers:
            watcher.append(attempt)
        if not is_loopback(attempt.host):
            OUTBOUND.append(attempt)


def install() -> None:
    """Add the audit hook (once per process; audit hooks cannot be removed)."""
    global _installed
    with _lock:
        if not _installed:
            sys.addaudithook(_hook)
            _installed = True


@contextmanager
def watch() -> Iterator[list[Attempt]]:
    """Collect every audited attempt (loopback included) made while the block runs."""
    install()
    seen: list[Attempt] = []
    with _lock:
        _watchers.append(seen)
    try:
        yield seen
    finally:
        with _lock:
            _watchers.remove(seen)


@pytest.fixture(autouse=True)
def no_outbound_connections() -> Iterator[None]:
    """Fail the test if anything in this process left loopback while it ran."""
    install()
    start = len(OUTBOUND)
    yield
    left = OUTBOUND[start:]
    assert not left, f"network traffic off loopback: {left[:5]}"
