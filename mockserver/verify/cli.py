"""`mockserver verify`: parse the options, read the key, run the checks, write the reports, exit 0/1/2."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TextIO

import httpx

from mockserver.verify.checks import Verifier
from mockserver.verify.client import PoliteClient
from mockserver.verify.options import OptionsError, VerifyOptions, parse_options
from mockserver.verify.plan import render_plan
from mockserver.verify.recording import ExchangeLog
from mockserver.verify.report import render_table, write_json, write_junit
from mockserver.verify.results import EXIT_UNVERIFIED, Report
from mockserver.verify.vidu import ViduVerifier

__all__ = ["main"]


def _fail(message: str, stderr: TextIO) -> int:
    print(f"mockserver verify: {message}", file=stderr)
    return EXIT_UNVERIFIED


def main(
    argv: Sequence[str] | None = None,
    *,
    environ: Mapping[str, str] | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    transport: httpx.BaseTransport | None = None,
) -> int:
    """Run `mockserver verify ARGS`; returns the exit status (0 no drift, 1 drift, 2 could not verify)."""
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    env = os.environ if environ is None else environ
    try:
        options = parse_options(list(sys.argv[2:] if argv is None else argv))
    except OptionsError as error:
        return _fail(str(error), err)
    if options.dry_run:
        print(render_plan(options), file=out)
        return 0
    key = env.get(options.key_env, "").strip()
    if not key:
        return _fail(f"no API key: set ${options.key_env} (the key is never taken from a flag)", err)
    log: ExchangeLog | None = None
    if options.record is not None:
        try:
            log = ExchangeLog(options.record, key, options.base_url)
        except OSError as error:
            return _fail(f"cannot record to {options.record}: {error.strerror}", err)
    report = _run(options, key, err, sleep, clock, transport, log)
    report.redact(key)
    try:
        if options.report_json:
            write_json(report, options.report_json)
        if options.junit_xml:
            write_junit(report, options.junit_xml)
    except OSError as error:
        print(render_table(report), file=out)
        return _fail(f"cannot write the report: {error.strerror}: {error.filename}", err)
    if report.results:  # nothing checked (an unreachable host): the one line below says it all
        print(render_table(report), file=out)
    if report.stopped is not None or report.exit_code == EXIT_UNVERIFIED:
        print(f"mockserver verify: {report.verdict_line()}", file=err)
    if log is not None and log.error is not None:
        return _fail(f"cannot write the recording: {log.error}", err)
    return report.exit_code


def _run(
    options: VerifyOptions,
    key: str,
    err: TextIO,
    sleep: Callable[[float], None],
    clock: Callable[[], float],
    transport: httpx.BaseTransport | None,
    log: ExchangeLog | None,
) -> Report:
    client = PoliteClient(
        options.base_url,
        key,
        rps=options.rps,
        max_requests=options.max_requests,
        timeout=options.timeout,
        sleep=sleep,
        clock=clock,
        transport=transport,
        on_exchange=log.seen if log else None,
        auth_scheme="Token" if options.dialect == "vidu" else "Bearer",
    )
    with client:
        verifier: Verifier | ViduVerifier
        if options.dialect == "vidu":  # Vidu's own API: its routes, auth and shapes (verify/vidu.py)
            verifier = ViduVerifier(
                options, client, progress=err, sleep=sleep, clock=clock, on_result=log.verdict if log else None
            )
        else:
            verifier = Verifier(
                options, client, progress=err, sleep=sleep, clock=clock, on_result=log.verdict if log else None
            )
        try:
            return verifier.run()
        except httpx.HTTPError as error:  # not a missing answer (those are NoAnswer): still no traceback
            report = verifier.report
            report.stopped = f"the gateway's answer could not be read ({type(error).__name__})"
            report.requests_sent = client.sent
            return report
        finally:
            if log is not None:
                log.flush()
