"""`VideoMockContainer`: the mock's image as a Testcontainers container (`pip install 'vidu-mock[testcontainers]'`).

It starts `vidu-mock:<version>` (built from a checkout by `tools/build-image`), waits until
the mock's health route answers, and then is an `AdminClient`: the `video_server` fixture's
control surface (journal, failures, job plans, task states, clock, `assert_requested`) over
the admin API, with an admin token made for this container.
"""

from __future__ import annotations

import secrets
import time
from importlib import metadata
from types import TracebackType
from typing import Any

from testcontainers.core.container import DockerContainer

from mockserver.config_sources import ENV_PREFIX
from mockserver.contract.settings import Settings
from pytest_plugin.admin_client import AdminClient

__all__ = ["CONTAINER_PORT", "VideoMockContainer", "default_image"]

#: The port the image listens on (its VIDU_MOCK_PORT).
CONTAINER_PORT = 8000


def default_image() -> str:
    """`vidu-mock:<installed version>`, the tag `tools/build-image` gives the image."""
    return f"vidu-mock:{metadata.version('vidu-mock')}"


class VideoMockContainer(AdminClient, DockerContainer):
    """The mock in a container on a free host port; `.url` once started.

        with VideoMockContainer(dialect="new-api", lifecycle="step") as mock:
            httpx.post(f"{mock.url}/v1/video/generations", json=..., headers=...)
            mock.assert_requested(1, model="viduq3p-720p")

    `settings` are any other `mockserver` settings by name (`error_rate=0.1`, `replay=...`),
    passed as `VIDU_MOCK_*` variables; a bad name or value raises `ValueError` before anything starts.
    """

    def __init__(
        self,
        image: str | None = None,
        *,
        dialect: str | None = None,
        lifecycle: str | None = None,
        state: str | None = None,
        startup_timeout: float = 60.0,
        **settings: Any,
    ) -> None:
        given = {"dialect": dialect, "lifecycle": lifecycle, "state": state, **settings}
        given = {name: value for name, value in given.items() if value is not None}
        if "admin_token" in given or "port" in given:
            raise ValueError("the container makes its own admin token and always listens on port 8000")
        Settings().with_updates(**given)  # the mock's own checks, here rather than in a container's log
        DockerContainer.__init__(self, image or default_image())
        self.admin_token = secrets.token_urlsafe(24)
        self.startup_timeout = startup_timeout
        for name, value in given.items():
            self.with_env(ENV_PREFIX + name.upper(), _env_value(value))
        # The admin API answers loopback callers only without a token; the host is not loopback to the container.
        self.with_env(f"{ENV_PREFIX}ADMIN_TOKEN", self.admin_token)
        self.with_exposed_ports(CONTAINER_PORT)

    def start(self) -> VideoMockContainer:
        """Start the container and wait until the mock answers its health route; returns self."""
        DockerContainer.start(self)
        host = self.get_container_host_ip()
        host = f"[{host}]" if ":" in host else host
        AdminClient.__init__(
            self, f"http://{host}:{self.get_exposed_port(CONTAINER_PORT)}", admin_token=self.admin_token
        )
        deadline = time.monotonic() + self.startup_timeout
        while not self.healthy():
            self.reload()
            if self.status != "running":
                raise RuntimeError(f"the vidu-mock container stopped ({self.status}): {self._log_tail()}")
            if time.monotonic() > deadline:
                raise TimeoutError(f"the vidu-mock container was not healthy in {self.startup_timeout} s")
            time.sleep(0.1)  # a readiness poll, not a timed assertion
        return self

    def stop(self, force: bool = True, delete_volume: bool = True) -> None:
        """Close the admin client and remove the container."""
        if hasattr(self, "_http"):
            self.close()
        DockerContainer.stop(self, force, delete_volume)

    def _log_tail(self) -> str:
        out, err = self.get_logs()
        return " | ".join((out + err).decode(errors="replace").strip().splitlines()[-5:])

    def __enter__(self) -> VideoMockContainer:
        try:
            return self.start()
        except BaseException:
            self.stop()
            raise

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()


def _env_value(value: Any) -> str:
    """A setting as its `VIDU_MOCK_*` variable spells it (lists comma-separated, flags as 1)."""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, list | tuple):
        return ",".join(str(item) for item in value)
    return str(value)
