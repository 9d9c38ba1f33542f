"""`schemas/openapi.yaml`: valid OpenAPI 3.1, current, complete, and built from `schemas/` itself."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.contract.data.catalogue import ERRORS, INJECTABLE_STATUSES
from mockserver.contract.data.schemas import SCHEMA_FILES, load_text
from mockserver.contract.injection.prefer import parse_prefer
from mockserver.contract.requests.readers import videos_request_schema
from mockserver.openapi.document import (
    ADMIN_ONLY_STATUSES,
    MP4_EXAMPLE,
    OPENAPI_FILE,
    SCHEMA_COMPONENTS,
    embed_schema,
    openapi_document,
)
from mockserver.openapi.videos import remix_request_schema, videos_form_schema
from tests.support.page_examples import PAGE_BODIES

SCHEMAS_DIR = Path(__file__).resolve().parents[2] / "schemas"
OPERATIONS = {
    ("post", "/v1/video/generations"): "createVideoGeneration",
    ("get", "/v1/video/generations/{task_id}"): "getVideoGeneration",
    ("get", "/v1/video/generations/{task_id}/content"): "downloadVideoGeneration",
    # rev 2: the publisher's compatibility route answers the same job.
    ("get", "/v1/videos/{task_id}"): "getVideo",
    ("get", "/v1/videos/{task_id}/content"): "downloadVideo",
    ("post", "/v1/videos/{video_id}/remix"): "remixVideo",
    # The OpenAI-compatible create (issue 26): new-api's TaskSubmitReq, as JSON or a form.
    ("post", "/v1/videos"): "createVideo",
}
# CONTRACT §3's statuses, plus 414/431 that the HTTP layer answers for over-long request lines and headers.
API_STATUSES = {400, 401, 404, 405, 413, 414, 415, 429, 431, 500, 502, 503, 504}


@cache
def document() -> dict[str, Any]:
    """The committed file, read the way an installed package reads it."""
    data: dict[str, Any] = yaml.safe_load(load_text(OPENAPI_FILE))
    return data


def resolve(node: Any) -> Any:
    """Follow a local `$ref` (one level is all the document uses outside schemas)."""
    if isinstance(node, dict) and "$ref" in node:
        target: Any = document()
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        return target
    return node


def operation(method: str, path: str) -> dict[str, Any]:
    op: dict[str, Any] = document()["paths"][path][method]
    return op


def response_statuses(method: str, path: str) -> set[int]:
    return {int(status) for status in operation(method, path)["responses"]}


def validator_for(pointer: str) -> Draft202012Validator:
    """A validator for a part of the document, its `$ref`s resolved inside the document."""
    resource = Resource.from_contents(document(), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:openapi", resource)
    return Draft202012Validator({"$ref": f"urn:openapi#{pointer}"}, registry=registry)


def media_examples() -> Iterator[tuple[str, dict[str, Any], Any]]:
    """(label, schema node, example value) for every example of every response body."""
    for path, item in document()["paths"].items():
        for method, op in item.items():
            if method == "description":
                continue
            for status, response in op["responses"].items():
                for media, content in resolve(response).get("content", {}).items():
                    for name, example in content.get("examples", {}).items():
                        yield f"{method} {path} {status} {media} {name}", content["schema"], example["value"]


def test_the_document_is_valid_openapi_3_1() -> None:
    assert document()["openapi"] == "3.1.0"
    validate(document())


def test_the_committed_file_is_what_the_generator_writes() -> None:
    assert document() == openapi_document(), "schemas/openapi.yaml is stale: run python tools/generate_openapi.py"


def test_it_serves_exactly_the_faked_operations() -> None:
    found = {
        (method, path): op["operationId"]
        for path, item in document()["paths"].items()
        for method, op in item.items()
        if method != "description"
    }
    assert found == OPERATIONS


def unembed(component: dict[str, Any], hoisted: set[str]) -> dict[str, Any]:
    """Undo the embedding: `#/components/schemas/X` back to `#/$defs/x` for the hoisted parts."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref", "")
            name = ref.removeprefix("#/components/schemas/")
            if name in hoisted:
                node = {**node, "$ref": f"#/$defs/{name[:1].lower()}{name[1:]}"}
            return {key: walk(value) for key, value in node.items()}
        if isinstance(node, list):
            return [walk(item) for item in node]
        return node

    return dict(walk(copy.deepcopy(component)))


