"""A small client of the job API with knobs for planting bugs, for the scenario tests and bench.

It creates a job, polls it to a final state within a bound, and downloads the video,
retrying what a careful client retries. Each knob turned off is one bug a scenario must find.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

__all__ = ["RETRYABLE", "GaveUp", "JobFailed", "Observed", "VideoClient"]

RETRYABLE = frozenset({429, 500, 502, 503, 504})
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}


class GaveUp(Exception):
    """The client stopped: out of attempts for one request, or out of polls for a job."""


class JobFailed(Exception):
    """The job ended `failed`; the message is its error code."""


@dataclass
class Observed:
    """What the client saw: each answer (`200`, `503`, `ReadError`…) and the job it tracked."""

    answers: list[str] = field(default_factory=list)
    task_id: str | None = None


@dataclass
class VideoClient:
    """Create, poll (at most `max_polls` answers) and download, each request tried `attempts` times."""

    http: httpx.Client
    attempts: int = 4
    max_polls: int = 6
    retry_statuses: frozenset[int] = RETRYABLE
    retry_malformed: bool = True
    check_failed: bool = True
    retry_downloads: bool = True
    sleep: Callable[[float], None] = lambda seconds: None  # the fake's retry-after is small; tests do not wait
    seen: Observed = field(default_factory=Observed)

    def generate(self, body: dict[str, Any] | None = None) -> bytes:
        """The video's bytes; `JobFailed` or `GaveUp` otherwise."""
        job = self._json("POST", "/v1/video/generations", body or TEXT)
        self.seen.task_id = job["id"]
        for _ in range(self.max_polls):
            job = self._json("GET", f"/v1/video/generations/{job['id']}")
            if job["status"] == "failed" and self.check_failed:
                raise JobFailed(job["error"]["code"])
            if job["status"] in ("completed", "failed"):
                return self._send("GET", f"/v1/video/generations/{job['id']}/content", self.retry_downloads).content
        raise GaveUp(f"job {job['id']} still {job['status']} after {self.max_polls} polls")

    def _json(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        for _ in range(self.attempts):
            response = self._send(method, path, True, body)
            try:
                parsed: dict[str, Any] = response.json()
                return parsed
            except json.JSONDecodeError:
                if not self.retry_malformed:
                    raise
        raise GaveUp(f"{method} {path}: no readable answer in {self.attempts} attempts")

    def _send(self, method: str, path: str, retry: bool, body: Any = None) -> httpx.Response:
        for _ in range(self.attempts if retry else 1):
            try:
                response = self.http.request(method, path, json=body)
            except httpx.TransportError as error:
                self.seen.answers.append(type(error).__name__)
                if not retry:
                    raise
                continue
            self.seen.answers.append(str(response.status_code))
            if response.status_code in self.retry_statuses and retry:
                self.sleep(int(response.headers.get("retry-after-ms", "0")) / 1000)
                continue
            response.raise_for_status()
            return response
        raise GaveUp(f"{method} {path}: {self.attempts} attempts failed")
