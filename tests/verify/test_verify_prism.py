"""Stoplight Prism mocking the shipped OpenAPI document: the static-mock checks name it (only where `prism` is installed).

Node is not a dependency: this runs where a `prism` command is on PATH
(`npm install -g @stoplight/prism-cli`), and is skipped elsewhere; tests/verify/test_verify_static.py
proves the same checks with a fake.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import threading
from pathlib import Path

import pytest

from tests.support.markdown_examples import ROOT
from tests.support.verify_fakes import run_verify

pytestmark = pytest.mark.slow
PRISM = shutil.which("prism")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
    return port


@pytest.mark.skipif(PRISM is None, reason="prism is not installed (npm install -g @stoplight/prism-cli)")
def test_prism_on_the_shipped_document_is_named_a_static_mock(tmp_path: Path) -> None:
    assert PRISM is not None
    port = _free_port()
    document = ROOT / "schemas" / "openapi.yaml"
    prism = subprocess.Popen(
        [PRISM, "mock", "-h", "127.0.0.1", "-p", str(port), str(document)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    listening = threading.Event()

    def drain() -> None:  # read Prism's log to the end: a full pipe would stall it
        assert prism.stdout is not None
        for line in prism.stdout:
            if "Prism is listening" in line:
                listening.set()

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        if not listening.wait(timeout=60):  # an upper bound on start-up, not a timing assertion
            pytest.fail("prism did not start listening")
        run = run_verify(f"http://127.0.0.1:{port}", tmp_path, "--creates", "2", "--deadline", "10", "--timeout", "5")
    finally:
        prism.terminate()
        prism.wait(timeout=10)
        reader.join(timeout=10)
        if prism.stdout is not None:
            prism.stdout.close()
    drift = {c["check"] for c in run.rows("DRIFT")}
    assert {"creates: a new task id each", "create #2: model echoed", "poll #1: progress moves"} <= drift, drift
    assert run.code == 1 and run.report["jobs_caused"] <= 2
