"""`ViduRoutes`: Vidu's own API on the one engine (`--dialect vidu`).

`POST /ent/v2/{text2video,img2video,start-end2video,reference2video}` create a task,
`GET /ent/v2/tasks/{id}/creations` polls it, `POST /ent/v2/tasks/{id}/cancel` cancels it,
`GET /ent/v2/tasks` lists the caller's tasks, and `GET /ent/v2/media/{id}.mp4|.jpg` serve a
successful task's video and cover. Auth is `Authorization: Token <key>`; the lifecycle,
clock, plans, injection, journal and isolation are the engine's. Two hooks for what builds
on it (Vidu's callbacks): `vidu_watch` sees every state change an answer shows, and
`vidu_poll_body(task_id, base_url)` renders a task's poll body.
"""

from __future__ import annotations

import hmac
import re
from functools import cache
from importlib.resources import files
from time import perf_counter
from typing import Any

from mockserver.contract.data.catalogue import Mode
from mockserver.contract.dialects import JobFacts
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.jobs.lifecycle import JobView, Task
from mockserver.contract.messages import Incoming, Outgoing, json_reply
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.routes.callback_steps import watch_callback
from mockserver.contract.routes.create import CreateRoute
from mockserver.contract.routes.steps import QUEUED, EngineSteps, sample_video
from mockserver.contract.routes.tasks import TaskRoutes
from mockserver.contract.state.protocol import Created
from mockserver.contract.vidu.body import check_body
from mockserver.contract.vidu.data import AUTH_SCHEME, CANCELLABLE, DATA, MEDIA, PREFIX, TASKS, VIDU_ROUTES, ViduRoute
from mockserver.contract.vidu.listing import page_token, read_list_query
from mockserver.contract.vidu.records import ViduRecord, ViduRecords
from mockserver.contract.vidu.shapes import FAILURE_REASON, render_created, render_listed, render_task
from mockserver.contract.vidu.watch import StateWatch

__all__ = ["ViduRoutes", "sample_cover"]

_TASK_PATH = re.compile(rf"^{re.escape(TASKS)}/([^/]+)/(creations|cancel)$")
_MEDIA_PATH = re.compile(rf"^{re.escape(MEDIA)}/([^/]+)\.(mp4|jpg)$")
_EXPIRE_SECONDS: float = DATA["off_peak"]["expire_seconds"]
_EXPIRED_REASON: str = DATA["off_peak"]["expired_reason"]
_CANCELLED_REASON: str = DATA["cancelled_reason"]
_SCAN_LIMIT: int = DATA["listing"]["scan_limit"]
_MEDIA_TYPES = {"mp4": "video/mp4", "jpg": "image/jpeg"}
_SCHEME = AUTH_SCHEME.lower()


@cache
def sample_cover() -> bytes:
    """The small JPEG every successful task's `cover_url` serves (packaged, read once)."""
    return (files("mockserver.contract.data") / "media" / "cover.jpg").read_bytes()


def _not_found(task_id: str) -> ApiError:
    return ApiError("TaskNotFound", f"task not found: {task_id[:130]}", "id")


def _check_cancel_body(raw: bytes) -> None:
    """The cancel page sends `{"id": "<task id>"}`; a body, when sent, must be a JSON object with a string id."""
    if not raw.strip():
        return
    try:
        body = parse_json_body(raw)
    except ApiError as bad_json:
        raise ApiError("BadRequest", f"the body is not valid JSON: {bad_json.message}", None) from None
    if not isinstance(body, dict):
        raise ApiError("BadRequest", "the request body must be a JSON object", None)
    if "id" in body and not isinstance(body["id"], str):
        raise ApiError("FieldInvalid", "invalid field: id", "id")


