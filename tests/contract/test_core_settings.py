"""Settings: one typed object from defaults, a config file, the environment and overrides."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mockserver.config_sources import settings_from_sources
from mockserver.contract import Settings


def test_defaults_are_safe() -> None:
    settings = Settings()
    assert (settings.host, settings.port, settings.error_rate, settings.strict) == ("127.0.0.1", 8000, 0.0, False)
    assert settings.admin_token is None


def test_precedence_is_overrides_then_env_then_file(tmp_path: Path) -> None:
    config = tmp_path / "mock.toml"
    config.write_text('port = 9001\nerror_rate = 0.25\nerror_codes = ["500"]\nlatency_ms = [5, 10]\n')
    env = {"VIDU_MOCK_ERROR_RATE": "0.5", "VIDU_MOCK_TOKENS": "sk-1, sk-2", "VIDU_MOCK_STRICT": "yes"}
    settings = settings_from_sources(config_file=config, environ=env, overrides={"port": 0, "seed": None})
    assert settings.port == 0
    assert settings.error_rate == 0.5
    assert settings.error_codes == ("500",)
    assert settings.latency_ms == (5, 10)
    assert settings.tokens == ("sk-1", "sk-2")
    assert settings.strict is True


def test_config_file_from_the_environment_and_json(tmp_path: Path) -> None:
    config = tmp_path / "mock.json"
    config.write_text(json.dumps({"lifecycle": "step", "max_tasks": 10}))
    settings = settings_from_sources(environ={"VIDU_MOCK_CONFIG": str(config)})
    assert (settings.lifecycle, settings.max_tasks) == ("step", 10)


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("error_rate", "1.5", "error_rate"),
        ("error_rate", "lots", "error_rate"),
        ("error_codes", "418", "error_codes"),
        ("latency_ms", "50,10", "latency_ms"),
        ("lifecycle", "fast", "lifecycle"),
        ("port", "70000", "port"),
        ("strict", "maybe", "strict"),
        ("max_tasks", "0", "max_tasks must be at least 1"),
        ("no_such_setting", "1", "unknown setting"),
    ],
)
def test_bad_values_are_reported_by_name(name: str, value: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        Settings().with_updates(**{name: value})


def test_public_view_withholds_secrets() -> None:
    settings = Settings(tokens=("sk-live",), admin_token="adm-1", secret="s3cret")
    text = json.dumps(settings.public())
    for secret in ("sk-live", "adm-1", "s3cret"):
        assert secret not in text


def test_the_dialect_comes_from_a_flag_the_environment_or_the_config_file(tmp_path: Path) -> None:
    from mockserver.cli import settings_from_args

    config = tmp_path / "mock.toml"
    config.write_text('dialect = "new-api"\n', encoding="utf-8")
    assert settings_from_args([], environ={}).dialect == "uniall"  # the default
    assert settings_from_args(["--dialect", "new-api"], environ={}).dialect == "new-api"
    assert settings_from_args([], environ={"VIDU_MOCK_DIALECT": "new-api"}).dialect == "new-api"
    assert settings_from_args(["--config", str(config)], environ={}).dialect == "new-api"
    assert settings_from_args(["--config", str(config), "--dialect", "uniall"], environ={}).dialect == "uniall"
