"""`mockserver verify` against the project's own server, started as a user would, in each dialect: no drift."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS

pytestmark = pytest.mark.slow  # two processes per case

COMMAND = Path(sys.executable).with_name("mockserver")
KEY = "sk-verify-own-4e1b"


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_verify_finds_no_drift_in_the_mock_and_detects_its_dialect(dialect: str, tmp_path: Path) -> None:
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
        report = tmp_path / "verify.json"
        fast = ["--rps", "200", "--poll-interval", "0.05", "--creates", "2", "--report-json", str(report)]
        result = subprocess.run(
            [str(COMMAND), "verify", "--base-url", match.group(1), *fast],
            capture_output=True,
            text=True,
            env={**os.environ, "VIDU_API_KEY": KEY},
            timeout=120,
            check=False,
        )
    finally:
        server.send_signal(signal.SIGINT)
        server.communicate(timeout=10)
    assert result.returncode == 0, result.stdout + result.stderr
    assert f"dialect: {dialect} (detected from the answer to a request with no key)" in result.stdout
    written = json.loads(report.read_text(encoding="utf-8"))
    assert written["dialect"] == dialect and written["creates_sent"] == 2
    verdicts = {c["check"]: c["verdict"] for c in written["checks"]}
    assert set(verdicts.values()) == {"pass"}, verdicts
    assert verdicts["video #1: downloads as an MP4"] == verdicts["video #2: downloads as an MP4"] == "pass"
    assert KEY not in result.stdout + result.stderr + report.read_text(encoding="utf-8")
