"""The `vidu` dialect's shapes: the create answer, a polled task, a listed task, the error body.

`Vidu` renders what the engine decided; `render_task` is the poll body of one task (the
callbacks of issue 37 send the same body, the callback page says).
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from mockserver.contract.data.catalogue import VIDU_REASONS, DialectName, ErrorSpec, Status
from mockserver.contract.dialects import Dialect, JobFacts, Route, register_dialect
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Outgoing, error_headers, json_reply
from mockserver.contract.vidu.data import DATA, MEDIA, STATES
from mockserver.contract.vidu.records import ViduRecord

__all__ = ["Vidu", "cover_url", "iso_time", "render_created", "render_listed", "render_task", "video_url"]

_CATALOGUE_REASONS: dict[str, str] = DATA["catalogue_reasons"]
_STATUS_REASONS: dict[str, str] = DATA["status_reasons"]
FAILURE_REASON: str = DATA["failure_reason"]


def iso_time(seconds: float) -> str:
    """`seconds` since the epoch as Vidu writes times: ISO 8601 in UTC with microseconds and `Z`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def video_url(base_url: str, task_id: str) -> str:
    """Where the mock serves a successful task's video (a CDN-like link: no token needed)."""
    return f"{base_url.rstrip('/')}{MEDIA}/{task_id}.mp4"


def cover_url(base_url: str, task_id: str) -> str:
    """Where the mock serves a successful task's cover image (a small JPEG)."""
    return f"{base_url.rstrip('/')}{MEDIA}/{task_id}.jpg"


def _record(facts: JobFacts, record: ViduRecord | None) -> ViduRecord:
    return record if record is not None else ViduRecord(model=facts.model, prompt=facts.prompt or "")


def render_created(facts: JobFacts, record: ViduRecord | None) -> dict[str, Any]:
    """The create answer (the text-to-video page's keys), always `created`."""
    r = _record(facts, record)
    body: dict[str, Any] = {
        "task_id": facts.task_id,
        "state": STATES["created"],
        "model": r.model,
        "prompt": r.prompt,
        "images": list(r.images),
        "duration": r.duration,
        "seed": r.seed,
        "aspect_ratio": r.aspect_ratio,
        "resolution": r.resolution,
        "movement_amplitude": r.movement_amplitude,
        "bgm": r.bgm,
        "audio": r.audio,
        "payload": r.payload,
        "credits": r.credits,
        "off_peak": r.off_peak,
        "watermark": r.watermark,
        "created_at": iso_time(facts.created_at),
    }
    if r.callback_url is not None:
        body["callback_url"] = r.callback_url
    return body


def render_task(facts: JobFacts, record: ViduRecord | None, base_url: str) -> dict[str, Any]:
    """GET /ent/v2/tasks/{id}/creations: state, err_code, credits (none when failed: refunded), creations.

    `facts.error_code` is the failed task's reason (a plan's, a cancel's, an expiry's, else the default).
    """
    r = _record(facts, record)
    status = facts.view.status
    failed = status == "failed"
    creations = []
    if status == "completed":
        creations = [
            {
                "id": f"{facts.task_id}-0",
                "url": video_url(base_url, facts.task_id),
                "cover_url": cover_url(base_url, facts.task_id),
            }
        ]
    return {
        "id": facts.task_id,
        "state": STATES[status],
        "err_code": facts.error_code if failed else "",
        "credits": 0 if failed and DATA["credits"]["refunded_on_failure"] else r.credits,
        "payload": r.payload,
        "bgm": r.bgm,
        "off_peak": r.off_peak,
        "creations": creations,
    }


def render_listed(facts: JobFacts, record: ViduRecord | None, base_url: str) -> dict[str, Any]:
    """One task of GET /ent/v2/tasks (the tasks-list page's keys)."""
    r = _record(facts, record)
    polled = render_task(facts, record, base_url)
    return {
        "id": facts.task_id,
        "state": polled["state"],
        "model": r.model,
        "prompt": r.prompt,
        "images": list(r.images),
        "duration": r.duration,
        "resolution": r.resolution,
        "aspect_ratio": r.aspect_ratio,
        "err_code": polled["err_code"],
        "credits": polled["credits"],
        "created_at": iso_time(facts.created_at),
        "creations": polled["creations"],
    }


def reason_of(error: ApiError) -> str:
    """Vidu's reason for an error: its own, or the one the catalogue code maps to, or the status's."""
    if error.code in VIDU_REASONS:
        return error.code
    mapped = _CATALOGUE_REASONS.get(error.code)
    if mapped is not None:
        return mapped
    return _STATUS_REASONS.get(str(error.status), "InternalServiceFailure" if error.status >= 500 else "BadRequest")


def trace_id() -> str:
    """A fresh trace id, as Vidu's look (32 hex digits)."""
    return os.urandom(16).hex()


@register_dialect
class Vidu(Dialect):
    """Vidu's own API: `/ent/v2/*` answers and `{code, reason, message, metadata.trace_id}` errors."""

    name: DialectName = "vidu"

    def created(self, facts: JobFacts) -> dict[str, Any]:
        """The create answer with the defaults a task without its record shows."""
        return render_created(facts, None)

    def job(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """The poll body (one route only in this dialect)."""
        return render_task(replace(facts, error_code=FAILURE_REASON), None, "http://127.0.0.1")

    def error(self, error: ApiError | ErrorSpec, retry_after_ms: int, request_id: str) -> Outgoing:
        """`{"code": status, "reason", "message", "metadata": {"trace_id"}}` with the retry headers of a 429."""
        api_error = error if isinstance(error, ApiError) else ApiError(error.code)
        body = {
            "code": api_error.status,
            "reason": reason_of(api_error),
            "message": api_error.message,
            "metadata": {"trace_id": trace_id()},
        }
        return json_reply(api_error.status, body, error_headers(api_error, retry_after_ms))

    def video_unavailable(self, status: Status | None, request_id: str) -> Outgoing:
        """A media link before the task succeeded, or of an unknown task: 404 `CreationNotFound`."""
        return self.error(ApiError("CreationNotFound", "creation not found", "id"), 0, request_id)

    def range_not_satisfiable(self, content_range: str, request_id: str) -> Outgoing:
        """A CDN's own 416 (RFC 9110 §15.5.17): no body, the size in `Content-Range` (inferred; Vidu documents none)."""
        return Outgoing(416, {"Content-Range": content_range}, b"")
