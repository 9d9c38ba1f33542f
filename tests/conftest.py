"""Suite-wide settings: Hypothesis runs derandomized, so every run of the suite is the same run."""

from __future__ import annotations

from hypothesis import settings

# Deterministic CI (no test passes or fails by the luck of a seed); the example database is
# off so a developer's local failures do not change what CI sees.
settings.register_profile("vidu-mock", derandomize=True, database=None, deadline=None)
settings.load_profile("vidu-mock")

# Every test fails if anything in this process reaches beyond loopback (an audit hook).
from tests.no_outbound import no_outbound_connections  # noqa: E402, F401
