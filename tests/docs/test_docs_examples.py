"""Every Python example in README.md and docs/ runs; pytest examples pass under pytester."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from tests.support.markdown_examples import ROOT, CodeBlock, code_blocks

# Subprocesses or real servers per test: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

# Examples that start the image need podman: tests/deploy/test_readme_container.py runs them.
PYTHON = [b for b in code_blocks(language="python") if "pytest_plugin.testcontainers" not in b.text]
SCRIPTS = [b for b in PYTHON if b.test_module is None and b.failing_module is None]
MODULES = [b for b in PYTHON if b.test_module is not None]
# A pytest example that must fail, each with the text block after it: lines its report must hold.
ALL_BLOCKS = code_blocks()
FAILING = [(block, ALL_BLOCKS[ALL_BLOCKS.index(block) + 1]) for block in ALL_BLOCKS if block.failing_module is not None]


def test_readme_opens_with_the_ci_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    first_block = next(b for b in code_blocks(ROOT / "README.md") if b.language == "bash")
    commands = [line.split("#")[0].strip() for line in first_block.text.splitlines()]
    assert commands[0].startswith("pip install . && mockserver")
    test_command = commands[1].split("&&")[-1].strip()
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()
    assert ci[-1] == test_command, "README's test command and .ci/run's must stay the same"
    assert "python -m pytest" in test_command and readme.index(test_command) < readme.index("## ")


@pytest.mark.parametrize("block", SCRIPTS, ids=[b.id for b in SCRIPTS])
def test_python_example_runs(block: CodeBlock) -> None:
    result = subprocess.run(
        [sys.executable, "-c", block.text], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )
    assert result.returncode == 0, f"{block.id} failed:\n{result.stdout}\n{result.stderr}"


@pytest.mark.parametrize("block", MODULES, ids=[b.id for b in MODULES])
def test_pytest_example_passes(block: CodeBlock, pytester: pytest.Pytester) -> None:
    assert block.test_module is not None
    pytester.makepyfile(**{block.test_module.removesuffix(".py"): block.text})
    result = pytester.runpytest_subprocess("-q")
    outcomes = result.parseoutcomes()
    assert result.ret == 0 and outcomes.get("passed", 0) >= 1, result.stdout.str()
    assert not re.search(r"\b(failed|error)", result.stdout.str().splitlines()[-1])


@pytest.mark.parametrize(("block", "report"), FAILING, ids=[b.id for b, _ in FAILING])
def test_failing_pytest_example_fails_with_the_report_shown(
    block: CodeBlock, report: CodeBlock, pytester: pytest.Pytester
) -> None:
    assert block.failing_module is not None and report.language == "text"
    pytester.makepyfile(**{block.failing_module.removesuffix(".py"): block.text})
    # schemathesis' pytest plugin (a test dependency) blanks Hypothesis' printed arguments.
    result = pytester.runpytest_subprocess("-q", "-p", "no:schemathesis")
    assert result.ret == 1 and result.parseoutcomes().get("failed") == 1, result.stdout.str()
    output = result.stdout.str().splitlines()
    for line in report.text.strip().splitlines():
        assert any(line.strip() in seen for seen in output), f"{line!r} not in the report:\n{result.stdout.str()}"
