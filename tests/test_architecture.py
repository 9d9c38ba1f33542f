"""The layering holds: no import circle anywhere, and the in-process face loads only the core."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("mockserver", "pytest_plugin")


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _project_modules() -> dict[str, Path]:
    return {_module_name(p): p for package in PACKAGES for p in sorted((ROOT / package).rglob("*.py"))}


def import_graph() -> dict[str, set[str]]:
    """Module -> project modules it imports anywhere (top level, in functions, under TYPE_CHECKING)."""
    modules = _project_modules()
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                assert node.level == 0, f"{name}: relative import"
                # `from a.b import c` imports module a.b.c when there is one, else a name of a.b.
                targets = [
                    f"{node.module}.{a.name}" if f"{node.module}.{a.name}" in modules else node.module
                    for a in node.names
                ]
            for target in targets:
                if target in modules and target != name:
                    graph[name].add(target)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as a path (first module repeated at the end), or None."""
    done: set[str] = set()
    stack: list[str] = []
    on_stack: set[str] = set()

    def visit(node: str) -> list[str] | None:
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt in on_stack:
                return [*stack[stack.index(nxt) :], nxt]
            if nxt not in done:
                found = visit(nxt)
                if found:
                    return found
        on_stack.discard(stack.pop())
        done.add(node)
        return None

    for start in sorted(graph):
        if start not in done:
            cycle = visit(start)
            if cycle:
                return cycle
    return None


def test_the_cycle_finder_finds_a_planted_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_the_graph_sees_function_level_imports() -> None:
    graph = import_graph()
    # video_server imports mockserver.live only inside a function (Flask loads on first use).
    assert "mockserver.live" in graph["pytest_plugin.video_server"]
    assert "mockserver.contract.routes.engine" in graph["mockserver.contract.routes.router"]


def test_no_import_circle_among_the_project_modules() -> None:
    cycle = find_cycle(import_graph())
    assert cycle is None, " -> ".join(cycle or [])


def test_the_core_imports_nothing_outside_the_core() -> None:
    graph = import_graph()
    for name, targets in graph.items():
        if name.startswith("mockserver.contract"):
            outside = {t for t in targets if not t.startswith("mockserver.contract")}
            assert not outside, f"{name} imports {sorted(outside)}"


_IN_PROCESS = """
import json, sys
import httpx
from pytest_plugin.video_api import VideoAPI
with VideoAPI() as api:
    reply = httpx.post("https://any.host/v1/video/generations", json={}, headers={"Authorization": "Bearer t"})
    assert reply.status_code == 400, reply.text
    assert api.journal
print(json.dumps(sorted(sys.modules)))
"""


def test_the_in_process_face_loads_only_the_core_of_mockserver() -> None:
    loaded = json.loads(subprocess.check_output([sys.executable, "-c", _IN_PROCESS], text=True, cwd=ROOT))
    ours = {m for m in loaded if m.split(".")[0] == "mockserver"}
    assert ours and "mockserver.contract.routes.engine" in ours
    assert ours - {"mockserver"} <= {m for m in ours if m.startswith("mockserver.contract")}, sorted(ours)
    flask_side = {m for m in loaded if m.split(".")[0] in ("flask", "werkzeug", "gunicorn")}
    assert not flask_side, sorted(flask_side)


def test_the_core_reads_no_environment_or_config_file() -> None:
    banned = {"environ", "getenv", "tomllib", "open", "read_text"}
    for path in sorted((ROOT / "mockserver" / "contract").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        used = {n.attr for n in ast.walk(tree) if isinstance(n, ast.Attribute)}
        used |= {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)}
        used |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        # Only `schemas.py` reads files: the schemas packaged with the core (importlib.resources).
        allowed = {"read_text"} if path.name == "schemas.py" else set()
        assert not (used & banned) - allowed, f"{path.name} uses {sorted((used & banned) - allowed)}"


def _code_strings(path: Path) -> list[str]:
    """String constants in `path`'s code, docstrings left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    docs = {id(n.value) for n in ast.walk(tree) if isinstance(n, ast.Expr) and isinstance(n.value, ast.Constant)}
    return [
        n.value
        for n in ast.walk(tree)
        if isinstance(n, ast.Constant) and isinstance(n.value, str) and id(n) not in docs
    ]


def test_the_api_path_and_task_id_form_are_written_only_in_the_schemas() -> None:
    for name, path in _project_modules().items():
        for text in _code_strings(path):
            assert "/v1/video/generations" not in text, f"{name} restates the API path: {text!r}"
            assert "A-Za-z0-9_-]{1," not in text, f"{name} restates the task-id pattern: {text!r}"

    caps = [name for name, path in _project_modules().items() if "64 * 1024" in path.read_text(encoding="utf-8")]
    assert caps == ["mockserver.contract.state.journal"], caps


def test_ci_runs_the_slow_tests_too() -> None:
    command = (ROOT / ".ci" / "run").read_text(encoding="utf-8").strip().splitlines()[-1]
    assert command == "python -m pytest -n 2", "CI runs everything; -m 'not slow' is for the inner loop only"
    markers = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'markers = ["slow:' in markers and "not slow" not in markers.split("addopts")[1].splitlines()[0]


def test_the_top_level_package_holds_only_entry_points() -> None:
    """Every module but the entry points and configuration lives in a package named for its concern."""
    loose = sorted(p.name for p in (ROOT / "mockserver").glob("*.py"))
    assert len(loose) <= 6, loose
    assert loose == ["__init__.py", "__main__.py", "cli.py", "config_sources.py", "wsgi.py"], loose


def test_the_tests_mirror_the_tree() -> None:
    """Test modules sit in a folder named for the area they test; helpers sit in `tests/support/`."""
    loose = sorted(p.name for p in (ROOT / "tests").glob("*.py"))
    assert loose == ["__init__.py", "conftest.py", "test_architecture.py"], loose
