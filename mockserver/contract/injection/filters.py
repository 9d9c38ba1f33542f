"""A queued rule's filters checked against what can match: a rule that can never fire is refused.

`model` must be in the catalogue, `mode` one of the modes, `endpoint` one of the routes a
rule can match, `path` one of the dialect's routes (`routes/paths.py`, the one path
classifier, knows them). A typo is named with the closest valid value, so
`model="viduq3-720p"` says "did you mean 'viduq3p-720p'?" instead of waiting for a request
that never comes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from mockserver.contract.data.catalogue import MODELS, MODES
from mockserver.contract.routes.paths import dialect_routes, endpoint_of, route_of
from mockserver.contract.spelling import closest

__all__ = ["ENDPOINTS", "ROUTES", "check_filters", "rule_path"]

#: The requests a rule can match: a create, a task poll, a video download, or any of them.
ENDPOINTS = ("create", "poll", "content", "any")
#: Every route of every dialect: a rule built without a dialect may name any of them.
ROUTES = tuple(dict.fromkeys((*dialect_routes("uniall"), *dialect_routes("vidu"))))
# A rule's `path` may write the task id as any `{name}` or as `*`; it is kept as `{task_id}`.
_TASK_ID = re.compile(r"\{[^/{}]*\}|\*")


def _refuse(field: str, value: object, choices: Sequence[str], near: str | None = None) -> ValueError:
    near = near or closest(value, choices)
    hint = f"did you mean {near!r}? " if near is not None else ""
    return ValueError(f"{field}={value!r} can never match a request: {hint}choose one of {', '.join(choices)}")


def rule_path(path: object, routes: Sequence[str] = ROUTES) -> str:
    """`path` as the route template a rule matches (its id as `{task_id}`); `ValueError` off `routes`.

    A task's own path (`/v1/videos/video_123`) is refused with its route's template: a rule
    matches every task on a route, not one task.
    """
    if not isinstance(path, str):
        raise ValueError(f"path must be a route such as {routes[-1]!r}, not {type(path).__name__}")
    template = _TASK_ID.sub("{task_id}", path)
    template = template.rstrip("/") or template
    if template in routes:
        return template
    route = route_of(template)
    raise _refuse("path", path[:200], routes, route if route in routes else None)


def _endpoint_on(template: str) -> str:
    """The call a route template takes: `poll` or `content` when `GET` is its method, else `create`."""
    endpoint = endpoint_of("GET", template)[0]
    return "create" if endpoint == "other" else endpoint


def check_filters(
    model: str | None, mode: str | None, endpoint: str | None, path: str | None = None, routes: Sequence[str] = ROUTES
) -> tuple[str, str | None]:
    """The rule's endpoint and path template; `ValueError` naming the closest valid value for a filter
    that can never match. No `endpoint`: the path's, or `create` without one."""
    if model is not None and model not in MODELS:
        raise _refuse("model", model, MODELS)
    if mode is not None and mode not in MODES:
        raise _refuse("mode", mode, MODES)
    if endpoint is not None and endpoint not in ENDPOINTS:
        raise _refuse("endpoint", endpoint, ENDPOINTS)
    if path is None:
        return endpoint or "create", None
    template = rule_path(path, routes)
    wants = _endpoint_on(template)
    if endpoint not in (None, "any", wants):
        raise ValueError(
            f"endpoint={endpoint!r} can never match a request on path={template!r}, a {wants} route: "
            f"leave endpoint out or pass {wants!r}"
        )
    return endpoint or wants, template
