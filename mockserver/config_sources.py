"""Reading `Settings` from the outside world: a config file and `VIDU_MOCK_*` variables.

This is the only module that reads `os.environ` or a config file, next to the CLI that
needs it; `mockserver.contract.settings` only describes and validates settings (no I/O).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

from mockserver.contract.settings import Settings

__all__ = ["ENV_PREFIX", "load_config_file", "settings_from_sources"]

ENV_PREFIX = "VIDU_MOCK_"


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML (`.toml`) or JSON config file of Settings fields; unknown keys are an error."""
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the config must be a table/object")
    return data


def settings_from_sources(
    *,
    config_file: str | Path | None = None,
    environ: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> Settings:
    """Defaults, then the config file (TOML or JSON), then `VIDU_MOCK_*` variables, then `overrides`."""
    env = os.environ if environ is None else environ
    settings = Settings()
    path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
    if path:
        settings = settings.with_updates(**load_config_file(Path(path)))
    names = (f.name for f in fields(Settings))
    settings = settings.with_updates(**{n: env[ENV_PREFIX + n.upper()] for n in names if ENV_PREFIX + n.upper() in env})
    return settings.with_updates(**{k: v for k, v in (overrides or {}).items() if v is not None})
