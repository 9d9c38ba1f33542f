"""README text that must stay true: the packages its examples need are named, and they pass as users run them."""

from __future__ import annotations

import ast
import re
import sys

import pytest

from tests.support.markdown_examples import ROOT, code_blocks

README = ROOT / "README.md"
SECTION = "## Use it in your tests"
# What installing vidu-mock brings (its dependencies), by import name.
INSTALLED = {"httpx", "respx", "hypothesis", "pytest", "jsonschema", "pytest_plugin", "mockserver"}


def _section() -> tuple[str, list[str]]:
    text = README.read_text(encoding="utf-8")
    start = text.index(SECTION)
    end = text.index("\n## ", start + len(SECTION))
    blocks = [b.text for b in code_blocks(README, language="python") if start < text.index(b.text) < end]
    return text[start:end], blocks


def _imports(source: str) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            names.add(node.module.split(".")[0])
    return names


def test_the_quickstarts_name_every_package_they_need_beyond_vidu_mock() -> None:
    text, blocks = _section()
    named = {word for line in re.findall(r"`pip install ([^`]+)`", text) for word in line.split()}
    needed = set().union(*map(_imports, blocks)) - INSTALLED - set(sys.stdlib_module_names)
    assert needed, "the examples import nothing beyond vidu-mock: this test would check nothing"
    assert needed <= named, f"imported but not named in a `pip install` line: {sorted(needed - named)}"


def test_the_sdk_quickstart_passes_with_warnings_as_errors(pytester: pytest.Pytester) -> None:
    [block] = [
        b for b in code_blocks(README, language="python") if b.test_module == "test_openai_sdk_videos_quickstart.py"
    ]
    pytester.makeini("[pytest]\nfilterwarnings = error\n")
    pytester.makepyfile(test_openai_sdk_videos_quickstart=block.text)
    result = pytester.runpytest_subprocess("-q", "-p", "no:cacheprovider")
    assert result.ret == 0, result.stdout.str()
    result.assert_outcomes(passed=1)
