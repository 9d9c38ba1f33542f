"""The soak's simulated API users: create a task, poll it to completion, count everything."""

from __future__ import annotations

import http.client
import json
import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from mockserver.contract.data.catalogue import injectable_spec
from mockserver.contract.data.schemas import schema_validator

__all__ = ["BODIES", "CREATE", "INJECTED_CODES", "Client", "Histogram", "Plan", "Tally"]

CREATE = "/v1/video/generations"
INJECTED_CODES = ("429", "500", "503")
BODIES: tuple[dict[str, Any], ...] = (
    {"model": "viduq3p-720p", "prompt": "a fox in the snow", "duration": 5},
    {"model": "viduq3t-540p", "prompt": "zoom in", "image": "https://example.com/a.png"},
    {"model": "viduq3p-mix-720p", "prompt": "the two meet", "reference_image_urls": ["https://example.com/b.png"]},
    {"model": "viduq3p-1080p-offpeak", "prompt": "一只狐狸 🦊", "aspect_ratio": "9:16"},
)
_RANK = {"queued": 0, "in_progress": 1, "completed": 2, "failed": 2}
_LOG_RATIO = math.log(1.01)


class Histogram:
    """Latencies in 1%-wide log buckets: constant memory, percentiles within 1%."""

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()
        self.total = 0
        self.max = 0.0

    def add(self, seconds: float) -> None:
        """Record one latency."""
        self.counts[int(math.log(max(seconds * 1e6, 1.0)) / _LOG_RATIO)] += 1
        self.total += 1
        self.max = max(self.max, seconds)

    def merge(self, other: Histogram) -> None:
        """Add another histogram's counts to this one."""
        self.counts.update(other.counts)
        self.total += other.total
        self.max = max(self.max, other.max)

    def percentile(self, fraction: float) -> float:
        """The latency (seconds) below which `fraction` of the samples fall."""
        rank, seen = math.ceil(fraction * self.total), 0
        for bucket in sorted(self.counts):
            seen += self.counts[bucket]
            if seen >= rank:
                return min(math.exp((bucket + 1) * _LOG_RATIO) / 1e6, self.max)
        return self.max


@dataclass
class Tally:
    """What one client saw; merged into the report at the end."""

    requests: Counter[str] = field(default_factory=Counter)
    latency: Histogram = field(default_factory=Histogram)
    injected: Counter[str] = field(default_factory=Counter)
    errors: Counter[str] = field(default_factory=Counter)
    created: int = 0
    completed: int = 0
    lost: Counter[str] = field(default_factory=Counter)
    videos: int = 0

    def merge(self, other: Tally) -> None:
        """Add another client's tally."""
        for mine, theirs in (
            (self.requests, other.requests),
            (self.injected, other.injected),
            (self.errors, other.errors),
            (self.lost, other.lost),
        ):
            mine.update(theirs)
        self.latency.merge(other.latency)
        self.created += other.created
        self.completed += other.completed
        self.videos += other.videos


@dataclass(frozen=True)
class Plan:
    """What every client does."""

    host: str
    port: int
    stop_at: float  # monotonic: no new task is started after this
    error_rate: float
    poll_interval: float
    task_timeout: float
    video_every: int
    validate: bool
    seed: int


