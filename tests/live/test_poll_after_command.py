"""The command follows the gateway (no `openai-poll-after-ms`) unless `--poll-after-ms` asks for it."""

from __future__ import annotations

import httpx
import pytest

from tests.live.test_server_cli import running, stop
from tests.support.video_ranges import AUTH

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(("args", "expected"), [((), None), (("--poll-after-ms", "25"), "25")])
def test_the_poll_header_is_an_option_on_the_command(args: tuple[str, ...], expected: str | None) -> None:
    with running(*args) as (url, process):
        with httpx.Client(base_url=url) as client:
            created = client.post(
                "/v1/video/generations", json={"model": "viduq3p-720p", "prompt": "a fox"}, headers=AUTH
            )
            polled = client.get(f"/v1/videos/{created.json()['id']}", headers=AUTH)
        stop(process)
    assert polled.status_code == 200
    assert polled.headers.get("openai-poll-after-ms") == expected
