"""`mockserver verify --dialect vidu` against the command: no drift in the vidu dialect, the drift named in another."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # two processes per case

COMMAND = Path(sys.executable).with_name("mockserver")
KEY = "vidu-verify-key-7c2d"


@contextmanager
def _mock(dialect: str) -> Iterator[str]:
    server = subprocess.Popen(
        [str(COMMAND), "--port", "0", "--tokens", KEY, "--lifecycle", "step", "--dialect", dialect, "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        first = server.stdout.readline()
        match = re.search(r"serving (http://127\.0\.0\.1:\d+)", first)
        assert match, first
        yield match.group(1)
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)


def _verify(url: str, report: Path) -> subprocess.CompletedProcess[str]:
    fast = ["--rps", "200", "--poll-interval", "0.05", "--creates", "2", "--report-json", str(report)]
    return subprocess.run(
        [str(COMMAND), "verify", "--base-url", url, "--dialect", "vidu", *fast],
        capture_output=True,
        text=True,
        env={**os.environ, "VIDU_API_KEY": KEY},
        timeout=120,
        check=False,
    )


def test_verify_vidu_finds_no_drift_in_the_vidu_mock(tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    with _mock("vidu") as url:
        result = _verify(url, report)
    assert result.returncode == 0, result.stdout + result.stderr
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["dialect"] == "vidu" and written["creates_sent"] == 2
    verdicts = {c["check"]: c["verdict"] for c in written["checks"]}
    assert set(verdicts.values()) == {"pass"} and len(verdicts) == 9, verdicts
    assert KEY not in result.stdout + result.stderr + report.read_text(encoding="utf-8")


def test_verify_vidu_names_the_drift_of_a_mock_in_another_dialect(tmp_path: Path) -> None:
    report = tmp_path / "verify.json"
    with _mock("uniall") as url:
        result = _verify(url, report)
    assert result.returncode == 1, result.stdout + result.stderr
    checks = json.loads(report.read_text(encoding="utf-8"))["checks"]
    unknown_task = next(c for c in checks if c["check"] == "unknown task: 404 TaskNotFound")
    assert unknown_task["verdict"] == "DRIFT" and "a gateway's shape, not Vidu's" in unknown_task["observed"]
    assert "DRIFT FOUND" in result.stdout and "DRIFT: unknown task: 404 TaskNotFound" in result.stderr
