"""Strategies for response bodies: job objects in every status, and catalogue error bodies, per dialect.

Bodies are shaped by the same `Dialect` objects the mock answers with, from facts drawn here,
so a strategy can never drift from what the server sends.
"""

from __future__ import annotations

import re
import string
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract import MODELS, MODES, STATUSES, JobView, Status, is_mix_model, load_schema
from mockserver.contract.data.catalogue import ERRORS, TASK_ID_PATTERN
from mockserver.contract.dialects import (
    DEFAULT_DIALECT,
    DIALECT_NAMES,
    ROUTES,
    Dialect,
    JobFacts,
    Route,
    dialect_named,
)
from mockserver.contract.errors import ApiError
from mockserver.contract.jobs.lifecycle import FAILURE_CODE, FAILURE_MESSAGE
from mockserver.contract.routes.paths import content_path
from pytest_plugin.request_rules import EXTRA_BODY_OPTIONS, FIELDS, REFERENCES_MAX
from pytest_plugin.valid_bodies import hosts, http_urls

__all__ = ["error_bodies", "jobs"]

_JOB = load_schema("job")
_PROPERTIES: dict[str, Any] = _JOB["properties"]
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
_CREATED = st.integers(_PROPERTIES["created_at"]["minimum"], 4_102_444_800)  # until 2100: a datetime fits
_BASES = st.builds("{}://{}".format, st.sampled_from(["http", "https"]), hosts)
_OWNERS = st.binary(min_size=6, max_size=6).map(bytes.hex)
_PROMPTS = st.none() | st.text(min_size=1, max_size=80).filter(str.strip)
_UNFINISHED = st.integers(_PROGRESS_MIN, _PROGRESS_MAX - 1)  # 100 exactly when completed
_FAILURES = st.tuples(
    st.one_of(st.just(FAILURE_CODE), st.text(min_size=1, max_size=30)),
    st.one_of(st.just(FAILURE_MESSAGE), st.text(min_size=1, max_size=80)),
)


@st.composite
def _model_and_mode(draw: st.DrawFn) -> tuple[str, Any]:
    model = draw(st.sampled_from(MODELS))
    if is_mix_model(model):
        return model, "reference-to-video"
    return model, draw(st.sampled_from([mode for mode in MODES if mode != "reference-to-video"]))


@st.composite
def _facts(draw: st.DrawFn, status: Status) -> JobFacts:
    task_id = draw(_TASK_IDS)
    model, mode = draw(_model_and_mode())
    created = draw(_CREATED)
    ended = created + draw(st.integers(0, 86_400))
    view = {
        "queued": lambda: JobView("queued", _PROGRESS_MIN),
        "in_progress": lambda: JobView("in_progress", draw(_UNFINISHED)),
        "completed": lambda: JobView("completed", _PROGRESS_MAX, ended),
        "failed": lambda: JobView("failed", draw(_UNFINISHED), ended),
    }[status]()
    video_url = None
    if status == "completed":
        # The mock serves the video itself; a real gateway hands out a CDN link.
        video_url = draw(st.builds(f"{{}}{content_path(task_id)}".format, _BASES) | http_urls)
    code, message = draw(_FAILURES)
    return JobFacts(task_id, model, mode, created, view, draw(_PROMPTS), draw(_OWNERS), video_url, code, message)


def _check_dialect(dialect: str) -> Dialect:
    if dialect not in DIALECT_NAMES:
        raise InvalidArgument(f"dialect={dialect!r} is not a dialect; choose one of {', '.join(DIALECT_NAMES)}")
    return dialect_named(dialect)