@pytest.mark.parametrize("file_name", SCHEMA_FILES)
def test_each_schema_component_is_its_file_in_schemas(file_name: str) -> None:
    on_disk = json.loads((SCHEMAS_DIR / file_name).read_text(encoding="utf-8"))
    components = document()["components"]["schemas"]
    title = on_disk["title"]
    assert SCHEMA_COMPONENTS[title] == file_name
    defs = {f"{name[:1].upper()}{name[1:]}": part for name, part in on_disk.get("$defs", {}).items()}
    rebuilt = unembed(components[title], set(defs))
    for name in defs:
        rebuilt.setdefault("$defs", {})[name[:1].lower() + name[1:]] = unembed(components[name], set(defs))
    assert {"$schema": on_disk["$schema"], **rebuilt} == on_disk


def test_no_schema_component_is_written_by_hand() -> None:
    from_files = set(SCHEMA_COMPONENTS)
    for name in SCHEMA_COMPONENTS.values():
        on_disk = json.loads((SCHEMAS_DIR / name).read_text(encoding="utf-8"))
        from_files |= {key[:1].upper() + key[1:] for key in on_disk.get("$defs", {})}
    # POST /v1/videos's bodies and its remix's are built from the request schema's parts, not written by hand either.
    bodies = (videos_request_schema(), videos_form_schema(), remix_request_schema())
    built = {schema["title"]: embed_schema(schema)[0] for schema in bodies}
    components = document()["components"]["schemas"]
    assert set(components) == from_files | set(built)
    assert {title: components[title] for title in built} == built


def test_operations_use_the_request_job_and_error_schemas() -> None:
    create = operation("post", "/v1/video/generations")
    body = create["requestBody"]
    assert body["required"] is True
    assert body["content"] == {
        "application/json": {"schema": {"$ref": "#/components/schemas/CreateVideoGenerationRequest"}}
    }
    for method, path in OPERATIONS:
        for status, response in operation(method, path)["responses"].items():
            if status == "416":  # the storage's own answer to a Range past the end: no body
                assert "content" not in resolve(response) and path.endswith("/content")
                continue
            content = resolve(response)["content"]
            if status in ("200", "206") and path.endswith("/content"):
                assert content == {
                    "video/mp4": {"schema": {"type": "string", "format": "binary"}, "example": MP4_EXAMPLE}
                }
            elif status == "200":
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/VideoGenerationJob"}
            else:
                assert content["application/json"]["schema"] == {"$ref": "#/components/schemas/ErrorResponse"}


def test_every_error_status_of_the_catalogue_is_documented() -> None:
    catalogue = {spec.status for spec in ERRORS}
    assert catalogue - ADMIN_ONLY_STATUSES == API_STATUSES
    documented = set().union(*(response_statuses(method, path) for method, path in OPERATIONS))
    # OpenAPI describes only the methods a path serves; the 405 for the others is a shared component.
    # 206 and 416 are a content route's byte ranges, not catalogue errors.
    assert (documented - {200, 206, 416}) | {405} == API_STATUSES
    responses = document()["components"]["responses"]
    assert {int(name.removeprefix("Error")) for name in responses} == API_STATUSES
    assert "Allow" in responses["Error405"]["headers"]


def test_every_catalogue_error_is_an_example_of_its_status() -> None:
    responses = document()["components"]["responses"]
    for spec in ERRORS:
        if spec.status in ADMIN_ONLY_STATUSES:
            continue
        examples = responses[f"Error{spec.status}"]["content"]["application/json"]["examples"]
        error = examples[spec.code]["value"]["error"]
        assert (error["type"], error["code"], error["message"]) == (spec.type, spec.code, spec.message)


def test_each_operation_lists_the_errors_it_can_answer() -> None:
    injected = set(INJECTABLE_STATUSES)
    http_layer = {414, 431}  # any path: request line or headers too long
    assert response_statuses("post", "/v1/video/generations") == {200, 400, 401, 413, 415} | injected | http_layer
    assert response_statuses("get", "/v1/video/generations/{task_id}") == {200, 400, 401, 404} | injected | http_layer
    ranges = {206, 416}  # a byte range, and one past the end (the storage's 416)
    assert response_statuses("get", "/v1/video/generations/{task_id}/content") == {200, 400, 404} | ranges | http_layer


