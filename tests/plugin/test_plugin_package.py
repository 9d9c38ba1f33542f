"""Package rules for `pytest_plugin`: exports, lazy imports, and life without httpx2."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx
import pytest

import pytest_plugin
from pytest_plugin.httpcore2_mocker import HTTPCore2Mocker, to_httpcore2_error
from pytest_plugin.video_api import HTTPCORE2


def run_python(code: str) -> str:
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60).stdout


def test_all_lists_exactly_the_public_names() -> None:
    # Names load on first use, so `dir` (the package's __dir__) lists them, not `vars`.
    # `isidentifier` skips the `@py_builtins` names pytest's assertion rewriting adds to plugin packages.
    public = {name for name in dir(pytest_plugin) if not name.startswith("_") and name.isidentifier()}
    submodules = {name for name in public if type(getattr(pytest_plugin, name)).__name__ == "module"}
    assert set(pytest_plugin.__all__) == public - submodules
    assert len(pytest_plugin.__all__) == len(set(pytest_plugin.__all__))


def test_loading_the_plugin_imports_only_pytest() -> None:
    code = (
        "import json, sys, pytest\n"
        "before = set(sys.modules)\n"
        "import pytest_plugin.plugin\n"
        "print(json.dumps(sorted(set(sys.modules) - before)))"
    )
    loaded = {name.split(".")[0] for name in json.loads(run_python(code))}
    assert loaded == {"pytest_plugin"}, loaded


def test_the_in_process_fake_never_loads_flask() -> None:
    code = (
        "import json, sys, httpx, pytest_plugin, pytest_plugin.plugin\n"
        "with pytest_plugin.VideoAPI() as api:\n"
        "    httpx.post(api.url + '/v1/video/generations', json={'model': 'viduq3p-540p', 'prompt': 'x'},\n"
        "               headers={'Authorization': 'Bearer t'}).raise_for_status()\n"
        "print(json.dumps(sorted(sys.modules)))"
    )
    loaded = {name.split(".")[0] for name in json.loads(run_python(code))}
    assert not loaded & {"flask", "werkzeug"}
    assert "httpcore2" in loaded  # httpx2 is installed here, so its mocker was started


def test_works_without_httpx2_installed() -> None:
    code = (
        "import sys\n"
        "sys.modules['httpx2'] = sys.modules['httpcore2'] = None  # as if not installed\n"
        "import httpx\n"
        "from pytest_plugin import VideoAPI\n"
        "from pytest_plugin.video_api import _httpcore2_mocker\n"
        "assert _httpcore2_mocker() is None\n"
        "with VideoAPI() as api:\n"
        "    r = httpx.post(api.url + '/v1/video/generations', json={'model': 'viduq3p-540p', 'prompt': 'x'},\n"
        "                   headers={'Authorization': 'Bearer t'})\n"
        "print(r.status_code, len(api.journal))"
    )
    assert run_python(code).split() == ["200", "1"]


def test_the_mocker_registers_under_the_name_video_api_looks_up() -> None:
    from respx.mocks import Mocker

    assert HTTPCore2Mocker.name == HTTPCORE2
    assert Mocker.registry[HTTPCORE2] is HTTPCore2Mocker


@pytest.mark.parametrize(
    ("error", "twin"),
    [
        (httpx.ReadError("r"), "ReadError"),
        (httpx.ReadTimeout("t"), "ReadTimeout"),
        (httpx.RemoteProtocolError("p"), "RemoteProtocolError"),
        (httpx.ConnectError("c"), "ConnectError"),
    ],
)
def test_transport_errors_become_their_httpcore2_twins(error: httpx.TransportError, twin: str) -> None:
    translated = to_httpcore2_error(error)
    assert (type(translated).__module__.split(".")[0], type(translated).__name__) == ("httpcore2", twin)
    assert str(translated) == str(error)


def test_errors_without_a_twin_are_left_alone() -> None:
    error = httpx.CloseError("closing")
    assert to_httpcore2_error(error) is error
