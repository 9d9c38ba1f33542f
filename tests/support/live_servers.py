"""Helpers for tests that talk to a real server over loopback HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from mockserver.contract import ContractEngine, ManualClock, Settings
from mockserver.contract.state.protocol import MockState
from mockserver.live import LiveServer

__all__ = ["AUTH", "CREATE", "TEXT", "live_server"]

CREATE = "/v1/video/generations"
AUTH = {"Authorization": "Bearer sk-live-test"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox in the snow"}


@contextmanager
def live_server(state: MockState | None = None, **settings: Any) -> Iterator[LiveServer]:
    """A started `LiveServer` on a free loopback port with a `ManualClock` (time moves only when told).

    `state` defaults to memory; a `RedisState` runs the same server on shared state.
    """
    engine = ContractEngine(Settings(port=0, **settings), ManualClock(), state=state)
    server = LiveServer(engine=engine)
    with server:
        yield server
