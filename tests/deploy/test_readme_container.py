"""README's "Run it in a container": its commands, its Testcontainers example and its workflow blocks.

The `podman run` lines run as written but detached and on a free loopback port (the
README's `-p 8000:8000` would collide between parallel tests); the Testcontainers example
passes under pytester against podman's socket; the workflow blocks name real inputs and outputs.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from tests.support.live_servers import AUTH, CREATE, TEXT
from tests.support.markdown_examples import ROOT, CodeBlock, code_blocks
from tests.support.podman import IMAGE, built_image, needs_podman, podman_socket, running, write_readable_recording

SECTION = "## Run it in a container"


def _section_blocks(language: str) -> list[CodeBlock]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    first, last = text.count("\n", 0, start) + 1, text.count("\n", 0, end) + 1
    return [b for b in code_blocks(ROOT / "README.md", language=language) if first < b.line < last]


def _commands() -> list[list[str]]:
    [block] = _section_blocks("bash")
    return [shlex.split(line, comments=True) for line in block.text.splitlines() if line.strip()]


def test_the_commands_build_with_the_tool_and_run_the_image_it_tags() -> None:
    commands = _commands()
    assert commands[0] == ["tools/build-image"]  # what tests/support/podman.py runs (plus a label)
    runs = commands[1:]
    assert runs and all(words[:2] == ["podman", "run"] and words[-1] == IMAGE for words in runs), runs


@needs_podman
@pytest.mark.slow
def test_each_podman_run_line_serves_the_api(tmp_path: Path) -> None:
    image = built_image()
    answer = write_readable_recording(tmp_path / "recordings")
    with httpx.Client(headers=AUTH, timeout=10) as client:
        for words in _commands()[1:]:
            options = [w.replace("$PWD", str(tmp_path)) for w in words[2:-1] if w != "--rm"]
            published = options.index("-p")
            assert options[published + 1] == "8000:8000"
            del options[published : published + 2]  # `running` publishes port 8000 on a free loopback port
            with running(image, *options) as mock:
                created = client.post(mock.url + CREATE, json=TEXT)
                assert created.status_code == 200, (words, created.text)
                if "VIDU_MOCK_REPLAY=/recordings" in options:
                    assert created.json() == answer


@needs_podman
@pytest.mark.slow
def test_the_testcontainers_example_passes(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    [block] = [b for b in _section_blocks("python") if "pytest_plugin.testcontainers" in b.text]
    assert block.test_module is not None
    built_image()
    with podman_socket(tmp_path_factory.mktemp("podman")) as docker_host:
        # What the README tells a podman user to set; the example's own process reads them.
        monkeypatch.setenv("DOCKER_HOST", docker_host)
        monkeypatch.setenv("TESTCONTAINERS_RYUK_DISABLED", "true")
        monkeypatch.setenv("TESTCONTAINERS_CONNECTION_MODE", "docker_host")
        pytester.makepyfile(**{block.test_module.removesuffix(".py"): block.text})
        result = pytester.runpytest_subprocess("-q")
    assert result.ret == 0 and result.parseoutcomes().get("passed") == 1, result.stdout.str()


def test_the_workflow_blocks_use_the_image_tag_and_the_actions_real_inputs() -> None:
    services, steps = (yaml.safe_load(b.text) for b in _section_blocks("yaml"))
    assert services["services"]["vidu-mock"]["image"].endswith(":" + IMAGE.split(":")[1])
    action: dict[str, Any] = yaml.safe_load((ROOT / "action.yml").read_text(encoding="utf-8"))
    ours = [step for step in steps["steps"] if str(step.get("uses", "")).endswith("/vidu-mock@main")]
    assert len(ours) == 2
    for step in ours:
        assert set(step["with"]) <= set(action["inputs"]), step["with"]
    outputs = re.findall(r"steps\.mock\.outputs\.(\w+)", yaml.safe_dump(steps))
    assert outputs and set(outputs) <= set(action["outputs"])
