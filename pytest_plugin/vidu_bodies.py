"""Hypothesis strategies for clients of Vidu's own API (`--dialect vidu`, `/ent/v2/*`).

- `vidu_create_requests(route=None)`: valid create bodies, each with the route it is for.
- `invalid_vidu_create_requests(route=None)`: invalid ones, each with the exact refusal
  (status, Vidu reason, the field named first) the mock promises.
- `vidu_tasks(state=None)`: poll answers (`GET /ent/v2/tasks/{id}/creations`), valid per
  `schemas/dialects/vidu/task.schema.json`, for testing a client's parser.

Routes, models, counts, ranges and enums are read from `schemas/dialects/vidu/`; the core's
checks are never consulted, so a test comparing the two can fail.
"""

from __future__ import annotations

import string
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract.data.catalogue import VIDU_REASONS
from mockserver.contract.dialects import JobFacts
from mockserver.contract.jobs.lifecycle import JobView
from mockserver.contract.vidu.data import DATA, REQUEST_SCHEMA, VIDU_ROUTES, ViduRoute
from mockserver.contract.vidu.records import ViduRecord
from mockserver.contract.vidu.shapes import render_task

__all__ = ["InvalidViduRequest", "ViduRequest", "invalid_vidu_create_requests", "vidu_create_requests", "vidu_tasks"]

_PROPS: dict[str, Any] = REQUEST_SCHEMA["properties"]
_STATES: dict[str, str] = DATA["states"]  # the engine's status -> Vidu's state
_ENDING_REASONS: tuple[str, ...] = tuple(DATA["ending_reasons"])


@dataclass(frozen=True, slots=True)
class ViduRequest:
    """A valid create: POST `/ent/v2/{route}` with `body`."""

    route: str
    body: dict[str, Any]

    @property
    def path(self) -> str:
        """The route's path."""
        return VIDU_ROUTES[self.route].path


@dataclass(frozen=True, slots=True)
class InvalidViduRequest:
    """An invalid create and its refusal: `status`, Vidu's `reason`, the `field` its message names first."""

    route: str
    body: Any
    status: int
    reason: str
    field: str | None
    rule: str

    @property
    def path(self) -> str:
        """The route's path."""
        return VIDU_ROUTES[self.route].path


def _routes(route: str | None) -> list[ViduRoute]:
    if route is None:
        return list(VIDU_ROUTES.values())
    if route not in VIDU_ROUTES:
        raise InvalidArgument(f"route={route!r} is not a Vidu create route; choose one of {', '.join(VIDU_ROUTES)}")
    return [VIDU_ROUTES[route]]


_PROMPTS = st.text(string.ascii_letters + " ,.", min_size=0, max_size=60).map(lambda t: f"a fox {t}".strip())
_IMAGES = st.sampled_from(["https://example.com/a.png", "https://cdn.example.org/frame.jpg?x=1"]) | st.just(
    "data:image/png;base64,iVBORw0KGgo="
)


def _in_range(name: str) -> st.SearchStrategy[int]:
    return st.integers(_PROPS[name]["minimum"], _PROPS[name]["maximum"])


_OPTIONAL: dict[str, st.SearchStrategy[Any]] = {
    "duration": _in_range("duration"),
    "seed": _in_range("seed"),
    "aspect_ratio": st.sampled_from(_PROPS["aspect_ratio"]["enum"]),
    "resolution": st.sampled_from(_PROPS["resolution"]["enum"]),
    "movement_amplitude": st.sampled_from(_PROPS["movement_amplitude"]["enum"]),
    "bgm": st.booleans(),
    "audio": st.booleans(),
    "payload": st.text(string.printable, max_size=40),
    "off_peak": st.booleans(),
    "callback_url": st.just("https://example.com/vidu/callback"),
}


@st.composite
def _valid(draw: st.DrawFn, route: ViduRoute) -> ViduRequest:
    body: dict[str, Any] = {"model": draw(st.sampled_from(route.models))}
    if route.prompt_required or draw(st.booleans()):
        body["prompt"] = draw(_PROMPTS)
    if route.max_images:
        body["images"] = draw(st.lists(_IMAGES, min_size=route.min_images, max_size=route.max_images))
    for name in draw(st.lists(st.sampled_from(sorted(_OPTIONAL)), unique=True, max_size=4)):
        body[name] = draw(_OPTIONAL[name])
    return ViduRequest(route.name, body)


