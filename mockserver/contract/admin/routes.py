"""The admin API under `/__mock/`: `MockControl` over HTTP, for non-Python users.

Loopback callers only, unless an admin token is configured; then the token is required
(header `X-Mock-Admin-Token`) from everywhere. `GET /__mock/` is the dashboard page
(`mockserver.dashboard`), behind the same guard.
"""

from __future__ import annotations

import hmac
import re
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from mockserver.contract.admin.bodies import admin_body
from mockserver.contract.admin.control import MockControl
from mockserver.contract.data.catalogue import ADMIN_PREFIX, TASK_ID_PATTERN
from mockserver.contract.errors import ApiError
from mockserver.contract.jobs.lifecycle import JobView, Task, TransitionError
from mockserver.contract.loopback import is_loopback
from mockserver.contract.messages import Incoming, Outgoing, json_reply
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.paths import content_path
from mockserver.contract.routes.steps import sample_video
from mockserver.contract.vidu.data import MEDIA, STATES

_TASK = re.compile(rf"^{re.escape(ADMIN_PREFIX)}tasks/({TASK_ID_PATTERN.removeprefix('^').removesuffix('$')})$")
#: A completed task's video for the dashboard's preview: not journalled, and no rule is used up.
_PREVIEW = re.compile(
    rf"^{re.escape(ADMIN_PREFIX)}tasks/({TASK_ID_PATTERN.removeprefix('^').removesuffix('$')})/video$"
)
_ACTIONS = ("advance", "complete", "fail", "stall")
_READS = frozenset({"GET", "HEAD", "OPTIONS"})
#: Admin paths every worker answers alike with in-memory state (what tests steer is not in them):
#: the settings and the clock (no worker's clock can be moved while writes are refused).
_SAME_ON_EVERY_WORKER = frozenset({f"{ADMIN_PREFIX}config", f"{ADMIN_PREFIX}clock"})
#: The header that carries the admin token (`VIDU_MOCK_ADMIN_TOKEN`).
ADMIN_TOKEN_HEADER = "X-Mock-Admin-Token"  # noqa: S105  # a header's name, not a secret
#: Open to every caller (no data in it), so a container's health check or a load balancer needs no token.
HEALTH_PATH = f"{ADMIN_PREFIX}health"
#: How many of the newest tasks `GET /__mock/tasks` lists (the store may hold 100 000).
TASK_LIST_LIMIT = 200
DASHBOARD_PATHS = frozenset(
    {ADMIN_PREFIX[:-1], f"{ADMIN_PREFIX}assets/dashboard.js", f"{ADMIN_PREFIX}assets/dashboard.css"}
)
#: Serves the dashboard's paths: (method, path, control or None when the caller may not see data,
#: True when the state is per worker: the page then shows the settings only, and why).
#: Given by the live server's face, so the core never imports the page (it is HTML, not contract).
PageHandler = Callable[[str, str, MockControl | None, bool], Outgoing]


def is_admin_path(path: str) -> bool:
    """Whether `path` belongs to the admin API (`/__mock` and below)."""
    return path.startswith(ADMIN_PREFIX) or path == ADMIN_PREFIX[:-1]


def _refusal(engine: ContractEngine, request: Incoming, headers: dict[str, str]) -> ApiError | None:
    token = engine.settings.admin_token
    if token:
        if not hmac.compare_digest(headers.get(ADMIN_TOKEN_HEADER.lower(), ""), token):
            return ApiError("admin_forbidden", "The admin API needs the X-Mock-Admin-Token header.")
    elif request.remote_addr is not None and not is_loopback(request.remote_addr):  # None: in process
        return ApiError(
            "admin_forbidden", "The admin API answers loopback callers only; configure an admin token to allow others."
        )
    return None


def task_json(task: Task, view: JobView, dialect: str = "uniall") -> dict[str, Any]:
    """One task as `GET /__mock/tasks` lists it (the video as a path on this server once completed).

    In the `vidu` dialect it adds `state` (Vidu's name for the status) and the video is Vidu's media link.
    """
    if dialect == "vidu":
        video = f"{MEDIA}/{task.id}.mp4"
        return task_json(task, view) | {
            "state": STATES[view.status],
            "video_path": video if view.status == "completed" else None,
        }
    return {
        "id": task.id,
        "model": task.model,
        "mode": task.mode,
        "status": view.status,
        "progress": view.progress,
        "outcome": task.outcome,
        "lifecycle": task.lifecycle,
        "created_at": task.created_at,
        "completed_at": view.completed_at,
        "video_path": content_path(task.id) if view.status == "completed" else None,
        "preview_path": preview_path(task.id) if view.status == "completed" else None,
    }


