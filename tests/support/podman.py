"""The image tests' podman: the image built once per checkout, containers run from it, the API socket.

The tests stay offline: what needs the network is prepared before them, by `PREPARE` (which
.ci/run runs): the base (`tools/build-base-image`, from Debian's archive) and the dependencies'
wheels (`tools/build-image --fetch-only`, from the package index). Without them the image
tests skip, naming that command. The image itself is built here from this checkout, with no
network (`tools/build-image --offline`). Every test (and every xdist worker) shares one
image: the first to take the lock builds it, labelled with a hash of the sources it was built
from; the others find the label current and build nothing.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import pytest

from mockserver.contract.replay.format import Exchange
from mockserver.recordings.folder import RecordingWriter
from pytest_plugin.admin_client import AdminClient
from tests.support.live_servers import CREATE, TEXT

__all__ = [
    "BASE_IMAGE",
    "IMAGE",
    "PREPARE",
    "ROOT",
    "Running",
    "built_image",
    "needs_podman",
    "podman",
    "podman_socket",
    "running",
    "write_readable_recording",
]

ROOT = Path(__file__).resolve().parents[2]
PODMAN = shutil.which("podman")
BASE_IMAGE = "docker.io/library/debian:bookworm-slim"
IMAGE = f"vidu-mock:{metadata.version('vidu-mock')}"
SOURCE_LABEL = "org.vidu-mock.source-sha256"
# What the image is made of: a change to any of these makes the next run build it again.
_SOURCES = ("Containerfile", ".containerignore", "pyproject.toml", "README.md", "tools/build-image")
_PACKAGES = ("mockserver", "pytest_plugin")
# What makes an image build here need no network; it reaches Debian's archive and the package index.
PREPARE = "tools/build-base-image && tools/build-image --fetch-only"
_STAND_IN = "tools/build-base-image"  # in the description label of the base that tool makes
_FETCHED = ("build/wheels/pip-*.whl", "build/backend/hatchling-*.whl")
BUILD_SECONDS = 1200
START_SECONDS = 60.0

# CI's podman settings (runc, no default ulimits: what some sandboxes need) unless the caller
# chose others; set for this process, so every podman the tests start (tools, bench,
# the API service behind Testcontainers) reads them. Harmless wherever runc is installed.
if shutil.which("runc"):
    os.environ.setdefault("CONTAINERS_CONF", str(ROOT / ".ci" / "containers.conf"))

needs_podman = pytest.mark.skipif(
    PODMAN is None,
    reason="podman is not installed (CI installs it: apt-get install podman runc mmdebstrap, then " + PREPARE + ")",
)


def podman(*args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess[str]:
    """Run `podman args...`; on failure the error shows podman's own words."""
    assert PODMAN is not None
    done = subprocess.run([PODMAN, *args], capture_output=True, text=True, timeout=timeout, check=False)
    if check and done.returncode != 0:
        raise AssertionError(f"podman {' '.join(args)} exited {done.returncode}: {done.stderr.strip()[-2000:]}")
    return done


