"""Code blocks in README.md and docs/*.md, found so the tests can run every example."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

__all__ = ["ROOT", "CodeBlock", "code_blocks"]

ROOT = Path(__file__).resolve().parents[2]
_FENCE = re.compile(r"^```(\w+)[^\n]*\n(.*?)^```", re.MULTILINE | re.DOTALL)


@dataclass(frozen=True)
class CodeBlock:
    """One fenced block: its file, language, 1-based line and text."""

    path: Path
    language: str
    line: int
    text: str

    @property
    def test_module(self) -> str | None:
        """The file name a pytest example declares in its first line (`# test_x.py`), if any."""
        first = self.text.splitlines()[0] if self.text else ""
        match = re.fullmatch(r"#\s*(test_\w+\.py)\s*", first)
        return match.group(1) if match else None

    @property
    def failing_module(self) -> str | None:
        """The file name a pytest example that must fail declares (`# test_x.py  (expected to fail)`), if any."""
        first = self.text.splitlines()[0] if self.text else ""
        match = re.fullmatch(r"#\s*(test_\w+\.py)\s+\(expected to fail\)\s*", first)
        return match.group(1) if match else None

    @property
    def id(self) -> str:
        """A readable test id: `README.md:42`."""
        return f"{self.path.relative_to(ROOT)}:{self.line}"


def code_blocks(*paths: Path, language: str | None = None) -> list[CodeBlock]:
    """Every fenced block in `paths` (all of README.md and docs/*.md by default)."""
    files = paths or (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")))
    blocks: list[CodeBlock] = []
    for path in files:
        text = path.read_text(encoding="utf-8")
        for match in _FENCE.finditer(text):
            if language is None or match.group(1) == language:
                line = text.count("\n", 0, match.start()) + 1
                blocks.append(CodeBlock(path, match.group(1), line, match.group(2)))
    return blocks
