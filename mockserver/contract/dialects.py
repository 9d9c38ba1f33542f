"""Dialects: the one place that decides what a job or an error looks like on the wire.

The rules (which bodies are refused and why, how a job moves) are the same in every
dialect; a dialect only shapes answers. `uniall` (the default) speaks the publisher's
shapes (CONTRACT §1-3, rev 2); `new-api` speaks those of the open-source gateway the
publisher builds on (QuantumNous/new-api, its Vidu channel; docs/contract.md cites the
source file of each shape). Each dialect's data and schemas live in
`schemas/dialects/<name>/`; nothing here restates a schema.
"""

from __future__ import annotations

import hashlib
from abc import ABC, abstractmethod
from dataclasses import dataclass, replace
from functools import cache
from typing import Any, Literal, get_args

from mockserver.contract.data.catalogue import DEFAULT_DIALECT, DIALECT_NAMES, DialectName, ErrorSpec, Mode, Status
from mockserver.contract.data.schemas import load_json
from mockserver.contract.errors import ApiError
from mockserver.contract.jobs.lifecycle import FAILURE_CODE, FAILURE_MESSAGE, JobView, Task
from mockserver.contract.messages import Outgoing, error_headers, error_reply, json_reply

__all__ = [
    "DEFAULT_DIALECT",
    "DIALECT_NAMES",
    "Dialect",
    "DialectName",
    "DialectSchemas",
    "JobFacts",
    "ROUTES",
    "Route",
    "dialect_named",
    "register_dialect",
]

Route = Literal["generations", "videos"]
"""Which poll route answered: `GET /v1/video/generations/{id}` or `GET /v1/videos/{id}`."""
ROUTES: tuple[Route, ...] = get_args(Route)


@dataclass(frozen=True, slots=True)
class JobFacts:
    """Everything any dialect shows about one job at one moment (pure data, no task store)."""

    task_id: str
    model: str
    mode: Mode
    created_at: int
    view: JobView
    prompt: str | None = None
    owner: str = "000000000000"
    video_url: str | None = None
    error_code: str = FAILURE_CODE
    error_message: str = FAILURE_MESSAGE
    # new-api's timeout sweep ended it (service/task_polling.go): its reason ("task timed out (N minutes)").
    timeout_reason: str | None = None

    @classmethod
    def of(cls, task: Task, view: JobView, video_url: str | None = None, timeout_minutes: int = 1440) -> JobFacts:
        """The facts of `task` as seen in `view`; `video_url` is shown only when completed."""
        url = video_url if view.status == "completed" else None
        facts = cls(task.id, task.model, task.mode, int(task.created_at), view, task.prompt, task.owner, url)
        if task.outcome == "timeout" and view.status == "failed":
            reason = timeout_reason(timeout_minutes)
            return replace(facts, timeout_reason=reason, error_code=TIMEOUT_CODE, error_message=reason)
        return facts


@dataclass(frozen=True, slots=True)
class DialectSchemas:
    """The dialect's files under `schemas/`: create answer, each poll route, errors, its OpenAPI document."""

    created: str
    generations: str
    videos: str
    errors: tuple[str, ...]
    openapi: str

    def job(self, route: Route) -> str:
        """The schema file of a poll on `route`."""
        return self.generations if route == "generations" else self.videos


def _schemas_of(data: dict[str, Any]) -> DialectSchemas:
    files = data["schemas"]
    return DialectSchemas(
        files["created"], files["generations"], files["videos"], tuple(files["errors"]), files["openapi"]
    )


