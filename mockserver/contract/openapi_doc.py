"""The OpenAPI 3.1 document of the faked API, built from the packaged schemas and catalogue.

`schemas/openapi.yaml` is this function's output, committed so tools can read it as-is
(`tools/generate_openapi.py` rewrites it; a test fails when it is stale). Nothing here
restates a field rule or an error: the JSON Schemas are embedded whole (their `$defs`
hoisted into `components/schemas`) and the error responses are grouped from the catalogue.
"""

from __future__ import annotations

import copy
from typing import Any, get_args

from mockserver.contract.catalogue import ERRORS, INJECTABLE_STATUSES, ErrorSpec
from mockserver.contract.lifecycle import FAILURE_CODE, FAILURE_MESSAGE
from mockserver.contract.prefer import FAULTS, MAX_DELAY_MS, JobPreference
from mockserver.contract.schemas import SCHEMA_FILES, load_json

__all__ = [
    "ADMIN_ONLY_STATUSES",
    "MP4_EXAMPLE",
    "OPENAPI_FILE",
    "SCHEMA_COMPONENTS",
    "embed_schema",
    "openapi_document",
]

OPENAPI_FILE = "openapi.yaml"
#: The 200 video's example: a placeholder a document-driven mock (Prism) can send; the real
#: mock serves a playable MP4.
MP4_EXAMPLE = "(an H.264 MP4 file; vidu-mock itself serves a real, playable one)"
COLLECTION = "/v1/video/generations"
TASK = COLLECTION + "/{task_id}"
CONTENT = TASK + "/content"
_SCHEMAS = "#/components/schemas/"
# Answered by the HTTP layer before any route (request line or headers too long) on every path.
_HTTP_LAYER = (414, 431)
# Statuses only the admin API (`/__mock/`) answers; the document leaves that API out.
ADMIN_ONLY_STATUSES = frozenset({403, 409})


def _pascal(name: str) -> str:
    return name[:1].upper() + name[1:]


