"""Where vidu-mock's extra worker CPU under gunicorn goes: the mock with parts swapped out, same load.

Each variant is the real Flask face with part of the engine's work replaced, run under
gunicorn with the same settings and wrk load as `bench_http.py`, rounds alternating. What
it prints is worker CPU per request (user + system), the reading that moves least with
other load, and each variant's difference from bare Flask. Measured in process, the
engine's create takes tens of microseconds; under this load each of its microseconds costs
several, so a part's weight is read here, not from an in-process profile. Needs wrk.

    python bench/bench_http_parts.py            # 6 rounds x 3 s per variant
    python bench/bench_http_parts.py --quick    # one 1 s round (smoke test)
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
from typing import Any

import bench_http
from bench_http import MOCK, Side
from fixed_job import FIXED_JOB
from flask import Flask

from mockserver.config_sources import settings_from_sources
from mockserver.contract.messages import Incoming, Outgoing, json_reply
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.requests.validation import find_problems, schema_accepts
from mockserver.contract.routes import engine as engine_module
from mockserver.live.app import create_app, engine_of


def _answering(check: Any) -> Flask:
    """The mock's Flask face whose engine runs `check` on the body, then answers the fixed job."""
    app = create_app(settings_from_sources())
    job = json.loads(FIXED_JOB)

    def handle(request: Incoming) -> Outgoing:
        check(request.body)
        reply = json_reply(200, job)
        reply.headers["x-request-id"] = "req_000000000000000000000000"
        return reply

    engine_of(app).handle = handle  # type: ignore[method-assign]
    return app


def stub_engine() -> Flask:
    """The face alone: the engine answers the fixed job after a plain `json.loads`, as bare Flask does."""
    return _answering(json.loads)


def strict_parse() -> Flask:
    """The face plus the engine's strict JSON parse (duplicate keys, NaN, UTF-8 refused)."""
    return _answering(parse_json_body)


def whole_schema_check() -> Flask:
    """The strict parse plus the one-call jsonschema-rs check valid bodies take."""
    return _answering(lambda raw: schema_accepts(parse_json_body(raw)))


def field_walk() -> Flask:
    """The strict parse plus the jsonschema field-by-field walk that errors take."""
    return _answering(lambda raw: find_problems(parse_json_body(raw)))


def unsigned_ids() -> Flask:
    """The whole mock with random unsigned task ids (what signing costs; such ids cannot scale out)."""

    def random_id(secret: str, **facts: Any) -> str:
        return "task_" + os.urandom(16).hex()

    engine_module.encode_task_id = random_id  # type: ignore[attr-defined]  # swapped in this worker only
    return create_app(settings_from_sources())


VARIANTS = (
    Side("bare Flask", "bench_http:bare_app()", {}),
    Side("face, stub engine", "bench_http_parts:stub_engine()", MOCK.env),
    Side("  + strict parse", "bench_http_parts:strict_parse()", MOCK.env),
    Side("  + jsonschema-rs check", "bench_http_parts:whole_schema_check()", MOCK.env),
    Side("  + field walk instead", "bench_http_parts:field_walk()", MOCK.env),
    Side("vidu-mock, ids unsigned", "bench_http_parts:unsigned_ids()", MOCK.env),
    MOCK,
)


def main(argv: list[str] | None = None) -> int:
    """Run every variant and print worker CPU per request; return the exit status."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one 1 s round per variant (smoke test)")
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=3.0, help="per variant per round")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args(argv)
    args.worker_class, args.threads = "sync", 1
    if args.quick:
        args.rounds, args.seconds = 1, 1.0
    if shutil.which("wrk") is None:
        print("wrk is not installed (Debian: apt-get install wrk)", file=sys.stderr)
        return 2
    cpu: dict[str, list[float]] = {}
    for label, loads in bench_http.measure(args, "wrk", VARIANTS).items():
        for load in loads:
            if load.non_200 or load.errors or load.cpu is None:
                raise SystemExit(f"{label}: {load.non_200} non-200 answers, {load.errors} socket errors")
        cpu[label] = [load.cpu / load.responses * 1e6 for load in loads if load.cpu is not None]
    print(
        f"Worker CPU per create under gunicorn --workers {args.workers} (sync), wrk -t1 -c{args.connections}; "
        f"median of {args.rounds} round(s) x {args.seconds:g} s; {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'variant':28} {'CPU us/req':>10} {'vs bare':>8}")
    bare = statistics.median(cpu[VARIANTS[0].label])
    for side in VARIANTS:
        median = statistics.median(cpu[side.label])
        print(f"{side.label:28} {median:10.0f} {median - bare:+8.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
