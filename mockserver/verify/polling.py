"""Polling created tasks: each answer judged as it comes, a drift reported at once, then the video.

Tasks are polled in turn with backoff (`--poll-interval`, x1.5, up to
`--max-poll-interval`) until each reaches a final state or drifts, or the deadline passes.
A poll with no answer is tried again at the next turn. A job whose state and progress never
changed through the whole deadline is named (a static mock answers the same example).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from mockserver.verify.client import RETRY_STATUSES, Answer, NoAnswer, PoliteClient
from mockserver.verify.expectations import FINAL_STATES, DialectExpectations, legal_move
from mockserver.verify.options import VerifyOptions
from mockserver.verify.plan import COLLECTION, VIDEOS
from mockserver.verify.results import CheckResult, Report, Verdict

__all__ = ["PolledTask", "Poller", "problems_line"]

_MP4_BRAND = b"ftyp"
_QUIET_SECONDS = 60.0


def problems_line(problems: list[str]) -> str:
    """The first problem, and how many more there are."""
    return problems[0] if len(problems) == 1 else f"{problems[0]} (+{len(problems) - 1} more)"


@dataclass
class PolledTask:
    """One created task while it is polled: its last state and progress, and how it got there."""

    number: int
    task_id: str
    model: str
    created: float
    state: str = "queued"
    progress: int = 0
    polls: int = 0
    states_seen: list[str] = field(default_factory=list)
    done: bool = False
    said_at: float = 0.0  # seconds after creation of the last progress line
    first_progress: int = 0
    moved: bool = False  # whether state or progress ever differed from the first poll's

    @property
    def judged(self) -> int:
        """How many polls got an answer that was judged (a 503 or no answer is not)."""
        return len(self.states_seen)


class Poller:
    """Polls created tasks through `send` and adds what it finds to `report`."""

    def __init__(
        self,
        dialect: DialectExpectations,
        options: VerifyOptions,
        report: Report,
        send: Callable[..., Answer],
        client: PoliteClient,
        say: Callable[[str], None],
        *,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.dialect = dialect
        self.options = options
        self.report = report
        self._send = send
        self.client = client
        self._say = say
        self.sleep = sleep
        self.clock = clock

    def poll_all(self, tasks: list[PolledTask]) -> None:
        """Poll every task with backoff until each is final, drifted, or the deadline passes."""
        interval = self.options.poll_interval
        started = self.clock()
        while True:
            pending = [t for t in tasks if not t.done]
            if not pending:
                return
            if self.clock() - started >= self.options.deadline:
                break
            for task in pending:
                self._poll_once(task)
            if any(not t.done for t in tasks):
                self.sleep(interval)
                interval = min(interval * 1.5, self.options.max_poll_interval)
        for task in tasks:
            if not task.done:
                self.report.fatal = self.report.fatal or (
                    f"task #{task.number} was not final after --deadline {self.options.deadline:g} s"
                )
                if task.judged >= 2 and not task.moved:
                    self.report.add(
                        CheckResult(
                            f"poll #{task.number}: progress moves",
                            "state or progress changes while the job runs",
                            f"{task.state} {task.progress}% on all {task.judged} polls",
                            "DRIFT",
                            "paid",
                            [
                                f"the job stood still for --deadline {self.options.deadline:g} s: every poll answered "
                                f"{task.state} at {task.progress}% (a mock answering a fixed example?)"
                            ],
                        )
                    )
                self.report.add(
                    CheckResult(
                        f"poll #{task.number}: reaches a final state",
                        f"completed or failed within {self.options.deadline:g} s",
                        f"still {task.state} at {task.progress}% after {task.polls} polls",
                        "incomplete",
                        "paid",
                    )
                )

    def _poll_drift(self, task: PolledTask, check: str, expected: str, observed: str, details: list[str]) -> None:
        task.done = True
        self.report.add(CheckResult(f"poll #{task.number}: {check}", expected, observed, "DRIFT", "paid", details))
        self._say(f"poll #{task.number}: DRIFT {check}: {observed}")

    def _poll_once(self, task: PolledTask) -> None:
        d = self.dialect
        task.polls += 1
        try:
            answer = self._send("GET", f"{COLLECTION}/{task.task_id}")
        except NoAnswer as silent:
            self._say(f"poll #{task.number}: {silent}, polling on")
            self.client.check_silence()
            return
        if answer.status in RETRY_STATUSES:
            self._say(f"poll #{task.number}: {answer.status}, polling on")
            return
        if answer.status != 200 or not answer.is_json:
            self._poll_drift(task, "answers 200 with JSON", "200, JSON", answer.brief(), [])
            return
        problems = d.poll.problems(answer.json)
        job = d.job_of(answer.json)
        if not isinstance(job, dict):
            self._poll_drift(task, f"{d.name} job shape", f"{d.name} job schema", problems_line(problems), problems)
            return
        word = job.get("status")
        state = d.status_words.get(word) if isinstance(word, str) else None
        if state is None:
            words = ", ".join(d.status_words)
            self._poll_drift(task, "status word", f"one of {words}", f"status {word!r}", problems)
            return
        url = d.video_url_of(job)
        if state == "completed" and (not isinstance(url, str) or not url):
            # Named on its own: the schema's wording of a missing URL varies with the job's other keys.
            observed = f"{d.video_url_field} {url!r}"
            self._poll_drift(task, "video URL on a completed job", "an http(s) URL", observed, problems)
            return
        if problems:
            self._poll_drift(task, f"{d.name} job shape", f"{d.name} job schema", problems_line(problems), problems)
            return
        progress = d.progress_of(job)
        if progress is None:
            raw = job.get("progress")
            self._poll_drift(task, "progress", "progress as the dialect writes it", f"progress {raw!r}", [])
            return
        model = job.get("model")
        if model is not None and model != task.model:
            self._poll_drift(task, "model echoed", task.model, f"model {model!r}", [])
            return
        if progress < task.progress:
            self._poll_drift(task, "progress never decreases", f">= {task.progress}", f"{progress}", [])
            return
        if not legal_move(task.state, state):
            self._poll_drift(
                task, "legal transition", f"no move back from {task.state}", f"{task.state} -> {state}", []
            )
            return
        elapsed = self.clock() - task.created
        changed = not task.states_seen or task.states_seen[-1] != state or progress != task.progress
        if changed or elapsed - task.said_at >= _QUIET_SECONDS:  # a line per change, and one a minute anyway
            task.said_at = elapsed
            self._say(f"poll #{task.number}: {task.task_id} {word} {progress}% ({elapsed:.0f} s)")
        if task.states_seen and (state, progress) != (task.states_seen[0], task.first_progress):
            task.moved = True
        if not task.states_seen:
            task.first_progress = progress
        task.state, task.progress = state, progress
        task.states_seen.append(state)
        if state in FINAL_STATES:
            task.done = True
            moves = " -> ".join(dict.fromkeys(task.states_seen))
            self.report.add(
                CheckResult(
                    f"poll #{task.number}: shape, progress, transitions",
                    f"{d.name} job, forward only",
                    f"{moves} in {task.polls} polls",
                    "pass",
                    "paid",
                )
            )
            self._check_videos_route(task, state)
            if state == "completed":
                self._check_video(task, url)

    def _check_videos_route(self, task: PolledTask, state: str) -> None:
        """The compatibility route `/v1/videos/{id}` shows the final job too, in the dialect's shape."""
        d = self.dialect
        name = f"poll #{task.number}: {VIDEOS}/{{id}} agrees"
        expected = f"200 {d.name} job, {state}"
        try:
            answer = self._send("GET", f"{VIDEOS}/{task.task_id}")
        except NoAnswer as silent:
            self.report.add(CheckResult(name, expected, str(silent), "incomplete", "paid"))
            self.client.check_silence()
            return
        if answer.status in RETRY_STATUSES:
            self.report.add(CheckResult(name, expected, f"{answer.brief()} after retries", "incomplete", "paid"))
            return
        if answer.status != 200 or not answer.is_json:
            self.report.add(CheckResult(name, expected, answer.brief(), "DRIFT", "paid"))
            return
        problems = d.videos.problems(answer.json)
        word = answer.json.get("status") if isinstance(answer.json, dict) else None
        seen = d.videos_status_words.get(word) if isinstance(word, str) else None
        if seen != state:
            problems.insert(0, f"status: {word!r}, the other route says {state}")
        verdict: Verdict = "DRIFT" if problems else "pass"
        observed = problems_line(problems) if problems else f"200 {word}"
        self.report.add(CheckResult(name, expected, observed, verdict, "paid", problems))

    def _check_video(self, task: PolledTask, url: str) -> None:
        name = f"video #{task.number}: downloads as an MP4"
        expected = "200, an ftyp box first"
        scheme = urlsplit(url).scheme
        if scheme not in ("http", "https"):
            self.report.add(CheckResult(name, expected, f"video URL is not http(s): {url[:60]!r}", "DRIFT", "paid"))
            return
        where = "same host" if self.client.same_origin(url) else f"other host {urlsplit(url).hostname}"
        try:
            got = self.client.download(url, cap_bytes=self.options.max_video_bytes)
        except NoAnswer as silent:
            self.report.add(CheckResult(name, expected, str(silent), "incomplete", "paid"))
            self.client.check_silence()
            return
        observed = f"{got.status} {got.content_type or 'no content-type'} {got.size} B, {where}, no key"
        details = (
            [f"stopped reading at the --max-video-bytes cap ({self.options.max_video_bytes})"] if got.truncated else []
        )
        if got.status != 200 or got.head[4:8] != _MP4_BRAND:
            first = got.head[:12].hex(" ")
            details.append(f"first bytes: {first}")
            self.report.add(CheckResult(name, expected, observed, "DRIFT", "paid", details))
            return
        self.report.add(CheckResult(name, expected, observed, "pass", "paid", details))
