"""Strategies for response bodies: job objects in every status, and catalogue error bodies."""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract import MODELS, STATUSES, Status, load_schema
from mockserver.contract.catalogue import COLLECTION, ERRORS, TASK_ID_PATTERN, ErrorSpec
from mockserver.contract.lifecycle import FAILURE_CODE, FAILURE_MESSAGE
from pytest_plugin.request_rules import EXTRA_BODY_OPTIONS, FIELDS, REFERENCES_MAX
from pytest_plugin.valid_bodies import hosts, http_urls

__all__ = ["error_bodies", "jobs"]

_JOB = load_schema("job")
_PROPERTIES: dict[str, Any] = _JOB["properties"]
_OBJECT: str = _PROPERTIES["object"]["const"]
_PROGRESS_MIN: int = _PROPERTIES["progress"]["minimum"]
_PROGRESS_MAX: int = _PROPERTIES["progress"]["maximum"]
_ID_FORM = re.fullmatch(r"\^(\w+)\[[^\]]+\]\{(\d+),(\d+)\}\$", TASK_ID_PATTERN)
if _ID_FORM is None:  # pragma: no cover - only if the schema's task-id form changes
    raise RuntimeError("cannot read the task-id form from job.schema.json")
_ID_PREFIX, _ID_MIN, _ID_MAX = _ID_FORM.group(1), int(_ID_FORM.group(2)), int(_ID_FORM.group(3))

# URL-safe characters, as CONTRACT section 1 promises for ids.
_TASK_IDS = st.text(string.ascii_letters + string.digits + "-_", min_size=_ID_MIN, max_size=_ID_MAX).map(
    _ID_PREFIX.__add__
)
_MODELS = st.sampled_from(MODELS)
_CREATED = st.integers(_PROPERTIES["created_at"]["minimum"], 4_102_444_800)  # until 2100: a datetime fits
_BASES = st.builds("{}://{}".format, st.sampled_from(["http", "https"]), hosts)


def _job(task_id: str, model: str, created_at: int, status: Status, progress: int) -> dict[str, Any]:
    return {
        "id": task_id,
        "task_id": task_id,
        "object": _OBJECT,
        "model": model,
        "status": status,
        "progress": progress,
        "created_at": created_at,
    }


def _completed(task_id: str, model: str, created_at: int, took: int, base: str, cdn: str | None) -> dict[str, Any]:
    # The mock serves the video itself; a real gateway would hand out a CDN link.
    video_url = cdn if cdn is not None else f"{base}{COLLECTION}/{task_id}/content"
    job = _job(task_id, model, created_at, "completed", _PROGRESS_MAX)
    return {**job, "completed_at": created_at + took, "video_url": video_url}


def _failed(task_id: str, model: str, created_at: int, progress: int, error: dict[str, str]) -> dict[str, Any]:
    return {**_job(task_id, model, created_at, "failed", progress), "error": error}


_UNFINISHED = st.integers(_PROGRESS_MIN, _PROGRESS_MAX - 1)  # 100 exactly when completed
_ERRORS = st.fixed_dictionaries(
    {
        "code": st.one_of(st.just(FAILURE_CODE), st.text(min_size=1, max_size=30)),
        "message": st.one_of(st.just(FAILURE_MESSAGE), st.text(min_size=1, max_size=80)),
    }
)
_JOBS: dict[Status, st.SearchStrategy[dict[str, Any]]] = {
    "queued": st.builds(_job, _TASK_IDS, _MODELS, _CREATED, st.just("queued"), st.just(_PROGRESS_MIN)),
    "in_progress": st.builds(_job, _TASK_IDS, _MODELS, _CREATED, st.just("in_progress"), _UNFINISHED),
    "completed": st.builds(
        _completed, _TASK_IDS, _MODELS, _CREATED, st.integers(0, 86_400), _BASES, st.none() | http_urls
    ),
    "failed": st.builds(_failed, _TASK_IDS, _MODELS, _CREATED, _UNFINISHED, _ERRORS),
}
if set(_JOBS) != set(STATUSES):  # pragma: no cover - the catalogue gained or lost a status
    raise RuntimeError(f"job strategies {sorted(_JOBS)} no longer match the statuses {sorted(STATUSES)}")


def jobs(*, status: Status | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Job objects as a create or poll response returns them, valid per `job.schema.json`.

    `status=` pins the status; otherwise every status appears (`queued` is the simplest).
    """
    if status is not None and status not in STATUSES:
        raise InvalidArgument(f"status={status!r} is not a job status; choose one of {', '.join(STATUSES)}")
    return _jobs(status)


@cache
def _jobs(status: Status | None) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of([_JOBS[s] for s in STATUSES if status in (None, s)])


_PARAMS = st.none() | st.sampled_from(
    [
        *FIELDS,
        *(f"extra_body.{name}" for name in EXTRA_BODY_OPTIONS),
        *(f"reference_image_urls[{i}]" for i in range(REFERENCES_MAX)),
    ]
)


def _error_body(spec: ErrorSpec) -> st.SearchStrategy[dict[str, Any]]:
    return st.builds(
        lambda message, param: {"error": {"message": message, "type": spec.type, "param": param, "code": spec.code}},
        st.one_of(st.just(spec.message), st.text(min_size=1, max_size=80)),
        _PARAMS,
    )


def error_bodies(*, status: int | None = None, code: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Error bodies (`{"error": {message, type, param, code}}`) for entries of the error catalogue.

    `status=` and/or `code=` pin the catalogue entry; the body does not hold the status,
    so look it up with `mockserver.contract.error_spec(body["error"]["code"]).status`.
    """
    statuses = sorted({spec.status for spec in ERRORS})
    codes = [spec.code for spec in ERRORS]
    if status is not None and (isinstance(status, bool) or status not in statuses):
        raise InvalidArgument(f"status={status!r} is not in the error catalogue; choose one of {statuses}")
    if code is not None and code not in codes:
        raise InvalidArgument(f"code={code!r} is not in the error catalogue; choose one of {', '.join(codes)}")
    if status is not None and code is not None and ERRORS[codes.index(code)].status != status:
        raise InvalidArgument(f"code={code!r} is a {ERRORS[codes.index(code)].status} error, not {status}")
    return _error_bodies(status, code)


@cache
def _error_bodies(status: int | None, code: str | None) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of([_error_body(s) for s in ERRORS if status in (None, s.status) and code in (None, s.code)])
