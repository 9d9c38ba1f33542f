"""The packaged MP4 is read when an engine is built, so replacing the installed package under a running server loses nothing."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from importlib.resources import files
from pathlib import Path

import pytest

from mockserver.contract import ContractEngine, Incoming, ManualClock, Settings
from mockserver.contract.routes import steps as engine_module

PACKAGED = Path(str(files("mockserver.contract.data") / "media" / "sample.mp4"))


@pytest.fixture
def media_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """The package's media served from a copy under `tmp_path`, which the test may delete."""
    (tmp_path / "media").mkdir()
    shutil.copy(PACKAGED, tmp_path / "media" / "sample.mp4")
    engine_module.sample_video.cache_clear()
    monkeypatch.setattr(engine_module, "files", lambda package: tmp_path)
    yield tmp_path / "media" / "sample.mp4"
    engine_module.sample_video.cache_clear()  # the next reader gets the real package file again


def test_the_video_survives_its_file_being_replaced_after_start_up(media_in: Path) -> None:
    api = ContractEngine(Settings(lifecycle="step"), ManualClock())
    media_in.unlink()  # what `pip install` does to the running server's package files
    auth = {"Authorization": "Bearer sk-a", "Content-Type": "application/json"}
    created = api.handle(
        Incoming("POST", "/v1/video/generations", auth, b'{"model": "viduq3p-540p", "prompt": "a fox"}')
    )
    task_id = created.json()["id"]
    for _ in range(2):
        job = api.handle(Incoming("GET", f"/v1/video/generations/{task_id}", auth)).json()
    video = api.handle(Incoming("GET", job["video_url"].removeprefix("http://127.0.0.1"), auth))
    assert video.status == 200
    assert video.body == PACKAGED.read_bytes()
