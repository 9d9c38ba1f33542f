"""Cassettes vcrpy wrote (as pytest-recording does) replay in the mock, with its near misses."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
import vcr

from mockserver.contract.replay.format import RecordingFormatError
from mockserver.recordings.replaying import load_replay
from pytest_plugin.video_api import VideoAPI
from pytest_plugin.video_server import VideoServer
from tests.support.gateway_fake import CREATE, TASK_ID, VIDEO, FakeGateway, client_run


@pytest.fixture
def cassette(tmp_path: Path) -> tuple[Path, list[tuple[int, object]], str]:
    """A cassette vcrpy recorded of one job against the fake gateway (stopped since), its answers and the gateway's URL."""
    path = tmp_path / "cassettes" / "test_one_job.yaml"
    with FakeGateway() as gateway, vcr.use_cassette(str(path), filter_headers=["authorization"]):
        with httpx.Client(headers={"Authorization": "Bearer sk-vcr"}) as client:
            answers, video = client_run(client, gateway.url)
        url = gateway.url
    assert video == VIDEO and path.is_file()
    return path, answers, url


def _replayed(answers: list[tuple[int, object]], gateway_url: str, url: str) -> list[tuple[int, object]]:
    return [(status, body) for status, body in json.loads(json.dumps(answers).replace(gateway_url, url))]


def test_video_api_replays_a_vcrpy_cassette(cassette: tuple[Path, list[tuple[int, object]], str]) -> None:
    path, answers, gateway_url = cassette
    exchanges = load_replay(path).exchanges
    assert [e.endpoint for e in exchanges] == ["create", "poll", "poll", "poll", "content", "create"]
    with VideoAPI() as api, api.replay(path), httpx.Client(headers={"Authorization": "Bearer sk-x"}) as client:
        replayed, video = client_run(client, "https://api.example.com")
        missed = client.post("https://api.example.com/v1/video/generations", json={**CREATE, "prompt": "a cat"})
        assert [entry.endpoint for entry in api.journal] == [
            "create",
            "poll",
            "poll",
            "poll",
            "content",
            "create",
            "create",
        ]
    assert replayed == _replayed(answers, gateway_url, "https://api.example.com")
    assert replayed[0][1]["id"] == TASK_ID and video == VIDEO
    assert missed.status_code == 404 and "Closest recording: 0001-create.json" in missed.json()["error"]["message"]


def test_video_server_replays_a_folder_of_cassettes(cassette: tuple[Path, list[tuple[int, object]], str]) -> None:
    path, answers, gateway_url = cassette
    with VideoServer() as server, server.replay(path.parent), httpx.Client() as client:
        replayed, video = client_run(client, server.url)
        assert replayed == _replayed(answers, gateway_url, server.url) and video == VIDEO


def test_a_broken_cassette_is_named(tmp_path: Path) -> None:
    broken = tmp_path / "broken.yaml"
    broken.write_text("interactions:\n- request: {method: GET}\n", encoding="utf-8")
    with pytest.raises(RecordingFormatError, match=r"broken\.yaml: interaction 1 is not vcrpy's"):
        load_replay(broken)
