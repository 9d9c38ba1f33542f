"""The `vidu-mock` command (alias `mockserver`, also `python -m mockserver`): serve the mock on loopback."""

from __future__ import annotations

import argparse
import logging
import platform
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import MISSING, fields
from importlib import metadata
from types import FrameType
from typing import Any, TextIO

from mockserver.command import ALIAS, NAME, OneLineParser, command_name
from mockserver.config_sources import CONFIG_FORMATS, settings_from_sources
from mockserver.contract.admin.guard import LOOPBACK_NAMES
from mockserver.contract.data.catalogue import COLLECTION
from mockserver.contract.loopback import is_loopback
from mockserver.contract.redaction import redacted_url
from mockserver.contract.replay.matching import Replay
from mockserver.contract.settings import Settings
from mockserver.contract.state.protocol import StateUnavailable
from mockserver.contract.vidu.data import PREFIX
from mockserver.live import LiveServer
from mockserver.live.loop.exchange import REQUEST_LOG

__all__ = ["COMMANDS", "banner", "build_parser", "exposed_warning", "is_loopback", "main", "settings_from_args"]

# Secrets stay out of argv (other local users can read it): environment or config file only.
_NOT_FLAGS = frozenset({"secret", "admin_token"})
_HELP = {
    "host": "interface to bind (default 127.0.0.1; anything else exposes the mock to your network)",
    "port": "port to listen on (default 8000; 0 picks a free port)",
    "error_rate": "fraction 0..1 of requests answered with a random injected error (default 0: none)",
    "error_codes": "comma-separated statuses or codes the random errors are drawn from (default 429,500,503)",
    "seed": "seed for the random errors and latency, for reproducible runs (default: a fresh one each run)",
    "latency_ms": "added latency range MIN,MAX in milliseconds (default 0,0: none)",
    "queued_seconds": "seconds a job stays queued (time lifecycle)",
    "running_seconds": "seconds a job stays in_progress (time lifecycle)",
    "offpeak_factor": "how many times longer -offpeak jobs take in all",
    "lifecycle": "'time' (jobs advance with the clock) or 'step' (one state per poll)",
    "tokens": "comma-separated bearer tokens to accept (default: any non-empty token)",
    "strict": "reject unknown top-level request fields (default off)",
    "max_body_bytes": "request body size cap; larger bodies get 413",
    "max_tasks": "task store cap (oldest evicted first)",
    "max_journal": "request journal cap (oldest dropped first)",
    "retry_after_ms": "Retry-After / retry-after-ms sent with injected 429 and 503",
    "timeout_fault_seconds": "how long fault=timeout holds a connection before closing it",
    "idle_timeout_seconds": "seconds a kept-alive connection may sit idle between requests (default 15)",
    "read_timeout_seconds": "seconds reading one request may stall before its connection is dropped (default 30)",
    "idle_spin_us": "microseconds the server keeps polling after an answer before it sleeps, so a client's "
    "next request finds it awake (default 100; 0 turns it off; memory state only)",
    "quiet": "do not log one line per request (default off: one line each)",
    "state": "where the state tests steer lives: 'memory' (default; this process only) or redis://host:port/db, "
    "shared by every worker and host on it (pip install 'vidu-mock[redis]'; put a password in VIDU_MOCK_STATE)",
    "state_prefix": "prefix of every Redis key (default vidu-mock:); one per mock sharing a Redis",
    "state_wait": "seconds to wait at start-up for a --state that cannot be reached, then exit with an error",
    "dialect": "reply shapes: 'uniall' (the publisher's, default), 'new-api' (the upstream gateway software's) "
    "or 'vidu' (Vidu's own API, /ent/v2/*)",
    "allow_host": "a name besides 127.0.0.1, localhost and [::1] that clients reach the mock by (the Host header), "
    "e.g. a container or CI service alias; repeat it or separate names with commas; '*' for any name "
    "(default: none besides those)",
    "replay": "answer from the recordings in this folder (written by 'vidu-mock record'; docs/recordings.md; "
    "default: none, answer from the contract)",
    "poll_after_ms": "send openai-poll-after-ms with every poll answer, so the OpenAI SDK's poll() waits this "
    "long instead of a second (default: not sent, as the gateway sends none)",
    "token_concurrency": "tasks one bearer token may have in flight before creates get new-api's 429 "
    "token_concurrency_limit_reached (default 0: no cap)",
    "task_timeout_minutes": "the N in a timed-out job's timeout reason (new-api's TASK_TIMEOUT_MINUTES; default 1440)",
    "callback_allow": "a host besides loopback that Vidu-dialect callbacks may be delivered to (callback_url); "
    "repeat it or separate names with commas; a callback to any other host is journalled as blocked, never sent",
    "replay_match": "how a create matches a recording: 'exact' (the whole JSON body, default) or 'loose' "
    "(model and mode)",
}
# Flags that may be given more than once (their values add up).
_REPEATABLE = frozenset({"allow_host", "callback_allow"})
#: The words the command takes first, each with its own options (`vidu-mock verify --help`).
COMMANDS = {
    "verify": "check a real gateway against the contract (docs/verify.md)",
    "record": "record a gateway's answers into a folder, for --replay (docs/recordings.md)",
}


