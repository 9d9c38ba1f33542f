"""What each dialect's answers look like, as data the checks read (CONTRACT section 2, "Dialects").

A `Dialect` names, for each kind of answer, the shape that validates it and how to read
the few facts the checks need (status word, progress, video URL, error code and param).
`uniall` validates against the packaged schemas, read at run time through
`mockserver.contract.schemas`, so the verifier follows them when they change. `new-api`
carries its shapes inline, written from CONTRACT.md rev 2 (its schemas are not packaged
on this branch yet); point `Shape` at a file name once they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib.resources import files
from typing import Any, Literal

from jsonschema import Draft202012Validator

from mockserver.contract.schemas import schema_validator

__all__ = [
    "CREATE_KEYS",
    "DIALECTS",
    "FINAL_STATES",
    "LEGAL_MOVES",
    "Dialect",
    "Shape",
    "dialect_of_error",
    "legal_move",
]

State = Literal["queued", "in_progress", "completed", "failed"]
#: The create answer has exactly these keys in both dialects (CONTRACT section 1).
CREATE_KEYS = frozenset({"id", "task_id", "object", "model", "status", "progress", "created_at"})
FINAL_STATES: frozenset[str] = frozenset({"completed", "failed"})
#: Which state may follow which (CONTRACT section 2): forward only, final states stay.
LEGAL_MOVES: Mapping[str, frozenset[str]] = {
    "queued": frozenset({"queued", "in_progress", "completed", "failed"}),
    "in_progress": frozenset({"in_progress", "completed", "failed"}),
    "completed": frozenset({"completed"}),
    "failed": frozenset({"failed"}),
}


def legal_move(before: str, after: str) -> bool:
    """Whether a job may go from state `before` to state `after` between two polls."""
    return after in LEGAL_MOVES.get(before, frozenset())


@dataclass(frozen=True, eq=False)  # hashed by identity: each shape is built once
class Shape:
    """A JSON shape: the first packaged schema in `names` that exists, else `inline`."""

    names: tuple[str, ...] = ()
    inline: Mapping[str, Any] | None = None

    def problems(self, instance: Any) -> list[str]:
        """Every way `instance` breaks the shape, as short readable lines (empty: it fits)."""
        validator = _validator(self)
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return [_describe(error.absolute_path, error.message) for error in found]

    def fits(self, instance: Any) -> bool:
        """Whether `instance` has this shape."""
        return _validator(self).is_valid(instance)


def _describe(path: Any, message: str) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "body"
    return f"{where}: {message[:160]}"


def _packaged(name: str) -> bool:
    return (files("mockserver.contract") / "schemas" / f"{name}.schema.json").is_file()


@cache
def _validator(shape: Shape) -> Draft202012Validator:
    for name in shape.names:
        if _packaged(name):
            return schema_validator(name)
    if shape.inline is None:
        raise LookupError(f"none of the schemas {shape.names} is packaged and no inline shape is given")
    return Draft202012Validator(dict(shape.inline))


def _identity(body: Any) -> Any:
    return body


def _wrapped(body: Any) -> Any:
    return body.get("data") if isinstance(body, dict) else None


def _int_progress(job: Any) -> int | None:
    value = job.get("progress") if isinstance(job, dict) else None
    return value if type(value) is int else None


_PERCENT = re.compile(r"^(\d{1,3})%$")


def _percent_progress(job: Any) -> int | None:
    value = job.get("progress") if isinstance(job, dict) else None
    match = _PERCENT.match(value) if isinstance(value, str) else None
    return int(match.group(1)) if match else None


def _key(name: str) -> Callable[[Any], Any]:
    return lambda body: body.get(name) if isinstance(body, dict) else None


def _nested(outer: str, inner: str) -> Callable[[Any], Any]:
    def read(body: Any) -> Any:
        part = body.get(outer) if isinstance(body, dict) else None
        return part.get(inner) if isinstance(part, dict) else None

    return read


@dataclass(frozen=True)
class Dialect:
    """One dialect's answers: the shapes that validate them and where their facts live."""

    name: str
    #: The create answer (the `CREATE_KEYS` are checked besides) and its `object` word.
    create: Shape
    create_object: str
    #: A poll answer, the job inside it, and the job's facts.
    poll: Shape
    job_of: Callable[[Any], Any]
    status_words: Mapping[str, State]
    progress_of: Callable[[Any], int | None]
    video_url_of: Callable[[Any], Any]
    #: Auth and routing errors (401, unknown path).
    auth_error: Shape
    #: Task errors (a refused body, an unknown task).
    task_error: Shape
    error_code_of: Callable[[Any], Any]
    #: Where an error names the offending field; None when the dialect's errors carry no param.
    error_param_of: Callable[[Any], Any] | None
    unknown_task_status: int
    unknown_task_code: str
    notes: tuple[str, ...] = field(default=())


