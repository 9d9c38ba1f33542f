"""What each dialect's answers look like, as data the checks read (CONTRACT section 2, "Dialects").

A `DialectExpectations` names, for each kind of answer, the shape that validates it and how to read
the few facts the checks need (status word, progress, video URL, error code and param).
Both dialects validate against the packaged schemas the mock itself answers by
(`schemas/dialects/<name>/dialect.json` names each file, read through
`mockserver.contract.dialects`), so the verifier and the mock share one contract per
dialect and the verifier follows the schemas when they change.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

from mockserver.contract.data.schemas import schema_validator
from mockserver.contract.dialects import DialectSchemas, UniAll, dialect_named
from mockserver.contract.errors import ApiError

__all__ = [
    "CREATE_KEYS",
    "DIALECTS",
    "FINAL_STATES",
    "LEGAL_MOVES",
    "DialectExpectations",
    "Refusal",
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


@dataclass(frozen=True)
class Shape:
    """A JSON shape: the packaged schema `name` (a path under `schemas/` without `.schema.json`)."""

    name: str

    def problems(self, instance: Any) -> list[str]:
        """Every way `instance` breaks the shape, as short readable lines (empty: it fits)."""
        validator = schema_validator(self.name)
        found = sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path))
        return list(dict.fromkeys(_describe(error.absolute_path, error.message) for error in found))

    def fits(self, instance: Any) -> bool:
        """Whether `instance` has this shape."""
        return schema_validator(self.name).is_valid(instance)


def _describe(path: Any, message: str) -> str:
    where = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in path).lstrip(".") or "body"
    return f"{where}: {message[:160]}"


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
class DialectExpectations:
    """One dialect's answers: the shapes that validate them and where their facts live."""

    name: str
    #: The create answer (the `CREATE_KEYS` are checked besides) and its `object` word.
    create: Shape
    create_object: str
    #: A poll answer, the job inside it, and the job's facts.
    poll: Shape
    job_of: Callable[[Any], Any]
    status_words: Mapping[str, State]
    #: A poll on the compatibility route `/v1/videos/{id}` and its status words.
    videos: Shape
    videos_status_words: Mapping[str, State]
    progress_of: Callable[[Any], int | None]
    video_url_of: Callable[[Any], Any]
    #: Where the video URL sits in a poll answer, as a report names it.
    video_url_field: str
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

    def refusal(self, code: str, param: str | None) -> Refusal:
        """How the mock in this dialect refuses a body the contract answers with `code` at `param`."""
        reply = dialect_named(self.name).error(ApiError(code, param=param), 0, "verify")
        body = json.loads(reply.body)
        shape, kind = (self.task_error, "task error") if self.task_error.fits(body) else (self.auth_error, "error")
        return Refusal(reply.status, shape, kind, self.error_code_of(body))


@dataclass(frozen=True)
class Refusal:
    """The answer a dialect gives a refused body: status, the error shape it has, and its code."""

    status: int
    shape: Shape
    kind: str
    code: Any


def _schemas(name: str) -> DialectSchemas:
    return dialect_named(name).schemas


def _file(path: str) -> Shape:
    return Shape(path.removesuffix(".schema.json"))


def _unknown_task(name: str) -> tuple[int, str]:
    """How the mock in dialect `name` answers a poll of an unknown task: (status, wire code)."""
    reply = dialect_named(name).error(ApiError("task_not_found", param="task_id"), 0, "verify")
    body = json.loads(reply.body)
    code = body["error"]["code"] if "error" in body else body["code"]
    return reply.status, str(code)


_NEW_API_DATA = dialect_named("new-api").data
# new-api's task statuses (model/task.go): the dialect file names the four the mock sends;
# a real gateway may also show NOT_START or QUEUED before the upstream starts the job.
_NEW_API_STATUSES: dict[str, State] = {
    "NOT_START": "queued",
    "QUEUED": "queued",
    **{word: cast(State, state) for state, word in _NEW_API_DATA["task_statuses"].items()},
}
#: The OpenAI-style words: uniall's job and both dialects' `/v1/videos/{id}` answers.
_OPENAI_STATUSES: dict[str, State] = {s: s for s in get_args(State)}
_UNIALL_FILES, _NEW_API_FILES = _schemas("uniall"), _schemas("new-api")

UNIALL = DialectExpectations(
    name="uniall",
    create=_file(_UNIALL_FILES.created),
    create_object=UniAll.OBJECT,
    poll=_file(_UNIALL_FILES.generations),
    job_of=_identity,
    status_words=_OPENAI_STATUSES,
    videos=_file(_UNIALL_FILES.videos),
    videos_status_words=_OPENAI_STATUSES,
    progress_of=_int_progress,
    video_url_of=_key("video_url"),
    video_url_field="video_url",
    auth_error=_file(_UNIALL_FILES.errors[0]),
    task_error=_file(_UNIALL_FILES.errors[0]),
    error_code_of=_nested("error", "code"),
    error_param_of=_nested("error", "param"),
    unknown_task_status=_unknown_task("uniall")[0],
    unknown_task_code=_unknown_task("uniall")[1],
)
NEW_API = DialectExpectations(
    name="new-api",
    create=_file(_NEW_API_FILES.created),
    create_object=_NEW_API_DATA["object"],
    poll=_file(_NEW_API_FILES.generations),
    job_of=_wrapped,
    status_words=_NEW_API_STATUSES,
    videos=_file(_NEW_API_FILES.videos),
    videos_status_words=_OPENAI_STATUSES,
    progress_of=_percent_progress,
    video_url_of=_key("result_url"),
    video_url_field="data.result_url",
    auth_error=_file(_NEW_API_FILES.errors[0]),
    task_error=_file(_NEW_API_FILES.errors[1]),
    error_code_of=lambda body: _nested("error", "code")(body) or _key("code")(body),
    error_param_of=None,
    unknown_task_status=_unknown_task("new-api")[0],
    unknown_task_code=_unknown_task("new-api")[1],
    notes=("task errors carry no param in this dialect: codes and params of refused bodies are not compared",),
)
DIALECTS: Mapping[str, DialectExpectations] = {d.name: d for d in (UNIALL, NEW_API)}


def dialect_of_error(body: Any) -> DialectExpectations | None:
    """The dialect whose auth/routing error shape `body` has, or None when it has neither."""
    for dialect in DIALECTS.values():
        if dialect.auth_error.fits(body):
            return dialect
    return None
