"""action.yml's steps run as the runner runs a composite action: inputs and paths substituted, bash.

No runner here, so this test plays its part: `${{ inputs.x }}` and `${{ github.action_path }}`
are replaced by their values, each step's script runs under `bash --noprofile --norc -eo
pipefail` with its `env:`, RUNNER_TEMP and GITHUB_OUTPUT, and the outputs are read back
from that file. The step pip-installs this checkout, so it reaches the package index.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import signal
import subprocess
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.live_servers import AUTH, CREATE, TEXT
from tests.support.redis_server import free_port

ROOT = Path(__file__).resolve().parents[2]
ACTION = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
EXPRESSION = re.compile(r"\$\{\{\s*([^}]*?)\s*\}\}")
STEP_SECONDS = 600

pytestmark = pytest.mark.slow


def _substitute(text: str, context: Mapping[str, str]) -> str:
    """Replace each `${{ name }}` as the runner would; an expression this test does not know fails it."""

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("steps.") and ".outputs." in name:
            return context.get(name, "")  # an output a step did not set is empty
        assert name in context, f"action.yml uses ${{{{ {name} }}}}, which this test does not provide"
        return context[name]

    return EXPRESSION.sub(value, text)


def run_action(inputs: Mapping[str, str], runner_temp: Path) -> dict[str, str]:
    """Run every step of action.yml with `inputs` (over the defaults); returns the action's outputs."""
    unknown = set(inputs) - set(ACTION["inputs"])
    assert not unknown, f"action.yml has no input {unknown}"
    given = {name: str(spec.get("default", "")) for name, spec in ACTION["inputs"].items()} | dict(inputs)
    context = {f"inputs.{name}": value for name, value in given.items()} | {"github.action_path": str(ROOT)}
    assert ACTION["runs"]["using"] == "composite"
    for step in ACTION["runs"]["steps"]:
        assert step["shell"] == "bash" and "if" not in step, "this test runs unconditional bash steps only"
        output = Path(tempfile.mkstemp(prefix=f"output-{step['id']}-", dir=runner_temp)[1])  # one per step run
        env = {name: _substitute(str(value), context) for name, value in step.get("env", {}).items()}
        env |= {"RUNNER_TEMP": str(runner_temp), "GITHUB_OUTPUT": str(output), "RUNNER_OS": "Linux"}
        script = runner_temp / f"step-{step['id']}.sh"
        script.write_text(_substitute(step["run"], context), encoding="utf-8")
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            timeout=STEP_SECONDS,
            check=False,
        )
        assert done.returncode == 0, f"step {step['id']} exited {done.returncode}:\n{done.stdout}\n{done.stderr}"
        for line in output.read_text(encoding="utf-8").splitlines():
            key, _, value = line.partition("=")
            context[f"steps.{step['id']}.outputs.{key}"] = value
    return {name: _substitute(spec["value"], context) for name, spec in ACTION["outputs"].items()}


@pytest.fixture(scope="module")
def job_temp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One job's RUNNER_TEMP for the module's tests: the action's venv is made once, then reused."""
    return tmp_path_factory.mktemp("runner-temp")


@pytest.fixture
def runner_temp(job_temp: Path) -> Iterator[Path]:
    """RUNNER_TEMP; the mock the action leaves running is stopped afterwards (as the runner does at a job's end)."""
    yield job_temp
    pid_file = job_temp / "vidu-mock.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text())
        pid_file.unlink()
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)


def test_the_action_starts_the_mock_answers_at_its_url_and_saves_the_journal(runner_temp: Path) -> None:
    port = str(free_port())
    outputs = run_action({"dialect": "new-api", "port": port, "lifecycle": "step"}, runner_temp)
    url = outputs["url"]
    assert url == f"http://127.0.0.1:{port}"
    created = httpx.post(url + CREATE, json=TEXT, headers=AUTH, timeout=10)
    assert created.status_code == 200, created.text
    config: dict[str, Any] = httpx.get(url + "/__mock/config", timeout=10).json()
    assert (config["dialect"], config["lifecycle"], config["host"]) == ("new-api", "step", "127.0.0.1")

    journal_file = runner_temp / "journal.json"
    saved = run_action({"port": port, "journal-file": str(journal_file)}, runner_temp)
    assert saved["url"] == ""
    entries = json.loads(journal_file.read_text(encoding="utf-8"))["entries"]
    assert [(e["method"], e["path"], e["status"]) for e in entries] == [("POST", CREATE, 200)]
    assert entries[0]["headers"]["authorization"] == "Bearer [redacted]"
    assert Path(outputs["log"]).read_text(encoding="utf-8").startswith("vidu-mock serving")


def test_a_mock_that_cannot_start_fails_the_step_with_its_log(runner_temp: Path) -> None:
    with pytest.raises(AssertionError, match=r"(?s)step run exited 1.*mockserver: .*lifecycle"):
        run_action({"lifecycle": "sometimes", "port": str(free_port())}, runner_temp)