class Dialect(ABC):
    """A dialect: how the create answer, a polled job and an error look. Subclasses shape; rules stay shared."""

    name: DialectName

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data
        self.schemas = _schemas_of(data)
        # Catalogue codes only the admin API or the HTTP layer answers, always in the §3 shape.
        self.not_rendered: frozenset[str] = frozenset(data.get("not_rendered", ()))

    @abstractmethod
    def created(self, facts: JobFacts) -> dict[str, Any]:
        """The create answer (always `queued`, progress 0)."""

    def created_on(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """The create answer on `route` (`POST /v1/video/generations` or `POST /v1/videos`)."""
        return self.created(facts)

    @abstractmethod
    def job(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """The body of a successful poll on `route`."""

    @abstractmethod
    def error(self, error: ApiError | ErrorSpec, retry_after_ms: int, request_id: str) -> Outgoing:
        """The error answer: status, headers (`Retry-After`, `Allow`) and body, in this dialect's shape."""

    @abstractmethod
    def video_unavailable(self, status: Status | None, request_id: str) -> Outgoing:
        """The answer of a video (content) route for an unknown task (`status` None) or one not yet completed."""

    @abstractmethod
    def range_not_satisfiable(self, content_range: str, request_id: str) -> Outgoing:
        """The answer of a video route to a `Range` that selects none of the video (`Content-Range: bytes */size`)."""


#: The `error.code` of a timed-out job in the uniall dialect (inferred: new-api's sweep sets only a reason).
TIMEOUT_CODE = "task_timeout"


def timeout_reason(minutes: int) -> str:
    """new-api's reason for a task its sweep timed out (service/task_polling.go, sweepTimedOutTasks)."""
    return f"\u4efb\u52a1\u8d85\u65f6\uff08{minutes}\u5206\u949f\uff09"  # "task timed out (N minutes)"


def _seven(facts: JobFacts, object_name: str, status: str, progress: int) -> dict[str, Any]:
    return {
        "id": facts.task_id,
        "task_id": facts.task_id,
        "object": object_name,
        "model": facts.model,
        "status": status,
        "progress": progress,
        "created_at": facts.created_at,
    }


class UniAll(Dialect):
    """The publisher's dialect (default): one flat job object on both poll routes, §3 errors."""

    name: DialectName = "uniall"
    OBJECT = "video.generation.job"

    def created(self, facts: JobFacts) -> dict[str, Any]:
        """The seven keys of CONTRACT §1, `object: "video.generation.job"`."""
        return _seven(facts, self.OBJECT, "queued", 0)

    def created_on(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """On `POST /v1/videos`, the `/v1/videos/{id}` object, queued (inferred: no UniAll page documents the route)."""
        return self.created(facts) if route == "generations" else self.job(route, facts)

    def job(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """The seven keys plus the seven poll keys of CONTRACT §2 (rev 2), the same on both routes."""
        view = facts.view
        body = _seven(facts, self.OBJECT, view.status, view.progress)
        url = facts.video_url if view.status == "completed" else None
        failed = view.status == "failed"
        body["prompt"] = facts.prompt
        body["video_url"] = url
        body["thumbnail_url"] = None
        # A timeout (inferred: UniAll documents no failure body): code `task_timeout`, new-api's reason.
        body["error"] = {"code": facts.error_code, "message": facts.error_message} if failed else None
        body["result"] = {"outputs": [url], "video_url": url} if url is not None else None
        body["metadata"] = {}
        body["completed_at"] = view.completed_at if view.final else None
        return body

    def error(self, error: ApiError | ErrorSpec, retry_after_ms: int, request_id: str) -> Outgoing:
        """CONTRACT §3: `{"error": {message, type, param, code}}`."""
        return error_reply(error, retry_after_ms)

    def video_unavailable(self, status: Status | None, request_id: str) -> Outgoing:
        """The §3 404 `task_not_found`, whether the task is unknown or not completed yet."""
        return error_reply(ApiError("task_not_found", "No completed video for this task.", "task_id"))

    def range_not_satisfiable(self, content_range: str, request_id: str) -> Outgoing:
        """The storage's own 416 (RFC 9110 §15.5.17), passed on as it is: no body, the size in `Content-Range`."""
        return Outgoing(416, {"Content-Range": content_range}, b"")


@dataclass(frozen=True, slots=True)
class _ErrorRule:
    layer: Literal["middleware", "task"]
    code: str | None = None
    param: str | None = None
    status: int | None = None
    wire_code: str | None = None
    message: str | None = None

    def matches(self, error: ApiError) -> bool:
        return self.code in (None, error.code) and self.param in (None, error.param)


def _row_number(text: str, size: int) -> int:
    # new-api shows database row numbers; a hash of a signed id gives every worker the same one.
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=size).digest(), "big")


class NewApi(Dialect):
    """QuantumNous/new-api's shapes: OpenAI video objects, the legacy task wrapper, its error layers."""

    name: DialectName = "new-api"

    def __init__(self, data: dict[str, Any]) -> None:
        super().__init__(data)
        self.object: str = data["object"]
        self.task_statuses: dict[str, str] = data["task_statuses"]
        self.upstream_states: dict[str, str] = data["upstream_states"]
        self.actions: dict[str, str] = data["actions"]
        self.record: dict[str, Any] = data["task_record"]
        self.middleware_type: str = data["middleware_error_type"]
        self.rules = tuple(_ErrorRule(**rule) for rule in data["errors"])
        self.proxy: dict[str, dict[str, Any]] = data["video_proxy"]

    def created(self, facts: JobFacts) -> dict[str, Any]:
        """The Vidu channel's `DoResponse`: an OpenAI video with `task_id`, `object: "video"`, queued."""
        return _seven(facts, self.object, "queued", 0)

    def job(self, route: Route, facts: JobFacts) -> dict[str, Any]:
        """The legacy `{code, message, data}` wrapper (generations) or the OpenAI video (videos)."""
        return self._legacy(facts) if route == "generations" else self._video(facts)

    @staticmethod
    def _times(facts: JobFacts) -> tuple[int, int, int]:
        """(start_time, finish_time, updated_at): (ours) started at creation once out of the queue."""
        view = facts.view
        start = facts.created_at if view.status != "queued" else 0
        finish = (view.completed_at or facts.created_at) if view.final else 0
        return start, finish, finish or facts.created_at

    @staticmethod
    def _progress(view: JobView) -> int:
        # new-api writes "100%" on both terminal states (service/task_polling.go), failures too.
        return 100 if view.final else view.progress

    def _video(self, facts: JobFacts) -> dict[str, Any]:
        view = facts.view
        # ConvertToOpenAIVideo (vidu/adaptor.go) sets neither task_id nor model.
        body: dict[str, Any] = {
            "id": facts.task_id,
            "object": self.object,
            "model": "",
            "status": view.status,
            "progress": self._progress(view),
            "created_at": facts.created_at,
            "completed_at": self._times(facts)[2],
        }
        if view.status == "failed" and facts.timeout_reason is None:
            # The Vidu converter puts the upstream err_code in both fields. A timed-out task has none:
            # the sweep writes only the task's status and fail_reason, not the upstream data it reads.
            body["error"] = {"message": facts.error_code, "code": facts.error_code}
        if facts.video_url is not None and view.status == "completed":
            body["metadata"] = {"url": facts.video_url}
        return body

    def _legacy(self, facts: JobFacts) -> dict[str, Any]:
        view = facts.view
        start, finish, updated = self._times(facts)
        fail_reason = facts.error_code if view.status == "failed" else ""
        if facts.timeout_reason is not None:
            fail_reason = facts.timeout_reason
        url = facts.video_url if view.status == "completed" else None
        record: dict[str, Any] = {
            "id": _row_number(facts.task_id, 4),
            "created_at": facts.created_at,
            "updated_at": updated,
            "task_id": facts.task_id,
            "platform": self.record["platform"],
            "user_id": 1 + _row_number(facts.owner, 3),
            "group": self.record["group"],
            "channel_id": self.record["channel_id"],
            "quota": self.record["quota"],
            "action": self.actions[facts.mode],
            "status": self.task_statuses[view.status],
            "fail_reason": fail_reason,
        }
        # Task.GetResultURL falls back to FailReason (model/task.go), so a failure shows it here too.
        result_url = url or fail_reason
        if result_url:
            record["result_url"] = result_url
        record |= {
            "submit_time": facts.created_at,
            "start_time": start,
            "finish_time": finish,
            "progress": f"{self._progress(view)}%",
            "properties": {
                "input": facts.prompt or "",
                "upstream_model_name": facts.model,
                "origin_model_name": facts.model,
            },
            "data": {
                # A timed-out task keeps the upstream answer last read: still processing, no err_code.
                "state": self.upstream_states["in_progress" if facts.timeout_reason else view.status],
                "err_code": "" if facts.timeout_reason else fail_reason,
                "creations": [{"id": facts.task_id, "url": url, "cover_url": ""}] if url else [],
            },
        }
        return {"code": "success", "message": "", "data": record}

    def _rule(self, error: ApiError) -> _ErrorRule:
        for rule in self.rules:
            if rule.matches(error):
                return rule
        return _ErrorRule("task")  # pragma: no cover - dialect.json ends with a catch-all

    def error(self, error: ApiError | ErrorSpec, retry_after_ms: int, request_id: str) -> Outgoing:
        """Middleware errors `{"error": {message (request id), type, code}}`, task errors `{code, message, data}`."""
        api_error = error if isinstance(error, ApiError) else ApiError(error.code)
        rule = self._rule(api_error)
        status = rule.status or api_error.status
        code = api_error.code if rule.wire_code is None else rule.wire_code
        message = rule.message or api_error.message
        headers = error_headers(api_error, retry_after_ms)
        if rule.layer == "middleware":
            message = f"{message} (request id: {request_id})"
            return json_reply(
                status, {"error": {"message": message, "type": self.middleware_type, "code": code}}, headers
            )
        return json_reply(status, {"code": code, "message": message, "data": None}, headers)

    def video_unavailable(self, status: Status | None, request_id: str) -> Outgoing:
        """controller/video_proxy.go: 404 "Task not found", or 400 naming the task's current status."""
        entry = self.proxy["not_found" if status is None else "not_completed"]
        message = str(entry["message"]).format(status=self.task_statuses.get(status or "", ""))
        return json_reply(int(entry["status"]), {"error": {"message": message, "type": entry["type"]}})

    def range_not_satisfiable(self, content_range: str, request_id: str) -> Outgoing:
        """controller/video_proxy.go relays only a 200 or a 206: the storage's 416 becomes its 502."""
        entry = self.proxy["upstream_status"]
        message = str(entry["message"]).format(status=416)
        return json_reply(int(entry["status"]), {"error": {"message": message, "type": entry["type"]}})


@cache
def dialect_named(name: str) -> Dialect:
    """The dialect called `name` (`uniall` or `new-api`), built once; `ValueError` names the choices."""
    if name not in DIALECT_NAMES:
        raise ValueError(f"unknown dialect {name!r}; choose one of {', '.join(DIALECT_NAMES)}")
    data: dict[str, Any] = load_json(f"dialects/{name}/dialect.json")
    return _KINDS[name](data)


def register_dialect(kind: type[Dialect]) -> type[Dialect]:
    """Make `kind` the dialect of its name (Vidu's shapes live with its routes, in `contract/vidu/`)."""
    _KINDS[kind.name] = kind
    dialect_named.cache_clear()
    return kind


_KINDS: dict[str, type[Dialect]] = {UniAll.name: UniAll, NewApi.name: NewApi}
