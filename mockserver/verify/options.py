"""The verifier's settings, parsed from `mockserver verify` arguments; the key is read from the environment."""

from __future__ import annotations

import argparse
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mockserver.verify.expectations import DIALECTS

__all__ = ["DEFAULT_MAX_VIDEO_BYTES", "OptionsError", "VerifyOptions", "build_parser", "parse_options"]

DEFAULT_MAX_VIDEO_BYTES = 64 << 20  # a sample clip is far smaller; a gateway streaming without end is cut off

_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class OptionsError(ValueError):
    """A bad option: reported as one line, exit 2."""


@dataclass(frozen=True)
class VerifyOptions:
    """What one verification run does (never the key itself: see `key_env`)."""

    base_url: str
    key_env: str = "VIDU_API_KEY"
    dialect: str = "auto"
    creates: int = 1
    deadline: float = 900.0
    rps: float = 2.0
    max_requests: int = 200
    poll_interval: float = 5.0
    max_poll_interval: float = 30.0
    max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES
    offpeak: bool = False
    dry_run: bool = False
    report_json: Path | None = None
    junit_xml: Path | None = None
    timeout: float = 30.0
    record: Path | None = None


def build_parser() -> argparse.ArgumentParser:
    """The `mockserver verify` argument parser."""
    p = argparse.ArgumentParser(
        prog="mockserver verify",
        description="Replay the contract against a live gateway and report every drift. "
        "The API key is read from the environment (VIDU_API_KEY, or the variable --key-env names), "
        "is sent only to the base URL's host, and never appears in any output. "
        "Exit 0: no drift; 1: drift found; 2: could not verify.",
    )
    p.add_argument("--base-url", required=True, help="the gateway's base URL, e.g. https://gateway.example")
    p.add_argument("--key-env", default="VIDU_API_KEY", metavar="NAME", help="environment variable holding the key")
    p.add_argument(
        "--dialect",
        default="auto",
        choices=["auto", *DIALECTS, "vidu"],
        help="shapes to expect (default auto; vidu: Vidu's own API, /ent/v2/*)",
    )
    p.add_argument(
        "--creates",
        type=int,
        default=1,
        metavar="N",
        help="the most jobs the run may cause, creates and accepted invalid bodies alike (default 1; 0: none)",
    )
    p.add_argument("--deadline", type=float, default=900.0, metavar="SECONDS", help="poll until then (default 900)")
    p.add_argument("--rps", type=float, default=2.0, help="requests per second at most (default 2)")
    p.add_argument("--max-requests", type=int, default=200, metavar="N", help="total request cap (default 200)")
    p.add_argument("--poll-interval", type=float, default=5.0, metavar="SECONDS", help="first poll wait (default 5)")
    p.add_argument("--max-poll-interval", type=float, default=30.0, metavar="SECONDS", help="longest poll wait")
    p.add_argument("--max-video-bytes", type=int, default=DEFAULT_MAX_VIDEO_BYTES, metavar="N", help="download cap")
    p.add_argument("--offpeak", action="store_true", help="create on the page's off-peak model too (slow)")
    p.add_argument("--dry-run", action="store_true", help="print the plan and send nothing")
    p.add_argument("--report-json", type=Path, metavar="PATH", help="also write the report as JSON")
    p.add_argument("--junit-xml", type=Path, metavar="PATH", help="also write the report as JUnit XML")
    p.add_argument(
        "--timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="a request with no answer by then makes its check incomplete; 3 in a row stop the run (default 30)",
    )
    p.add_argument("--record", type=Path, metavar="DIR", help="write every exchange to DIR as JSON, redacted")
    return p


def parse_options(argv: Sequence[str]) -> VerifyOptions:
    """Parse and check `argv`; raises `OptionsError` (or exits 2 via argparse) on a bad value."""
    args = build_parser().parse_args(argv)
    parts = urlsplit(args.base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise OptionsError(f"--base-url must be an http(s) URL with a host and no query: {args.base_url[:100]!r}")
    if parts.username or parts.password:
        raise OptionsError("--base-url must not hold credentials; put the key in the environment")
    if not _ENV_NAME.match(args.key_env):
        raise OptionsError(f"--key-env must name an environment variable, got {args.key_env[:40]!r}")
    checks: Mapping[str, bool] = {
        "--creates must be 0 or more": args.creates >= 0,
        "--deadline must be positive": args.deadline > 0,
        "--rps must be positive": args.rps > 0,
        "--max-requests must be positive": args.max_requests > 0,
        "--poll-interval must be 0 or more": args.poll_interval >= 0,
        "--max-poll-interval must be 0 or more": args.max_poll_interval >= 0,
        "--max-video-bytes must be positive": args.max_video_bytes > 0,
        "--timeout must be positive": args.timeout > 0,
    }
    for message, ok in checks.items():
        if not ok:
            raise OptionsError(message)
    return VerifyOptions(
        base_url=args.base_url.rstrip("/"),
        key_env=args.key_env,
        dialect=args.dialect,
        creates=args.creates,
        deadline=args.deadline,
        rps=args.rps,
        max_requests=args.max_requests,
        poll_interval=args.poll_interval,
        max_poll_interval=args.max_poll_interval,
        max_video_bytes=args.max_video_bytes,
        offpeak=args.offpeak,
        dry_run=args.dry_run,
        report_json=args.report_json,
        junit_xml=args.junit_xml,
        timeout=args.timeout,
        record=args.record,
    )