_STRING_OR_NULL = {"type": ["string", "null"]}
_NEW_API_CREATE = {
    "type": "object",
    "required": sorted(CREATE_KEYS),
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "minLength": 1},
        "task_id": {"type": "string", "minLength": 1},
        "object": {"const": "video"},
        "model": {"type": "string", "minLength": 1},
        "status": {"type": "string"},
        "progress": {"type": "integer", "minimum": 0, "maximum": 100},
        "created_at": {"type": "integer", "minimum": 0},
    },
}
_NEW_API_STATUSES: dict[str, State] = {
    "NOT_START": "queued",
    "SUBMITTED": "queued",
    "QUEUED": "queued",
    "IN_PROGRESS": "in_progress",
    "SUCCESS": "completed",
    "FAILURE": "failed",
}
_NEW_API_POLL = {
    "type": "object",
    "required": ["code", "message", "data"],
    "properties": {
        "code": {"const": "success"},
        "message": {"type": "string"},
        "data": {
            "type": "object",
            "required": ["task_id", "status", "progress"],
            "properties": {
                "task_id": {"type": "string", "minLength": 1},
                "status": {"enum": list(_NEW_API_STATUSES)},
                "progress": {"type": "string", "pattern": "^[0-9]{1,3}%$"},
                "result_url": _STRING_OR_NULL,
                "fail_reason": _STRING_OR_NULL,
                "submit_time": {"type": "integer"},
                "start_time": {"type": "integer"},
                "finish_time": {"type": "integer"},
            },
        },
    },
}
_NEW_API_AUTH_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type"],
            "properties": {
                "message": {"type": "string", "minLength": 1},
                "type": {"const": "new_api_error"},
                "code": {"type": ["string", "integer", "null"]},
            },
        }
    },
}
_NEW_API_TASK_ERROR = {
    "type": "object",
    "required": ["code", "message", "data"],
    "properties": {
        "code": {"type": "string", "minLength": 1},
        "message": {"type": "string", "minLength": 1},
        "data": {"type": "null"},
    },
}

UNIALL = Dialect(
    name="uniall",
    create=Shape(names=("create", "job")),
    create_object="video.generation.job",
    poll=Shape(names=("job",)),
    job_of=_identity,
    status_words={"queued": "queued", "in_progress": "in_progress", "completed": "completed", "failed": "failed"},
    progress_of=_int_progress,
    video_url_of=_key("video_url"),
    auth_error=Shape(names=("error",)),
    task_error=Shape(names=("error",)),
    error_code_of=_nested("error", "code"),
    error_param_of=_nested("error", "param"),
    unknown_task_status=404,
    unknown_task_code="task_not_found",
)
NEW_API = Dialect(
    name="new-api",
    create=Shape(inline=_NEW_API_CREATE),
    create_object="video",
    poll=Shape(inline=_NEW_API_POLL),
    job_of=_wrapped,
    status_words=_NEW_API_STATUSES,
    progress_of=_percent_progress,
    video_url_of=_key("result_url"),
    auth_error=Shape(inline=_NEW_API_AUTH_ERROR),
    task_error=Shape(inline=_NEW_API_TASK_ERROR),
    error_code_of=lambda body: _nested("error", "code")(body) or _key("code")(body),
    error_param_of=None,
    unknown_task_status=400,
    unknown_task_code="task_not_exist",
    notes=("task errors carry no param in this dialect: codes and params of refused bodies are not compared",),
)
DIALECTS: Mapping[str, Dialect] = {d.name: d for d in (UNIALL, NEW_API)}


def dialect_of_error(body: Any) -> Dialect | None:
    """The dialect whose auth/routing error shape `body` has, or None when it has neither."""
    for dialect in DIALECTS.values():
        if dialect.auth_error.fits(body):
            return dialect
    return None
