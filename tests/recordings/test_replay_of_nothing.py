"""Replaying nothing is refused on every face: it would answer every request with a near-miss 404."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.contract.replay.format import RecordingFormatError
from pytest_plugin import VideoAPI, VideoServer


@pytest.mark.parametrize("face", ["video_api", "video_server"])
def test_the_fixtures_refuse_an_empty_folder(request: pytest.FixtureRequest, face: str, tmp_path: Path) -> None:
    mock: VideoAPI | VideoServer = request.getfixturevalue(face)
    with pytest.raises(RecordingFormatError, match="no recordings to replay"), mock.replay(tmp_path):
        pass
    (tmp_path / "empty.yaml").write_text("interactions: []\nversion: 1\n", encoding="utf-8")
    with pytest.raises(RecordingFormatError, match="no recordings to replay"), mock.replay(tmp_path / "empty.yaml"):
        pass
