"""The admin API under `/__mock/`: `MockControl` over HTTP, for non-Python users.

Loopback callers only, unless an admin token is configured; then the token is required
(header `X-Mock-Admin-Token`) from everywhere.
"""

from __future__ import annotations

import hmac
import ipaddress
import re
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from mockserver.contract.catalogue import STATUSES
from mockserver.contract.control import MockControl
from mockserver.contract.errors import ApiError
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import TransitionError
from mockserver.contract.replies import Incoming, Outgoing, json_reply

if TYPE_CHECKING:
    from mockserver.contract.engine import ContractEngine

_TASK = re.compile(r"^/__mock/tasks/(task_[A-Za-z0-9_-]{1,120})$")
_ACTIONS = ("advance", "complete", "fail", "stall")
MAX_ADMIN_BODY = 64 * 1024


def _is_loopback(address: str | None) -> bool:
    if address is None:
        return True
    try:
        return ipaddress.ip_address(address.split("%")[0]).is_loopback
    except ValueError:
        return False


def _authorize(engine: ContractEngine, request: Incoming, headers: dict[str, str]) -> None:
    token = engine.settings.admin_token
    if token:
        if not hmac.compare_digest(headers.get("x-mock-admin-token", ""), token):
            raise ApiError("admin_forbidden", "The admin API needs the X-Mock-Admin-Token header.")
    elif not _is_loopback(request.remote_addr):
        raise ApiError(
            "admin_forbidden", "The admin API answers loopback callers only; configure an admin token to allow others."
        )


def _json_object(request: Incoming) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    if len(request.body) > MAX_ADMIN_BODY:
        raise ApiError("payload_too_large")
    data = parse_json_body(request.body)
    if not isinstance(data, dict):
        raise ApiError("invalid_value", "The admin body must be a JSON object.")
    return data


def _not_allowed(method: str, allowed: str) -> ApiError:
    return ApiError("method_not_allowed", f"{method} is not allowed here; use {allowed}.", allowed)


def handle_admin(engine: ContractEngine, request: Incoming, headers: dict[str, str]) -> Outgoing:
    """Serve one admin request (see "Run it locally" in README.md)."""
    _authorize(engine, request, headers)
    control = MockControl(engine)
    method, path = request.method.upper(), request.path.rstrip("/")
    if path == "/__mock/journal":
        if method == "GET":
            return json_reply(200, {"entries": [e.to_json() for e in control.journal]})
        if method == "DELETE":
            engine.journal.clear()
            return json_reply(200, {"entries": []})
        raise _not_allowed(method, "GET, DELETE")
    if path == "/__mock/failures":
        if method == "GET":
            return json_reply(200, {"rules": [r.to_json() for r in control.pending_failures]})
        if method == "POST":
            body = _json_object(request)
            try:
                rule = control.queue_failure(**body)
            except (TypeError, ValueError) as exc:
                raise ApiError("invalid_value", f"Bad failure rule: {exc}") from None
            return json_reply(201, rule.to_json())
        if method == "DELETE":
            engine.failures.clear()
            return json_reply(200, {"rules": []})
        raise _not_allowed(method, "GET, POST, DELETE")
    if path == "/__mock/jobs":
        if method == "GET":
            return json_reply(200, {"plans": [p.to_json() for p in control.pending_jobs]})
        if method == "POST":
            body = _json_object(request)
            try:
                plan = control.plan_job(**body)
            except (TypeError, ValueError) as exc:
                raise ApiError("invalid_value", f"Bad job plan: {exc}") from None
            return json_reply(201, plan.to_json())
        if method == "DELETE":
            engine.job_plans.clear()
            return json_reply(200, {"plans": []})
        raise _not_allowed(method, "GET, POST, DELETE")
    if path == "/__mock/reset":
        if method != "POST":
            raise _not_allowed(method, "POST")
        control.reset()
        return json_reply(200, {"reset": True})
    if path == "/__mock/config":
        if method != "GET":
            raise _not_allowed(method, "GET")
        return json_reply(200, engine.settings.public())
    if path == "/__mock/clock":
        if method == "GET":
            return json_reply(200, {"now": control.now()})
        if method == "POST":
            seconds = _json_object(request).get("advance")
            if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or not 0 <= seconds <= 10**7:
                raise ApiError("invalid_value", 'Send {"advance": seconds} with 0 <= seconds <= 1e7.', "advance")
            return json_reply(200, {"now": control.advance_clock(float(seconds))})
        raise _not_allowed(method, "GET, POST")
    match = _TASK.match(path)
    if match:
        return _task_action(control, method, match.group(1), request)
    raise ApiError("not_found", f"No admin endpoint at {path[:200]!r}.")


def _task_action(control: MockControl, method: str, task_id: str, request: Incoming) -> Outgoing:
    try:
        control.task(task_id)
    except KeyError:
        raise ApiError("task_not_found", f"No task {task_id!r}.", "task_id") from None
    if method == "GET":
        return json_reply(200, asdict(control.state(task_id)))
    if method != "POST":
        raise _not_allowed(method, "GET, POST")
    body = _json_object(request)
    action, status = body.get("action"), body.get("status")
    try:
        if action in _ACTIONS:
            view = getattr(control, str(action))(task_id)
        elif status in STATUSES:
            view = control.force(task_id, status)
        else:
            raise ApiError(
                "invalid_value",
                f'Send {{"action": one of {", ".join(_ACTIONS)}}} or {{"status": one of {", ".join(STATUSES)}}}.',
                "action",
            )
    except TransitionError as exc:
        raise ApiError("invalid_state_transition", str(exc), "status") from None
    return json_reply(200, asdict(view))
