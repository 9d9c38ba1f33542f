"""What the image tests need from the network is prepared before them, and they say so when it is not.

The image tests are offline: `.ci/run` runs `PREPARE` (the base from Debian's archive, the
wheels from the package index) while installing, and the tests build the image with none.
"""

from __future__ import annotations

import re

import pytest

import tests.support.podman as podman_support
from tests.support.markdown_examples import ROOT
from tests.support.podman import BASE_IMAGE, PREPARE, built_image


def test_ci_prepares_what_the_image_tests_name_before_it_runs_them() -> None:
    lines = [line.strip() for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()]
    tests_run = lines.index("python -m pytest -n 2")
    cleared = lines.index("rm -rf build/wheels build/backend")
    for command in PREPARE.split(" && "):
        found = [n for n, line in enumerate(lines) if line == command or line.endswith("|| " + command)]
        assert found and cleared < found[0] < tests_run, (command, found)


def test_the_readme_names_the_same_preparation() -> None:
    assert f"`{PREPARE}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_without_the_fetched_wheels_the_image_tests_skip_naming_the_command(monkeypatch: pytest.MonkeyPatch) -> None:
    # A base that is the stand-in, and wheels that are not there (no podman needed to ask).
    monkeypatch.setattr(podman_support, "_label", lambda image, name="": "local stand-in (tools/build-base-image)")
    monkeypatch.setattr(podman_support, "_FETCHED", ("build/no-such-folder/*.whl",))
    monkeypatch.setattr(podman_support, "_tool", lambda *args: pytest.fail(f"built without the wheels: {args}"))
    with pytest.raises(pytest.skip.Exception, match=re.escape("no build/no-such-folder/")) as skipped:
        built_image()
    assert f"`{PREPARE}`" in str(skipped.value)


def test_without_the_stand_in_base_the_image_tests_skip(monkeypatch: pytest.MonkeyPatch) -> None:
    # The official base has no python3: building on it would install python3 from Debian's archive.
    monkeypatch.setattr(podman_support, "_label", lambda image, name="": "")
    monkeypatch.setattr(podman_support, "_tool", lambda *args: pytest.fail(f"built on the wrong base: {args}"))
    with pytest.raises(pytest.skip.Exception, match="not the stand-in from tools/build-base-image"):
        built_image()
    monkeypatch.setattr(podman_support, "_label", lambda image, name="": None)
    with pytest.raises(pytest.skip.Exception, match=re.escape(f"no base image {BASE_IMAGE}")):
        built_image()