class ViduRoutes:
    """Vidu's routes, over the engine's shared steps (state, lifecycle, injection), its creates and task lookup."""

    def __init__(self, steps: EngineSteps, creates: CreateRoute, tasks: TaskRoutes) -> None:
        self.steps = steps
        self.creates = creates
        self.tasks = tasks
        #: What each Vidu task's answers echo (its request), bounded like the task store.
        self.records = ViduRecords(steps.settings.max_tasks)
        #: Where each state change an answer shows is reported (add listeners to `watch.listeners`).
        self.watch = StateWatch(steps.settings.max_tasks)

    # -- the hooks ---------------------------------------------------------------------
    def poll_body(self, task_id: str, base_url: str) -> dict[str, Any] | None:
        """The poll body of `task_id` now (what `GET .../creations` answers), without counting a poll."""
        task = self.tasks.find_task(task_id)
        if task is None:
            return None
        view = self._vidu_view(task, self.steps.now(), poll=False)
        return render_task(self._vidu_facts(task, view), self.records.get(task.id), base_url)

    def callback_body(self, task: Task, view: JobView, base_url: str) -> dict[str, Any]:
        """What a callback carries: the poll body (`GET .../creations`) of the task in `view` (docs/callbacks.md)."""
        return render_task(self._vidu_facts(task, view), self.records.get(task.id), base_url)

    def reset(self) -> None:
        """Forget the records and the states seen (the engine's reset)."""
        self.records.clear()
        self.watch.clear()

    # -- routing -----------------------------------------------------------------------
    def handle(self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str) -> Outgoing:
        """Answer a request in the `vidu` dialect (every path: Vidu's 404 when it is none of its routes)."""
        method = request.method.upper()
        path = request.path.rstrip("/") or "/"
        if path.startswith(PREFIX + "/") and path[len(PREFIX) + 1 :] in VIDU_ROUTES:
            self._allow(method, "POST")
            return self._vidu_create(request, headers, prefs, request_id, VIDU_ROUTES[path[len(PREFIX) + 1 :]])
        if path == TASKS:
            self._allow(method, "GET")
            return self._vidu_list(request, headers, request_id)
        task = _TASK_PATH.match(path)
        if task is not None:
            task_id, action = task.groups()
            if action == "cancel":
                self._allow(method, "POST")
                return self._vidu_cancel(request, headers, task_id, request_id)
            self._allow(method, "GET")
            return self._vidu_poll(request, headers, prefs, task_id, request_id)
        media = _MEDIA_PATH.match(path)
        if media is not None:
            self._allow(method, "GET")
            return self._vidu_media(request, headers, prefs, media.group(1), media.group(2), request_id)
        raise ApiError("NotFound", f"no route at {request.path[:200]!r}; Vidu's API is served under {PREFIX}/", None)

    @staticmethod
    def _allow(method: str, *allowed: str) -> None:
        if method not in allowed:
            raise ApiError("method_not_allowed", f"{method} is not allowed here; use {allowed[0]}.", ", ".join(allowed))

    # -- the task's view and facts -----------------------------------------------------
    def _vidu_view(self, task: Task, now: float, *, poll: bool) -> JobView:
        """The task's state now (counting a poll if `poll`); an off-peak task past its window is cancelled."""
        record = self.records.get(task.id)
        off_peak = record is not None and record.off_peak

        def look(current: Task) -> JobView:
            view = current.poll(now) if poll else current.view(now)
            if off_peak and not view.final and now - current.created_at >= _EXPIRE_SECONDS:
                current.reason = _EXPIRED_REASON  # Vidu cancels (and refunds) off-peak tasks not run in 48 h
                view = current.pin("failed", now)
            return view

        view = self.steps.state.change_task(task, look)
        self.watch.seen(task.id, DATA["states"][view.status])
        return view

    @staticmethod
    def _vidu_facts(task: Task, view: JobView) -> JobFacts:
        return JobFacts(
            task.id,
            task.model,
            task.mode,
            int(task.created_at),
            view,
            task.prompt,
            task.owner,
            error_code=task.reason or FAILURE_REASON,
        )

    def _vidu_owner(self, headers: dict[str, str]) -> str:
        """The caller's fingerprint; anything but `Authorization: Token <key>` is Vidu's 401 `Unauthorized`."""
        try:
            return self.steps.authenticate(headers, _SCHEME)
        except ApiError as refused:
            if refused.status != 401:
                raise
            raise ApiError(
                "Unauthorized", f"{refused.message.rstrip('.')}; send 'Authorization: Token <api key>'", None
            ) from None

    def _owned(self, task_id: str, owner: str) -> Task:
        task = self.tasks.find_task(task_id)
        if task is None or not hmac.compare_digest(task.owner, owner):
            raise _not_found(task_id)
        return task

    # -- create ------------------------------------------------------------------------
    def _vidu_create(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str, route: ViduRoute
    ) -> Outgoing:
        started = perf_counter()
        parsed: Any = None
        model: str | None = None
        mode: Mode = route.mode
        task_id = message = injected = None
        created: Created | None = None
        try:
            if request.size > self.steps.settings.max_body_bytes:
                raise ApiError(
                    "payload_too_large",
                    f"The body is {request.size} bytes; the limit is {self.steps.settings.max_body_bytes}.",
                )
            owner = self._vidu_owner(headers)
            unreadable: ApiError | None = None
            try:
                parsed = parse_json_body(request.body)
            except ApiError as bad_json:
                unreadable = bad_json
            if isinstance(parsed, dict) and isinstance(parsed.get("model"), str):
                model = parsed["model"]
            turn = self.steps.begin("create", model, mode, request.path)
            injection = self.steps.injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self.steps.injected_reply(injection, request_id)
            else:
                if unreadable is not None:
                    raise ApiError("BadRequest", f"the body is not valid JSON: {unreadable.message}", None)
                body = check_body(parsed, route, strict=self.steps.settings.strict)
                record = ViduRecord.of(body, seed=self.steps._rng.randrange(1, 2**31))
                task = self.creates.make_task(
                    body["model"], mode, owner, prefs.job, turn, record.prompt, record.off_peak
                )
                self.records.put(task.id, record)
                reply = json_reply(200, render_created(self._vidu_facts(task, QUEUED), record))
                task_id = task.id
                created = Created(task.id, record.prompt, prefs.job is not None)
                if watch_callback(self.steps, task.id, body, headers, request.base_url, prefs):  # docs/callbacks.md
                    honoured = prefs.callback_applied
                    if honoured is not None:  # listed beside the others by the engine (RFC 7240 §3)
                        reply.headers["Preference-Applied"] = honoured
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            task_id = created = injected = None
            message = api_error.message
        reply.task_id = task_id
        fields = self.steps.journal_fields(
            request,
            headers,
            reply,
            "create",
            body=parsed,
            task_id=task_id,
            model=model,
            mode=mode,
            injected=injected,
            started=started,
            message=message,
        )
        self.steps.state.record(self.steps.clock.now(), fields, created)
        return reply

    # -- poll --------------------------------------------------------------------------
    def _vidu_poll(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str, request_id: str
    ) -> Outgoing:
        started = perf_counter()
        model = mode = message = injected = None
        try:
            owner = self._vidu_owner(headers)
            try:
                task, turn = self.tasks._poll_turn(task_id, owner, request.path)
            except ApiError:
                raise _not_found(task_id) from None
            model, mode = task.model, task.mode
            injection = self.steps.injection(turn.rule, prefs)
            injected = injection.source
            if injection.error is not None:
                reply, message = self.steps.injected_reply(injection, request_id)
            else:
                view = self._vidu_view(task, self.steps.clock.now() + turn.clock_offset, poll=True)
                body = render_task(self._vidu_facts(task, view), self.records.get(task.id), request.base_url)
                reply = json_reply(200, body)
            reply.fault, reply.delay_ms = injection.fault, injection.delay_ms
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            message = api_error.message
        return self.steps.journaled(request, headers, reply, "poll", task_id, model, mode, injected, started, message)

    # -- cancel ------------------------------------------------------------------------
    def _vidu_cancel(self, request: Incoming, headers: dict[str, str], task_id: str, request_id: str) -> Outgoing:
        """Cancel a task still `created` or `queueing`: `{}`; otherwise Vidu's 400 "can not cancel"."""
        started = perf_counter()
        model = mode = message = None
        try:
            task = self._owned(task_id, self._vidu_owner(headers))
            model, mode = task.model, task.mode
            _check_cancel_body(request.body)
            now = self.steps.now()

            def cancel(current: Task) -> JobView:
                view = current.view(now)
                if view.status not in CANCELLABLE:
                    return view
                current.reason = _CANCELLED_REASON
                return current.pin("failed", now)

            before = task.view(now)
            view = self.steps.state.change_task(task, cancel)
            if before.status not in CANCELLABLE:
                state = DATA["states"][view.status]
                raise ApiError("BadRequest", f"task state is {state}, can not cancel", "id")
            self.watch.seen(task.id, DATA["states"][view.status])
            reply = json_reply(200, {})
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            message = api_error.message
        return self.steps.journaled(request, headers, reply, "cancel", task_id, model, mode, None, started, message)

    # -- the task list -----------------------------------------------------------------
    def _vidu_list(self, request: Incoming, headers: dict[str, str], request_id: str) -> Outgoing:
        """The caller's tasks, newest first, filtered and paged as the tasks-list page says."""
        started = perf_counter()
        message = None
        try:
            owner = self._vidu_owner(headers)
            now = self.steps.now()
            query = read_list_query(request.query, now)
            tasks, _ = self.steps.state.newest_tasks(_SCAN_LIMIT, self.tasks.find_task)
            listed: list[dict[str, Any]] = []
            # Newest first; tasks created at one instant keep the reverse of their stored order.
            for task in sorted(reversed(tasks), key=lambda t: -t.created_at):
                if not hmac.compare_digest(task.owner, owner):
                    continue
                if query.created_from is not None and task.created_at < query.created_from:
                    continue
                if query.created_to is not None and task.created_at > query.created_to:
                    continue
                if query.task_ids and task.id not in query.task_ids:
                    continue
                view = self._vidu_view(task, now, poll=False)
                item = render_listed(self._vidu_facts(task, view), self.records.get(task.id), request.base_url)
                if query.states and item["state"] not in query.states:
                    continue
                listed.append(item)
            first = query.page * query.page_size
            page = listed[first : first + query.page_size]
            more = first + query.page_size < len(listed)
            reply = json_reply(200, {"tasks": page, "next_page_token": page_token(query.page + 1) if more else ""})
        except ApiError as api_error:
            reply = self.steps.refusal(api_error, request_id)
            message = api_error.message
        fields = self.steps.journal_fields(request, headers, reply, "list", started=started, message=message)
        self.steps.state.record(self.steps.clock.now(), fields)
        return reply

    # -- media -------------------------------------------------------------------------
    def _vidu_media(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, task_id: str, kind: str, request_id: str
    ) -> Outgoing:
        """A successful task's video or cover (like a CDN link: no token); `CreationNotFound` before."""
        media = sample_video if kind == "mp4" else sample_cover
        return self.tasks.content(
            request,
            headers,
            prefs,
            task_id,
            request_id,
            lambda: Outgoing(200, {"Content-Type": _MEDIA_TYPES[kind]}, media()),
        )
