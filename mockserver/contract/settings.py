"""One typed `Settings` for the CLI, environment, config file and fixtures.

Pure: it describes, coerces and validates settings. Reading them from the environment or
a config file is `mockserver.config_sources`' job (the core does no I/O).
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any
from urllib.parse import urlsplit

from mockserver.contract.data.catalogue import DEFAULT_DIALECT, DIALECT_NAMES, LIFECYCLE_DEFAULTS, injectable_spec
from mockserver.contract.redaction import REDACTED, redacted_url

# The longest injected delay, random latency or Retry-After the mock will use (Prefer, rules, settings).
MAX_DELAY_MS = 60_000
# The longest the command may keep polling after an answer (idle_spin_us): a millisecond.
MAX_IDLE_SPIN_US = 1_000
#: The longest the command waits at start-up for an unreachable `--state` (seconds).
MAX_STATE_WAIT = 600.0
DEFAULT_SECRET = "vidu-mock-default-secret"  # noqa: S105  # signs task ids only; documented, overridable
DEFAULT_STATE_PREFIX = "vidu-mock:"
_STATE_SCHEMES = ("redis", "rediss", "unix", "redis+cluster", "rediss+cluster")
# A name the live server answers to (`--allow-host`): a DNS name or an IP literal, no port;
# `*` for any name.
_HOST_NAME = re.compile(r"^(\*|[a-z0-9_]([a-z0-9_.-]{0,251}[a-z0-9_.])?|\[[0-9a-f:.]{2,45}\])$", re.IGNORECASE)


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
    # How long the `mockserver` command keeps polling after an answer before it sleeps, so a
    # client's next request finds it awake (mockserver.live.loop.idle_spin); 0 turns it off.
    idle_spin_us: int = 100
    admin_token: str | None = field(default=None, repr=False)
    secret: str = field(default=DEFAULT_SECRET, repr=False)
    quiet: bool = False
    # Where tasks, journal, failure rules, clock offset and epoch live: "memory" (this process)
    # or a Redis URL every worker and host shares. Out of repr: a URL may carry a password.
    state: str = field(default="memory", repr=False)
    state_prefix: str = DEFAULT_STATE_PREFIX
    # Seconds the command waits at start-up for a shared state it cannot reach, then exits.
    state_wait: float = 10.0
    dialect: str = DEFAULT_DIALECT
    # Names the live server answers to besides the loopback ones (the Host header's name);
    # see `mockserver.contract.admin.guard`.
    allow_host: tuple[str, ...] = ()
    # A folder of recordings to answer from instead of the contract (docs/recordings.md), and
    # how a create matches one: its whole JSON body ("exact") or its model and mode ("loose").
    replay: str | None = None
    replay_match: str = "exact"
    # `openai-poll-after-ms` on every poll answer (None: not sent, as new-api sends none); the
    # fixtures set it so the OpenAI SDK's `poll()` does not sleep its default second.
    poll_after_ms: int | None = None
    # Tasks one bearer token may have in flight (new-api's TokenConcurrencyGate); 0: no cap.
    token_concurrency: int = 0
    # new-api's TASK_TIMEOUT_MINUTES: the minutes a timed-out job's reason names.
    task_timeout_minutes: int = 1440
    # Hosts besides loopback that Vidu-dialect callbacks may be delivered to (docs/callbacks.md).
    callback_allow: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not 0.0 <= self.error_rate <= 1.0:
            raise ValueError("error_rate must be between 0 and 1")
        for code in self.error_codes:
            try:
                injectable_spec(code)
            except ValueError as exc:
                raise ValueError(f"error_codes: {exc}") from None
        low, high = self.latency_ms
        if not 0 <= low <= high <= MAX_DELAY_MS:
            raise ValueError(f"latency_ms must be MIN,MAX with 0 <= MIN <= MAX <= {MAX_DELAY_MS}")
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
        if not 0 <= self.idle_spin_us <= MAX_IDLE_SPIN_US:
            raise ValueError(f"idle_spin_us must be 0 to {MAX_IDLE_SPIN_US}")
        if not 0 <= self.retry_after_ms <= MAX_DELAY_MS:
            raise ValueError(f"retry_after_ms must be 0 to {MAX_DELAY_MS}")
        if self.poll_after_ms is not None and not 0 <= self.poll_after_ms <= MAX_DELAY_MS:
            raise ValueError(f"poll_after_ms must be 0 to {MAX_DELAY_MS}")
        if self.token_concurrency < 0:
            raise ValueError("token_concurrency must be at least 0 (0: no cap)")
        if not 1 <= self.task_timeout_minutes <= 525_600:
            raise ValueError("task_timeout_minutes must be 1 to 525600")
        if self.dialect not in DIALECT_NAMES:
            raise ValueError(f"dialect must be one of {', '.join(DIALECT_NAMES)}, got {self.dialect!r}")
        if self.replay_match not in ("exact", "loose"):
            raise ValueError(f"replay_match must be 'exact' or 'loose', got {self.replay_match!r}")

        if not 0 <= self.state_wait <= MAX_STATE_WAIT:
            raise ValueError(f"state_wait must be 0 to {MAX_STATE_WAIT:g} seconds")
        _check_state(self.state, self.state_prefix)
        for name in self.allow_host:
            if not _HOST_NAME.match(name):
                raise ValueError(
                    f"allow_host: {name[:80]!r} is not a host name (give names like mock or ci-mock.internal, "
                    "IPv6 in brackets, without a port; * for any name)"
                )
        for name in self.callback_allow:
            if name == "*" or not _HOST_NAME.match(name):
                raise ValueError(
                    f"callback_allow: {name[:80]!r} is not a host name (give one host per name, like "
                    "hooks.example.com or 10.0.0.7, without a port or a wildcard)"
                )

    def with_updates(self, **changes: Any) -> Settings:
        """A copy with `changes` applied, each coerced from text or JSON-like values."""
        return replace(self, **{name: _coerce(name, value) for name, value in changes.items()})

    def public(self) -> dict[str, Any]:
        """The effective settings as JSON, secrets withheld."""
        data = asdict(self)
        data["secret"] = REDACTED
        data["admin_token"] = REDACTED if self.admin_token else None
        data["tokens"] = [REDACTED] * len(self.tokens)
        data["state"] = redacted_url(self.state)
        return data


def _check_state(state: str, prefix: str) -> None:
    if state != "memory":
        parts = urlsplit(state)
        if parts.scheme not in _STATE_SCHEMES:
            raise ValueError(
                "state must be 'memory' or a redis://, rediss://, unix://, redis+cluster:// or rediss+cluster:// URL"
            )
        try:
            parts.port  # noqa: B018  # parsing it is the check
        except ValueError:
            raise ValueError("state: the port must be a number from 0 to 65535") from None
        if (parts.scheme == "unix" and not parts.path) or (parts.scheme != "unix" and not parts.hostname):
            raise ValueError("state must name a host (redis://host:port/db) or a socket (unix:///path)")
    if not 1 <= len(prefix) <= 100 or any(c.isspace() or c in "{}" for c in prefix):
        # Braces would break the hash tag `{prefix}` that keeps a mock's keys in one cluster slot.
        raise ValueError("state_prefix must be 1 to 100 characters, no spaces or braces")


_NAMES = {f.name: f for f in fields(Settings)}


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
        if name in ("allow_host", "callback_allow"):  # repeated flags arrive as a list, each item maybe "a,b"
            return tuple(dict.fromkeys(_host(part) for item in _split(value) for part in _split(item)))
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
        if name in ("seed", "poll_after_ms"):
            return None if value in (None, "") else _number(int, value, "a whole number")
        if name in ("admin_token", "replay"):
            return str(value) if value else None
        if isinstance(default, int):
            return _number(int, value, "a whole number")
        if isinstance(default, float):
            return _number(float, value, "a number")
        return str(value)
    except (TypeError, ValueError, IndexError) as exc:
        raise ValueError(f"setting {name}: {exc}") from None


def _host(name: str) -> str:
    """A host name as the Host header's is compared: lower case, no final dot, a bare IPv6 bracketed."""
    name = name.lower().rstrip(".")
    try:
        return f"[{ipaddress.IPv6Address(name)}]"
    except ValueError:
        return name


def _number(kind: type[Any], value: Any, expected: str) -> Any:
    """`kind(value)`, refusing booleans and non-numbers in words a user reads (not `int()`'s)."""
    if isinstance(value, bool):
        raise ValueError(f"expected {expected}")
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise ValueError(f"expected {expected}") from None
