"""The outcome of a verification run: one `CheckResult` per check, gathered in a `Report`."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["EXIT_DRIFT", "EXIT_OK", "EXIT_UNVERIFIED", "CheckResult", "JobCaused", "Report", "Verdict"]

Verdict = Literal["DRIFT", "incomplete", "skipped", "pass"]
#: Table order: drift first, then what could not be decided, then what passed.
_RANK: dict[str, int] = {"DRIFT": 0, "incomplete": 1, "skipped": 2, "pass": 3}
EXIT_OK, EXIT_DRIFT, EXIT_UNVERIFIED = 0, 1, 2


@dataclass
class CheckResult:
    """One check: what the contract expects, what the gateway did, and the verdict."""

    check: str
    expected: str
    observed: str
    verdict: Verdict
    group: str = "free"
    details: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class JobCaused:
    """A job the run caused (or may have: a create that got no answer), and the check that caused it."""

    check: str
    task_id: str | None


@dataclass
class Report:
    """Every check of one run, with the dialect the answers were judged in."""

    base_url: str
    dialect: str
    dialect_evidence: str
    results: list[CheckResult] = field(default_factory=list)
    requests_sent: int = 0
    creates_sent: int = 0
    retries: int = 0
    #: Every job the run caused, whichever check caused it (never more than --creates).
    jobs: list[JobCaused] = field(default_factory=list)
    #: Why the run could not verify the gateway (exit 2), or None.
    fatal: str | None = None
    #: Why the run stopped before its plan was done, and how many planned checks did not run.
    stopped: str | None = None
    not_run: int = 0
    #: Told of each result as it is added (`--record` puts a drift on the exchange it came from).
    on_add: Callable[[CheckResult], None] | None = field(default=None, repr=False, compare=False)

    def add(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
        if self.on_add is not None:
            self.on_add(result)
        return result

    def ordered(self) -> list[CheckResult]:
        """The results, drift first (stable within a verdict)."""
        return sorted(self.results, key=lambda r: _RANK[r.verdict])

    def count(self, verdict: Verdict) -> int:
        return sum(1 for r in self.results if r.verdict == verdict)

    @property
    def exit_code(self) -> int:
        """0: no drift; 1: drift found; 2: could not verify (and no drift to report)."""
        if self.count("DRIFT"):
            return EXIT_DRIFT
        if self.fatal is not None or self.stopped is not None or self.count("incomplete"):
            return EXIT_UNVERIFIED
        return EXIT_OK

    def jobs_line(self) -> str:
        """`jobs caused: 1 (task_abc)`: every job the run caused, with its id where the gateway gave one."""
        ids = ", ".join(job.task_id or f"no id: {job.check}" for job in self.jobs)
        return f"jobs caused: {len(self.jobs)}" + (f" ({ids})" if ids else "")

    def verdict_line(self) -> str:
        """The verdict, and why the run stopped early (or could not verify) when it did."""
        head = {EXIT_OK: "no drift", EXIT_DRIFT: "DRIFT FOUND", EXIT_UNVERIFIED: "could not verify"}[self.exit_code]
        if self.stopped is not None:  # said whatever the verdict: a stopped run checked less than planned
            tail = f"; stopped early: {self.stopped}; {self.not_run} planned checks did not run"
        elif self.exit_code == EXIT_UNVERIFIED:
            incomplete = self.count("incomplete")
            tail = f": {self.fatal or f'{incomplete} checks incomplete'}"
        else:
            tail = ""
        return head + tail

    def summary(self) -> str:
        """The closing line: the verdict of the whole run, its counts, and every job it caused."""
        counts = ", ".join(f"{self.count(v)} {v.lower()}" for v in ("DRIFT", "incomplete", "skipped", "pass"))
        return f"{self.verdict_line()} ({counts}; dialect {self.dialect}; {self.requests_sent} requests; {self.jobs_line()})"

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON data, drift first."""
        return {
            "base_url": self.base_url,
            "dialect": self.dialect,
            "dialect_evidence": self.dialect_evidence,
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "fatal": self.fatal,
            "stopped": self.stopped,
            "not_run": self.not_run,
            "requests_sent": self.requests_sent,
            "creates_sent": self.creates_sent,
            "jobs_caused": len(self.jobs),
            "jobs": [asdict(job) for job in self.jobs],
            "retries": self.retries,
            "checks": [asdict(r) for r in self.ordered()],
        }

    def redact(self, secret: str) -> None:
        """Replace `secret` wherever a gateway echoed it (some echo the key they refused)."""
        if not secret:
            return

        def clean(text: str) -> str:
            return text.replace(secret, "[redacted]")

        for r in self.results:
            r.expected, r.observed = clean(r.expected), clean(r.observed)
            r.details = [clean(d) for d in r.details]
        self.jobs = [JobCaused(clean(j.check), clean(j.task_id) if j.task_id else None) for j in self.jobs]
        self.dialect_evidence = clean(self.dialect_evidence)
        if self.fatal:
            self.fatal = clean(self.fatal)
        if self.stopped:
            self.stopped = clean(self.stopped)
