"""Vidu's own API on the `mockserver --dialect vidu` command, seen by a client written from Vidu's pages."""

from __future__ import annotations

import httpx
import pytest

from tests.live.test_server_cli import running, stop
from tests.support.vidu_checks import check_every_page, check_lifecycle_and_download
from tests.support.vidu_client import ViduClient

pytestmark = pytest.mark.slow

TIMINGS = ("--queued-seconds", "60", "--running-seconds", "60")


def test_a_client_from_vidus_pages_runs_against_the_command() -> None:
    with running("--dialect", "vidu", *TIMINGS) as (url, process):
        client, anonymous = ViduClient("vidu-key", url), ViduClient(None, url)

        def advance(seconds: float) -> None:
            httpx.post(f"{url}/__mock/clock", json={"advance": seconds}, timeout=10).raise_for_status()

        try:
            check_lifecycle_and_download(client, advance)
            check_every_page(client, anonymous, advance)
        finally:
            client.close()
            anonymous.close()
        banner, _ = stop(process)
        assert "/ent/v2/text2video" in banner and "Authorization: Token" in banner


def test_the_gateways_routes_are_vidus_not_found_in_the_vidu_dialect() -> None:
    with running("--dialect", "vidu") as (url, process):
        answer = httpx.post(f"{url}/v1/video/generations", json={}, headers={"Authorization": "Token k"}, timeout=10)
        stop(process)
    assert answer.status_code == 404 and answer.json()["reason"] == "NotFound"
