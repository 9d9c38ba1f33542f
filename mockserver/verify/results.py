"""The outcome of a verification run: one `CheckResult` per check, gathered in a `Report`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

__all__ = ["EXIT_DRIFT", "EXIT_OK", "EXIT_UNVERIFIED", "CheckResult", "Report", "Verdict"]

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
    #: Why the run could not verify the gateway (exit 2), or None.
    fatal: str | None = None

    def add(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
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
        if self.fatal is not None or self.count("incomplete"):
            return EXIT_UNVERIFIED
        return EXIT_OK

    def summary(self) -> str:
        """The closing line: the verdict of the whole run."""
        counts = ", ".join(f"{self.count(v)} {v.lower()}" for v in ("DRIFT", "incomplete", "skipped", "pass"))
        head = {EXIT_OK: "no drift", EXIT_DRIFT: "DRIFT FOUND", EXIT_UNVERIFIED: "could not verify"}[self.exit_code]
        tail = f": {self.fatal}" if self.fatal and self.exit_code == EXIT_UNVERIFIED else ""
        return (
            f"{head}{tail} ({counts}; dialect {self.dialect}; {self.requests_sent} requests, "
            f"{self.creates_sent} creates)"
        )

    def as_dict(self) -> dict[str, Any]:
        """The report as plain JSON data, drift first."""
        return {
            "base_url": self.base_url,
            "dialect": self.dialect,
            "dialect_evidence": self.dialect_evidence,
            "exit_code": self.exit_code,
            "summary": self.summary(),
            "fatal": self.fatal,
            "requests_sent": self.requests_sent,
            "creates_sent": self.creates_sent,
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
        self.dialect_evidence = clean(self.dialect_evidence)
        if self.fatal:
            self.fatal = clean(self.fatal)
