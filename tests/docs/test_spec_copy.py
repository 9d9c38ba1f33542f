"""The spec copies in `docs/spec/` are the files `PROVENANCE.md` records, and nothing reaches outside the repository."""

from __future__ import annotations

import hashlib
import re
import subprocess
from pathlib import Path

import pytest

from tests.support.page_examples import PAGE

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "docs" / "spec"
_ROW = re.compile(r"^\| `([^`]+)` \| `([0-9a-f]{64})` \|$", re.MULTILINE)


def _recorded() -> dict[str, str]:
    return dict(_ROW.findall((SPEC / "PROVENANCE.md").read_text(encoding="utf-8")))


def test_provenance_lists_every_spec_copy() -> None:
    shipped = {path.name for path in SPEC.iterdir() if path.name != "PROVENANCE.md"}
    assert set(_recorded()) == shipped
    assert {"create-video-task-old.txt", "CONTRACT.md"} <= shipped


@pytest.mark.parametrize("name", ["create-video-task-old.txt", "CONTRACT.md", "GATEWAY-FACTS.md"])
def test_spec_copy_matches_its_recorded_digest(name: str) -> None:
    assert hashlib.sha256((SPEC / name).read_bytes()).hexdigest() == _recorded()[name]


def test_the_page_is_read_from_inside_the_repository() -> None:
    assert PAGE.is_relative_to(ROOT)
    assert PAGE.is_file()


def test_no_tracked_file_points_outside_the_repository() -> None:
    git = subprocess.run(
        ["git", "grep", "-n", "-E", r"\.\./shared|shared[/]spec"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if git.returncode not in (0, 1):
        pytest.skip(f"not a git checkout: {git.stderr.strip()[:100]}")
    assert git.stdout == ""


def test_markdown_links_in_docs_resolve_to_shipped_files() -> None:
    for page in [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]:
        for target in re.findall(r"\]\(([^)#\s]+)(?:#[^)]*)?\)", page.read_text(encoding="utf-8")):
            if "://" in target or target.startswith("mailto:"):
                continue
            resolved = (page.parent / target).resolve()
            assert resolved.is_relative_to(ROOT), f"{page.name} links outside the repository: {target}"
            assert resolved.exists(), f"{page.name} links a missing file: {target}"
