"""Opening the `MockState` a `Settings` names: `memory` (the default) or a Redis (Cluster) URL."""

from __future__ import annotations

from mockserver.contract.settings import Settings
from mockserver.contract.state.memory import MemoryState
from mockserver.contract.state.protocol import MockState

__all__ = ["open_state"]


def open_state(settings: Settings) -> MockState:
    """The state backend for `settings.state`; `ValueError` (one line) if it cannot be used.

    Nothing connects yet: a Redis client connects on first use, so a forked worker
    (gunicorn) opens its own connections.
    """
    if settings.state == "memory":
        return MemoryState(settings.max_tasks, settings.max_journal)
    from mockserver.state.redis_state import RedisState

    return RedisState.from_url(
        settings.state, prefix=settings.state_prefix, max_journal=settings.max_journal, max_tasks=settings.max_tasks
    )
