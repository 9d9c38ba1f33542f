"""The image `tools/build-image` builds from the Containerfile, run with podman.

Built offline once per checkout state (tests/support/podman.py), from the base and wheels
`.ci/run` prepares; skipped, naming the command that prepares them, where they or podman are missing.
"""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.contract.routes.steps import sample_video
from tests.support.contract_checks import assert_conforms
from tests.support.live_servers import AUTH, CREATE, TEXT
from tests.support.podman import built_image, needs_podman, podman, running, write_readable_recording

pytestmark = [needs_podman, pytest.mark.slow]


@pytest.fixture(scope="session")
def image() -> str:
    return built_image()


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(headers=AUTH, timeout=10) as http:
        yield http


def test_the_image_serves_a_create_its_polls_and_the_download(image: str, client: httpx.Client) -> None:
    with running(image, "--env", "VIDU_MOCK_LIFECYCLE=step") as mock:
        created = client.post(mock.url + CREATE, json=TEXT)
        assert created.status_code == 200, created.text
        assert_conforms(created.status_code, created.content)
        task = created.json()["id"]
        statuses = []
        for _ in range(10):  # the step lifecycle: one state per poll, so a few polls end it
            polled = client.get(f"{mock.url}{CREATE}/{task}")
            assert_conforms(polled.status_code, polled.content)
            statuses.append(polled.json()["status"])
            if statuses[-1] == "completed":
                break
        assert statuses[-1] == "completed", statuses
        assert statuses[0] in ("queued", "in_progress")
        video = client.get(f"{mock.url}{CREATE}/{task}/content")
        assert video.status_code == 200
        assert video.content == sample_video()


def test_the_mock_runs_as_a_non_root_user_and_the_health_check_passes(image: str) -> None:
    with running(image) as mock:
        # The server process itself (PID 1), not a shell started beside it.
        status = podman("exec", mock.container, "cat", "/proc/1/status").stdout
        uids = next(line.split()[1:] for line in status.splitlines() if line.startswith("Uid:"))
        assert uids and all(uid != "0" for uid in uids), status
        cmdline = podman("exec", mock.container, "cat", "/proc/1/cmdline").stdout
        assert "mockserver" in cmdline
        podman("healthcheck", "run", mock.container)  # exits non-zero when the check fails
        health = podman("inspect", "--format", "{{.State.Health.Status}}", mock.container).stdout.strip()
        assert health == "healthy"
        # The check fails once the mock stops answering: stop the process from the host (inside its
        # own PID namespace PID 1 ignores SIGSTOP), check, and let it go on.
        pid = int(podman("inspect", "--format", "{{.State.Pid}}", mock.container).stdout)
        os.kill(pid, signal.SIGSTOP)
        try:
            failed = podman("healthcheck", "run", mock.container, check=False, timeout=60)
        finally:
            os.kill(pid, signal.SIGCONT)
        assert failed.returncode == 1, failed.stderr
        assert "unhealthy" in failed.stdout + failed.stderr


def test_the_image_listens_on_every_interface_and_answers_any_host_name(image: str, client: httpx.Client) -> None:
    with running(image) as mock:
        named = client.post(mock.url + CREATE, json=TEXT, headers={"Host": "vidu-mock"})
        assert named.status_code == 200, named.text
    with running(image, "--env", "VIDU_MOCK_ALLOW_HOST=vidu-mock") as narrowed:
        assert client.post(narrowed.url + CREATE, json=TEXT, headers={"Host": "vidu-mock"}).status_code == 200
        assert client.post(narrowed.url + CREATE, json=TEXT, headers={"Host": "elsewhere.example"}).status_code == 403


def test_a_replay_folder_mounted_with_vidu_mock_replay_is_served(
    image: str, client: httpx.Client, tmp_path: Path
) -> None:
    folder = tmp_path / "recordings"
    answer = write_readable_recording(folder)
    options = ("--volume", f"{folder}:/recordings:ro", "--env", "VIDU_MOCK_REPLAY=/recordings")
    with running(image, *options) as mock:
        replayed = client.post(mock.url + CREATE, json=TEXT)
        assert replayed.status_code == 200, replayed.text
        assert replayed.json() == answer
        unrecorded = client.post(mock.url + CREATE, json={**TEXT, "prompt": "not recorded"})
        assert unrecorded.status_code == 404
