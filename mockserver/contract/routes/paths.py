"""Which API call a request is: the one path classifier (create, poll, content, or other).

The API's paths are the catalogue's (`COLLECTION`, `VIDEOS`; never written here): each
route family takes a create (`POST {route}`), a poll (`GET {route}/{task_id}`) and a video
download (`GET {route}/{task_id}/content`), a trailing slash allowed. The OpenAI-style
family also takes new-api's remix (`POST {VIDEOS}/{video_id}/remix`): a create on the
origin task's model, so it is filed as a create (the task it names is its origin). The engine routes
with `api_path`; replay, the recorder, `verify --record` and cassettes name exchanges
with `endpoint_of`; the in-process fake finds API paths under any prefix with `API_PATH`;
a failure rule's `path` filter names a route by its template (`route_of`, `dialect_routes`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from mockserver.contract.data.catalogue import COLLECTION, VIDEOS
from mockserver.contract.dialects import Route
from mockserver.contract.vidu.paths import VIDU_ROUTE_TEMPLATES, vidu_endpoint_of, vidu_route_of

__all__ = [
    "API_PATH",
    "ENDPOINTS",
    "GATEWAY_ROUTES",
    "ApiPath",
    "Endpoint",
    "api_path",
    "content_path",
    "dialect_routes",
    "endpoint_of",
    "route_of",
]

Endpoint = Literal["create", "poll", "content", "other"]
"""What an exchange is called in the journal and in recordings."""
ENDPOINTS: tuple[Endpoint, ...] = get_args(Endpoint)

_FAMILY = rf"(?:(?P<generations>{re.escape(COLLECTION)})|{re.escape(VIDEOS)})"
# After a task id: its video, or (only when `generations` did not match, `(?!)` never does) its remix.
_TAIL = r"(?:(?P<content>/content)|(?(generations)(?!)|(?P<remix>/remix)))?"
API_PATH = rf"{_FAMILY}(?:/(?P<task_id>[^/]+){_TAIL})?/?"
"""A regular expression (unanchored) for every API path; groups `generations`, `task_id`, `content`, `remix`."""
_API_PATH = re.compile(rf"^{API_PATH}$")


@dataclass(frozen=True, slots=True)
class ApiPath:
    """An API path: its route family, and the task it names, if any (and whether its video or its remix)."""

    route: Route
    task_id: str | None = None
    content: bool = False
    remix: bool = False

    @property
    def collection(self) -> str:
        """The family's collection path (`POST` creates there)."""
        return COLLECTION if self.route == "generations" else VIDEOS

    @property
    def endpoint(self) -> Endpoint:
        """The call this path takes with its method allowed: `create` (a remix too), `poll` or `content`."""
        return "create" if self.creates else "content" if self.content else "poll"

    @property
    def creates(self) -> bool:
        """Whether a `POST` here makes a task: a create route, or a task's remix."""
        return self.task_id is None or self.remix

    @property
    def template(self) -> str:
        """The route this path is on, its task id written `{task_id}` (a failure rule's `path`)."""
        if self.task_id is None:
            return self.collection
        return f"{self.collection}/{{task_id}}{'/content' if self.content else '/remix' if self.remix else ''}"

    def allows(self, method: str) -> bool:
        """Whether `method` is this path's (`POST` a create or a remix, `GET` or `HEAD` a task's)."""
        method = method.upper()
        return method == "POST" if self.creates else method in ("GET", "HEAD")


GATEWAY_ROUTES: tuple[str, ...] = tuple(
    path.template
    for path in (
        ApiPath("generations"),
        ApiPath("generations", "_"),
        ApiPath("generations", "_", content=True),
        ApiPath("videos"),
        ApiPath("videos", "_"),
        ApiPath("videos", "_", content=True),
        ApiPath("videos", "_", remix=True),
    )
)
"""Every route of the gateway dialects (`uniall`, `new-api`) as a failure rule's `path` names it."""


def dialect_routes(dialect: str) -> tuple[str, ...]:
    """The route templates `dialect` serves: Vidu's own API in `vidu`, the gateway's in the others."""
    return VIDU_ROUTE_TEMPLATES if dialect == "vidu" else GATEWAY_ROUTES


def route_of(path: str) -> str | None:
    """The route template a request path is on (any dialect's), or None off the API."""
    target = api_path(path)
    return target.template if target is not None else vidu_route_of(path)


def api_path(path: str) -> ApiPath | None:
    """The API path `path` is, or None for any other path."""
    collection = path.rstrip("/")  # a create route with any trailing slashes, as the engine has always taken it
    if collection in (COLLECTION, VIDEOS):
        return ApiPath("generations" if collection == COLLECTION else "videos")
    match = _API_PATH.match(path)
    if match is None:
        return None
    route: Route = "generations" if match.group("generations") else "videos"
    return ApiPath(route, match.group("task_id"), bool(match.group("content")), bool(match.group("remix")))


def endpoint_of(method: str, path: str) -> tuple[Endpoint, str | None]:
    """`(endpoint, task_id)` for a request: `create`, `poll`, `content`, or `other` (a path or method off the API).

    A create's task is the one it makes (its answer tells it), so a remix's origin is not returned.
    """
    target = api_path(path)
    if target is None:
        endpoint, task_id = vidu_endpoint_of(method, path)  # Vidu's own API (the `vidu` dialect)
        return (
            "create"
            if endpoint == "create"
            else "poll"
            if endpoint == "poll"
            else "content"
            if endpoint == "content"
            else "other"
        ), task_id
    if not target.allows(method):
        return "other", None
    return target.endpoint, None if target.creates else target.task_id


def content_path(task_id: str) -> str:
    """Where the mock serves a task's video: `GET {COLLECTION}/{task_id}/content`."""
    return f"{COLLECTION}/{task_id}/content"
