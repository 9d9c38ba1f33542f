"""The checks themselves: free ones first (they create nothing), then the bounded paid ones.

Each check sends its request(s) through the `PoliteClient`, compares the answer with the
chosen `Dialect`, and adds one or more `CheckResult`s to the `Report`; the created tasks
are then handed to the `Poller`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

import httpx

from mockserver.verify.client import RETRY_STATUSES, Answer, BudgetExhausted, KeyChoice, PoliteClient
from mockserver.verify.dialects import CREATE_KEYS, DIALECTS, Dialect, dialect_of_error
from mockserver.verify.options import VerifyOptions
from mockserver.verify.plan import COLLECTION, UNKNOWN_PATH, UNKNOWN_TASK
from mockserver.verify.polling import PolledTask, Poller, problems_line
from mockserver.verify.results import CheckResult, Report, Verdict
from mockserver.verify.samples import INVALID_BODIES, create_examples
from mockserver.verify.videos_plan import uses_videos_route
from mockserver.verify.videos_route import videos_create, videos_free_checks

__all__ = ["CannotVerify", "Verifier"]

_WRONG_KEY = "sk-vidu-mock-verify-not-a-real-key"
# Invalid (text-to-video without a prompt): even a gateway that ignores a missing key creates nothing.
_AUTH_PROBE: dict[str, Any] = {"model": "viduq3p-720p"}


class CannotVerify(Exception):
    """The run cannot go on (unreachable host, every request unauthorised): exit 2."""


class Verifier:
    """Runs every check of one verification against the gateway behind `client`."""

    def __init__(
        self,
        options: VerifyOptions,
        client: PoliteClient,
        *,
        progress: TextIO,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.options = options
        self.client = client
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        chosen = DIALECTS.get(options.dialect)
        self.dialect: Dialect = chosen or DIALECTS["uniall"]
        evidence = "chosen with --dialect" if chosen else "not detected yet"
        self.report = Report(options.base_url, self.dialect.name, evidence)
        self._keyed_answers = 0
        self._keyed_refused = 0

    # -- running -----------------------------------------------------------------------
    def run(self) -> Report:
        """Run the free checks, then the paid ones; the report says what happened."""
        try:
            self._free_checks()
            self._paid_checks()
        except BudgetExhausted as spent:
            self.report.fatal = f"{spent} before every check ran (raise --max-requests)"
            self.report.add(CheckResult("remaining checks", "run", str(spent), "skipped"))
        except CannotVerify as stop:
            self.report.fatal = str(stop)
        self.report.requests_sent = self.client.sent
        self.report.retries = self.client.retries
        return self.report

    def _send(self, method: str, path: str, **kwargs: Any) -> Answer:
        try:
            answer = self.client.api(method, path, **kwargs)
        except httpx.ConnectError as error:
            raise CannotVerify(f"cannot reach {self.options.base_url}: {error}") from None
        except httpx.TimeoutException:
            if self.client.sent <= 1:
                raise CannotVerify(
                    f"{self.options.base_url} did not answer within {self.options.timeout:g} s"
                ) from None
            raise
        if kwargs.get("key", KeyChoice.OWN) is KeyChoice.OWN:
            self._keyed_answers += 1
            self._keyed_refused += answer.status == 401
        return answer

    def _say(self, line: str) -> None:
        print(self.client.scrub(line), file=self.progress, flush=True)

    # -- dialect -------------------------------------------------------------------------
    def _detect(self, answer: Answer, what: str) -> None:
        """In auto mode, settle the dialect from the first answer whose shape belongs to one."""
        if self.options.dialect != "auto":
            other = dialect_of_error(answer.json) if answer.is_json else None
            hint = f"; the answers look like {other.name} (try --dialect auto)" if other else ""
            if other is not None and other is not self.dialect and hint not in self.report.dialect_evidence:
                self.report.dialect_evidence += hint
            return
        if self.report.dialect_evidence != "not detected yet":
            return
        found = dialect_of_error(answer.json) if answer.is_json else None
        if found is None:
            found = next((d for d in DIALECTS.values() if answer.is_json and d.task_error.fits(answer.json)), None)
        if found is not None:
            self.dialect = found
            self.report.dialect = found.name
            self.report.dialect_evidence = f"detected from the answer to {what}"
            self._say(f"dialect: {found.name} (from the answer to {what})")

    def _settle_dialect(self) -> None:
        if self.report.dialect_evidence == "not detected yet":
            self.report.dialect_evidence = "no answer matched a known dialect: judged as uniall"
            self.report.add(
                CheckResult(
                    "dialect (auto)",
                    " or ".join(DIALECTS),
                    "answers match neither dialect's error shapes",
                    "DRIFT",
                )
            )

    # -- free checks ----------------------------------------------------------------------
    def _free_checks(self) -> None:
        self._say(f"free checks against {self.options.base_url} ...")
        for what, key in (("no key", None), ("wrong key", _WRONG_KEY)):
            answer = self._send("POST", COLLECTION, key=key, json_body=_AUTH_PROBE)
            self._detect(answer, f"a request with {what}")
            self._expect_error(f"{what}: 401", answer, {401}, self.dialect.auth_error, "auth error")
        for bad in INVALID_BODIES:
            answer = self._send("POST", COLLECTION, json_body=bad.body, raw=bad.raw)
            self._detect(answer, f"an invalid body ({bad.rule})")
            self._check_bad_body(bad.rule, bad.code, bad.param, answer)
            if self._keyed_answers >= 3 and self._keyed_refused == self._keyed_answers:
                raise CannotVerify(
                    f"every request with the key in ${self.options.key_env} was refused as unauthorised (401)"
                )
        answer = self._send("GET", f"{COLLECTION}/{UNKNOWN_TASK}")
        self._detect(answer, "an unknown task id")
        self._settle_dialect()
        d = self.dialect
        result = self._expect_error("unknown task id", answer, {d.unknown_task_status}, d.task_error, "task error")
        code = d.error_code_of(answer.json) if answer.is_json else None
        if result.verdict == "pass":
            result.observed += f" {code}"
            if code != d.unknown_task_code:
                result.verdict = "DRIFT"
        result.expected += f" {d.unknown_task_code}"
        answer = self._send("GET", UNKNOWN_PATH)
        self._expect_error("unknown path: 404", answer, {404}, d.auth_error, "routing error")
        videos_free_checks(self)

    def _expect_error(
        self, name: str, answer: Answer, statuses: set[int], shape: Any, shape_name: str, group: str = "free"
    ) -> CheckResult:
        wanted = "/".join(str(s) for s in sorted(statuses))
        expected = f"{wanted} {self.dialect.name} {shape_name}"
        if answer.status in RETRY_STATUSES and answer.status not in statuses:
            return self.report.add(CheckResult(name, expected, f"{answer.brief()} after retries", "incomplete", group))
        if answer.status not in statuses:
            return self.report.add(CheckResult(name, expected, answer.brief(), "DRIFT", group))
        if not answer.is_json:
            return self.report.add(
                CheckResult(name, expected, answer.brief(), "DRIFT", group, ["the body is not JSON"])
            )
        problems = shape.problems(answer.json)
        if problems:
            return self.report.add(
                CheckResult(name, expected, f"{answer.status}, {problems_line(problems)}", "DRIFT", group, problems)
            )
        return self.report.add(CheckResult(name, expected, f"{answer.status} {shape_name}", "pass", group))

    def _check_bad_body(self, rule: str, code: str, param: str | None, answer: Answer) -> None:
        d = self.dialect
        name = f"bad body: {rule}"
        wanted = d.refusal(code, param)
        # Any 4xx will do where the contract gives one (gateways differ on 400/422); else that status.
        client_error = 400 <= wanted.status < 500
        status_word = "4xx" if client_error else str(wanted.status)
        if d.error_param_of is not None:
            expected = f"{status_word} {code} @{param or '-'}"
        else:
            expected = f"{status_word} {d.name} {wanted.kind}"
        if answer.status in RETRY_STATUSES and answer.status != wanted.status:
            self.report.add(CheckResult(name, expected, f"{answer.brief()} after retries", "incomplete"))
            return
        if answer.status == 401:  # the key was refused: nothing about this body was learnt
            self.report.add(CheckResult(name, expected, "401: the key was refused", "incomplete"))
            return
        if not (400 <= answer.status < 500 if client_error else answer.status == wanted.status):
            accepted = answer.status < 300
            note = ["a body the contract refuses was accepted: the gateway may have created a task"]
            self.report.add(CheckResult(name, expected, answer.brief(), "DRIFT", details=note if accepted else []))
            return
        if not answer.is_json:
            self.report.add(CheckResult(name, expected, answer.brief(), "DRIFT", details=["the body is not JSON"]))
            return
        problems = wanted.shape.problems(answer.json)
        if problems:
            self.report.add(
                CheckResult(name, expected, f"{answer.status}, {problems_line(problems)}", "DRIFT", details=problems)
            )
            return
        observed = f"{answer.status}"
        drift = []
        got_code = d.error_code_of(answer.json)
        if got_code != wanted.code:
            drift.append(f"code {got_code!r}, the contract gives {wanted.code!r}")
        if d.error_param_of is not None:
            got_param = d.error_param_of(answer.json)
            observed += f" {got_code} @{got_param or '-'}"
            if got_param != param:
                drift.append(f"param {got_param!r}, the contract gives {param!r}")
        else:
            observed += f" {wanted.kind} {got_code!r}"
        self.report.add(CheckResult(name, expected, observed, "DRIFT" if drift else "pass", details=drift))

    # -- paid checks ----------------------------------------------------------------------
    def _paid_checks(self) -> None:
        examples = create_examples(self.options.creates, offpeak=self.options.offpeak)
        if not examples:
            self.report.add(
                CheckResult("creates", "--creates N > 0", "--creates 0: nothing created", "skipped", "paid")
            )
            return
        tasks: list[PolledTask] = []
        seen_ids: dict[str, int] = {}
        for n, example in enumerate(examples, start=1):
            if uses_videos_route(n, len(examples)):
                task = videos_create(self, n, example.mode, example.body, seen_ids)
            else:
                task = self._create(n, example.mode, example.body, seen_ids)
            if task is not None:
                tasks.append(task)
        poller = Poller(
            self.dialect,
            self.options,
            self.report,
            self._send,
            self.client,
            self._say,
            sleep=self.sleep,
            clock=self.clock,
        )
        poller.poll_all(tasks)

    def _create(self, n: int, mode: str, body: dict[str, Any], seen_ids: dict[str, int]) -> PolledTask | None:
        d = self.dialect
        name = f"create #{n}: {mode} on {body['model']}"
        expected = f"200 {d.name} create, model echoed"
        self._say(f"create #{n}: {mode} on {body['model']} ...")
        answer = self._send("POST", COLLECTION, json_body=body)
        self.report.creates_sent += 1
        if answer.status != 200 or not answer.is_json:
            verdict: Verdict = "incomplete" if answer.status in RETRY_STATUSES else "DRIFT"
            self.report.add(CheckResult(name, expected, answer.brief(), verdict, "paid"))
            return None
        job = answer.json
        problems = d.create.problems(job)
        if isinstance(job, dict):
            extra, missing = sorted(set(job) - CREATE_KEYS), sorted(CREATE_KEYS - set(job))
            if extra or missing:
                problems.append(f"body: keys differ from the create answer's seven (extra {extra}, missing {missing})")
            if job.get("object") != d.create_object:
                problems.append(f"object: {job.get('object')!r}, the dialect gives {d.create_object!r}")
            if job.get("model") != body["model"]:
                problems.append(f"model: {job.get('model')!r} echoed for a request for {body['model']!r}")
            if job.get("id") != job.get("task_id"):
                problems.append("id: differs from task_id")
            if job.get("status") != "queued":  # lowercase in both dialects' create answers
                problems.append(f"status: {job.get('status')!r} on create, the contract gives 'queued'")
        task_id = job.get("task_id") if isinstance(job, dict) else None
        if isinstance(task_id, str) and task_id in seen_ids:
            problems.append(f"task_id: {task_id!r} was already returned by create #{seen_ids[task_id]}")
        if problems:
            self.report.add(CheckResult(name, expected, problems_line(problems), "DRIFT", "paid", problems))
        else:
            self.report.add(CheckResult(name, expected, f"200 {task_id}", "pass", "paid"))
        if not isinstance(task_id, str) or not task_id or task_id in seen_ids:
            return None
        seen_ids[task_id] = n
        return PolledTask(n, task_id, body["model"], self.clock())