def _version() -> str:
    """The installed distribution's version, with the Python that runs it (for bug reports)."""
    try:
        version = metadata.version("vidu-mock")
    except metadata.PackageNotFoundError:
        version = "unknown (not installed)"
    return f"{version} (Python {platform.python_version()})"


def build_parser(prog: str | None = None) -> argparse.ArgumentParser:
    """The argument parser: one flag per `Settings` field, plus `--config`; every default in its help."""
    prog = prog or command_name()
    commands = "\n".join(f"  {prog} {name:<8} {text}" for name, text in COMMANDS.items())
    parser = OneLineParser(
        prog=prog,
        usage=f"{prog} [options]\n       {prog} {{{','.join(COMMANDS)}}} [options]",
        description="Serve a faithful fake of the Vidu Q3 video-generation API. "
        "Every flag is also VIDU_MOCK_<NAME> in the environment or a key of the --config file "
        "(flags win over the environment, which wins over the file).",
        epilog=f"commands (each with its own --help):\n{commands}\n\n"
        f"'{NAME}' and '{ALIAS}' (its earlier name) are the same command.",
        formatter_class=_Formatter,
        commands=tuple(COMMANDS),
    )
    parser.add_argument("--version", action="version", version=f"%(prog)s {_version()}")
    parser.add_argument(
        "--config", metavar="FILE", help=f"{CONFIG_FORMATS} file of settings (or VIDU_MOCK_CONFIG; default: none)"
    )
    for item in fields(Settings):
        if item.name in _NOT_FLAGS:
            continue
        flag = "--" + item.name.replace("_", "-")
        text = _help(item.name, item.default)
        if item.type in ("bool", bool):
            parser.add_argument(flag, action="store_true", default=None, help=text)
        elif item.name in _REPEATABLE:
            parser.add_argument(flag, action="append", metavar="NAME", default=None, help=text)
        else:
            parser.add_argument(flag, metavar=item.name.upper(), default=None, help=text)
    return parser


class _Formatter(argparse.HelpFormatter):
    """argparse's layout, keeping the epilog's lines (the list of commands) as written."""

    def _fill_text(self, text: str, width: int, indent: str) -> str:
        if text.startswith("commands"):
            return "".join(indent + line for line in text.splitlines(keepends=True))
        return super()._fill_text(text, width, indent)


def _help(name: str, default: object) -> str:
    """A flag's help with its default named (read off `Settings`, so it cannot go stale)."""
    text = _HELP.get(name, name.replace("_", " "))
    if "default" in text or default is MISSING:
        return text
    shown = ",".join(map(str, default)) if isinstance(default, tuple) else default
    return f"{text} (default {shown})"


def settings_from_args(argv: Sequence[str] | None = None, environ: dict[str, str] | None = None) -> Settings:
    """Parse `argv` into `Settings` over the config file and environment; exits 2 on a bad value."""
    parser = build_parser()
    args = vars(parser.parse_args(argv))
    config = args.pop("config")
    try:
        return settings_from_sources(config_file=config, environ=environ, overrides=args)
    except ValueError as error:  # one line naming the source and the setting; no usage block
        print(f"{parser.prog}: {error}", file=sys.stderr)
        raise SystemExit(2) from None


