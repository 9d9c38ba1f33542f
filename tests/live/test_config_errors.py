"""A refused setting is one line naming where the value came from (flag, variable or file) and the setting."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from mockserver.cli import settings_from_args

COMMAND = Path(sys.executable).with_name("mockserver")
PYTHON_WORDING = ("invalid literal", "could not convert", "int()", "float()", "Traceback", "usage:")


def refusal(capsys: pytest.CaptureFixture[str], argv: list[str], environ: dict[str, str]) -> str:
    with pytest.raises(SystemExit) as exited:
        settings_from_args(argv, environ)
    assert exited.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("mockserver: "), err
    assert not any(words in err for words in PYTHON_WORDING), err
    return err


@pytest.mark.parametrize(
    ("argv", "environ", "expected"),
    [
        ([], {"VIDU_MOCK_ERROR_RATE": "abc"}, ["VIDU_MOCK_ERROR_RATE", "error_rate", "expected a number"]),
        ([], {"VIDU_MOCK_MAX_TASKS": "0"}, ["VIDU_MOCK_MAX_TASKS", "max_tasks must be at least 1"]),
        (["--max-journal", "-1"], {}, ["--max-journal", "max_journal must be at least 0"]),
        (["--port", "x"], {}, ["--port", "port", "expected a whole number"]),
        (["--latency-ms", "a,b"], {}, ["--latency-ms", "latency_ms", "MIN,MAX"]),
        (["--queued-seconds", "-1"], {}, ["--queued-seconds", "queued_seconds must be >= 0"]),
        (["--idle-timeout-seconds", "0"], {"VIDU_MOCK_ERROR_RATE": "2"}, ["VIDU_MOCK_ERROR_RATE", "error_rate"]),
    ],
)
def test_a_bad_flag_or_variable_is_named_with_its_setting(
    capsys: pytest.CaptureFixture[str], argv: list[str], environ: dict[str, str], expected: list[str]
) -> None:
    err = refusal(capsys, argv, environ)
    for fragment in expected:
        assert fragment in err, err


@pytest.mark.parametrize(
    ("name", "text", "expected"),
    [
        ("mock.toml", "lifecycle = \n", "not valid TOML"),
        ("mock.json", "{", "not valid JSON"),
        ("mock.toml", "max_tasks = 0\n", "max_tasks must be at least 1"),
        ("mock.toml", "colour = 'red'\n", "unknown setting 'colour'"),
        ("mock.json", "[1]", "table/object"),
    ],
)
def test_a_bad_config_file_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, text: str, expected: str
) -> None:
    config = tmp_path / name
    config.write_text(text, encoding="utf-8")
    err = refusal(capsys, ["--config", str(config)], {})
    assert f"config file {config}" in err and expected in err, err


def test_a_missing_config_file_from_the_environment_is_named(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nowhere.toml"
    err = refusal(capsys, [], {"VIDU_MOCK_CONFIG": str(missing)})
    assert f"config file {missing}: no such file" in err


def test_the_command_prints_only_the_one_line() -> None:
    result = subprocess.run(
        [str(COMMAND)], capture_output=True, text=True, timeout=30, env={"VIDU_MOCK_ERROR_RATE": "abc", "PATH": ""}
    )
    assert result.returncode == 2
    assert result.stderr == "mockserver: VIDU_MOCK_ERROR_RATE = 'abc': setting error_rate: expected a number\n"
