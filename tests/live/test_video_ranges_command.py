"""`Range` on the video routes of the `mockserver` command and of gunicorn, in both dialects."""

from __future__ import annotations

import httpx
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from tests.live.test_server_cli import running, stop
from tests.support.gunicorn_hosts import gunicorn_host
from tests.support.video_ranges import assert_ranges_served

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_ranges_on_the_command(dialect: str) -> None:
    with running("--lifecycle", "step", "--dialect", dialect) as (url, process):
        with httpx.Client(base_url=url) as client:
            assert_ranges_served(client, dialect)
        stop(process)


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_ranges_under_gunicorn(dialect: str) -> None:
    with gunicorn_host(1, lifecycle="step", dialect=dialect) as host, httpx.Client(base_url=host.url) as client:
        assert_ranges_served(client, dialect)
