"""`VideoMockContainer` starts the image through podman's Docker-compatible socket and steers it.

Skipped where podman or the prepared base and wheels are missing; the image is the one
tests/support/podman.py builds offline once per checkout state.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from testcontainers.core.config import ConnectionMode, testcontainers_config

from pytest_plugin.testcontainers import VideoMockContainer
from tests.support.live_servers import AUTH, CREATE, TEXT
from tests.support.podman import built_image, needs_podman, podman_socket


@pytest.fixture(scope="session")
def docker_host(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with podman_socket(tmp_path_factory.mktemp("podman")) as url:
        yield url


@pytest.fixture
def testcontainers_on_podman(docker_host: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """What a podman user sets: DOCKER_HOST, no Ryuk (its image cannot be pulled here), the socket's host."""
    monkeypatch.setenv("DOCKER_HOST", docker_host)
    monkeypatch.setattr(testcontainers_config, "ryuk_disabled", True)
    monkeypatch.setattr(testcontainers_config, "connection_mode_override", ConnectionMode.docker_host)


@needs_podman
@pytest.mark.slow
@pytest.mark.usefixtures("testcontainers_on_podman")
def test_a_create_then_assert_requested_through_the_container() -> None:
    image = built_image()
    with VideoMockContainer(image, dialect="new-api", lifecycle="step") as mock:
        assert mock.url.startswith("http://")
        plan = mock.plan_job("fail", polls=1)
        assert mock.pending_jobs == [plan]
        created = httpx.post(mock.url + CREATE, json=TEXT, headers=AUTH, timeout=10)
        assert created.status_code == 200, created.text
        [entry] = mock.assert_requested(1, model=TEXT["model"], status=200)
        assert entry.headers["authorization"] == "Bearer [redacted]"
        assert entry.task_id is not None
        polled = httpx.get(f"{mock.url}{CREATE}/{entry.task_id}", headers=AUTH, timeout=10)
        assert polled.status_code == 200
        assert mock.state(entry.task_id).status == "failed"  # the plan reached the server in the container
        with pytest.raises(AssertionError, match="expected 1 create request"):
            mock.assert_requested(1, model="viduq3-turbo-540p")
        # The settings reached the mock; its admin API answers the host only with the container's token.
        config = httpx.get(f"{mock.url}/__mock/config", headers={"X-Mock-Admin-Token": mock.admin_token}, timeout=10)
        assert (config.json()["dialect"], config.json()["lifecycle"]) == ("new-api", "step")
        assert httpx.get(f"{mock.url}/__mock/journal", timeout=10).status_code == 403


def test_a_bad_setting_is_refused_before_anything_starts(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="lifecycle"):
        VideoMockContainer("vidu-mock:any", lifecycle="sometimes")
    with pytest.raises(ValueError, match="unknown setting"):
        VideoMockContainer("vidu-mock:any", no_such_setting=1)
    with pytest.raises(ValueError, match="admin token"):
        VideoMockContainer("vidu-mock:any", admin_token="mine")
