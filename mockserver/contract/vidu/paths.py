"""Which call a path of Vidu's own API is (the `vidu` dialect), for the one path classifier (`routes/paths.py`)."""

from __future__ import annotations

import re

from mockserver.contract.vidu.data import MEDIA, TASKS, VIDU_ROUTES

__all__ = ["VIDU_API_PATH", "VIDU_ROUTE_TEMPLATES", "vidu_endpoint_of", "vidu_route_of"]

_CREATES = frozenset(route.path for route in VIDU_ROUTES.values())
_POLL = re.compile(rf"^{re.escape(TASKS)}/([^/]+)/creations/?$")
_MEDIA = re.compile(rf"^{re.escape(MEDIA)}/([^/]+)\.(mp4|jpg)$")
VIDU_API_PATH = rf"{re.escape(TASKS.rsplit('/', 1)[0])}/[^?#]+"
"""A regular expression (unanchored, no groups) for every path under Vidu's `/ent/v2/`."""
VIDU_ROUTE_TEMPLATES: tuple[str, ...] = (
    *sorted(_CREATES),
    f"{TASKS}/{{task_id}}/creations",
    f"{MEDIA}/{{task_id}}.mp4",
    f"{MEDIA}/{{task_id}}.jpg",
)
"""Every route of Vidu's API as a failure rule's `path` names it (`{task_id}` for the id)."""


def vidu_endpoint_of(method: str, path: str) -> tuple[str, str | None]:
    """`(endpoint, task_id)`: a create, a poll (`.../creations`), a media download, or `other`."""
    method = method.upper()
    if path.rstrip("/") in _CREATES:
        return ("create", None) if method == "POST" else ("other", None)
    for pattern, endpoint in ((_POLL, "poll"), (_MEDIA, "content")):
        found = pattern.match(path)
        if found and method in ("GET", "HEAD"):
            return endpoint, found.group(1)
    return "other", None


def vidu_route_of(path: str) -> str | None:
    """The route template (one of `VIDU_ROUTE_TEMPLATES`) `path` is on, or None off Vidu's API."""
    if path.rstrip("/") in _CREATES:
        return path.rstrip("/")
    if _POLL.match(path):
        return f"{TASKS}/{{task_id}}/creations"
    media = _MEDIA.match(path)
    return f"{MEDIA}/{{task_id}}.{media.group(2)}" if media else None
