"""`AdminClient`: the `video_server` fixture's control surface over a running mock's admin API.

For a mock in another process, container or host (`mockserver`, the image, the GitHub
Action): the journal, queued failures, job plans, task states, the clock and the per-token
concurrency cap, each a call to `/__mock/…`. The rules stay on the server; `assert_requested` and the other helpers
come from `ControlSurface`, shared with the in-process `MockControl`.
"""

from __future__ import annotations

from types import TracebackType
from typing import Any

import httpx

from mockserver.contract.admin.control import ControlSurface
from mockserver.contract.admin.routes import ADMIN_TOKEN_HEADER
from mockserver.contract.data.catalogue import ADMIN_PREFIX, Status
from mockserver.contract.injection.failures import Endpoint, FailureRule
from mockserver.contract.injection.prefer import Fault
from mockserver.contract.jobs.lifecycle import DEFAULT_STEPS, JobView, Outcome, TransitionError
from mockserver.contract.jobs.plans import JobPlan
from mockserver.contract.state.journal import JournalEntry

__all__ = ["AdminClient", "AdminError"]


class AdminError(RuntimeError):
    """The admin API refused a call for a reason other than a bad value (403, 409, 5xx)."""


class AdminClient(ControlSurface):
    """Steer the mock at `url` (e.g. `http://127.0.0.1:8000`) through its admin API.

    Give `admin_token` when the mock has one (`VIDU_MOCK_ADMIN_TOKEN`); without one the
    mock answers loopback callers only. A refused value raises `ValueError` (as
    `MockControl` does), an unknown task `KeyError`, anything else `AdminError`.
    """

    def __init__(self, url: str, *, admin_token: str | None = None, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        headers = {ADMIN_TOKEN_HEADER: admin_token} if admin_token else {}
        self._http = httpx.Client(base_url=self.url + ADMIN_PREFIX, headers=headers, timeout=timeout)

    def close(self) -> None:
        """Close the client's connections."""
        self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        # The admin API takes a JSON body on every write (an empty object when it has no fields).
        reply = self._http.request(method, path, json=body)
        if reply.is_success:
            return reply.json()
        try:
            error = reply.json()["error"]
            message, code = str(error["message"]), str(error["code"])
        except (ValueError, KeyError, TypeError):
            message, code = reply.text[:200], "unknown"
        line = f"{method} {ADMIN_PREFIX}{path} -> {reply.status_code} {code}: {message}"
        if code in ("task_not_found", "not_found"):
            raise KeyError(line)
        if code == "invalid_state_transition":
            raise TransitionError(line)
        if reply.status_code == 400:
            raise ValueError(line)
        raise AdminError(line)

    def healthy(self) -> bool:
        """Whether the mock answers its health route (`/__mock/health`) with 200."""
        try:
            return self._http.get("health").status_code == 200
        except httpx.TransportError:
            return False

    # -- the journal ---------------------------------------------------------------------
    @property
    def journal(self) -> list[JournalEntry]:
        """Every journaled request, oldest first (bearer tokens redacted)."""
        return [JournalEntry(**entry) for entry in self._call("GET", "journal")["entries"]]

    def clear_journal(self) -> None:
        """Forget the journal only."""
        self._call("DELETE", "journal", {})

    # -- failures and job plans ----------------------------------------------------------
    def queue_failure(
        self,
        error: str | int | None = None,
        *,
        times: int = 1,
        model: str | None = None,
        mode: str | None = None,
        endpoint: Endpoint | None = None,
        fault: Fault | None = None,
        delay_ms: int = 0,
        after: int = 0,
        retry_after_ms: int | None = None,
        required: bool = True,
        path: str | None = None,
    ) -> FailureRule:
        """Answer the next `times` matching requests with catalogue `error` (status or code), a fault or a delay.

        `after=n` lets the first n matching requests through normally first (rules queued later wait behind it).
        A filter that can never match is refused by the server (a 400 naming the closest valid value);
        `path` (a route of the server's dialect, `/v1/videos/{task_id}`) matches requests on that route only.
        """
        given: dict[str, Any] = {"error": None if error is None else str(error), "model": model, "mode": mode}
        given |= {"fault": fault, "retry_after_ms": retry_after_ms, "endpoint": endpoint, "path": path}
        body = {k: v for k, v in given.items() if v is not None}
        body |= {"times": times, "delay_ms": delay_ms, "after": after, "required": required}
        return FailureRule(**self._call("POST", "failures", body))

    @property
    def pending_failures(self) -> list[FailureRule]:
        """Queued failure rules not yet used up."""
        return [FailureRule(**rule) for rule in self._call("GET", "failures")["rules"]]

    def plan_job(self, outcome: Outcome = "succeed", *, polls: int = DEFAULT_STEPS) -> JobPlan:
        """The next created job (after those already planned) ends with `outcome` (`succeed`, `fail`, `stall`)."""
        return JobPlan(**self._call("POST", "jobs", {"outcome": outcome, "polls": polls}))

    @property
    def pending_jobs(self) -> list[JobPlan]:
        """Job plans not yet used by a created job, next first."""
        return [JobPlan(**plan) for plan in self._call("GET", "jobs")["plans"]]

    # -- tasks and time ------------------------------------------------------------------
    def state(self, task_id: str) -> JobView:
        """A task's current state, without counting a poll."""
        return JobView(**self._call("GET", f"tasks/{task_id}"))

    def force(self, task_id: str, status: Status) -> JobView:
        """Pin a task to `status` (forward only; `TransitionError` otherwise)."""
        return JobView(**self._call("POST", f"tasks/{task_id}", {"status": status}))

    def advance(self, task_id: str) -> JobView:
        """Move a task exactly one state forward."""
        return JobView(**self._call("POST", f"tasks/{task_id}", {"action": "advance"}))

    def advance_clock(self, seconds: float) -> float:
        """Move the fake's clock forward; returns the new time. Jobs advance with it."""
        return float(self._call("POST", "clock", {"advance": seconds})["now"])

    def now(self) -> float:
        """The fake's current time (Unix seconds)."""
        return float(self._call("GET", "clock")["now"])

    # -- the per-token concurrency cap ------------------------------------------------
    @property
    def token_concurrency(self) -> int:
        """How many tasks one bearer token may have in flight before a create gets new-api's 429 (0: no cap)."""
        return int(self._call("GET", "concurrency")["per_token"])

    def set_token_concurrency(self, per_token: int) -> int:
        """Cap the tasks each token may have in flight (0: no cap); returns the cap (refused on shared state)."""
        return int(self._call("PUT", "concurrency", {"per_token": per_token})["per_token"])

    def reset(self) -> None:
        """Forget tasks, journal, queued failures and job plans; rewind the clock offset."""
        self._call("POST", "reset", {})

    def __enter__(self) -> AdminClient:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()
