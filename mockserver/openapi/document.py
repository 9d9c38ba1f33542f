"""The OpenAPI 3.1 document of the faked API, per dialect, built from the packaged schemas and catalogue.

`schemas/openapi.yaml` (the default dialect) and `schemas/dialects/<name>/openapi.yaml` are
this module's output, committed so tools can read them as-is (`tools/generate_openapi.py`
rewrites them; a test fails when one is stale). Nothing here restates a field rule, an
error or a reply shape: the JSON Schemas are embedded whole (their `$defs` hoisted into
`components/schemas`), the error responses are grouped from the catalogue as the dialect
renders them, and every example is a reply the dialect builds.
"""

from __future__ import annotations

import copy
from typing import Any, get_args

from mockserver.contract.data.catalogue import (
    COLLECTION,
    DEFAULT_DIALECT,
    ERRORS,
    INJECTABLE_STATUSES,
    VIDEOS,
    ErrorSpec,
    Status,
)
from mockserver.contract.data.schemas import SCHEMA_FILES, load_json, schema_validator
from mockserver.contract.dialects import ROUTES, Dialect, JobFacts, Route, dialect_named
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import FAULTS, MAX_DELAY_MS
from mockserver.contract.injection.prefer import JobPreference
from mockserver.contract.jobs.lifecycle import JobView
from mockserver.contract.messages import error_reply
from mockserver.contract.requests.readers import videos_request_schema
from mockserver.openapi.videos import (
    CREATE_VIDEO_ID,
    remix_request_schema,
    videos_create_description,
    videos_form_schema,
)
from mockserver.openapi.vidu import vidu_document

__all__ = [
    "ADMIN_ONLY_STATUSES",
    "MP4_EXAMPLE",
    "OPENAPI_FILE",
    "SCHEMA_COMPONENTS",
    "embed_schema",
    "openapi_document",
    "openapi_file",
]

OPENAPI_FILE = "openapi.yaml"
"""The default dialect's document (`openapi_file(dialect)` names each one)."""
#: The 200 video's example: a placeholder a document-driven mock (Prism) can send; the real
#: mock serves a playable MP4.
MP4_EXAMPLE = "(an H.264 MP4 file; vidu-mock itself serves a real, playable one)"
_SCHEMAS = "#/components/schemas/"
# Answered by the HTTP layer before any route (request line or headers too long) on every path.
_HTTP_LAYER = (414, 431)
# Statuses only the admin API (`/__mock/`) answers; the document leaves that API out.
ADMIN_ONLY_STATUSES = frozenset({403, 409})
# The §3 error schema: the HTTP layer (and the admin API) answer in it in every dialect.
_SECTION3_ERROR = "error.schema.json"
_EXAMPLE_ID = "task_example"
_EXAMPLE_REQUEST_ID = "req_example"
# A video asked for before there is one: of an unknown task, and of one still queued.
_VIDEO_STATES: tuple[Status | None, ...] = (None, "queued")
_PATHS: dict[Route, str] = {"generations": COLLECTION, "videos": VIDEOS}
_OPERATION_IDS: dict[Route, tuple[str, str]] = {
    "generations": ("getVideoGeneration", "downloadVideoGeneration"),
    "videos": ("getVideo", "downloadVideo"),
}


def openapi_file(dialect: str = DEFAULT_DIALECT) -> str:
    """The packaged document of `dialect`, as a path under `schemas/` (`load_text` reads it)."""
    return dialect_named(dialect).schemas.openapi


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


def _component_names(files: tuple[str, ...]) -> dict[str, str]:
    return {load_json(name)["title"]: name for name in files}


SCHEMA_COMPONENTS: dict[str, str] = _component_names(SCHEMA_FILES)
"""Component name (the schema's `title`) -> the file in `schemas/` it is embedded from (default dialect)."""


def _component_files(dialect: Dialect) -> tuple[str, ...]:
    """The schema files one dialect's document embeds: the shared request, its replies, its errors."""
    files = dialect.schemas
    wanted = ["request.schema.json", files.created, *(files.job(route) for route in ROUTES), *files.errors]
    if dialect.not_rendered:
        wanted.append(_SECTION3_ERROR)
    return tuple(dict.fromkeys(wanted))


