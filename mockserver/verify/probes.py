"""The free-tier checks, in the order they run: each a `Probe`, one request and how its answer is judged.

This list is the one place a check of that kind is added: the run sends each probe (when the
job budget lets it: see `mockserver.verify.budget`), and `--dry-run` prints the same list.
A probe's `cost` says whether it can start a job: the auth probes carry a model no gateway
offers, so even a gateway that accepts any key starts nothing; an invalid body naming a
known model is `risky`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from mockserver.contract.data.catalogue import COLLECTION, TASK_ID_PREFIX, VIDEOS
from mockserver.verify.budget import Cost
from mockserver.verify.client import Answer, KeyChoice
from mockserver.verify.expectations import DialectExpectations, Shape
from mockserver.verify.results import CheckResult
from mockserver.verify.samples import INVALID_BODIES, UNKNOWN_MODEL, BadBody
from mockserver.verify.videos_plan import VIDEOS_BAD_BODIES, VideosBadBody

__all__ = [
    "AUTH_PROBE",
    "UNKNOWN_PATH",
    "UNKNOWN_TASK",
    "WRONG_KEY",
    "Judge",
    "Probe",
    "bad_body_expected",
    "error_expected",
    "free_probes",
]

UNKNOWN_TASK = f"{TASK_ID_PREFIX}vidumockverifyunknown0000"
UNKNOWN_PATH = "/v1/vidu-mock-verify/no-such-endpoint"
WRONG_KEY = "sk-vidu-mock-verify-not-a-real-key"
#: The auth probes' body: a model no gateway offers, so a gateway that ignores the key starts nothing.
AUTH_PROBE: dict[str, Any] = {"model": UNKNOWN_MODEL, "prompt": "a red fox running through fresh snow"}


class Judge(Protocol):
    """What a probe's judge reads and calls on the running verifier."""

    @property
    def dialect(self) -> DialectExpectations: ...

    def expect_error(
        self, name: str, answer: Answer, statuses: set[int], shape: Shape, shape_name: str, code: str | None = None
    ) -> CheckResult: ...

    def check_bad_body(self, name: str, bad: BadBody, answer: Answer) -> CheckResult: ...

    def settle_dialect(self) -> None: ...


@dataclass(frozen=True)
class Probe:
    """One check of one request: what is sent, what it may cost, and how its answer is judged."""

    name: str
    method: str
    path: str
    #: The expected column, before any answer (for a row that is skipped or gets no answer).
    expected: Callable[[DialectExpectations], str]
    judge: Callable[[Judge, Answer], CheckResult]
    cost: Cost = "free"
    key: str | KeyChoice | None = KeyChoice.OWN
    json_body: Any = None
    raw: bytes | None = None
    #: How the dialect detection names this answer ("a request with no key"); None: not used to detect.
    seen_as: str | None = None
    #: An invalid body: skipped once the gateway has accepted one (it may charge for any of them).
    invalid_body: bool = False
    content_type: str = "application/json"

    @property
    def request(self) -> str:
        """The request as the plan prints it."""
        key = " (no Authorization)" if self.key is None else " (a made-up key)" if self.key == WRONG_KEY else ""
        return f"{self.method} {self.path}{key}"


def error_expected(dialect: DialectExpectations, statuses: set[int], shape_name: str) -> str:
    return f"{'/'.join(str(s) for s in sorted(statuses))} {dialect.name} {shape_name}"


def bad_body_expected(dialect: DialectExpectations, bad: BadBody) -> str:
    """Any 4xx where the contract gives one (gateways differ on 400/422), with code and param where compared."""
    wanted = dialect.refusal(bad.code, bad.param)
    status_word = "4xx" if 400 <= wanted.status < 500 else str(wanted.status)
    if dialect.error_param_of is not None:
        return f"{status_word} {bad.code} @{bad.param or '-'}"
    return f"{status_word} {dialect.name} {wanted.kind}"


