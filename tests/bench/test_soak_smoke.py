"""bench/soak.py, run as a user runs it, for a second or two: it passes on a healthy mock and
fails (exit 1) when requests error or tasks are lost."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.live_servers import live_server

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

SOAK = Path(__file__).resolve().parents[2] / "bench" / "soak.py"


def soak(tmp_path: Path, *args: str) -> tuple[int, str, dict[str, Any]]:
    """Run the script; return its exit status, printed report and JSON report."""
    report = tmp_path / "report.json"
    result = subprocess.run(
        [sys.executable, str(SOAK), *args, "--json", str(report)], capture_output=True, text=True, timeout=120
    )
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, result.stdout, json.loads(report.read_text(encoding="utf-8"))


def test_a_short_soak_with_injected_errors_passes_and_reaches_the_caps(tmp_path: Path) -> None:
    status, text, report = soak(
        tmp_path,
        *("--seconds", "2", "--clients", "4", "--error-rate", "0.25", "--video-every", "2"),
        # The cap is FIFO by creation: it must exceed the tasks in flight with a margin, since
        # a client starved of CPU while the others create cap-minus-3 tasks would lose its own
        # (with keep-alive connections the others create about 200 a second).
        *("--max-tasks", "40", "--max-journal", "10", "--sample-every", "0.25"),
    )
    assert status == 0, text
    assert "non-injected 0" in text and "lost 0" in text and text.rstrip().endswith("PASS")
    assert (report["errors"], report["tasks_lost"]) == (0, 0)
    assert report["tasks_created"] == report["tasks_completed"] > 40  # past the task cap, none lost
    # Seeded: each client's second request already asks for an injected error.
    assert report["injected"] > 0 and set(report["injected_by_kind"]) <= {
        "429 rate_limit_exceeded",
        "500 internal_error",
        "503 service_unavailable",
    }
    assert report["videos_downloaded"] > 0
    assert report["requests"] == sum(report["requests_by_kind"].values())
    latency = report["latency_ms"]
    assert 0 < latency["p50"] <= latency["p90"] <= latency["p99"] <= latency["max"]
    if Path("/proc/self/status").exists():
        assert report["memory"]["measured"] and report["memory"]["caps_reached_at_s"] is not None


def test_errors_fail_the_run(tmp_path: Path) -> None:
    with live_server(tokens=("sk-not-the-soaks",)) as server:
        status, text, report = soak(tmp_path, "--url", server.url, "--seconds", "0.5", "--clients", "2")
    assert status == 1 and text.rstrip().endswith("FAIL")
    assert report["errors"] > 0 and report["tasks_created"] == 0
    assert set(report["errors_by_kind"]) == {"create: 401 invalid_api_key"}


def test_lost_tasks_fail_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with live_server(lifecycle="step") as server:
        # A server that forgets every task: in step mode a forgotten task is a 404.
        monkeypatch.setattr(server.engine.store, "add", lambda task: None)
        status, text, report = soak(tmp_path, "--url", server.url, "--seconds", "0.5", "--clients", "2")
    assert status == 1 and "lost" in text
    assert report["tasks_lost"] == report["tasks_created"] > 0
    assert report["lost_by_reason"] == {"404 before completion": report["tasks_lost"]}
    assert report["errors"] == 0  # a lost task is counted as lost, not also as an error


def test_only_loopback_targets_are_accepted() -> None:
    result = subprocess.run(
        [sys.executable, str(SOAK), "--url", "http://10.0.0.1:8000"], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2 and "loopback" in result.stderr