def _schemas(files: tuple[str, ...]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    # POST /v1/videos and its remix: built from the request schema
    built = (videos_request_schema(), videos_form_schema(), remix_request_schema())
    for title, schema in [
        *((title, load_json(name)) for title, name in _component_names(files).items()),
        *((str(part["title"]), part) for part in built),
    ]:
        body, hoisted = embed_schema(schema)
        for part_name, part in {title: body, **hoisted}.items():
            # Two files may share a definition (the task id); identical parts are one component.
            if part_name in components and components[part_name] != part:
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


def _schema_ref(file: str) -> str:
    return _SCHEMAS + str(load_json(file)["title"])


class _Rendered:
    """One documented error answer: its status, body, headers it needs, and the schema file it fits."""

    def __init__(self, name: str, status: int, body: Any, summary: str, files: tuple[str, ...], spec: ErrorSpec | None):
        self.name, self.status, self.body, self.summary, self.spec = name, status, body, summary, spec
        fits = [file for file in files if schema_validator(file.removesuffix(".schema.json")).is_valid(body)]
        if not fits:  # pragma: no cover - a dialect.json entry no error schema describes
            raise ValueError(f"the {name} error body fits none of {files}: {body!r}")
        self.file = fits[0]


def _rendered_errors(dialect: Dialect) -> list[_Rendered]:
    """Every catalogue error the API answers, as `dialect` renders it, and the video route's own answers."""
    rendered: list[_Rendered] = []
    for spec in ERRORS:
        if spec.status in ADMIN_ONLY_STATUSES:
            continue
        files: tuple[str, ...] = dialect.schemas.errors
        if spec.code in dialect.not_rendered:
            reply, files = error_reply(ApiError(spec.code)), (_SECTION3_ERROR,)
        else:
            reply = dialect.error(ApiError(spec.code), 0, _EXAMPLE_REQUEST_ID)
        rendered.append(_Rendered(spec.code, reply.status, reply.json(), spec.message, files, spec))
    for name, status in zip(("video_not_found", "video_not_completed"), _VIDEO_STATES, strict=True):
        reply = dialect.video_unavailable(status, _EXAMPLE_REQUEST_ID)
        summary = "The video route: " + ("no such task." if status is None else "the task is not completed yet.")
        rendered.append(_Rendered(name, reply.status, reply.json(), summary, dialect.schemas.errors, None))
    return rendered


def _error_response(status: int, answers: list[_Rendered]) -> dict[str, Any]:
    specs = [answer.spec for answer in answers if answer.spec is not None]
    codes = ", ".join(f"`{spec.code}` ({spec.type})" for spec in specs)
    injectable = " Can be injected with `Prefer: code=<status or code>`." if status in INJECTABLE_STATUSES else ""
    headers: dict[str, Any] = {"x-request-id": _ref("headers", "XRequestId")}
    if any(spec.retry_after for spec in specs):
        every = all(spec.retry_after for spec in specs)
        for name, component in (("Retry-After", "RetryAfter"), ("retry-after-ms", "RetryAfterMs")):
            headers[name] = _ref("headers", component) if not every else {**_headers()[component], "required": True}
    if status == 405:
        headers["Allow"] = _ref("headers", "Allow")
    files = list(dict.fromkeys(answer.file for answer in answers))
    schema = (
        {"$ref": _schema_ref(files[0])} if len(files) == 1 else {"anyOf": [{"$ref": _schema_ref(f)} for f in files]}
    )
    return {
        "description": f"Error {status}: {codes or 'the video route'}.{injectable}",
        "headers": headers,
        "content": {
            "application/json": {
                "schema": schema,
                "examples": {answer.name: {"summary": answer.summary, "value": answer.body} for answer in answers},
            }
        },
    }


def _responses(dialect: Dialect) -> dict[str, Any]:
    grouped: dict[int, list[_Rendered]] = {}
    for answer in _rendered_errors(dialect):
        grouped.setdefault(answer.status, []).append(answer)
    return {f"Error{status}": _error_response(status, answers) for status, answers in sorted(grouped.items())}


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


def _job_examples(dialect: Dialect, route: Route) -> dict[str, Any]:
    """One poll answer per status, as `dialect` shapes it on `route`."""
    ended = 1774507634
    views = {
        "queued": JobView("queued", 0),
        "in_progress": JobView("in_progress", 50),
        "completed": JobView("completed", 100, ended),
        "failed": JobView("failed", 50, ended),
    }
    url = f"http://127.0.0.1:8000{COLLECTION}/{_EXAMPLE_ID}/content"
    return {status: {"value": dialect.job(route, _example_facts(view, url))} for status, view in views.items()}


def _example_facts(view: JobView, url: str | None = None) -> JobFacts:
    return JobFacts(_EXAMPLE_ID, "viduq3p-720p", "text-to-video", 1774507626, view, "a fox in the snow", video_url=url)


def _id_pointer(body: dict[str, Any]) -> str:
    """The JSON pointer of the task id in an answer (`/id`, or inside a wrapper's `data`)."""
    for pointer, node in (("/id", body), ("/data/task_id", body.get("data"))):
        if isinstance(node, dict) and node.get(pointer.rsplit("/", 1)[1]) == _EXAMPLE_ID:
            return pointer
    raise ValueError(f"no task id in {body!r}")  # pragma: no cover - a reply shape without the id


def _task_id_parameter() -> dict[str, Any]:
    return {
        "name": "task_id",
        "in": "path",
        "required": True,
        "description": "The `id` a create call returned.",
        "schema": {"$ref": _SCHEMAS + "TaskId"},
    }


def _poll_operations(dialect: Dialect, route: Route, prefer: dict[str, str]) -> dict[str, Any]:
    """`GET {path}/{task_id}` and its video, for one poll route."""
    poll_id, download_id = _OPERATION_IDS[route]
    examples = _job_examples(dialect, route)
    pointer = "$response.body#" + _id_pointer(examples["queued"]["value"])
    poll = {
        "operationId": poll_id,
        "summary": "Poll a task" + ("" if route == "generations" else " (the compatibility route)"),
        "description": "Visible only to the token that created it; any other token, or an unknown id, gets "
        f"{dialect.error(ApiError('task_not_found'), 0, _EXAMPLE_REQUEST_ID).status}.",
        "parameters": [_ref("parameters", "TaskId"), prefer],
        "responses": {
            "200": {
                "description": "The task as it is now.",
                "headers": _common_headers(prefer=True),
                "content": _json(_schema_ref(dialect.schemas.job(route)), examples=examples),
                "links": {
                    f"{_pascal(poll_id)}Again": {"operationId": poll_id, "parameters": {"task_id": pointer}},
                    _pascal(download_id): {"operationId": download_id, "parameters": {"task_id": pointer}},
                },
            },
            **_errors(*_statuses_of(dialect, "poll")),
        },
    }
    content = {
        "operationId": download_id,
        "summary": "Download a completed task's video",
        "description": "Like a signed CDN link it needs no token; an error until the task is `completed`.",
        "security": [],
        "parameters": [_ref("parameters", "TaskId"), _range_parameter()],
        "responses": {
            "200": {
                "description": "A small, playable H.264 MP4.",
                "headers": _video_headers(),
                "content": _mp4(),
            },
            "206": {
                "description": "The byte range `Range` asked for (controller/video_proxy.go passes it on).",
                "headers": {
                    **_video_headers(),
                    "Content-Range": _plain_header("`bytes first-last/size`", "bytes 0-99/1000"),
                },
                "content": _mp4(),
            },
            **_errors(*_statuses_of(dialect, "content")),
            **_range_not_satisfiable(dialect),
        },
    }
    other_methods = "Any other method is a 405 with `Allow` (`#/components/responses/Error405`)."
    task = _PATHS[route] + "/{task_id}"
    return {
        task: {"description": other_methods, "get": poll},
        task + "/content": {"description": other_methods, "get": content},
    }


def _mp4() -> dict[str, Any]:
    # A document cannot hold the bytes; a mock built from it sends this text.
    return {"video/mp4": {"schema": {"type": "string", "format": "binary"}, "example": MP4_EXAMPLE}}


def _plain_header(description: str, example: str) -> dict[str, Any]:
    return {"description": description, "schema": {"type": "string"}, "example": example}


def _video_headers() -> dict[str, Any]:
    return {
        "x-request-id": _ref("headers", "XRequestId"),
        "Accept-Ranges": _plain_header("The storage honours `Range`.", "bytes"),
        "Cache-Control": _plain_header("As new-api's video proxy sets it.", "public, max-age=86400"),
    }


def _range_parameter() -> dict[str, Any]:
    return {
        "name": "Range",
        "in": "header",
        "required": False,
        "description": "One byte range (`bytes=0-99`, `bytes=-10`, `bytes=100-`); anything else is ignored.",
        "schema": {"type": "string"},
    }


def _range_not_satisfiable(dialect: Dialect) -> dict[str, Any]:
    """The answer to a `Range` past the end: the storage's 416, or what the dialect's proxy makes of it."""
    reply = dialect.range_not_satisfiable("bytes */1000", _EXAMPLE_REQUEST_ID)
    response: dict[str, Any] = {
        "description": "A `Range` that selects none of the video.",
        "headers": {"x-request-id": _ref("headers", "XRequestId")},
    }
    if reply.body:
        response["content"] = _json(_schema_ref("dialects/new-api/proxy-error.schema.json"), example=reply.json())
    else:
        response["headers"]["Content-Range"] = _plain_header("The size, no range.", "bytes */1000")
    return {str(reply.status): response}


def _remix_operation(dialect: Dialect) -> dict[str, Any]:
    """`POST /v1/videos/{video_id}/remix`: new-api's remix, for a Vidu task a create on the origin's model."""
    created = dialect.created_on("videos", _example_facts(JobView("queued", 0)))
    refused = dialect.error(ApiError("task_not_found", "task_origin_not_exist", "video_id"), 0, _EXAMPLE_REQUEST_ID)
    return {
        "operationId": "remixVideo",
        "summary": "Remix a video: a new task from one of yours",
        "description": "new-api looks the origin task up among the caller's tasks and takes its model; for a Vidu "
        "task the body is read like a create's (`prompt` required), so the remix is a new task on that model. "
        f"An unknown task, or another token's, is a {refused.status}.",
        "parameters": [
            {
                "name": "video_id",
                "in": "path",
                "required": True,
                "description": "The `id` of the task to remix.",
                "schema": {"type": "string"},
            },
            _ref("parameters", "Prefer"),
        ],
        # The OpenAI SDK's remix sends JSON; new-api reads a form here too, as on the create.
        "requestBody": {"required": True, "content": _json(_SCHEMAS + "RemixVideoRequest")},
        "responses": {
            "200": {
                "description": "A new task on the origin's model; it is always `queued`.",
                "headers": _common_headers(prefer=True),
                "content": _json(_schema_ref(dialect.schemas.created), examples={"queued": {"value": created}}),
                "links": _task_links(created),
            },
            **_errors(*(_statuses_of(dialect, "create") | {refused.status})),
        },
    }


def _statuses_of(dialect: Dialect, operation: str) -> set[int]:
    """The error statuses an operation can answer in `dialect`."""
    statuses = {dialect.error(ApiError(code), 0, "").status for code in _OPERATION_ERRORS[operation]}
    if operation == "content":
        statuses |= {dialect.video_unavailable(status, "").status for status in _VIDEO_STATES}
    else:
        statuses |= {_injected_status(dialect, status) for status in INJECTABLE_STATUSES}
    return statuses | set(_HTTP_LAYER)


def _injected_status(dialect: Dialect, status: int) -> int:
    spec = next(spec for spec in ERRORS if spec.status == status)
    return dialect.error(spec, 0, "").status


# The catalogue codes each operation answers on its own (besides injected errors and the HTTP layer).
_OPERATION_ERRORS = {
    # A known `Prefer` preference with a bad value is a 400 (`invalid_value`) on every path.
    "create": (
        "invalid_value",
        "missing_api_key",
        "payload_too_large",
        "unsupported_media_type",
        "model_not_supported",
    ),
    "poll": ("invalid_value", "missing_api_key", "task_not_found"),
    "content": ("invalid_value",),
}


def _task_links(created: dict[str, Any]) -> dict[str, Any]:
    """Links from a new task's answer to its poll on each route."""
    pointer = "$response.body#" + _id_pointer(created)
    return {
        _pascal(poll_id): {"operationId": poll_id, "parameters": {"task_id": pointer}}
        for poll_id, _ in (_OPERATION_IDS[route] for route in ROUTES)
    }


def _create_operation(dialect: Dialect, route: Route, prefer: dict[str, str]) -> dict[str, Any]:
    """`POST` on a create route: `/v1/video/generations` (CONTRACT §1) or `/v1/videos` (new-api's TaskSubmitReq)."""
    created = dialect.created_on(route, _example_facts(JobView("queued", 0)))
    links = _task_links(created)
    if route == "generations":
        operation_id, summary = "createVideoGeneration", "Create a video generation task"
        description = "The mode follows from which of `image`, `last_image` and `reference_image_urls` are present."
        content = _json(_schema_ref("request.schema.json"))
    else:
        operation_id, summary = CREATE_VIDEO_ID, "Create a video (OpenAI-compatible)"
        description = videos_create_description(dialect.name)
        content = {
            **_json(_SCHEMAS + "CreateVideoRequest"),
            "multipart/form-data": {"schema": {"$ref": _SCHEMAS + "CreateVideoForm"}},
        }
    return {
        "operationId": operation_id,
        "summary": summary,
        "description": description,
        "parameters": [prefer],
        "requestBody": {"required": True, "content": content},
        "responses": {
            "200": {
                "description": "The task was created; it is always `queued`.",
                "headers": _common_headers(prefer=True),
                "content": _json(_schema_ref(dialect.schemas.created), examples={"queued": {"value": created}}),
                "links": links,
            },
            **_errors(*_statuses_of(dialect, "create")),
        },
    }


def _operations(dialect: Dialect) -> dict[str, Any]:
    prefer = _ref("parameters", "Prefer")
    other_methods = "Any other method is a 405 with `Allow` (`#/components/responses/Error405`)."
    paths: dict[str, Any] = {
        path: {"description": other_methods, "post": _create_operation(dialect, route, prefer)}
        for route, path in _PATHS.items()
    }
    for route in ROUTES:
        paths |= _poll_operations(dialect, route, prefer)
    paths[VIDEOS + "/{video_id}/remix"] = {
        "description": "Any other method is a 405 with `Allow` (`#/components/responses/Error405`).",
        "post": _remix_operation(dialect),
    }
    return paths


def openapi_document(dialect: str = DEFAULT_DIALECT) -> dict[str, Any]:
    """The whole document of `dialect` as a dict: its packaged file (`openapi_file(dialect)`) parsed equals this."""
    if dialect == "vidu":
        return vidu_document()
    shape = dialect_named(dialect)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Vidu Q3 video generation API (vidu-mock)",
            "version": "v1",
            "summary": f"The HTTP surface the mock fakes, in its `{dialect}` dialect; the mock's own admin API under "
            "/__mock/ is left out.",
            "description": (
                "Generated from schemas/*.schema.json, schemas/dialects/ and schemas/catalogue.json by "
                "tools/generate_openapi.py; do not edit by hand. Any path not listed is a JSON 404 (`not_found`)."
            ),
        },
        "servers": [{"url": "http://127.0.0.1:8000", "description": f"`mockserver --dialect {dialect}`"}],
        "security": [{"bearerAuth": []}],
        "paths": _operations(shape),
        "components": {
            "schemas": _schemas(_component_files(shape)),
            "responses": _responses(shape),
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
