"""Reading `Settings` from the outside world: a config file and `VIDU_MOCK_*` variables.

This is the only module that reads `os.environ` or a config file, next to the CLI that
needs it; `mockserver.contract.settings` only describes and validates settings (no I/O).
A refused value raises `SettingsError`, one line naming its source and the setting.
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from mockserver.contract.redaction import SECRET_SETTINGS
from mockserver.contract.settings import Settings

__all__ = ["ENV_PREFIX", "SettingsError", "load_config_file", "settings_from_sources"]

ENV_PREFIX = "VIDU_MOCK_"
_NAMES = frozenset(f.name for f in fields(Settings))


class SettingsError(ValueError):
    """A setting's value was refused; the message is one line naming its source and the setting."""


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML (`.toml`) or JSON config file of Settings fields; unknown keys are an error."""
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the config must be a table/object")
    return data


def settings_from_sources(
    *,
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the config file (TOML or JSON), then `VIDU_MOCK_*` variables, then `overrides`.

    A bad value raises `SettingsError`, whose message names where it came from (the file,
    the variable, or the `--flag` for an override) and the setting.
    """
    env = os.environ if environ is None else environ
    settings = Settings()
    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        source = f"config file {path}"
        try:
            from_file = load_config_file(Path(path))
        except (OSError, ValueError) as error:
            raise SettingsError(f"{source}: {_reason(error)}") from None
        settings = _apply(settings, from_file, lambda name: f"{source}: {name}")
    from_env = {n: env[ENV_PREFIX + n.upper()] for n in sorted(_NAMES) if ENV_PREFIX + n.upper() in env}
    settings = _apply(settings, from_env, lambda name: ENV_PREFIX + name.upper())
    given = {k: v for k, v in (overrides or {}).items() if v is not None}
    return _apply(settings, given, lambda name: "--" + name.replace("_", "-"))


def _apply(settings: Settings, values: Mapping[str, Any], source: Callable[[str], str]) -> Settings:
    """`values` applied one at a time, so a refusal names the one source and setting at fault."""
    for name, value in values.items():
        try:
            settings = settings.with_updates(**{name: value})
        except (TypeError, ValueError) as error:
            shown = "" if name in SECRET_SETTINGS or name not in _NAMES else f" = {_show(value)}"
            raise SettingsError(f"{source(name)}{shown}: {_reason(error)}") from None
    return settings


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _reason(error: BaseException) -> str:
    """The error in the mock's words: no Python type names, one line."""
    if isinstance(error, FileNotFoundError):
        return "no such file"
    if isinstance(error, OSError):
        return f"cannot be read ({error.strerror or 'error'})"
    if isinstance(error, tomllib.TOMLDecodeError):
        return f"not valid TOML ({error})"
    if isinstance(error, json.JSONDecodeError):
        return f"not valid JSON ({error.msg} at line {error.lineno} column {error.colno})"
    if isinstance(error, UnicodeDecodeError):
        return "not UTF-8 text"
    if isinstance(error, TypeError):
        return "not a setting of the mock"  # an unknown key in a config file
    return " ".join(str(error).split())
