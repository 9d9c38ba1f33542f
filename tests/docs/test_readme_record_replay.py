"""README's "Record and replay": its commands run as written, against a fake gateway, then offline.

`mockserver record` runs as a subprocess in front of `tests.support.gateway_fake`; the gateway is
stopped; then each `mockserver --replay` command serves the folder and a client sees what
it saw while recording, and the README's curl gets the near-miss 404.
"""

from __future__ import annotations

import json
import shlex
import signal
import subprocess
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.commands import running
from tests.support.gateway_fake import CREATE, TASK_ID, VIDEO, FakeGateway, client_run
from tests.support.markdown_examples import ROOT, code_blocks

pytestmark = pytest.mark.slow

SECTION = "## Record and replay"
README_UPSTREAM = "https://gateway.example"
README_REPLAY_URL = "http://127.0.0.1:8000"
KEY = "sk-readme-record-key-2718"


def _commands() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    [block] = [b.text for b in code_blocks(ROOT / "README.md", language="bash") if start < readme.index(b.text) < end]
    return [shlex.join(words) for line in block.splitlines() if (words := shlex.split(line, comments=True))]


def _replayed(answers: list[tuple[int, Any]], gateway_url: str, url: str) -> list[tuple[int, Any]]:
    text = json.dumps(answers).replace(gateway_url, url).replace(KEY, "[redacted]")
    return [(status, body) for status, body in json.loads(text)]


def test_the_readme_commands_record_then_replay_offline(tmp_path: Path) -> None:
    record, exact, loose, curl = _commands()
    assert record.startswith("mockserver record") and curl.startswith("curl ")
    with FakeGateway() as gateway:
        words = shlex.split(record.replace(README_UPSTREAM, gateway.url))
        with running(words, tmp_path, r"recording (http://\S+)") as (url, recorder):
            with httpx.Client(headers={"Authorization": f"Bearer {KEY}"}) as client:
                answers, video = client_run(client, url)
            recorder.send_signal(signal.SIGINT)
            out, err = recorder.communicate(timeout=15)
        gateway_url = gateway.url
    assert recorder.returncode == 0, err
    assert "0001-create.json: POST /v1/video/generations -> 200" in out
    assert "recorded 6 exchanges into recordings (0 with drift)" in out
    assert KEY not in out + err
    folder = tmp_path / "recordings"
    assert not any(KEY.encode() in path.read_bytes() for path in folder.iterdir())

    # The gateway is gone: the live server answers from the folder alone.
    replaying = running(shlex.split(exact), tmp_path, r"serving (http://\S+)")
    with replaying as (url, _), httpx.Client(headers={"Authorization": "Bearer sk-test"}) as client:
        replayed, replayed_video = client_run(client, url)
        assert replayed == _replayed(answers, gateway_url, url)
        assert replayed[0][1]["id"] == TASK_ID and replayed_video == video == VIDEO
        near = subprocess.run(
            [*shlex.split(curl.replace(README_REPLAY_URL, url)), "-w", "\n%{http_code}"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        journal = client.get(f"{url}/__mock/journal").json()["entries"]
    body, status = near.stdout.rsplit("\n", 1)
    assert status == "404"
    message = json.loads(body)["error"]["message"]
    assert 'Closest recording: 0001-create.json (POST /v1/video/generations -> 200); body.prompt is "a cat"' in message
    assert [entry["status"] for entry in journal] == [200, 200, 200, 200, 200, 400, 404]

    with running(shlex.split(loose), tmp_path, r"serving (http://\S+)") as (url, _):
        other = httpx.post(
            f"{url}/v1/video/generations",
            json={**CREATE, "prompt": "a heron"},
            headers={"Authorization": "Bearer sk-test"},
        )
    assert (other.status_code, other.json()["id"]) == (200, TASK_ID)
