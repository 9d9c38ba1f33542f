"""The command's one voice: its names, its help, one-line refusals, and what its banner says it holds.

Every case runs the installed command as a subprocess, as a user does.
"""

from __future__ import annotations

import json
import re
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import fields
from pathlib import Path

import pytest

from mockserver.cli import COMMANDS
from mockserver.contract.replay.format import Exchange
from mockserver.contract.settings import Settings
from mockserver.recordings.folder import RecordingWriter

pytestmark = pytest.mark.slow

BIN = Path(sys.executable).parent
NAMES = ("vidu-mock", "mockserver")


def run(name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(BIN / name), *args], capture_output=True, text=True, timeout=60)


@contextmanager
def serving(*args: str) -> Iterator[str]:
    """The command's banner, up to its curl line, while it serves on a free port."""
    process = subprocess.Popen(
        [str(BIN / "vidu-mock"), "--port", "0", "--quiet", *args], stdout=subprocess.PIPE, text=True
    )
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while lines[-1] and "-d '" not in lines[-1]:
            lines.append(process.stdout.readline())
        yield "".join(lines)
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=10)


@pytest.mark.parametrize("name", NAMES)
def test_both_names_are_installed_and_speak_as_themselves(name: str) -> None:
    assert (BIN / name).exists(), f"the console script {name} is not installed"
    result = run(name, "--version")
    assert result.returncode == 0 and result.stdout.startswith(f"{name} ")


@pytest.mark.parametrize(
    ("args", "line"),
    [
        (["--prot", "8000"], "unknown option --prot (did you mean --port?)"),
        (["--lifecyle=step"], "unknown option --lifecyle (did you mean --lifecycle?)"),
        (["verfy", "--base-url", "https://gw.example"], "unknown command 'verfy' (did you mean verify?)"),
        (["--port"], "argument --port: expected one argument"),
        (["record", "--upstreem", "http://127.0.0.1:9"], "unknown option --upstreem (did you mean --upstream?)"),
        (["verify", "--base-uri", "https://gw.example"], "unknown option --base-uri (did you mean --base-url?)"),
    ],
)
@pytest.mark.parametrize("name", NAMES)
def test_a_bad_flag_is_one_line_naming_the_closest(name: str, args: list[str], line: str) -> None:
    result = run(name, *args)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.count("\n") == 1, result.stderr  # no usage block
    assert line in result.stderr and result.stderr.startswith(f"{name}"), result.stderr
    assert "--help" in result.stderr and "usage:" not in result.stderr


def test_help_lists_the_commands_and_every_default() -> None:
    result = run("vidu-mock", "--help")
    assert result.returncode == 0 and result.stdout.startswith("usage: vidu-mock")
    text = " ".join(result.stdout.split())  # argparse wraps lines
    for command in COMMANDS:
        assert f"vidu-mock {command} " in text
    # Each option's entry starts a line with "  --"; its help runs to the next entry.
    entries = {
        entry.split()[0]: " ".join(entry.split()) for entry in re.split(r"\n(?=  -)", result.stdout.split("\n\n")[2])
    }
    for item in fields(Settings):
        if item.name in ("secret", "admin_token"):
            continue  # secrets are never flags
        flag = "--" + item.name.replace("_", "-")
        assert "default" in entries[flag], entries[flag]
    for flag, default in (("--lifecycle", "time"), ("--retry-after-ms", "200"), ("--timeout-fault-seconds", "30.0")):
        assert re.search(rf"{flag} \S+ .*?\(default {re.escape(default)}\)", text), flag
    assert "fraction 0..1 of requests answered with a random injected error (default 0: none)" in text
    assert "--config FILE TOML (.toml) or JSON (.json) file of settings" in text


def test_a_config_file_of_another_format_is_refused_naming_the_formats(tmp_path: Path) -> None:
    config = tmp_path / "mock.yaml"
    config.write_text("lifecycle: step\n", encoding="utf-8")
    result = run("vidu-mock", "--config", str(config))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert (
        "reads TOML (.toml) or JSON (.json) files, not .yaml" in result.stderr and "not valid JSON" not in result.stderr
    )


def test_the_banner_says_when_random_errors_are_on() -> None:
    with serving("--error-rate", "0.25", "--error-codes", "503") as banner:
        assert "random errors on: 25% of requests answer one of 503 (--error-rate)" in banner
    with serving() as banner:
        assert "random errors" not in banner


def write_recordings(folder: Path) -> None:
    """Two tasks: each a create and a poll (four exchanges)."""
    writer = RecordingWriter(folder)
    for task_id in ("task_one", "task_two"):
        job = json.dumps({"id": task_id, "status": "queued"}).encode()
        writer.write(
            Exchange(
                0,
                "POST",
                "/v1/video/generations",
                200,
                endpoint="create",
                task_id=task_id,
                request_body=b'{"model": "viduq3p-720p", "prompt": "a fox"}',
                response_body=job,
            )
        )
        writer.write(
            Exchange(
                0, "GET", f"/v1/video/generations/{task_id}", 200, endpoint="poll", task_id=task_id, response_body=job
            )
        )


def test_replay_says_what_it_holds_and_refuses_an_empty_folder(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = run("vidu-mock", "--replay", str(empty))
    assert result.returncode == 2 and result.stderr.count("\n") == 1
    assert f"{empty}: no recordings to replay" in result.stderr and "vidu-mock record" in result.stderr
    held = tmp_path / "held"
    write_recordings(held)
    with serving("--replay", str(held)) as banner:
        assert f"replaying 4 exchanges of 2 tasks from the recordings in {held} (match=exact)" in banner


def test_record_with_a_busy_port_leaves_no_folder_and_speaks_in_its_own_voice(tmp_path: Path) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        out = tmp_path / "recordings"
        for name in NAMES:
            result = run(name, "record", "--upstream", "http://127.0.0.1:9", "--out", str(out), "--port", port)
            assert result.returncode == 1 and result.stderr.count("\n") == 1, result.stderr
            assert result.stderr.startswith(f"{name} record: cannot listen on 127.0.0.1:{port}: ")
            assert "--port" in result.stderr
            assert not out.exists()  # so a later --replay of it cannot start on nothing
