"""`mockserver record`: serve the recording proxy until Ctrl-C; one line per exchange, drift named at once."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from types import FrameType
from typing import Any, TextIO

from mockserver.contract.loopback import is_loopback
from mockserver.record.proxy import DEFAULT_MAX_VIDEO_BYTES, RecordingProxy
from mockserver.record.server import RecordingServer

__all__ = ["build_parser", "main"]

DEFAULT_PORT = 8001


def build_parser() -> argparse.ArgumentParser:
    """The options of `mockserver record`."""
    parser = argparse.ArgumentParser(
        prog="mockserver record",
        description="Record what a gateway answers: a proxy on loopback that forwards each request to --upstream "
        "as sent (the client's own key passes through and is never written) and writes each exchange, redacted, "
        "into --out. Replay them offline with 'mockserver --replay DIR'. Format: docs/recordings.md.",
    )
    parser.add_argument("--upstream", required=True, metavar="URL", help="the gateway's base URL (http or https)")
    parser.add_argument("--out", required=True, metavar="DIR", help="folder the recordings are written to")
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: a free one)")
    parser.add_argument(
        "--redact-header",
        action="append",
        default=[],
        metavar="NAME",
        help="also redact this header in what is written (repeatable); Authorization, cookies and API-key "
        "headers always are",
    )
    parser.add_argument(
        "--max-video-bytes",
        type=int,
        default=DEFAULT_MAX_VIDEO_BYTES,
        metavar="N",
        help="keep answers up to N bytes (default 16 MiB); a bigger video is noted, and replay serves the "
        "mock's sample MP4",
    )
    parser.add_argument(
        "--dialect", default="uniall", choices=("uniall", "new-api", "vidu"), help="shapes answers are checked against"
    )
    parser.add_argument("--timeout", type=float, default=60.0, metavar="SECONDS", help="upstream timeout (default 60)")
    return parser


def main(argv: Sequence[str] | None = None, *, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run `mockserver record ARGS` until Ctrl-C or SIGTERM; returns the exit status (2: bad options)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    options = build_parser().parse_args(list(sys.argv[2:] if argv is None else argv))
    folder = Path(options.out)

    def say(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        proxy = RecordingProxy(
            options.upstream,
            folder,
            dialect=options.dialect,
            redact_headers=options.redact_header,
            max_video_bytes=options.max_video_bytes,
            timeout=options.timeout,
            say=say,
        )
    except ValueError as error:
        print(f"mockserver record: {error}", file=err)
        return 2
    except OSError as error:
        print(f"mockserver record: cannot write to {folder}: {error.strerror}", file=err)
        return 2
    server = RecordingServer(proxy, options.host, options.port)
    try:
        server.bind()
    except OSError as error:
        proxy.close()
        print(f"mockserver record: cannot listen on {options.host}:{options.port}: {error.strerror}", file=err)
        return 1

    def stop(signum: int, frame: FrameType | None) -> Any:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)
    try:
        say(
            f"vidu-mock recording {server.url} -> {proxy.upstream.url} into {folder} "
            f"(dialect={proxy.dialect_name}; Ctrl-C stops)"
        )
        if not is_loopback(options.host):
            say(f"WARNING: listening on {options.host}, not loopback only: other machines can send through it")
        say(f"point your client at {server.url} with its own key; replay with: mockserver --replay {folder}")
        server.serve()
    except KeyboardInterrupt:
        pass
    finally:
        server.stop()
    say(f"recorded {proxy.written} exchanges into {folder} ({proxy.drifted} with drift)")
    return 0
