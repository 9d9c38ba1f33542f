"""The bridges `VideoAPI` starts besides respx's: one per optional client that is installed.

A bridge is used when its client and what it is built on are importable (`vidu-mock[requests]`:
requests and responses; `vidu-mock[aiohttp]`: aiohttp and h11); otherwise that client is
simply not intercepted, and nothing else changes.
"""

from __future__ import annotations

from importlib import import_module
from typing import Protocol

from pytest_plugin.client_seam import Exchanger

__all__ = ["BRIDGES", "ClientBridge", "installed_bridges"]

# module, class, and the distributions whose absence means "not installed" rather than a bug.
BRIDGES: tuple[tuple[str, str, frozenset[str]], ...] = (
    ("pytest_plugin.requests_bridge", "RequestsBridge", frozenset({"requests", "responses", "urllib3"})),
    ("pytest_plugin.aiohttp_bridge", "AiohttpBridge", frozenset({"aiohttp", "h11", "yarl", "multidict"})),
)


class ClientBridge(Protocol):
    """Patches one client library for as long as it is started."""

    def start(self) -> None:
        """Start intercepting the client's requests."""

    def stop(self) -> None:
        """Undo `start`."""


def installed_bridges(api: Exchanger) -> list[ClientBridge]:
    """A new bridge to `api` for each optional client installed in this environment."""
    bridges: list[ClientBridge] = []
    for module_name, class_name, packages in BRIDGES:
        try:
            module = import_module(module_name)
        except ModuleNotFoundError as missing:
            if (missing.name or "").partition(".")[0] not in packages:
                raise
            continue
        bridges.append(getattr(module, class_name)(api))
    return bridges
