"""The `vidu` dialect's OpenAPI 3.1 document (`schemas/dialects/vidu/openapi.yaml`), built from its schemas.

Vidu's own API has other routes, auth and error shape than the gateway's, so its document is
built here rather than by `document.py`'s gateway operations; the schemas are embedded from
`schemas/dialects/vidu/` and each route's image count and models come from its `dialect.json`.
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.data.schemas import load_json
from mockserver.contract.vidu.data import DATA, MEDIA, PREFIX, TASKS, VIDU_ROUTES, ViduRoute
from mockserver.contract.vidu.listing import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, PAGE_TOKEN_PATTERN, TIME_PATTERN
from mockserver.openapi.callbacks import create_callbacks

__all__ = ["vidu_document"]

_REF = "#/components/schemas/"
_FILES = ("request", "created", "task", "tasks", "cancelled", "error")
_ROUTE_SUMMARIES = {
    "text2video": "Text to video (a prompt, no image)",
    "img2video": "Image to video (one image: the first frame)",
    "start-end2video": "Start and end frames to video (two images)",
    "reference2video": "Reference images to video (1 to 7 images)",
}


def _components() -> dict[str, Any]:
    schemas: dict[str, Any] = {}
    for name in _FILES:
        schema = dict(load_json(f"dialects/vidu/{name}.schema.json"))
        schema.pop("$schema", None)
        defs = schema.pop("$defs", {})
        text = _rewrite(schema)
        schemas[str(schema["title"])] = text
        for part, body in defs.items():
            schemas[f"ViduCreateRequest{part[:1].upper()}{part[1:]}"] = _rewrite(body)
    return schemas


def _rewrite(node: Any) -> Any:
    """`#/$defs/x` (the request schema's) becomes its component."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            part = ref.removeprefix("#/$defs/")
            return {**node, "$ref": f"{_REF}ViduCreateRequest{part[:1].upper()}{part[1:]}"}
        return {key: _rewrite(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewrite(item) for item in node]
    return node


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": _json({"$ref": f"{_REF}ViduError"})}


def _route_body(route: ViduRoute) -> dict[str, Any]:
    """The shared request schema narrowed to `route`: its models, image count and whether a prompt."""
    narrowed: dict[str, Any] = {
        "model": {"enum": list(route.models)},
        "images": {"minItems": route.min_images, "maxItems": route.max_images},
    }
    required = ["model"]
    if route.prompt_required:
        narrowed["prompt"] = {"$ref": f"{_REF}ViduCreateRequestFilledPrompt"}
        required.append("prompt")
    if route.min_images:
        required.append("images")
    return {"allOf": [{"$ref": f"{_REF}ViduCreateRequest"}], "required": required, "properties": narrowed}


def _create(route: ViduRoute) -> dict[str, Any]:
    return {
        "post": {
            "operationId": route.name.replace("-", "_"),
            "summary": _ROUTE_SUMMARIES[route.name],
            "requestBody": {"required": True, "content": _json(_route_body(route))},
            # With `callback_url`, each state change is POSTed there, signed (docs/callbacks.md).
            "callbacks": create_callbacks(f"{_REF}ViduTask"),
            "responses": {
                "200": {
                    "description": "The task, `created`, with the request echoed and its credits.",
                    "content": _json({"$ref": f"{_REF}ViduCreated"}),
                    "links": {
                        "GetCreations": {
                            "operationId": "getCreations",
                            "parameters": {"id": "$response.body#/task_id"},
                        },
                        "CancelTask": {"operationId": "cancelTask", "parameters": {"id": "$response.body#/task_id"}},
                    },
                },
                "400": _error("FieldLacking, FieldInvalid, FieldUnwanted, FieldItemCountOutOfRange, ModelUnavailable."),
                "401": _error("Unauthorized: no `Authorization: Token <key>`, or a key the server does not accept."),
            },
        }
    }


def _task_id() -> dict[str, Any]:
    return {"name": "id", "in": "path", "required": True, "schema": {"type": "string"}}


def _tasks_operations() -> dict[str, Any]:
    task = f"{TASKS}/{{id}}"
    array = {"type": "array", "items": {"type": "string"}}
    states = {"type": "array", "items": {"enum": sorted(set(DATA["states"].values()))}}
    query: list[tuple[str, dict[str, Any], str]] = [
        ("created_at.from", {"type": "string", "pattern": TIME_PATTERN}, "ISO 8601; default: 7 days ago."),
        ("created_at.to", {"type": "string", "pattern": TIME_PATTERN}, "ISO 8601."),
        ("task_ids", array, "Only these tasks."),
        ("states", states, "Only tasks in these states."),
        ("pager.page", {"type": "integer", "minimum": 0, "maximum": 999999999}, "The page, from 0."),
        (
            "pager.pagesz",
            {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            "Tasks per page.",
        ),
        ("pager.page_token", {"type": "string", "pattern": PAGE_TOKEN_PATTERN}, "The last answer's next_page_token."),
    ]
    return {
        f"{task}/creations": {
            "get": {
                "operationId": "getCreations",
                "summary": "A task's state, err_code, credits and creations",
                "parameters": [_task_id()],
                "responses": {
                    "200": {"description": "The task.", "content": _json({"$ref": f"{_REF}ViduTask"})},
                    "401": _error("Unauthorized."),
                    "404": _error("TaskNotFound: no such task for this key."),
                },
            }
        },
        f"{task}/cancel": {
            "post": {
                "operationId": "cancelTask",
                "summary": "Cancel a task still created or queueing",
                "parameters": [_task_id()],
                "requestBody": {
                    "required": False,
                    "content": _json({"type": "object", "properties": {"id": {"type": "string"}}}),
                },
                "responses": {
                    "200": {"description": "Cancelled.", "content": _json({"$ref": f"{_REF}ViduCancelled"})},
                    "400": _error("BadRequest: `task state is <state>, can not cancel`."),
                    "401": _error("Unauthorized."),
                    "404": _error("TaskNotFound."),
                },
            }
        },
        TASKS: {
            "get": {
                "operationId": "listTasks",
                "summary": "The caller's tasks, newest first, filtered and paged",
                "parameters": [
                    {"name": name, "in": "query", "required": False, "schema": schema, "description": text}
                    | ({"style": "form", "explode": True} if schema.get("type") == "array" else {})
                    for name, schema, text in query
                ],
                "responses": {
                    "200": {"description": "One page.", "content": _json({"$ref": f"{_REF}ViduTaskList"})},
                    "400": _error("FieldInvalid (a parameter), PageSizeOutOfRange."),
                    "401": _error("Unauthorized."),
                },
            }
        },
    }


def _media_operations() -> dict[str, Any]:
    paths: dict[str, Any] = {}
    for suffix, media_type, what in (("mp4", "video/mp4", "video"), ("jpg", "image/jpeg", "cover")):
        paths[f"{MEDIA}/{{id}}.{suffix}"] = {
            "get": {
                "operationId": f"download_{what}",
                "summary": f"A successful task's {what} (a creation's `{'url' if what == 'video' else 'cover_url'}`)",
                "security": [],
                "parameters": [_task_id()],
                "responses": {
                    "200": {
                        "description": f"The {what}.",
                        "content": {media_type: {"schema": {"type": "string", "contentMediaType": media_type}}},
                    },
                    "404": _error("CreationNotFound: no such task, or it has not succeeded."),
                },
            }
        }
    return paths


def vidu_document() -> dict[str, Any]:
    """The whole document of the `vidu` dialect."""
    paths: dict[str, Any] = {}
    for route in VIDU_ROUTES.values():
        paths[route.path] = _create(route)
    paths |= _tasks_operations() | _media_operations()
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vidu's own API (vidu-mock, dialect vidu)",
            "version": "v2",
            "summary": f"The {PREFIX}/ routes Vidu documents, as `mockserver --dialect vidu` serves them; the mock's "
            "own admin API under /__mock/ is left out.",
            "description": (
                "Generated from schemas/dialects/vidu/ by tools/generate_openapi.py; do not edit by hand. "
                "Any path not listed is a JSON 404 (`NotFound`)."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "`mockserver --dialect vidu`"}],
        "security": [{"viduToken": []}],
        "paths": paths,
        "components": {
            "schemas": _components(),
            "securitySchemes": {
                "viduToken": {
                    "type": "apiKey",
                    "in": "header",
                    "name": "Authorization",
                    "description": "`Authorization: Token <api key>` (the word Token, not Bearer).",
                }
            },
        },
    }