def test_retry_headers_are_documented_where_the_catalogue_sends_them() -> None:
    responses = document()["components"]["responses"]
    for status in (429, 503):
        headers = {name: resolve(header) for name, header in responses[f"Error{status}"]["headers"].items()}
        # 429 `insufficient_quota` carries no Retry-After, so only 503 can require it.
        always = all(spec.retry_after for spec in ERRORS if spec.status == status)
        assert headers["Retry-After"]["required"] is always
        assert headers["retry-after-ms"]["required"] is always
    assert always  # 503's entries all retry


def test_every_response_declares_x_request_id() -> None:
    for method, path in OPERATIONS:
        for response in operation(method, path)["responses"].values():
            header = resolve(resolve(response)["headers"]["x-request-id"])
            assert header["required"] is True


def test_bearer_auth_guards_all_but_the_video_download() -> None:
    spec = document()
    assert spec["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert spec["security"] == [{"bearerAuth": []}]
    assert operation("get", "/v1/video/generations/{task_id}/content")["security"] == []
    assert "security" not in operation("post", "/v1/video/generations")


def test_links_chain_create_to_poll_to_download() -> None:
    create_links = operation("post", "/v1/video/generations")["responses"]["200"]["links"]
    poll_links = operation("get", "/v1/video/generations/{task_id}")["responses"]["200"]["links"]
    by_target = {link["operationId"]: link["parameters"] for link in [*create_links.values(), *poll_links.values()]}
    assert by_target == {
        "getVideoGeneration": {"task_id": "$response.body#/id"},
        "downloadVideoGeneration": {"task_id": "$response.body#/id"},
        "getVideo": {"task_id": "$response.body#/id"},
    }
    assert [link["operationId"] for link in create_links.values()] == ["getVideoGeneration", "getVideo"]


@pytest.mark.parametrize(("body", "mode"), PAGE_BODIES, ids=[mode for _, mode in PAGE_BODIES])
def test_the_page_examples_validate_against_the_document(body: dict[str, Any], mode: str) -> None:
    validator_for("/components/schemas/CreateVideoGenerationRequest").validate(body)


@pytest.mark.parametrize(
    "body",
    [
        {"model": "viduq3p-mix-720p", "prompt": "needs references"},
        {"model": "viduq3p-720p", "last_image": "https://example.com/b.png"},
        {"model": "viduq3p-720p", "prompt": "x", "image": "ftp://example.com/a.png"},
        {"model": "viduq3p-720p", "prompt": "x", "duration": "05"},
    ],
)
def test_the_document_request_schema_rejects_what_the_contract_rejects(body: dict[str, Any]) -> None:
    assert not validator_for("/components/schemas/CreateVideoGenerationRequest").is_valid(body)


def test_every_response_example_validates_against_its_schema() -> None:
    examples = list(media_examples())
    assert len(examples) > len(ERRORS)  # the error catalogue plus the job states
    for label, schema, value in examples:
        pointer = schema["$ref"].removeprefix("#")
        errors = list(validator_for(pointer).iter_errors(value))
        assert not errors, (label, errors)


def test_prefer_examples_never_inject_a_failure() -> None:
    # Generators send examples as-is; none may turn a request into an injected error or fault.
    prefer = document()["components"]["parameters"]["Prefer"]
    values = [example["value"] for example in prefer["examples"].values()]
    assert values
    for value in values:
        preferences = parse_prefer(value)
        assert preferences.applied and (preferences.error, preferences.fault, preferences.delay_ms) == (None,) * 3


def _headers_of(node: Any) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every header object in the document (components and inlined ones), by name."""
    if isinstance(node, dict):
        for name, header in (node.get("headers") or {}).items():
            if isinstance(header, dict):
                yield name, header
        for value in node.values():
            yield from _headers_of(value)
    elif isinstance(node, list):
        for value in node:
            yield from _headers_of(value)


def test_every_header_has_an_example_its_own_schema_accepts() -> None:
    # Prism sends a header's example; without one it sent "string", refused by the pattern.
    seen = set()
    for name, header in _headers_of(document()):
        if "$ref" in header:
            continue
        seen.add(name)
        assert "example" in header, name
        Draft202012Validator(header["schema"]).validate(header["example"])
    assert {"Retry-After", "retry-after-ms", "XRequestId", "RetryAfter", "RetryAfterMs"} <= seen


def test_the_video_has_an_example_body() -> None:
    content = operation("get", "/v1/video/generations/{task_id}/content")["responses"]["200"]["content"]
    assert content["video/mp4"]["example"] == MP4_EXAMPLE