def banner(url: str, settings: Settings, replay: Replay | None = None) -> str:
    """What the server prints on start: where it listens, its dashboard and a curl command to paste."""
    token = "YOUR_TOKEN" if settings.tokens else "sk-test"
    warning = "" if is_loopback(settings.host) else exposed_warning(settings.host)
    if settings.error_rate > 0:
        warning += (
            f"random errors on: {settings.error_rate:.0%} of requests answer one of "
            f"{','.join(settings.error_codes)} (--error-rate)\n"
        )
    if settings.replay:
        held = (
            ""
            if replay is None
            else f"{_count(len(replay.exchanges), 'exchange')} of {_count(_tasks(replay), 'task')} "
        )
        warning += f"replaying {held}from the recordings in {settings.replay} (match={settings.replay_match})\n"
    if settings.dialect == "vidu":  # Vidu's own API: its route, its auth scheme, its model
        path, scheme, model = f"{PREFIX}/text2video", "Token", "viduq3-pro"
    else:
        path, scheme, model = COLLECTION, "Bearer", "viduq3p-720p"
    return (
        f"vidu-mock serving {url}  (lifecycle={settings.lifecycle}; dialect={settings.dialect}; "
        f"state={redacted_url(settings.state)}; Ctrl-C stops)\n{warning}{_names_line(settings)}"
        f"dashboard: {url}/__mock/\n"
        f"try:\n"
        f"  curl -s {url}{path} \\\n"
        f"    -H 'Authorization: {scheme} {token}' -H 'Content-Type: application/json' \\\n"
        f'    -d \'{{"model": "{model}", "prompt": "a fox in the snow", "duration": 5}}\''
    )


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _tasks(replay: Replay) -> int:
    return len({exchange.task_id for exchange in replay.exchanges if exchange.task_id})


def _names_line(settings: Settings) -> str:
    """Which Host names the server answers to, and how to add one (see `RequestGuard`)."""
    given = settings.allow_host
    if "*" in given or (not given and not is_loopback(settings.host)):
        return "answers to any Host name; --allow-host NAME limits it to the names you give\n"
    names = ", ".join((*LOOPBACK_NAMES, *given))
    return (
        f"answers to the names {names}; to serve it under another (a container, a CI service alias) "
        "add --allow-host NAME\n"
    )


def exposed_warning(host: str) -> str:
    """The banner line for a host other machines can reach."""
    return (
        f"WARNING: listening on {host}, not loopback only: other machines that can reach this one can"
        " use the mock (the /__mock/ admin API still answers loopback callers only, unless"
        " VIDU_MOCK_ADMIN_TOKEN is set)\n"
    )


def _configure_logging(settings: Settings, stream: TextIO) -> None:
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(asctime)s %(message)s", "%H:%M:%S"))
    REQUEST_LOG.handlers[:] = [handler]
    REQUEST_LOG.propagate = False
    REQUEST_LOG.setLevel(logging.WARNING if settings.quiet else logging.INFO)


def _wait_for_state(server: LiveServer, prog: str) -> bool:
    """Whether the shared state answers within `state_wait` seconds (memory always does); one line if not."""
    state, settings = server.engine.state, server.engine.settings
    if not state.shared:
        return True
    deadline = time.monotonic() + settings.state_wait
    while True:
        try:
            state.refresh()
            return True
        except StateUnavailable as error:
            if time.monotonic() >= deadline:
                detail = error.detail
                print(
                    f"{prog}: cannot reach the state at {redacted_url(settings.state)} after "
                    f"{settings.state_wait:g} s ({detail}); check --state, or wait longer with --state-wait SECONDS",
                    file=sys.stderr,
                )
                return False
        time.sleep(0.25)  # a start-up wait, not a test: Redis coming up in CI takes a moment


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until Ctrl-C or SIGTERM (`verify ...` checks a gateway, `record ...` records one); returns the exit status."""
    prog = command_name()
    words = list(sys.argv[1:] if argv is None else argv)
    if words[:1] == ["verify"]:
        from mockserver.verify.cli import main as verify  # only when asked: serving never loads it

        return verify(words[1:])
    if words[:1] == ["record"]:
        from mockserver.record.cli import main as record  # likewise: only `mockserver record` loads httpx

        return record(words[1:])
    settings = settings_from_args(argv)
    _configure_logging(settings, sys.stderr)
    try:
        server = LiveServer(settings)
    except ValueError as error:  # a state backend that cannot be used (the redis client missing)
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    if not _wait_for_state(server, prog):
        return 1
    try:
        server.bind()
    except OSError as error:
        print(f"{prog}: cannot listen on {settings.host}:{settings.port}: {error.strerror}", file=sys.stderr)
        return 1

    def stop(signum: int, frame: FrameType | None) -> Any:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        # Printed inside the try: a Ctrl-C right after the banner must still stop cleanly.
        print(banner(server.url, settings, server.engine.replay), flush=True)
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    print("vidu-mock stopped", flush=True)
    return 0