def jobs(
    *, status: Status | None = None, dialect: str = DEFAULT_DIALECT, route: Route = "generations"
) -> st.SearchStrategy[dict[str, Any]]:
    """Job objects as the API returns them in `dialect`, valid per that dialect's schema for `route`.

    `route` is the poll route (`"generations"`: `GET /v1/video/generations/{id}`, `"videos"`:
    `GET /v1/videos/{id}`; the same object in `uniall`). Where the create answer has the poll's
    schema it is drawn among the `queued` jobs too. `status=` pins the status; otherwise
    every status appears (`queued` is the simplest).
    """
    if status is not None and status not in STATUSES:
        raise InvalidArgument(f"status={status!r} is not a job status; choose one of {', '.join(STATUSES)}")
    if route not in ROUTES:
        raise InvalidArgument(f"route={route!r} is not a poll route; choose one of {', '.join(ROUTES)}")
    _check_dialect(dialect)
    return _jobs(status, dialect, route)


@cache
def _jobs(status: Status | None, dialect: str, route: Route) -> st.SearchStrategy[dict[str, Any]]:
    shape = dialect_named(dialect)
    parts: list[st.SearchStrategy[dict[str, Any]]] = []
    for each in STATUSES:
        if status not in (None, each):
            continue
        parts.append(_facts(each).map(lambda facts: shape.job(route, facts)))
        if each == "queued" and shape.schemas.created == shape.schemas.job(route):
            parts.append(_facts(each).map(shape.created))
    return st.one_of(parts)


_PARAMS = st.none() | st.sampled_from(
    [
        *FIELDS,
        *(f"extra_body.{name}" for name in EXTRA_BODY_OPTIONS),
        *(f"reference_image_urls[{i}]" for i in range(REFERENCES_MAX)),
    ]
)
_REQUEST_IDS = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=24).map("req_".__add__)


@cache
def _wire_statuses(dialect: str) -> dict[str, int]:
    """Catalogue code -> the status `dialect` answers it with, for the codes it renders."""
    shape = dialect_named(dialect)
    return {
        spec.code: shape.error(ApiError(spec.code), 0, "").status
        for spec in ERRORS
        if spec.code not in shape.not_rendered
    }


def error_bodies(
    *, status: int | None = None, code: str | None = None, dialect: str = DEFAULT_DIALECT
) -> st.SearchStrategy[dict[str, Any]]:
    """Error bodies for entries of the error catalogue, in `dialect`'s shapes.

    `uniall`: `{"error": {message, type, param, code}}`, one per catalogue entry; `new-api`:
    its middleware and task-relay shapes. `status=` (the status the dialect answers with)
    and/or `code=` (the catalogue code) pin the entry. In `uniall` the body does not hold
    the status: look it up with `mockserver.contract.error_spec(body["error"]["code"]).status`.
    """
    _check_dialect(dialect)
    wire = _wire_statuses(dialect)
    statuses = sorted(set(wire.values()))
    if status is not None and (isinstance(status, bool) or status not in statuses):
        raise InvalidArgument(f"status={status!r} is not answered in dialect {dialect}; choose one of {statuses}")
    if code is not None and code not in wire:
        raise InvalidArgument(
            f"code={code!r} is not in the error catalogue of {dialect}; choose one of {', '.join(wire)}"
        )
    if status is not None and code is not None and wire[code] != status:
        raise InvalidArgument(f"code={code!r} is a {wire[code]} error in {dialect}, not {status}")
    return _error_bodies(status, code, dialect)


@cache
def _error_bodies(status: int | None, code: str | None, dialect: str) -> st.SearchStrategy[dict[str, Any]]:
    shape = dialect_named(dialect)
    chosen = [
        spec
        for spec in ERRORS
        if spec.code in _wire_statuses(dialect)
        and status in (None, _wire_statuses(dialect)[spec.code])
        and code in (None, spec.code)
    ]
    return st.one_of(
        [
            st.builds(
                lambda spec, message, param, request_id: shape.error(
                    ApiError(spec.code, message, param), 0, request_id
                ).json(),
                st.just(spec),
                st.one_of(st.just(spec.message), st.text(min_size=1, max_size=80)),
                _PARAMS,
                _REQUEST_IDS,
            )
            for spec in chosen
        ]
    )
