"""Every command of README's "Run it locally" section, run as written (on a free port)."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.contract_checks import assert_conforms
from tests.support.markdown_examples import ROOT, code_blocks

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

SECTION = "## Run it locally"
BIN = Path(sys.executable).parent
DEFAULT_URL = "http://127.0.0.1:8000"


def _section_blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    return [b.text for b in code_blocks(ROOT / "README.md", language=language) if start < readme.index(b.text) < end]


def _commands(prefix: str) -> list[str]:
    lines = [line.split("   #")[0].strip() for block in _section_blocks("bash") for line in block.splitlines()]
    return [line for line in lines if re.match(rf"^(\w+=\S+ )*{prefix}\b", line)]


SERVER_COMMANDS = _commands("(?:vidu-mock|mockserver)")
CURL_LINES = [
    line
    for block in _section_blocks("bash")
    for line in block.splitlines()
    if line.startswith("curl ") and "# -> " in line
]


def _start(command: str, cwd: Path) -> tuple[subprocess.Popen[str], str]:
    words = shlex.split(command)
    env = dict(os.environ)
    while "=" in words[0]:
        name, _, value = words.pop(0).partition("=")
        env[name] = value
    if "--port" in words:
        words[words.index("--port") + 1] = "0"
    else:
        words += ["--port", "0"]
    words[0] = str(BIN / words[0])
    process = subprocess.Popen(words, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=cwd)
    assert process.stdout is not None
    first = process.stdout.readline()
    match = re.search(r"serving (http://\S+)", first)
    if not match:
        process.kill()
        raise AssertionError(f"{command!r} did not start: {first}{process.communicate()[1]}")
    return process, match.group(1)


def _stop(process: subprocess.Popen[str]) -> None:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    assert process.returncode == 0 and "Traceback" not in err, err


def test_the_section_has_examples() -> None:
    assert len(SERVER_COMMANDS) >= 5 and len(CURL_LINES) >= 5 and _section_blocks("toml")


@pytest.mark.parametrize("command", SERVER_COMMANDS)
def test_server_command_starts_and_stops(command: str, tmp_path: Path) -> None:
    (tmp_path / "mock.toml").write_text(_section_blocks("toml")[0], encoding="utf-8")
    process, _ = _start(command, tmp_path)
    _stop(process)


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_curl_examples_get_the_status_they_claim(tmp_path: Path) -> None:
    process, url = _start("mockserver", tmp_path)
    try:
        for line in CURL_LINES:
            command, _, expected = line.partition("# -> ")
            command = command.replace(DEFAULT_URL, url) + " -w '\\n%{http_code}'"
            result = subprocess.run(["bash", "-c", command], capture_output=True, text=True, timeout=30)
            body, _, status = result.stdout.rpartition("\n")
            assert status == expected.strip(), f"{line}\n{result.stdout}{result.stderr}"
            if "/__mock/" not in line:  # admin answers are not API bodies
                assert_conforms(int(status), body)
    finally:
        _stop(process)