def embed_schema(schema: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return `schema` ready for `components/schemas`, and its `$defs` to hoist beside it.

    `$schema` goes (the document's dialect is 2020-12 already) and every `#/$defs/x`
    reference becomes `#/components/schemas/X`; nothing else changes.
    """
    body = copy.deepcopy(schema)
    body.pop("$schema", None)
    defs = body.pop("$defs", {})

    def rewrite(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/$defs/"):
                node = {**node, "$ref": _SCHEMAS + _pascal(ref.removeprefix("#/$defs/"))}
            return {key: rewrite(value) for key, value in node.items()}
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        return node

    return rewrite(body), {_pascal(name): rewrite(part) for name, part in defs.items()}


def _component_names() -> dict[str, str]:
    return {load_json(name)["title"]: name for name in SCHEMA_FILES}


SCHEMA_COMPONENTS: dict[str, str] = _component_names()
"""Component name (the schema's `title`) -> the file in `schemas/` it is embedded from."""

_REF_TO = {name: _SCHEMAS + title for title, name in SCHEMA_COMPONENTS.items()}
_REQUEST, _JOB, _ERROR = _REF_TO["request.schema.json"], _REF_TO["job.schema.json"], _REF_TO["error.schema.json"]


def _schemas() -> dict[str, Any]:
    components: dict[str, Any] = {}
    for title, name in SCHEMA_COMPONENTS.items():
        body, hoisted = embed_schema(load_json(name))
        for part_name, part in {title: body, **hoisted}.items():
            if part_name in components:
                raise ValueError(f"two schemas would both be components/schemas/{part_name}")
            components[part_name] = part
    return components


def _header(description: str, schema: dict[str, Any], example: str, *, required: bool = False) -> dict[str, Any]:
    # An example on every header: mock servers built from the document (Prism) send it,
    # instead of the literal "string", which the document's own pattern would refuse.
    return {"description": description, "required": required, "schema": schema, "example": example}


def _headers() -> dict[str, Any]:
    digits = {"type": "string", "pattern": "^[0-9]+$"}
    return {
        "XRequestId": _header(
            "Unique id of this request, on every response.",
            {"type": "string"},
            "req_5f0c1e2d3b4a69788796a5b4",
            required=True,
        ),
        "RetryAfter": _header("Seconds to wait before retrying (whole seconds, rounded down).", digits, "1"),
        "RetryAfterMs": _header("Milliseconds to wait before retrying; OpenAI-style SDKs prefer it.", digits, "1000"),
        "XShouldRetry": _header(
            "`false` when the request sent `Prefer: retry=false`: SDKs must not retry.", {"type": "string"}, "false"
        ),
        "PreferenceApplied": _header(
            "The preferences of `Prefer` that were honoured (RFC 7240).", {"type": "string"}, "retry=false"
        ),
        "Allow": _header("The methods this path serves.", {"type": "string"}, "GET", required=True),
    }


def _ref(kind: str, name: str) -> dict[str, str]:
    return {"$ref": f"#/components/{kind}/{name}"}


def _common_headers(prefer: bool) -> dict[str, Any]:
    headers = {"x-request-id": _ref("headers", "XRequestId")}
    if prefer:
        headers["Preference-Applied"] = _ref("headers", "PreferenceApplied")
        headers["x-should-retry"] = _ref("headers", "XShouldRetry")
    return headers


def _error_example(spec: ErrorSpec) -> dict[str, Any]:
    body = {"error": {"message": spec.message, "type": spec.type, "param": None, "code": spec.code}}
    return {"summary": spec.message, "value": body}


def _error_response(status: int, specs: list[ErrorSpec]) -> dict[str, Any]:
    codes = ", ".join(f"`{spec.code}` ({spec.type})" for spec in specs)
    injectable = " Can be injected with `Prefer: code=<status or code>`." if status in INJECTABLE_STATUSES else ""
    headers: dict[str, Any] = {"x-request-id": _ref("headers", "XRequestId")}
    if any(spec.retry_after for spec in specs):
        every = all(spec.retry_after for spec in specs)
        for name, component in (("Retry-After", "RetryAfter"), ("retry-after-ms", "RetryAfterMs")):
            headers[name] = _ref("headers", component) if not every else {**_headers()[component], "required": True}
    if status == 405:
        headers["Allow"] = _ref("headers", "Allow")
    return {
        "description": f"Error {status}: {codes}.{injectable}",
        "headers": headers,
        "content": {
            "application/json": {
                "schema": {"$ref": _ERROR},
                "examples": {spec.code: _error_example(spec) for spec in specs},
            }
        },
    }


def _error_statuses() -> dict[int, list[ErrorSpec]]:
    grouped: dict[int, list[ErrorSpec]] = {}
    for spec in ERRORS:
        grouped.setdefault(spec.status, []).append(spec)
    return grouped


def _responses() -> dict[str, Any]:
    return {
        f"Error{status}": _error_response(status, specs)
        for status, specs in sorted(_error_statuses().items())
        if status not in ADMIN_ONLY_STATUSES
    }


def _prefer_parameter() -> dict[str, Any]:
    # Any string: the server ignores preferences it does not know (RFC 7240 section 2), so a
    # narrower schema would be false. Injecting values (`code=`, `fault=`, `delay=`) are named in
    # prose only, never in an enum, pattern or example a generator could draw from.
    statuses = ", ".join(map(str, sorted(INJECTABLE_STATUSES)))
    return {
        "name": "Prefer",
        "in": "header",
        "required": False,
        "description": (
            "Per-request misbehaviour (RFC 7240), comma-separated. `code=<status or error code>` answers with that "
            f"catalogue error ({statuses}); `delay=<ms>` (0 to {MAX_DELAY_MS}) delays the answer; "
            f"`fault={'|'.join(FAULTS)}` breaks the connection; `job={'|'.join(get_args(JobPreference))}` makes the "
            "created job end `failed` or never leave `in_progress`; `retry=false` adds `x-should-retry: false`. "
            "Unknown preferences are ignored; a known one with a bad value is a 400 with `param` `Prefer`. "
            "Honoured preferences are echoed in `Preference-Applied`."
        ),
        "schema": {"type": "string"},
        "examples": {
            "job-fails": {"summary": "The created job ends failed", "value": "job=fail"},
            "no-retry": {"summary": "Tell SDKs not to retry this answer", "value": "retry=false"},
        },
    }


def _json(schema_ref: str, **extra: Any) -> dict[str, Any]:
    return {"application/json": {"schema": {"$ref": schema_ref}, **extra}}


def _errors(*statuses: int) -> dict[str, Any]:
    return {str(status): _ref("responses", f"Error{status}") for status in sorted(statuses)}


def _job_examples() -> dict[str, Any]:
    base: dict[str, Any] = {"id": "task_example", "task_id": "task_example", "object": "video.generation.job"}
    base |= {"model": "viduq3p-720p", "created_at": 1774507626}
    url = "http://127.0.0.1:8000/v1/video/generations/task_example/content"
    return {
        "queued": {"value": base | {"status": "queued", "progress": 0}},
        "in_progress": {"value": base | {"status": "in_progress", "progress": 50}},
        "completed": {
            "value": base | {"status": "completed", "progress": 100, "completed_at": 1774507634, "video_url": url}
        },
        "failed": {
            "value": base
            | {"status": "failed", "progress": 50, "error": {"code": FAILURE_CODE, "message": FAILURE_MESSAGE}}
        },
    }


def _task_id_parameter() -> dict[str, Any]:
    return {
        "name": "task_id",
        "in": "path",
        "required": True,
        "description": "The `id` a create call returned.",
        "schema": {"$ref": _SCHEMAS + "TaskId"},
    }


def _operations() -> dict[str, Any]:
    injected = INJECTABLE_STATUSES
    job_examples = _job_examples()
    prefer = _ref("parameters", "Prefer")
    poll_link = {"operationId": "getVideoGeneration", "parameters": {"task_id": "$response.body#/id"}}
    create = {
        "operationId": "createVideoGeneration",
        "summary": "Create a video generation task",
        "description": "The mode follows from which of `image`, `last_image` and `reference_image_urls` are present.",
        "parameters": [prefer],
        "requestBody": {"required": True, "content": _json(_REQUEST)},
        "responses": {
            "200": {
                "description": "The task was created; it is always `queued`.",
                "headers": _common_headers(prefer=True),
                "content": _json(_JOB, examples={"queued": job_examples["queued"]}),
                "links": {"GetVideoGeneration": poll_link},
            },
            **_errors(400, 401, 413, *_HTTP_LAYER, 415, *injected),
        },
    }
    poll = {
        "operationId": "getVideoGeneration",
        "summary": "Poll a task",
        "description": "Visible only to the token that created it; any other token, or an unknown id, gets 404.",
        "parameters": [_ref("parameters", "TaskId"), prefer],
        "responses": {
            "200": {
                "description": "The task as it is now.",
                "headers": _common_headers(prefer=True),
                "content": _json(_JOB, examples=job_examples),
                "links": {
                    "GetVideoGenerationAgain": poll_link,
                    "DownloadVideoGeneration": {
                        "operationId": "downloadVideoGeneration",
                        "parameters": {"task_id": "$response.body#/id"},
                    },
                },
            },
            **_errors(400, 401, 404, *_HTTP_LAYER, *injected),
        },
    }
    content = {
        "operationId": "downloadVideoGeneration",
        "summary": "Download a completed task's video (the job's `video_url`)",
        "description": "Like a signed CDN link it needs no token; 404 until the task is `completed`.",
        "security": [],
        "parameters": [_ref("parameters", "TaskId")],
        "responses": {
            "200": {
                "description": "A small, playable H.264 MP4.",
                "headers": {"x-request-id": _ref("headers", "XRequestId")},
                "content": {
                    "video/mp4": {
                        "schema": {"type": "string", "format": "binary"},
                        # A document cannot hold the bytes; a mock built from it sends this text.
                        "example": MP4_EXAMPLE,
                    }
                },
            },
            # A known `Prefer` preference with a bad value is a 400 on every path.
            **_errors(400, 404, *_HTTP_LAYER),
        },
    }
    other_methods = "Any other method is a 405 with `Allow` (`#/components/responses/Error405`)."
    return {
        COLLECTION: {"description": other_methods, "post": create},
        TASK: {"description": other_methods, "get": poll},
        CONTENT: {"description": other_methods, "get": content},
    }


def openapi_document() -> dict[str, Any]:
    """The whole document as a dict: `schemas/openapi.yaml` parsed equals this."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vidu Q3 video generation API (vidu-mock)",
            "version": "v1",
            "summary": "The HTTP surface the mock fakes; the mock's own admin API under /__mock/ is left out.",
            "description": (
                "Generated from schemas/*.schema.json and schemas/catalogue.json by tools/generate_openapi.py; "
                "do not edit by hand. Any path not listed is a JSON 404 (`not_found`)."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": "`mockserver` with its defaults"}],
        "security": [{"bearerAuth": []}],
        "paths": _operations(),
        "components": {
            "schemas": _schemas(),
            "responses": _responses(),
            "parameters": {"TaskId": _task_id_parameter(), "Prefer": _prefer_parameter()},
            "headers": _headers(),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "`Authorization: Bearer <token>`; any token unless the server lists accepted ones.",
                }
            },
        },
    }
