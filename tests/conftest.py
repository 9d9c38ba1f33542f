"""Suite-wide settings: Hypothesis runs derandomized, so every run of the suite is the same run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import settings

from tests.support.redis_server import REDIS_SERVER, RedisServer

# Deterministic CI (no test passes or fails by the luck of a seed); the example database is
# off so a developer's local failures do not change what CI sees.
settings.register_profile("vidu-mock", derandomize=True, database=None, deadline=None)
settings.load_profile("vidu-mock")

# Every test fails if anything in this process reaches beyond loopback (an audit hook).
from tests.support.no_outbound import no_outbound_connections  # noqa: E402, F401


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for this test session (one per xdist worker), stopped at the end."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (CI installs it with apt-get)")
    server = RedisServer(Path(tmp_path_factory.mktemp("redis"))).start()
    try:
        yield server
    finally:
        server.stop()
