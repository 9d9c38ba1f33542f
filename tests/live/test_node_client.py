"""README's "From another language": its Node client and its CI commands, run as written.

The Node test (`tests/live/node/mock_client.test.mjs`, shown whole in the README) runs with
`node --test` against the mock started by the section's own commands: the `mockserver`
command, and the commented gunicorn line in its place, in both dialects.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.markdown_examples import ROOT, code_blocks
from tests.support.redis_server import free_port

SECTION = "## From another language"
CLIENT = ROOT / "tests" / "live" / "node" / "mock_client.test.mjs"
NODE = shutil.which("node")
BIN = Path(sys.executable).parent
PORT = "8000"
RUN_SECONDS = 180


def _section_blocks(language: str) -> list[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index(SECTION)
    end = readme.index("\n## ", start + len(SECTION))
    return [b.text for b in code_blocks(ROOT / "README.md", language=language) if start < readme.index(b.text) < end]


def _node_major() -> int:
    if NODE is None:
        return 0
    version = subprocess.run([NODE, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(version.lstrip("v").split(".")[0])


def ci_script(server: str, dialect: str, port: int) -> str:
    """The section's CI commands with `server` starting the mock: the pip line left out (this checkout is installed)."""
    (block,) = _section_blocks("bash")
    lines = [line for line in block.splitlines() if not line.startswith("pip install")]
    if server == "gunicorn":
        lines = [f"# {line}" if line.startswith("mockserver ") else line.removeprefix("# ") for line in lines]
    script = "\n".join(lines).replace("VIDU_MOCK_DIALECT=uniall", f"VIDU_MOCK_DIALECT={dialect}")
    return script.replace(f":{PORT}", f":{port}").replace(f"--port {PORT}", f"--port {port}")


def test_the_readme_shows_the_client_the_suite_runs() -> None:
    (shown,) = _section_blocks("javascript")
    assert shown == CLIENT.read_text(encoding="utf-8")


def test_the_ci_script_starts_the_server_it_names() -> None:
    # Else the gunicorn runs below could pass on the `mockserver` command.
    for server in ("mockserver", "gunicorn"):
        script = ci_script(server, "new-api", 1234)
        starts = [line for line in script.splitlines() if not line.startswith("#") and " &" in line]
        assert len(starts) == 1 and starts[0].startswith(f"{server} ") and "127.0.0.1" in starts[0], starts
        assert "1234" in starts[0] and "VIDU_MOCK_DIALECT=new-api" in script and f":{PORT}" not in script


@pytest.mark.slow  # a server subprocess and a Node process
@pytest.mark.skipif(NODE is None, reason="node is not installed (.ci/run installs Debian's nodejs)")
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed (.ci/run installs it)")
@pytest.mark.parametrize("dialect", ["uniall", "new-api"])
@pytest.mark.parametrize("server", ["mockserver", "gunicorn"])
def test_the_node_client_passes_against_the_mock(server: str, dialect: str, tmp_path: Path) -> None:
    if _node_major() < 18:
        pytest.skip("the Node client needs Node 18 or newer (built-in fetch and node:test)")
    env = {name: value for name, value in os.environ.items() if not name.startswith("VIDU_MOCK_")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"  # this checkout's mockserver and gunicorn
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        # A session of its own: the backgrounded server is in its process group, stopped below.
        run = subprocess.Popen(
            ["bash", "-euo", "pipefail", "-c", ci_script(server, dialect, free_port())],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            code = run.wait(timeout=RUN_SECONDS)
        finally:
            with contextlib.suppress(ProcessLookupError):  # the group is gone when the server failed to start
                os.killpg(run.pid, signal.SIGTERM)
    output = log.read_text(encoding="utf-8", errors="replace")
    assert code == 0, output
    assert "# pass 2" in output and "# fail 0" in output, output
    started = "Starting gunicorn" if server == "gunicorn" else "vidu-mock serving"
    assert started in output, output