def _auth_probe(what: str, key: str | None) -> Probe:
    name = f"{what}: 401"
    return Probe(
        name,
        "POST",
        COLLECTION,
        lambda d: error_expected(d, {401}, "auth error"),
        lambda j, answer: j.expect_error(name, answer, {401}, j.dialect.auth_error, "auth error"),
        key=key,
        json_body=AUTH_PROBE,
        seen_as=f"a request with {what}",
    )


def _bad_body_probe(bad: BadBody) -> Probe:
    name = f"bad body: {bad.rule}"
    return Probe(
        name,
        "POST",
        COLLECTION,
        lambda d: bad_body_expected(d, bad),
        lambda j, answer: j.check_bad_body(name, bad, answer),
        cost="free" if bad.free else "risky",
        json_body=bad.body,
        raw=bad.raw,
        seen_as=f"an invalid body ({bad.rule})",
        invalid_body=True,
    )


def _judge_unknown_task(j: Judge, answer: Answer) -> CheckResult:
    j.settle_dialect()  # the last probe that can tell: the dialect is known (or judged uniall) from here on
    d = j.dialect
    return j.expect_error(
        "unknown task id", answer, {d.unknown_task_status}, d.task_error, "task error", code=d.unknown_task_code
    )


def _judge_unknown_origin(j: Judge, answer: Answer) -> CheckResult:
    # new-api's ResolveOriginTask refuses before anything is submitted (relay/relay_task.go): free.
    d = j.dialect
    return j.expect_error(
        "remix of an unknown task",
        answer,
        {d.unknown_task_status},
        d.task_error,
        "task error",
        code=d.unknown_task_code,
    )


def _judge_unknown_path(j: Judge, answer: Answer) -> CheckResult:
    return j.expect_error("unknown path: 404", answer, {404}, j.dialect.auth_error, "routing error")


def _videos_probe(bad: VideosBadBody) -> Probe:
    """`POST /v1/videos` with a body every gateway refuses (issue 26; `videos_plan` holds the bodies)."""
    name = f"bad body: {VIDEOS}: {bad.rule}"
    sample = BadBody(bad.rule, None, bad.code, bad.param, raw=bad.content)
    return Probe(
        name,
        "POST",
        VIDEOS,
        lambda d: bad_body_expected(d, sample),
        lambda j, answer: j.check_bad_body(name, sample, answer),
        cost=bad.cost,
        raw=bad.content,
        invalid_body=True,
        content_type=bad.content_type,
    )


def free_probes() -> list[Probe]:
    """Every probe, in the order they run: auth, the invalid bodies, an unknown task, the remix of one, an unknown
    path, /v1/videos."""
    probes = [_auth_probe("no key", None), _auth_probe("wrong key", WRONG_KEY)]
    probes += [_bad_body_probe(bad) for bad in INVALID_BODIES]
    probes.append(
        Probe(
            "unknown task id",
            "GET",
            f"{COLLECTION}/{UNKNOWN_TASK}",
            lambda d: f"{error_expected(d, {d.unknown_task_status}, 'task error')} {d.unknown_task_code}",
            _judge_unknown_task,
            seen_as="an unknown task id",
        )
    )
    probes.append(
        Probe(
            "remix of an unknown task",
            "POST",
            f"{VIDEOS}/{UNKNOWN_TASK}/remix",
            lambda d: f"{error_expected(d, {d.unknown_task_status}, 'task error')} {d.unknown_task_code}",
            _judge_unknown_origin,
            json_body={"prompt": "the same scene at night"},
        )
    )
    probes.append(
        Probe(
            "unknown path: 404",
            "GET",
            UNKNOWN_PATH,
            lambda d: error_expected(d, {404}, "routing error"),
            _judge_unknown_path,
        )
    )
    probes += [_videos_probe(bad) for bad in VIDEOS_BAD_BODIES]
    return probes
