"""`mockserver --version`, and the banner's warning when the mock listens beyond loopback."""

from __future__ import annotations

import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

from mockserver.cli import banner, build_parser, is_loopback
from mockserver.contract import Settings

COMMAND = Path(sys.executable).with_name("mockserver")


def test_version_prints_the_installed_version_and_python() -> None:
    result = subprocess.run([str(COMMAND), "--version"], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    expected = f"mockserver {metadata.version('vidu-mock')} (Python {platform.python_version()})\n"
    assert result.stdout == expected


def test_version_is_listed_in_help() -> None:
    assert "--version" in build_parser().format_help()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost", "LOCALHOST"])
def test_loopback_hosts_get_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert "WARNING" not in banner("http://127.0.0.1:8000", Settings(host=host))


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.20", "10.0.0.1", "mock.example.com"])
def test_other_hosts_get_a_warning_in_the_banner(host: str) -> None:
    assert not is_loopback(host)
    lines = banner(f"http://{host}:8000", Settings(host=host)).splitlines()
    assert lines[1].startswith(f"WARNING: listening on {host}, not loopback only")
    assert "VIDU_MOCK_ADMIN_TOKEN" in lines[1]
