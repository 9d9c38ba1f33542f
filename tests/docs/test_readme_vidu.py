"""README's "Vidu's own API": the command it gives starts the mock, and each curl line answers as its comment says."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess

import pytest

from tests.live.test_server_cli import running, stop
from tests.support.markdown_examples import ROOT, code_blocks

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed"),
]


def _section_lines() -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("## Vidu's own API")
    end = readme.index("\n## ", start + 1)
    [block] = [b.text for b in code_blocks(ROOT / "README.md", language="bash") if start < readme.index(b.text) < end]
    return [line for line in block.splitlines() if line.strip()]


def test_the_readmes_vidu_command_and_curls_answer_as_it_says() -> None:
    command, *curls = _section_lines()
    assert command.startswith("mockserver --dialect vidu --port 8040")
    args = shlex.split(command.removesuffix("&"))[1:]
    port_at = args.index("--port")
    del args[port_at : port_at + 2]  # a free port instead of 8040
    assert curls and all("   # -> " in line for line in curls)
    with running(*args) as (url, process):
        for line in curls:
            curl, expected = line.split("   # -> ")
            status, word = expected.split(" ", 1)
            curl = curl.replace("localhost:8040", url.removeprefix("http://"))
            result = subprocess.run(
                [*shlex.split(curl), "-w", "\n%{http_code}"], capture_output=True, text=True, timeout=30
            )
            body, code = result.stdout.rsplit("\n", 1)
            assert code == status, (line, result.stdout)
            answer = json.loads(body)
            said = answer.get("reason") or answer.get("state") or ("tasks" if "tasks" in answer else None)
            assert said == word, (line, answer)
        stop(process)