class Client:
    """One simulated API user with its own token: create, poll to completion, repeat."""

    def __init__(self, index: int, plan: Plan) -> None:
        self.plan = plan
        self.token = f"sk-soak-{index}"
        self.rng = random.Random(plan.seed * 1000 + index)
        self.tally = Tally()
        self.conn = http.client.HTTPConnection(plan.host, plan.port, timeout=10)

    def run(self) -> Tally:
        """Work until the plan's stop time; the task in hand is still followed to the end."""
        try:
            while time.monotonic() < self.plan.stop_at:
                task_id = self._create()
                if task_id is not None:
                    self._follow(task_id)
        finally:
            self.conn.close()
        return self.tally

    def _send(self, kind: str, method: str, path: str, body: Any = None) -> tuple[int, bytes] | None:
        """One request; None when it was an injected error (counted) or failed (counted)."""
        headers = {"Authorization": f"Bearer {self.token}"}
        asked = None
        if kind != "video" and self.plan.error_rate and self.rng.random() < self.plan.error_rate:
            asked = injectable_spec(self.rng.choice(INJECTED_CODES))
            headers["Prefer"] = f"code={asked.status}"
        payload = None
        if body is not None:
            payload = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
        started = time.perf_counter()
        try:
            self.conn.request(method, path, payload, headers)
            response = self.conn.getresponse()
            data = response.read()
        except (OSError, http.client.HTTPException) as error:
            self.conn.close()
            self.tally.errors[f"{kind}: {type(error).__name__}"] += 1
            time.sleep(0.05)  # a dead server must not turn this loop into a spin
            return None
        self.tally.latency.add(time.perf_counter() - started)
        self.tally.requests[kind] += 1
        if asked is None:
            return response.status, data
        code = _error_code(data)
        if (response.status, code) == (asked.status, asked.code):
            self.tally.injected[f"{asked.status} {asked.code}"] += 1
        else:
            self.tally.errors[f"{kind}: asked for {asked.status}, got {response.status} {code}"] += 1
        return None

    def _create(self) -> str | None:
        body = BODIES[self.rng.randrange(len(BODIES))]
        while time.monotonic() < self.plan.stop_at:
            answer = self._send("create", "POST", CREATE, body)
            if answer is None:
                continue  # injected (retry as an SDK would) or a counted transport error
            status, data = answer
            job = self._job(status, data, "create")
            if job is not None and job["status"] == "queued" and job["model"] == body["model"]:
                self.tally.created += 1
                return str(job["id"])
            if job is not None:
                self.tally.errors[f"create: answered {job['status']} for {job['model']}"] += 1
        return None

    def _follow(self, task_id: str) -> None:
        deadline = time.monotonic() + self.plan.task_timeout
        rank, progress = 0, 0
        while time.monotonic() < deadline:
            answer = self._send("poll", "GET", f"{CREATE}/{task_id}")
            if answer is None:
                continue
            status, data = answer
            if status == 404:
                self.tally.lost["404 before completion"] += 1
                return
            job = self._job(status, data, "poll")
            if job is None:
                continue
            if _RANK[job["status"]] < rank or job["progress"] < progress:
                self.tally.errors["poll: status or progress went backwards"] += 1
            rank, progress = max(rank, _RANK[job["status"]]), max(progress, job["progress"])
            if job["status"] == "completed":
                self.tally.completed += 1
                if self.plan.video_every and self.tally.completed % self.plan.video_every == 0:
                    self._video(str(job["video_url"]))
                return
            if job["status"] == "failed":
                self.tally.errors["poll: a job nobody asked to fail failed"] += 1
                return
            if self.plan.poll_interval:
                time.sleep(self.plan.poll_interval)
        self.tally.lost[f"not completed within {self.plan.task_timeout:g} s"] += 1

    def _video(self, url: str) -> None:
        answer = self._send("video", "GET", urlsplit(url).path)
        if answer is None:
            return
        status, data = answer
        if status == 200 and data[4:8] == b"ftyp":
            self.tally.videos += 1
        else:
            self.tally.errors[f"video: {status}"] += 1

    def _job(self, status: int, data: bytes, kind: str) -> dict[str, Any] | None:
        """The job in a 200 answer, checked against the schema; anything else is an error."""
        if status != 200:
            self.tally.errors[f"{kind}: {status} {_error_code(data)}"] += 1
            return None
        try:
            job = json.loads(data)
            if self.plan.validate:
                schema_validator("job").validate(job)
        except ValueError as error:  # JSON and schema errors alike
            self.tally.errors[f"{kind}: invalid job ({type(error).__name__})"] += 1
            return None
        return job if isinstance(job, dict) else None


def _error_code(data: bytes) -> str | None:
    try:
        body = json.loads(data)
        schema_validator("error").validate(body)
    except ValueError:
        return None
    return str(body["error"]["code"])
