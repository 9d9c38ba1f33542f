"""Render the dashboard page and serve its two static assets, every value HTML-escaped."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache
from html import escape
from importlib.resources import files
from string import Template
from typing import Any

from mockserver.contract.admin.control import MockControl
from mockserver.contract.admin.routes import TASK_LIST_LIMIT, concurrency_json, task_json
from mockserver.contract.data.catalogue import MODELS, MODES
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import FAULTS
from mockserver.contract.messages import Outgoing

__all__ = ["JOURNAL_ROWS", "NO_HOLDERS", "PAGE_HEADERS", "PER_WORKER_ROW", "dashboard_reply", "render_page", "snapshot"]

#: The newest journal entries the page shows (the script shows the same number).
JOURNAL_ROWS = 200
_PROMPT_CHARS = 160
_ASSETS = {
    "/__mock/assets/dashboard.js": ("dashboard.js", "text/javascript; charset=utf-8"),
    "/__mock/assets/dashboard.css": ("dashboard.css", "text/css; charset=utf-8"),
}
# Scripts and styles from this server only, never inline: if escaping were ever missed,
# an injected <script> or on* attribute still would not run.
_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; media-src 'self' blob:; "
    "img-src 'self' data:; form-action 'none'; base-uri 'none'; frame-ancestors 'none'"
)
PAGE_HEADERS = {
    "Content-Security-Policy": _CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_LOCKED_ROW = "Locked: enter the admin token above."
#: The concurrency table when no token holds a slot.
NO_HOLDERS = "No token holds a slot."
#: What the page shows instead of the journal, tasks and failures when each worker keeps its own.
PER_WORKER_ROW = (
    "Not shown: this server runs several worker processes on in-memory state, so each worker has its own "
    "journal, tasks and failures. Start it with --state redis://host:port/db to see them here."
)


@cache
def _asset(name: str) -> bytes:
    return (files("mockserver.dashboard") / "assets" / name).read_bytes()


@cache
def _template() -> Template:
    """The page's template with the catalogue's choices (faults, models, modes) filled in."""
    options = {
        "fault_options": "".join(f"<option>{escape(fault)}</option>" for fault in FAULTS),
        "model_options": "".join(f'<option value="{escape(model)}"></option>' for model in MODELS),
        "mode_options": "".join(f"<option>{escape(mode)}</option>" for mode in MODES),
    }
    return Template(Template(_asset("page.html").decode("utf-8")).safe_substitute(options))


#: Columns of the callback table (page.html, dashboard.js).
CALLBACK_COLUMNS = 10


def snapshot(control: MockControl, per_worker: bool = False) -> dict[str, Any]:
    """What the page shows, in the admin endpoints' JSON shapes (the script polls the same);
    `per_worker`: the settings and clock only, with the reason."""
    if per_worker:
        settings = control.engine.settings.public()
        return {
            "entries": [],
            "tasks": [],
            "rules": [],
            "deliveries": [],
            "settings": settings,
            "concurrency": {"per_token": control.token_concurrency, "holders": []},
            "now": control.now(),
            "notice": True,
        }
    return {
        "entries": [entry.to_json() for entry in control.journal],
        "tasks": [
            task_json(task, view, control.engine.settings.dialect) for task, view in control.tasks(TASK_LIST_LIMIT)
        ],
        "rules": [rule.to_json() for rule in control.pending_failures],
        "deliveries": [record.to_json() for record in control.callback_deliveries()],
        "settings": control.engine.settings.public(),
        "concurrency": concurrency_json(control.engine),
        "now": control.now(),
    }


def dashboard_reply(method: str, path: str, control: MockControl | None, per_worker: bool = False) -> Outgoing:
    """The page (its data only when `control` is given: the caller passed the admin guard, and
    the state is not per worker) or an asset."""
    if method not in ("GET", "HEAD"):
        raise ApiError("method_not_allowed", f"{method} is not allowed here; use GET.", "GET, HEAD")
    if path in _ASSETS:
        name, content_type = _ASSETS[path]
        headers = {"Content-Type": content_type, "X-Content-Type-Options": "nosniff", "Cache-Control": "no-cache"}
        return Outgoing(200, headers, _asset(name))
    page = render_page(None if control is None else snapshot(control, per_worker))
    return Outgoing(200, {"Content-Type": "text/html; charset=utf-8", **PAGE_HEADERS}, page.encode("utf-8"))


def render_page(state: dict[str, Any] | None) -> str:
    """The whole page for `state` (from `snapshot`); None renders it locked, without data."""
    template = _template()
    if state is None:
        locked = _empty(11, _LOCKED_ROW), _empty(8, _LOCKED_ROW), _empty(7, _LOCKED_ROW), _empty(2, _LOCKED_ROW)
        return template.substitute(
            locked="true",
            clock="",
            journal_rows=locked[0],
            task_rows=locked[1],
            rule_rows=locked[2],
            settings_rows=locked[3],
            callback_rows=_empty(CALLBACK_COLUMNS, _LOCKED_ROW),
            concurrency_cap="",
            concurrency_rows=_empty(2, _LOCKED_ROW),
        )
    entries = state["entries"][-JOURNAL_ROWS:][::-1]
    notice = state.get("notice")
    concurrency = state.get("concurrency") or {"per_token": 0, "holders": []}
    return template.substitute(
        locked="false",
        clock=escape(clock_text(state["now"])),
        journal_rows="".join(map(_journal_row, entries))
        or _empty(11, PER_WORKER_ROW if notice else "No requests yet."),
        task_rows="".join(map(_task_row, state["tasks"][::-1]))
        or _empty(8, PER_WORKER_ROW if notice else "No tasks yet."),
        rule_rows="".join(map(_rule_row, state["rules"]))
        or _empty(7, PER_WORKER_ROW if notice else "No failures queued."),
        callback_rows="".join(map(_delivery_row, state.get("deliveries", [])[-JOURNAL_ROWS:][::-1]))
        or _empty(CALLBACK_COLUMNS, PER_WORKER_ROW if notice else "No callbacks yet."),
        settings_rows="".join(_row(_cell(key), _cell(setting_text(value))) for key, value in state["settings"].items()),
        concurrency_cap=escape(cap_text(concurrency["per_token"])),
        concurrency_rows="".join(_holder_row(holder, concurrency["per_token"]) for holder in concurrency["holders"])
        or _empty(2, PER_WORKER_ROW if notice else NO_HOLDERS),
    )


def cap_text(per_token: int) -> str:
    """The cap as the page states it (the script writes the same)."""
    if per_token <= 0:
        return "No cap: a token may have any number of tasks in flight."
    return f"Cap: {per_token} task{'s' if per_token != 1 else ''} in flight per token; a create beyond it gets 429."


def held_text(held: int, per_token: int) -> str:
    """`1 of 2`: the slots a token holds, of the cap."""
    return f"{held} of {per_token}"


def clock_text(seconds: float) -> str:
    """The fake's clock as the page shows it: `2026-03-26 06:47:06 UTC`."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def time_text(seconds: float) -> str:
    """A journal entry's time of day (UTC, to the second)."""
    return datetime.fromtimestamp(seconds, UTC).strftime("%H:%M:%S")