def concurrency_json(engine: ContractEngine) -> dict[str, Any]:
    """`GET /__mock/concurrency`: the cap, and the slots each token holds, named by its fingerprint.

    The fingerprint is the keyed hash the mock matches tasks to (task ids carry it); a token is never kept.
    """
    holders = engine.concurrency.holders()
    return {
        "per_token": engine.settings.token_concurrency,
        "holders": [{"fingerprint": owner, "held": held} for owner, held in holders],
    }


def preview_path(task_id: str) -> str:
    """Where the dashboard previews a completed task's video: an admin read that changes nothing."""
    return f"{ADMIN_PREFIX}tasks/{task_id}/video"


def not_shared(method: str, path: str) -> ApiError:
    """The 409 for an admin call that would change or show one worker's in-memory state only."""
    effect = "show" if method in _READS else "change"
    return ApiError(
        "state_not_shared",
        f"This server runs several worker processes on in-memory state, so {method} {path[:200]} would "
        f"{effect} one worker's part only. Start it with --state redis://host:port/db (or VIDU_MOCK_STATE) "
        "to share the state, or run one process.",
    )


def _not_allowed(method: str, allowed: str) -> ApiError:
    allowed = allowed.replace("GET", "GET, HEAD")  # every read answers HEAD too
    return ApiError("method_not_allowed", f"{method} is not allowed here; use {allowed}.", allowed)


def handle_admin(
    engine: ContractEngine, request: Incoming, headers: dict[str, str], page: PageHandler | None = None
) -> Outgoing:
    """Serve one admin request (see "Run it locally" in README.md)."""
    method, path = request.method.upper(), request.path.rstrip("/")
    if path == HEALTH_PATH:
        return _health(engine, method)
    refusal = _refusal(engine, request, headers)
    if page is not None and path in DASHBOARD_PATHS and (refusal is None or engine.settings.admin_token):
        # With a token set, anyone gets the page without data: it asks for the token.
        per_worker = request.multiprocess and not engine.state.shared
        return page(method, path, None if refusal else MockControl(engine), per_worker)
    if refusal is not None:
        raise refusal
    control = MockControl(engine)
    per_worker = method not in _READS or path not in _SAME_ON_EVERY_WORKER
    if request.multiprocess and per_worker and not engine.state.shared:
        raise not_shared(method, path)
    # HEAD reads what GET reads (the face sends the headers only); a refusal still names HEAD.
    asked, method = method, "GET" if method == "HEAD" else method
    if path == f"{ADMIN_PREFIX}journal":
        if method == "GET":
            return json_reply(200, {"entries": [e.to_json() for e in control.journal]})
        if method == "DELETE":
            admin_body(request, "no-fields")
            engine.state.clear_journal()
            return json_reply(200, {"entries": []})
        raise _not_allowed(asked, "GET, DELETE")
    if path == f"{ADMIN_PREFIX}failures":
        if method == "GET":
            return json_reply(200, {"rules": [r.to_json() for r in control.pending_failures]})
        if method == "POST":
            body = admin_body(request, "failure-rule")
            try:
                rule = control.queue_failure(**body)
            except ValueError as exc:  # the rule's own checks (the catalogue's codes), in our words
                raise ApiError("invalid_value", f"Bad failure rule: {exc}") from None
            return json_reply(201, rule.to_json())
        if method == "DELETE":
            admin_body(request, "no-fields")
            engine.state.clear_failures()
            return json_reply(200, {"rules": []})
        raise _not_allowed(asked, "GET, POST, DELETE")
    if path == f"{ADMIN_PREFIX}jobs":
        if method == "GET":
            return json_reply(200, {"plans": [p.to_json() for p in control.pending_jobs]})
        if method == "POST":
            body = admin_body(request, "job-plan")
            try:
                plan = control.plan_job(**body)
            except ValueError as exc:
                raise ApiError("invalid_value", f"Bad job plan: {exc}") from None
            return json_reply(201, plan.to_json())
        if method == "DELETE":
            admin_body(request, "no-fields")
            engine.state.clear_job_plans()
            return json_reply(200, {"plans": []})
        raise _not_allowed(asked, "GET, POST, DELETE")
    if path == f"{ADMIN_PREFIX}reset":
        if method != "POST":
            raise _not_allowed(asked, "POST")
        admin_body(request, "no-fields")
        control.reset()
        return json_reply(200, {"reset": True})
    if path == f"{ADMIN_PREFIX}concurrency":
        if method == "GET":
            return json_reply(200, concurrency_json(engine))
        if method == "PUT":
            per_token = admin_body(request, "concurrency")["per_token"]
            if engine.state.shared:
                # Settings live in each process: a change here would reach one worker of many.
                raise ApiError(
                    "invalid_value",
                    "On shared state set the cap at start (--token-concurrency or VIDU_MOCK_TOKEN_CONCURRENCY); "
                    "a change here would reach this process only.",
                )
            return json_reply(200, {"per_token": control.set_token_concurrency(int(per_token))})
        raise _not_allowed(asked, "GET, PUT")
    if path == f"{ADMIN_PREFIX}config":
        if method != "GET":
            raise _not_allowed(asked, "GET")
        return json_reply(200, engine.settings.public())
    if path == f"{ADMIN_PREFIX}clock":
        if method == "GET":
            return json_reply(200, {"now": control.now()})
        if method == "POST":
            seconds = admin_body(request, "clock")["advance"]
            return json_reply(200, {"now": control.advance_clock(float(seconds))})
        raise _not_allowed(asked, "GET, POST")
    if path.startswith(f"{ADMIN_PREFIX}callbacks"):
        return _callbacks(engine, control, asked, method, path, request)
    if path == f"{ADMIN_PREFIX}tasks":
        if method != "GET":
            raise _not_allowed(asked, "GET")
        newest, total = control.newest_tasks(TASK_LIST_LIMIT)
        now = control.now()
        dialect = control.engine.settings.dialect
        tasks = [task_json(task, task.view(now), dialect) for task in newest]
        return json_reply(200, {"tasks": tasks, "total": total})
    match = _TASK.match(path)
    if match:
        return _task_action(control, asked, match.group(1), request)
    match = _PREVIEW.match(path)
    if match:
        if method != "GET":
            raise _not_allowed(asked, "GET")
        return _preview(control, match.group(1))
    raise ApiError("not_found", f"No admin endpoint at {path[:200]!r}.")


