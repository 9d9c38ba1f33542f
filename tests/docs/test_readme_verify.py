"""README's "Check the mock against your gateway": every command runs, and the sample report is what it prints."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract import ManualClock, Settings
from mockserver.live import LiveServer
from mockserver.recordings.folder import read_recordings
from tests.support.markdown_examples import ROOT, code_blocks

SECTION = "## Check the mock against your gateway"
BIN = Path(sys.executable).parent
README_URL = "http://127.0.0.1:8000"
GATEWAY = "https://gateway.example"
# Tests pace faster than a real gateway wants; the README's commands keep the polite defaults.
FAST = ["--rps", "1000", "--poll-interval", "0.01"]

pytestmark = pytest.mark.slow


def _blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    return [b.text for b in code_blocks(ROOT / "README.md", language=language) if start < readme.index(b.text) < end]


def _lines(block: str) -> list[str]:
    # Comments dropped; a trailing `&` (run in the background) is how the test runs a server anyway.
    words = [[w for w in shlex.split(line, comments=True) if w != "&"] for line in block.splitlines()]
    return [shlex.join(w) for w in words if w]


def _split_env(command: str) -> tuple[dict[str, str], list[str]]:
    words = shlex.split(command)
    env: dict[str, str] = {}
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    return env, words


def _verify(words: list[str], env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    assert words[:2] == ["mockserver", "verify"], words
    full = {**os.environ, **env}
    return subprocess.run(
        [str(BIN / "mockserver"), *words[1:]],
        capture_output=True,
        text=True,
        env=full,
        cwd=cwd,
        timeout=120,
        check=False,
    )


def _normalise(report: str, url: str) -> str:
    return re.sub(r"task_[A-Za-z0-9_-]+…?", "task_…", report.replace(url, README_URL)).rstrip()


def test_the_gateway_commands_run_against_the_mock(tmp_path: Path) -> None:
    first = _lines(_blocks("bash")[0])
    exported = next(line for line in first if line.startswith("export "))
    name, _, key = exported.removeprefix("export ").partition("=")
    commands = [line for line in first if line.startswith("mockserver verify")]
    assert len(commands) == 4
    with LiveServer(Settings(port=0, tokens=(key,), lifecycle="step"), clock=ManualClock()) as server:
        for command in commands:
            _, words = _split_env(command.replace(GATEWAY, server.url))
            result = _verify([*words, *FAST], {name: key}, tmp_path)
            assert result.returncode == 0, f"{command}\n{result.stdout}\n{result.stderr}"
            assert key not in result.stdout + result.stderr
        creates = server.control.requests("create")
    assert sum(1 for entry in creates if entry.status == 200) == 1, "--dry-run and --creates 0 create nothing"
    folder = tmp_path / "verify-recording"
    recorded = read_recordings(folder)
    assert recorded and {e.endpoint for e in recorded} == {"create", "poll", "other"}
    assert all(key.encode() not in f.read_bytes() for f in folder.iterdir())
    assert json.loads((tmp_path / "verify.json").read_text(encoding="utf-8"))["exit_code"] == 0
    assert "<testsuite" in (tmp_path / "verify.xml").read_text(encoding="utf-8")


def test_the_sample_report_is_what_the_mock_gets(tmp_path: Path) -> None:
    serve_line, verify_line = _lines(_blocks("bash")[1])
    env, words = _split_env(serve_line)
    words[words.index("--port") + 1] = "0"
    server = subprocess.Popen(
        [str(BIN / words[0]), *words[1:]],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **env},
        cwd=tmp_path,
    )
    try:
        assert server.stdout is not None
        match = re.search(r"serving (http://\S+)", server.stdout.readline())
        assert match, server.communicate()[1]
        url = match.group(1)
        env, words = _split_env(verify_line.replace(README_URL, url))
        result = _verify(words, env, tmp_path)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert _normalise(result.stdout, url) == _normalise(_blocks("text")[0], README_URL)
    assert "dialect: uniall" in result.stdout and "completed 100%" in result.stderr
