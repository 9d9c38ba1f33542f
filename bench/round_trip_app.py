"""The mock on memory state plus one Redis round trip (a PING) per request: the ceiling for shared state.

`bench_redis.py` runs it as a third side. Redis state needs at least one round trip per
request to be shared, so "memory + PING" / memory is the best ratio any design with one
round trip can reach on the machine the bench runs on; Redis / (memory + PING) is what the
state's own scripts and arguments cost beyond that.

    gunicorn --pythonpath bench 'round_trip_app:app'   # with VIDU_BENCH_PING_URL=redis://...
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Any

from mockserver.live.wsgi import app as mock_app
from mockserver.state.redis_client import connect

__all__ = ["app"]

# The client the Redis state itself opens (same timeouts and retry), so the round trip costs the same.
_client = connect(os.environ["VIDU_BENCH_PING_URL"])


def app(environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
    """One PING, then the mock's answer."""
    _client.ping()
    result: Iterable[bytes] = mock_app(environ, start_response)
    return result