def _preview(control: MockControl, task_id: str) -> Outgoing:
    """The sample video of a completed task, as its download serves it, without touching the state."""
    try:
        view = control.state(task_id)
    except KeyError:
        raise ApiError("task_not_found", f"No task {task_id!r}.", "task_id") from None
    if view.status != "completed":
        raise ApiError("not_found", f"Task {task_id!r} is {view.status}: no video yet.", "task_id")
    return Outgoing(200, {"Content-Type": "video/mp4", "Cache-Control": "no-store"}, sample_video())


def _callbacks(
    engine: ContractEngine, control: MockControl, asked: str, method: str, path: str, request: Incoming
) -> Outgoing:
    """`/__mock/callbacks` (the delivery journal; DELETE clears it) and `/__mock/callbacks/faults`."""
    outbox = engine.callbacks
    if path == f"{ADMIN_PREFIX}callbacks":
        if method == "GET":
            return json_reply(200, control.callbacks_json())
        if method == "DELETE":
            admin_body(request, "no-fields")
            outbox.clear_journal()
            return json_reply(200, control.callbacks_json())
        raise _not_allowed(asked, "GET, DELETE")
    if path == f"{ADMIN_PREFIX}callbacks/faults":
        if method == "GET":
            return json_reply(
                200, {"faults": control.callbacks_json()["faults"], "planned": control.callbacks_json()["planned"]}
            )
        if method == "POST":
            body = admin_body(request, "callback-fault")
            try:
                rule = control.queue_callback_fault(**body)
            except ValueError as exc:
                raise ApiError("invalid_value", f"Bad callback fault: {exc}") from None
            return json_reply(201, {**rule.to_json(), "job": body.get("job")})
        if method == "DELETE":
            admin_body(request, "no-fields")
            outbox.rules.clear()
            outbox.clear_plans()
            return json_reply(200, {"faults": [], "planned": []})
        raise _not_allowed(asked, "GET, POST, DELETE")
    raise ApiError("not_found", f"No admin endpoint at {path[:200]!r}.")


def _health(engine: ContractEngine, method: str) -> Outgoing:
    """200 while the mock can answer; with shared state, only while that state answers too (else its 503)."""
    if method not in _READS:
        raise _not_allowed(method, "GET")
    if engine.state.shared:
        engine.state.refresh()  # raises StateUnavailable (a 503) when Redis is away
    return json_reply(200, {"status": "ok"})


def _task_action(control: MockControl, method: str, task_id: str, request: Incoming) -> Outgoing:
    try:
        control.task(task_id)
    except KeyError:
        raise ApiError("task_not_found", f"No task {task_id!r}.", "task_id") from None
    if method in ("GET", "HEAD"):
        return json_reply(200, asdict(control.state(task_id)))
    if method != "POST":
        raise _not_allowed(method, "GET, POST")
    body = admin_body(request, "task-action")
    action, status = body.get("action"), body.get("status", "")
    try:
        # The schema let through an action or a status; with both, the action is taken.
        view = getattr(control, str(action))(task_id) if action in _ACTIONS else control.force(task_id, status)
    except TransitionError as exc:
        raise ApiError("invalid_state_transition", str(exc), "status") from None
    return json_reply(200, asdict(view))
