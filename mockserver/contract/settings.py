"""One typed `Settings` for the CLI, environment, config file and fixtures.

This is the only module that reads `os.environ` (variables named `VIDU_MOCK_<FIELD>`).
"""

from __future__ import annotations

import json
import os
import tomllib
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from mockserver.contract.catalogue import LIFECYCLE_DEFAULTS, injectable_spec

ENV_PREFIX = "VIDU_MOCK_"
DEFAULT_SECRET = "vidu-mock-default-secret"  # noqa: S105  # signs task ids only; documented, overridable


@dataclass(frozen=True)
class Settings:
    """Everything that changes how the mock behaves; see "Run it locally" in README.md."""

    host: str = "127.0.0.1"
    port: int = 8000
    error_rate: float = 0.0
    error_codes: tuple[str, ...] = ("429", "500", "503")
    seed: int | None = None
    latency_ms: tuple[int, int] = (0, 0)
    queued_seconds: float = float(LIFECYCLE_DEFAULTS["queued_seconds"])
    running_seconds: float = float(LIFECYCLE_DEFAULTS["running_seconds"])
    offpeak_factor: float = float(LIFECYCLE_DEFAULTS["offpeak_factor"])
    lifecycle: str = "time"
    # Credentials stay out of repr (tracebacks, pytest's fixture values), like `secret`.
    tokens: tuple[str, ...] = field(default=(), repr=False)
    strict: bool = False
    max_body_bytes: int = 16 * 1024 * 1024
    max_tasks: int = 100_000
    max_journal: int = 1_000
    retry_after_ms: int = 200
    timeout_fault_seconds: float = 30.0
    # Kept-alive connections: how long one may sit idle between requests, and how long
    # reading a request may stall before its connection (and thread) is let go.
    idle_timeout_seconds: float = 15.0
    read_timeout_seconds: float = 30.0
    admin_token: str | None = field(default=None, repr=False)
    secret: str = field(default=DEFAULT_SECRET, repr=False)
    quiet: bool = False

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        for code in self.error_codes:
            try:
                injectable_spec(code)
            except ValueError as exc:
                raise ValueError(f"error_codes: {exc}") from None
        low, high = self.latency_ms
        if not 0 <= low <= high <= 60_000:
            raise ValueError("latency_ms must be MIN,MAX with 0 <= MIN <= MAX <= 60000")
        if self.lifecycle not in ("time", "step"):
            raise ValueError("lifecycle must be 'time' or 'step'")
        for name in ("queued_seconds", "running_seconds"):
            if getattr(self, name) < 0:
                raise ValueError(f"{name} must be >= 0")
        if self.offpeak_factor < 1:
            raise ValueError("offpeak_factor must be >= 1")
        if not 0 <= self.port <= 65535:
            raise ValueError("port must be 0 to 65535")
        for name, least in (("max_body_bytes", 1), ("max_tasks", 1), ("max_journal", 0)):
            if getattr(self, name) < least:
                raise ValueError(f"{name} must be at least {least}")
        if not (0 < self.idle_timeout_seconds <= 3600 and 0 < self.read_timeout_seconds <= 3600):
            raise ValueError("idle_timeout_seconds and read_timeout_seconds must be more than 0 and at most 3600")
        if not 0 <= self.retry_after_ms <= 60_000:
            raise ValueError("retry_after_ms must be 0 to 60000")

    def with_updates(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, each coerced from text or JSON-like values."""
        return replace(self, **{name: _coerce(name, value) for name, value in changes.items()})

    def public(self) -> dict[str, Any]:
        """The effective settings as JSON, secrets withheld."""
        data = asdict(self)
        data["secret"] = "[redacted]"  # noqa: S105  # a placeholder, not a secret
        data["admin_token"] = "[redacted]" if self.admin_token else None
        data["tokens"] = ["[redacted]"] * len(self.tokens)
        return data

    @classmethod
    def from_sources(
        cls,
        *,
        config_file: str | Path | None = None,
        environ: Mapping[str, str] | None = None,
        overrides: Mapping[str, Any] | None = None,
    ) -> Settings:
        """Defaults, then the config file (TOML or JSON), then `VIDU_MOCK_*` variables, then `overrides`.

        A bad value raises `SettingsError`, whose message names where it came from (the
        file, the variable, or the `--flag` for an override) and the setting.
        """
        env = os.environ if environ is None else environ
        settings = cls()
        path = config_file or env.get(f"{ENV_PREFIX}CONFIG")
        if path:
            source = f"config file {path}"
            try:
                from_file = load_config_file(Path(path))
            except (OSError, ValueError) as error:
                raise SettingsError(f"{source}: {_reason(error)}") from None
            settings = _apply(settings, from_file, lambda name: f"{source}: {name}")
        from_env = {f.name: env[ENV_PREFIX + f.name.upper()] for f in fields(cls) if ENV_PREFIX + f.name.upper() in env}
        settings = _apply(settings, from_env, lambda name: ENV_PREFIX + name.upper())
        given = {k: v for k, v in (overrides or {}).items() if v is not None}
        return _apply(settings, given, lambda name: "--" + name.replace("_", "-"))


class SettingsError(ValueError):
    """A setting's value was refused; the message is one line naming its source and the setting."""


def _apply(settings: Settings, values: Mapping[str, Any], source: Any) -> Settings:
    """`values` applied one at a time, so a refusal names the one source and setting at fault."""
    for name, value in values.items():
        try:
            settings = settings.with_updates(**{name: value})
        except ValueError as error:
            shown = "" if name in _SECRET or name not in _NAMES else f" = {_show(value)}"
            raise SettingsError(f"{source(name)}{shown}: {_reason(error)}") from None
    return settings


_SECRET = frozenset({"tokens", "admin_token", "secret"})


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
    return " ".join(str(error).split())


_NAMES = {f.name: f for f in fields(Settings)}


def load_config_file(path: Path) -> dict[str, Any]:
    """Read a TOML (`.toml`) or JSON config file of Settings fields; unknown keys are an error."""
    text = path.read_text(encoding="utf-8")
    data: dict[str, Any] = tomllib.loads(text) if path.suffix == ".toml" else json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the config must be a table/object")
    return data


def _split(value: Any) -> list[str]:
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value]
    return [part.strip() for part in str(value).split(",") if part.strip()]


def _coerce(name: str, value: Any) -> Any:
    if name not in _NAMES:
        raise ValueError(f"unknown setting {name!r}; known: {', '.join(_NAMES)}")
    default = getattr(Settings, name, None)
    try:
        if name in ("error_codes", "tokens"):
            return tuple(_split(value))
        if name == "latency_ms":
            parts = [_number(int, p, "MIN,MAX in whole milliseconds") for p in _split(value)]
            return (parts[0], parts[-1]) if parts else (0, 0)
        if isinstance(default, bool):
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text not in ("1", "0", "true", "false", "yes", "no", "on", "off"):
                raise ValueError(f"expected a boolean, got {value!r}")
            return text in ("1", "true", "yes", "on")
        if name == "seed":
            return None if value in (None, "") else _number(int, value, "a whole number")
        if name == "admin_token":
            return str(value) if value else None
        if isinstance(default, int):
            return _number(int, value, "a whole number")
        if isinstance(default, float):
            return _number(float, value, "a number")
        return str(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"setting {name}: {exc}") from None


def _number(kind: type[Any], value: Any, expected: str) -> Any:
    """`kind(value)`, refusing booleans and non-numbers in words a user reads (not `int()`'s)."""
    if isinstance(value, bool):
        raise ValueError(f"expected {expected}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected {expected}") from None