def latency_text(millis: float | None) -> str:
    """`12.3 ms`, or nothing when the entry has no latency."""
    return "" if millis is None else f"{millis:.1f} ms"


def prompt_text(body: Any) -> str:
    """The request's prompt, shortened for a table cell."""
    prompt = body.get("prompt") if isinstance(body, dict) else None
    if not isinstance(prompt, str):
        return ""
    return prompt if len(prompt) <= _PROMPT_CHARS else prompt[:_PROMPT_CHARS] + "…"


def setting_text(value: Any) -> str:
    """A setting's value as text: strings as they are, everything else as compact JSON."""
    return value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))


def _cell(text: Any, css: str = "") -> str:
    attribute = f' class="{escape(css)}"' if css else ""
    return f"<td{attribute}>{escape('' if text is None else str(text))}</td>"


def _row(*cells: str) -> str:
    return f"<tr>{''.join(cells)}</tr>"


def _empty(columns: int, text: str) -> str:
    return f'<tr class="empty"><td colspan="{columns}">{escape(text)}</td></tr>'


def _journal_row(entry: dict[str, Any]) -> str:
    status = int(entry["status"])
    return _row(
        _cell(entry["seq"], "num"),
        _cell(time_text(entry["time"])),
        _cell(entry["method"]),
        _cell(entry["path"], "path"),
        _cell(status, f"status s{status // 100}"),
        _cell(latency_text(entry.get("latency_ms")), "num"),
        _cell(entry.get("model")),
        _cell(entry.get("mode")),
        _cell(prompt_text(entry.get("body")), "prompt"),
        _cell(entry.get("message"), "message"),
        _cell(entry.get("injected"), "injected" if entry.get("injected") else ""),
    )


def _task_row(task: dict[str, Any]) -> str:
    progress = int(task["progress"])
    video = ""
    if task.get("preview_path"):
        # The admin preview, never the API's download: looking must not journal or use up a rule.
        video = f'<video src="{escape(task["preview_path"])}" controls muted preload="metadata"></video>'
    return (
        f'<tr data-id="{escape(task["id"])}">'
        f"{_cell(task['id'], 'id')}{_cell(task['model'])}{_cell(task['mode'])}"
        f"{_cell(task.get('state', task['status']), 'status ' + task['status'])}"
        f'<td><progress max="100" value="{progress}"></progress> {progress}%</td>'
        f"{_cell(task['outcome'])}<td>{video}</td><td></td></tr>"
    )


def _delivery_row(record: dict[str, Any]) -> str:
    """One callback attempt (Vidu's dialect): what became of it, the receiver's status or the error."""
    answer = record["status"] if record["status"] is not None else record.get("error")
    return _row(
        _cell(record["seq"], "num"),
        _cell(time_text(record["time"])),
        _cell(record["task_id"], "id"),
        _cell(record["state"]),
        _cell(record["attempt"], "num"),
        _cell(record["outcome"], f"outcome {record['outcome']}"),
        _cell(answer, "message"),
        _cell(latency_text(record.get("latency_ms")), "num"),
        _cell(record.get("fault"), "injected" if record.get("fault") else ""),
        _cell(record["url"], "path"),
    )


def _holder_row(holder: dict[str, Any], per_token: int) -> str:
    """One token's held slots, named by its fingerprint (the admin API never has the token)."""
    return _row(_cell(holder["fingerprint"], "id"), _cell(held_text(int(holder["held"]), per_token), "num"))


def _rule_row(rule: dict[str, Any]) -> str:
    delay = f"{rule['delay_ms']} ms" if rule["delay_ms"] else ""
    return _row(
        *(_cell(rule[key]) for key in ("error", "fault")),
        _cell(delay),
        *(_cell(rule[key]) for key in ("times", "endpoint", "model", "mode")),
    )
