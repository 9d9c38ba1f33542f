"""The `mockserver` command as a user runs it: banner, the page's curl commands, logs, config, Ctrl-C."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests

from tests.support.contract_checks import assert_conforms
from tests.support.page_examples import PAGE_BODIES, page_curl_commands

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

COMMAND = Path(sys.executable).with_name("mockserver")
BANNERS: dict[int, str] = {}  # pid -> what the server printed on start


@contextmanager
def running(*args: str, env: dict[str, str] | None = None) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    """Start the installed `mockserver` command on a free port; yield its URL and process.

    The banner is read here (to learn the URL) and kept in `BANNERS` for `stop()` to return.
    """
    process = subprocess.Popen(
        [str(COMMAND), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, **(env or {})},
    )
    try:
        assert process.stdout is not None
        first = process.stdout.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+)", first)
        assert match, first + (process.stderr.read() if process.stderr else "")
        lines = [first]
        while lines[-1] and "-d '" not in lines[-1]:  # the banner ends with the curl command's body
            lines.append(process.stdout.readline())
        BANNERS[process.pid] = "".join(lines)
        yield match.group(1), process
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def stop(process: subprocess.Popen[str]) -> tuple[str, str]:
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=10)
    return BANNERS.pop(process.pid, "") + out, err


def test_the_command_is_installed() -> None:
    assert COMMAND.exists(), "the console script `mockserver` is not installed next to this Python"


def test_banner_prints_the_url_and_a_curl_command_and_ctrl_c_stops_cleanly() -> None:
    with running() as (url, process):
        assert requests.get(url + "/v1/video/generations/task_x", timeout=5).status_code == 401
        out, err = stop(process)
        assert process.returncode == 0, err
    assert f"curl -s {url}/v1/video/generations" in out
    assert f"dashboard: {url}/__mock/" in out
    assert "Authorization: Bearer sk-test" in out
    assert out.rstrip().endswith("vidu-mock stopped")
    assert "Traceback" not in err


@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_pages_curl_commands_run_verbatim_and_get_queued_jobs() -> None:
    commands = page_curl_commands()
    assert len(commands) == 4
    with running() as (url, process):
        for command, (body, _) in zip(commands, PAGE_BODIES, strict=True):
            result = subprocess.run(
                ["bash", "-c", command.replace("{BASE_URL}", url)], capture_output=True, text=True, timeout=30
            )
            assert result.returncode == 0, result.stderr
            job = assert_conforms(200, result.stdout)
            assert job["status"] == "queued" and job["model"] == body["model"]
        _, err = stop(process)
    # One readable line per request: method, path, status, latency, task id; never the token.
    lines = [line for line in err.splitlines() if "POST /v1/video/generations" in line]
    assert len(lines) == 4, err
    assert all(re.search(r"POST /v1/video/generations -> 200 \d+\.\dms task=task_\S+$", line) for line in lines)
    assert "sk-***" not in err and "Bearer" not in err


def test_flags_environment_and_config_file_reach_the_settings(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('lifecycle = "step"\nretry_after_ms = 50\nerror_codes = ["502"]\n', encoding="utf-8")
    env = {"VIDU_MOCK_CONFIG": str(config), "VIDU_MOCK_RETRY_AFTER_MS": "75", "VIDU_MOCK_SECRET": "shh"}
    with running("--strict", "--latency-ms", "0,0", "--quiet", env=env) as (url, process):
        effective = requests.get(url + "/__mock/config", timeout=5).json()
        headers = {"Authorization": "Bearer sk-1"}
        body = {"model": "viduq3p-540p", "prompt": "x"}
        task = requests.post(url + "/v1/video/generations", json=body, headers=headers, timeout=5).json()
        polled = requests.get(f"{url}/v1/video/generations/{task['id']}", headers=headers, timeout=5).json()
        _, err = stop(process)
    assert effective["lifecycle"] == "step"  # from the file
    assert effective["retry_after_ms"] == 75  # the environment beats the file
    assert effective["error_codes"] == ["502"]
    assert effective["strict"] is True  # from a flag
    assert effective["secret"] == "[redacted]"
    assert polled["status"] == "in_progress"  # step mode really applies
    assert "POST" not in err  # --quiet


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--lifecycle", "weekly"], "lifecycle"),
        (["--error-rate", "2"], "error_rate"),
        (["--port", "x"], "port"),
        (["--dialect", "openai"], "dialect"),
    ],
)
def test_bad_settings_exit_2_with_a_message(args: list[str], message: str) -> None:
    result = subprocess.run([str(COMMAND), *args], capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and message in result.stderr


def test_python_dash_m_runs_the_same_command() -> None:
    result = subprocess.run([sys.executable, "-m", "mockserver", "--help"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0 and "--error-rate" in result.stdout and "VIDU_MOCK_" in result.stdout


def test_a_busy_port_is_reported_not_a_traceback() -> None:
    with running() as (url, process):
        port = url.rsplit(":", 1)[1]
        result = subprocess.run([str(COMMAND), "--port", port], capture_output=True, text=True, timeout=30)
        stop(process)
    assert result.returncode == 1 and "in use" in result.stderr and "Traceback" not in result.stderr
