"""`Range` on the video routes under both fixtures and both dialects (the command and gunicorn: tests/live)."""

from __future__ import annotations

import httpx
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from pytest_plugin import VideoServer
from tests.support.video_ranges import assert_ranges_served

API_BASE = "https://video-gateway.example.test"
DIALECTS = [pytest.param(d, marks=pytest.mark.video_api(base_url=API_BASE, dialect=d), id=d) for d in GATEWAY_DIALECTS]


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.usefixtures("video_api")
def test_ranges_in_process(dialect: str) -> None:
    with httpx.Client(base_url=API_BASE) as client:
        assert_ranges_served(client, dialect)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_ranges_on_the_live_fixture(video_server: VideoServer, dialect: str) -> None:
    with httpx.Client(base_url=video_server.url) as client:
        assert_ranges_served(client, dialect)