def source_hash() -> str:
    """A hash of every file the image is built from."""
    digest = hashlib.sha256()
    files = [ROOT / name for name in _SOURCES]
    for package in _PACKAGES:
        files += sorted(p for p in (ROOT / package).rglob("*") if p.is_file() and "__pycache__" not in p.parts)
    for path in files:
        digest.update(str(path.relative_to(ROOT)).encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _label(image: str, name: str = SOURCE_LABEL) -> str | None:
    done = podman("image", "inspect", image, check=False)
    if done.returncode != 0:
        return None
    labels = json.loads(done.stdout)[0].get("Labels") or {}
    return str(labels.get(name, ""))


def unprepared() -> str | None:
    """Why an image cannot be built here without the network, or None when it can."""
    base = _label(BASE_IMAGE, "org.opencontainers.image.description")
    if base is None:
        return f"no base image {BASE_IMAGE}"
    if _STAND_IN not in base:
        # A base without python3 (the official one) would make the build install it from Debian.
        return f"{BASE_IMAGE} is not the stand-in from {_STAND_IN} (which carries python3)"
    for pattern in _FETCHED:
        if not any(ROOT.glob(pattern)):
            return f"no {pattern} (the wheels the image is built from)"
    return None


def _tool(name: str, *args: str) -> None:
    env = {**os.environ, "PYTHON": sys.executable, "CONTAINER_ENGINE": str(PODMAN)}
    done = subprocess.run(
        [str(ROOT / "tools" / name), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=BUILD_SECONDS,
        check=False,
    )
    if done.returncode != 0:
        raise AssertionError(f"tools/{name} exited {done.returncode}:\n{done.stdout[-3000:]}\n{done.stderr[-3000:]}")


def built_image() -> str:
    """`vidu-mock:<version>` built offline from this checkout (once per checkout state, whichever worker comes first).

    Skips the calling test when what the build needs from the network is not prepared.
    """
    wanted = source_hash()
    lock_path = Path(tempfile.gettempdir()) / "vidu-mock-image-build.lock"
    with lock_path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # held until the build is done; the other workers wait here
        reason = unprepared()
        if reason is not None:
            pytest.skip(f"{reason}: prepare the image's build with `{PREPARE}` (it needs the network; .ci/run runs it)")
        if _label(IMAGE) != wanted:
            _tool("build-image", "--offline", "--label", f"{SOURCE_LABEL}={wanted}")
        assert _label(IMAGE) == wanted, "tools/build-image did not tag the image it was asked for"
    return IMAGE


@dataclass
class Running:
    """A started container: its id and its URL on the host's loopback."""

    container: str
    url: str


@contextmanager
def running(image: str, *options: str, ready: bool = True) -> Iterator[Running]:
    """`podman run` the image detached with port 8000 on a free loopback port; removed afterwards.

    With `ready`, waits until the mock answers its health route (failing with the container's log).
    """
    container = podman("run", "--detach", "--publish", "127.0.0.1::8000", *options, image).stdout.strip()
    try:
        port = podman("port", container, "8000").stdout.strip().rsplit(":", 1)[1]
        started = Running(container, f"http://127.0.0.1:{port}")
        if ready:
            _wait_healthy(started)
        yield started
    finally:
        podman("rm", "--force", container, check=False)


def _wait_healthy(started: Running) -> None:
    deadline = time.monotonic() + START_SECONDS
    with AdminClient(started.url) as client:
        while not client.healthy():
            state = podman("inspect", "--format", "{{.State.Status}}", started.container).stdout.strip()
            if state != "running" or time.monotonic() > deadline:
                log = podman("logs", started.container, check=False)
                raise AssertionError(f"the container is {state}, not healthy:\n{log.stdout}{log.stderr}")
            time.sleep(0.1)  # a readiness poll, not a timed assertion


@contextmanager
def podman_socket(folder: Path) -> Iterator[str]:
    """podman's Docker-compatible API on a socket in `folder`; yields its `unix://` URL for DOCKER_HOST."""
    assert PODMAN is not None
    socket = folder / "podman.sock"
    url = f"unix://{socket}"
    log = folder / "podman-service.log"
    with log.open("wb") as out:
        service = subprocess.Popen([PODMAN, "system", "service", "--time=0", url], stdout=out, stderr=out)
    try:
        deadline = time.monotonic() + START_SECONDS
        while not socket.exists():
            if service.poll() is not None or time.monotonic() > deadline:
                raise AssertionError(f"podman system service did not start: {log.read_text()[-2000:]}")
            time.sleep(0.05)  # a readiness poll
        yield url
    finally:
        service.terminate()
        service.wait(timeout=30)


def write_readable_recording(folder: Path) -> dict[str, str]:
    """A recording of one create (of `TEXT`) in `folder`, readable by the image's user; returns its answer."""
    answer = {"id": "task_recorded_in_a_container", "task_id": "task_recorded_in_a_container", "status": "queued"}
    RecordingWriter(folder).write(
        Exchange(
            seq=0,
            method="POST",
            path=CREATE,
            status=200,
            request_headers={"content-type": "application/json"},
            request_body=json.dumps(TEXT).encode(),
            response_headers={"content-type": "application/json"},
            response_body=json.dumps(answer).encode(),
            endpoint="create",
            task_id=answer["id"],
        )
    )
    # The mock runs as its own user: pytest makes temporary folders 0700.
    folder.chmod(0o755)
    for path in folder.iterdir():
        path.chmod(0o644)
    return answer
