"""The run: the free-tier probes first, then the bounded paid creates, each within the job budget.

Each probe sends its request through the `PoliteClient` (if the `JobBudget` lets it), and
its judge compares the answer with the chosen `DialectExpectations` and adds a `CheckResult` to the
`Report`. A request with no answer makes its check incomplete and the run goes on; a run
that stops early (requests unanswered, the request cap, the key refused) says why and how
many planned checks did not run. The created tasks are handed to the `Poller`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from mockserver.contract.routes.paths import endpoint_of
from mockserver.verify.budget import JobBudget, task_id_of
from mockserver.verify.client import RETRY_STATUSES, Answer, BudgetExhausted, KeyChoice, NoAnswer, PoliteClient, StopRun
from mockserver.verify.create_answer import create_answer_problems
from mockserver.verify.expectations import DIALECTS, DialectExpectations, Shape, dialect_of_error
from mockserver.verify.options import VerifyOptions
from mockserver.verify.plan import COLLECTION, VIDEOS
from mockserver.verify.polling import PolledTask, Poller, problems_line
from mockserver.verify.probes import Probe, bad_body_expected, error_expected, free_probes
from mockserver.verify.results import CheckResult, Report, Verdict
from mockserver.verify.samples import BadBody, PageExample, create_examples
from mockserver.verify.videos_plan import uses_videos_route, videos_form

__all__ = ["CannotVerify", "Verifier"]

#: The planned checks of one create: the create, its polls to a final state, the other route, the video.
CHECKS_PER_CREATE = 4
_DISTINCT_IDS = "creates: a new task id each"


def _create_name(n: int, example: PageExample) -> str:
    return f"create #{n}: {example.mode} on {example.body['model']}"


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
        on_result: Callable[[CheckResult], None] | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        chosen = DIALECTS.get(options.dialect)
        self.dialect: DialectExpectations = chosen or DIALECTS["uniall"]
        evidence = "chosen with --dialect" if chosen else "not detected yet"
        self.report = Report(options.base_url, self.dialect.name, evidence, on_add=on_result)
        self.budget = JobBudget(options.creates)
        self.report.jobs = self.budget.jobs  # one list: the report shows every job the budget counted
        self.probes: list[Probe] = free_probes()
        self._planned: list[PageExample] = create_examples(options.creates, offpeak=options.offpeak)
        self._tasks: list[PolledTask] = []
        self._keyed_answers = 0
        self._keyed_refused = 0

    # -- running -----------------------------------------------------------------------
    def run(self) -> Report:
        """Run the probes, then the creates; the report says what happened, and why a run stopped early."""
        try:
            self._free_checks()
            self._paid_checks()
        except BudgetExhausted as spent:
            self._stop(f"{spent} (raise --max-requests)")
        except (StopRun, CannotVerify) as stop:
            self._stop(str(stop))
        self.report.requests_sent = self.client.sent
        self.report.retries = self.client.retries
        return self.report

    def _stop(self, why: str) -> None:
        self.report.stopped = why
        done = {r.check for r in self.report.results}
        free = sum(1 for probe in self.probes if probe.name not in done)
        creates = sum(1 for n, example in enumerate(self._planned, start=1) if _create_name(n, example) not in done)
        pending = sum(CHECKS_PER_CREATE - 1 for t in self._tasks if not t.done)
        self.report.not_run = free + CHECKS_PER_CREATE * creates + pending

    def _send(self, method: str, path: str, **kwargs: Any) -> Answer:
        try:
            answer = self.client.api(method, path, **kwargs)
        except NoAnswer as silent:
            if silent.unreachable and not self.client.answered:
                raise CannotVerify(f"cannot reach {self.options.base_url}: {silent}") from None
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

    def settle_dialect(self) -> None:
        """No answer so far matched a dialect: say so (a drift), and judge the rest as uniall."""
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
        for probe in self.probes:
            self._run_probe(probe)
            if self._keyed_answers >= 3 and self._keyed_refused == self._keyed_answers:
                raise CannotVerify(
                    f"every request with the key in ${self.options.key_env} was refused as unauthorised (401)"
                )
        self.settle_dialect()

    def _run_probe(self, probe: Probe) -> None:
        why = self.budget.why_not(probe.cost, invalid_body=probe.invalid_body)
        if why is not None:
            self.report.add(CheckResult(probe.name, probe.expected(self.dialect), why, "skipped"))
            return
        try:
            answer = self._send(
                probe.method,
                probe.path,
                key=probe.key,
                json_body=probe.json_body,
                raw=probe.raw,
                content_type=probe.content_type,
            )
        except NoAnswer as silent:
            observed = str(silent)
            if probe.cost != "free":  # the body may have reached an upstream that charges for it
                self.budget.spend(probe.name, None)
                observed += ": it may have started a job"
            self.report.add(CheckResult(probe.name, probe.expected(self.dialect), observed, "incomplete"))
            self.client.check_silence()
            return
        if probe.seen_as is not None:
            self._detect(answer, probe.seen_as)
        if endpoint_of(probe.method, probe.path)[0] == "create" and 200 <= answer.status < 300:
            # A probe the gateway should have refused was accepted: it may have started a job.
            self.budget.spend(probe.name, task_id_of(answer.json) if answer.is_json else None)
            self.budget.lenient_on = self.budget.lenient_on or probe.name
        probe.judge(self, answer)

    def expect_error(
        self,
        name: str,
        answer: Answer,
        statuses: set[int],
        shape: Shape,
        shape_name: str,
        code: str | None = None,
        group: str = "free",
    ) -> CheckResult:
        """An error answer: one of `statuses`, in `shape` (and with error `code` when given)."""
        expected = error_expected(self.dialect, statuses, shape_name) + (f" {code}" if code else "")
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
        observed = f"{answer.status} {shape_name}"
        got = self.dialect.error_code_of(answer.json) if code else None
        if code:
            observed += f" {got}"
        verdict: Verdict = "DRIFT" if code and got != code else "pass"
        return self.report.add(CheckResult(name, expected, observed, verdict, group))

    def check_bad_body(self, name: str, bad: BadBody, answer: Answer) -> CheckResult:
        """A refused body: a 4xx (or the contract's status) in the dialect's shape, with its code and param."""
        d = self.dialect
        wanted = d.refusal(bad.code, bad.param)
        client_error = 400 <= wanted.status < 500
        expected = bad_body_expected(d, bad)
        if answer.status in RETRY_STATUSES and answer.status != wanted.status:
            return self.report.add(CheckResult(name, expected, f"{answer.brief()} after retries", "incomplete"))
        if answer.status == 401:  # the key was refused: nothing about this body was learnt
            return self.report.add(CheckResult(name, expected, "401: the key was refused", "incomplete"))
        if not (400 <= answer.status < 500 if client_error else answer.status == wanted.status):
            accepted = answer.status < 300
            note = ["a body the contract refuses was accepted: the gateway may have created a task"]
            return self.report.add(
                CheckResult(name, expected, answer.brief(), "DRIFT", details=note if accepted else [])
            )
        if not answer.is_json:
            return self.report.add(
                CheckResult(name, expected, answer.brief(), "DRIFT", details=["the body is not JSON"])
            )
        problems = wanted.shape.problems(answer.json)
        if problems:
            observed = f"{answer.status}, {problems_line(problems)}"
            return self.report.add(CheckResult(name, expected, observed, "DRIFT", details=problems))
        observed = f"{answer.status}"
        drift = []
        got_code = d.error_code_of(answer.json)
        if got_code != wanted.code:
            drift.append(f"code {got_code!r}, the contract gives {wanted.code!r}")
        if d.error_param_of is not None:
            got_param = d.error_param_of(answer.json)
            observed += f" {got_code} @{got_param or '-'}"
            if got_param != bad.param:
                drift.append(f"param {got_param!r}, the contract gives {bad.param!r}")
        else:
            observed += f" {wanted.kind} {got_code!r}"
        return self.report.add(CheckResult(name, expected, observed, "DRIFT" if drift else "pass", details=drift))

    # -- paid checks ----------------------------------------------------------------------
    def _paid_checks(self) -> None:
        if not self._planned:
            self.report.add(
                CheckResult("creates", "--creates N > 0", "--creates 0: nothing created", "skipped", "paid")
            )
            return
        seen_ids: dict[str, int] = {}
        for n, example in enumerate(self._planned, start=1):
            name = _create_name(n, example)
            why = self.budget.why_not("create")
            if why is not None:
                self.report.add(CheckResult(name, f"200 {self.dialect.name} create", why, "skipped", "paid"))
                continue
            videos = uses_videos_route(n, len(self._planned))  # the last of two or more: the OpenAI SDK's form
            task = self._create(n, name, example.body, seen_ids, videos=videos)
            if task is not None:
                self._tasks.append(task)
        if len(seen_ids) > 1 and not any(r.check == _DISTINCT_IDS for r in self.report.results):
            self.report.add(
                CheckResult(_DISTINCT_IDS, "a task_id per create", f"{len(seen_ids)} different ids", "pass", "paid")
            )
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
        poller.poll_all(self._tasks)

    def _create(
        self, n: int, name: str, body: dict[str, Any], seen_ids: dict[str, int], *, videos: bool = False
    ) -> PolledTask | None:
        d = self.dialect
        expected = f"200 {d.name} create" + (f" ({VIDEOS}, a form)" if videos else "")
        self._say(f"{name} ...")
        self.report.creates_sent += 1
        try:
            if videos:
                form, form_type = videos_form(body)
                answer = self._send("POST", VIDEOS, raw=form, content_type=form_type)
            else:
                answer = self._send("POST", COLLECTION, json_body=body)
        except NoAnswer as silent:
            self.budget.spend(name, None)  # sent, unanswered: it may have started a job
            self.report.add(CheckResult(name, expected, f"{silent}: it may have started a job", "incomplete", "paid"))
            self.client.check_silence()
            return None
        if 200 <= answer.status < 300:
            self.budget.spend(name, task_id_of(answer.json) if answer.is_json else None)
        if answer.status != 200 or not answer.is_json:
            verdict: Verdict = "incomplete" if answer.status in RETRY_STATUSES else "DRIFT"
            self.report.add(CheckResult(name, expected, answer.brief(), verdict, "paid"))
            return None
        job = answer.json
        problems = create_answer_problems(d, job, "videos" if videos else "generations")
        task_id = job.get("task_id", job.get("id") if videos else None) if isinstance(job, dict) else None
        if problems:
            self.report.add(CheckResult(name, expected, problems_line(problems), "DRIFT", "paid", problems))
        else:
            self.report.add(CheckResult(name, expected, f"200 {task_id}", "pass", "paid"))
        self._check_model_echoed(n, body["model"], job)
        if not isinstance(task_id, str) or not task_id:
            return None
        if task_id in seen_ids:  # a static mock's fixed example: named, and not polled twice
            first = seen_ids[task_id]
            self.report.add(
                CheckResult(
                    _DISTINCT_IDS,
                    "a task_id per create",
                    f"create #{n} returned {task_id!r}, as create #{first} did",
                    "DRIFT",
                    "paid",
                    [f"task_id: {task_id!r} was already returned by create #{first}"],
                )
            )
            return None
        seen_ids[task_id] = n
        return PolledTask(n, task_id, body["model"], self.clock())

    def _check_model_echoed(self, n: int, sent: str, job: Any) -> None:
        echoed = job.get("model") if isinstance(job, dict) else None
        name = f"create #{n}: model echoed"
        if echoed == sent:
            self.report.add(CheckResult(name, sent, f"{echoed}", "pass", "paid"))
            return
        details = [f"model: {echoed!r} echoed for a request for {sent!r}"]
        self.report.add(CheckResult(name, sent, f"{echoed!r}", "DRIFT", "paid", details))