def vidu_create_requests(route: str | None = None) -> st.SearchStrategy[ViduRequest]:
    """Valid create bodies for `route` (`text2video`, `img2video`, `start-end2video`, `reference2video`) or any."""
    return st.one_of([_valid(r) for r in _routes(route)])


def _refused(route: ViduRoute, body: Any, reason: str, field: str | None, rule: str) -> InvalidViduRequest:
    return InvalidViduRequest(route.name, body, VIDU_REASONS[reason].status, reason, field, rule)


_BAD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "duration": st.sampled_from([0, _PROPS["duration"]["maximum"] + 1, "5", 5.5, True]),
    "resolution": st.sampled_from(["4k", "720P", 720, None]),
    "aspect_ratio": st.sampled_from(["2:1", "16/9", ""]),
    "movement_amplitude": st.sampled_from(["huge", 1]),
    "model": st.sampled_from(["viduq9", "no-such-model", 3]),
}


@st.composite
def _invalid(draw: st.DrawFn, route: ViduRoute) -> InvalidViduRequest:
    valid = draw(_valid(route)).body
    kinds = ["no model", "bad value"]
    if route.prompt_required:
        kinds.append("no prompt")
    if route.max_images:
        kinds.append("image count")
    kind = draw(st.sampled_from(kinds))
    body = dict(valid)
    if kind == "no model":
        del body["model"]
        return _refused(route, body, "FieldLacking", "model", kind)
    if kind == "no prompt":
        body["prompt"] = draw(st.sampled_from([None, "", "   ", "\t\n"]))
        if body["prompt"] is None:
            del body["prompt"]
        return _refused(route, body, "FieldLacking", "prompt", kind)
    if kind == "image count":
        count = draw(st.sampled_from([n for n in (route.min_images - 1, route.max_images + 1) if n > 0]))
        body["images"] = [draw(_IMAGES) for _ in range(count)]
        return _refused(route, body, "FieldItemCountOutOfRange", "images", kind)
    field = draw(st.sampled_from(sorted(_BAD_VALUES)))
    body[field] = draw(_BAD_VALUES[field])
    return _refused(route, body, "FieldInvalid", field, f"bad {field}")


def invalid_vidu_create_requests(route: str | None = None) -> st.SearchStrategy[InvalidViduRequest]:
    """Invalid create bodies, each with the refusal the `vidu` dialect answers it with."""
    return st.one_of([_invalid(r) for r in _routes(route)])


_VIEWS = {
    "queueing": st.just(JobView("queued", 0)),
    "processing": st.integers(1, 99).map(lambda p: JobView("in_progress", p)),
    "success": st.integers(0, 2**31).map(lambda t: JobView("completed", 100, t)),
    "failed": st.integers(0, 2**31).map(lambda t: JobView("failed", 50, t)),
}


@st.composite
def _task(draw: st.DrawFn, state: str | None) -> dict[str, Any]:
    view = draw(_VIEWS[state] if state is not None else st.one_of(list(_VIEWS.values())))
    task_id = draw(st.text(string.ascii_letters + string.digits + "_-", min_size=1, max_size=40))
    record = draw(st.builds(lambda req: ViduRecord.of(req.body, seed=1), vidu_create_requests()))
    reason = draw(st.sampled_from(_ENDING_REASONS))
    facts = JobFacts(task_id, record.model, "text-to-video", draw(st.integers(0, 2**31)), view, error_code=reason)
    base = draw(st.sampled_from(["https://api.vidu.com", "http://127.0.0.1:8000"]))
    return render_task(facts, record, base)


def vidu_tasks(state: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Poll answers in the `vidu` dialect; `state` pins one of `queueing`, `processing`, `success`, `failed`."""
    if state is not None and state not in _VIEWS:
        raise InvalidArgument(f"state={state!r} is not a polled state; choose one of {', '.join(_VIEWS)}")
    return _task(state)
