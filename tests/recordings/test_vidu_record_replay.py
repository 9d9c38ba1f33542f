"""Record a `vidu` mock through `mockserver record`, then replay the folder with `mockserver --replay --dialect vidu`."""

from __future__ import annotations

import json
import signal
from pathlib import Path
from typing import Any

import pytest

from tests.support.commands import running
from tests.support.vidu_client import ViduClient

pytestmark = pytest.mark.slow

KEY = "vidu-record-key-5a1f"


def _session(url: str) -> list[tuple[str, Any]]:
    client = ViduClient(KEY, url)
    try:
        created = client.text2video("a fox", duration=4)
        task_id = created["task_id"]
        polls = [client.creations(task_id) for _ in range(2)]
        video = client.download(polls[-1]["creations"][0]["url"])
        return [("create", created), ("poll", polls[0]), ("poll", polls[1]), ("video", video.content[4:8].decode())]
    finally:
        client.close()


def test_a_vidu_session_recorded_replays_the_same_offline(tmp_path: Path) -> None:
    upstream_words = ["mockserver", "--dialect", "vidu", "--lifecycle", "step", "--quiet"]
    with running(upstream_words, tmp_path, r"serving (http://\S+)") as (upstream, _):
        record = ["mockserver", "record", "--upstream", upstream, "--out", "recordings", "--dialect", "vidu"]
        with running(record, tmp_path, r"recording (http://\S+)") as (recorder, process):
            recorded = _session(recorder)
            process.send_signal(signal.SIGINT)
            out, err = process.communicate(timeout=15)
    assert process.returncode == 0, err
    assert "POST /ent/v2/text2video -> 200" in out and KEY not in out + err
    assert "(0 with drift)" in out, out  # checked against schemas/dialects/vidu/
    assert recorded[1][1]["state"] == "processing" and recorded[2][1]["state"] == "success"
    assert recorded[3] == ("video", "ftyp")

    replay = ["mockserver", "--replay", "recordings", "--dialect", "vidu"]
    with running(replay, tmp_path, r"serving (http://\S+)") as (url, _):
        replayed = _session(url)
    # The video is recorded and served by the replaying mock; the cover is not recorded (docs/recordings.md),
    # so a replayed cover_url still names the recorded upstream.
    [creation] = recorded[2][1]["creations"]
    assert creation["cover_url"].startswith(upstream)
    text = json.dumps(recorded).replace(creation["url"], creation["url"].replace(upstream, url))
    assert json.loads(json.dumps(replayed)) == json.loads(text)
