"""Every dialect's OpenAPI document: valid 3.1, current, built from that dialect's schemas, examples true."""

from __future__ import annotations

import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.contract.data.schemas import load_json, load_text
from mockserver.contract.dialects import ROUTES, dialect_named
from mockserver.openapi.document import openapi_document, openapi_file

ROOT = Path(__file__).resolve().parents[2]


@cache
def document(dialect: str) -> dict[str, Any]:
    """The committed file of `dialect`, read the way an installed package reads it."""
    data: dict[str, Any] = yaml.safe_load(load_text(openapi_file(dialect)))
    return data


def resolve(dialect: str, node: Any) -> Any:
    if isinstance(node, dict) and "$ref" in node:
        target: Any = document(dialect)
        for token in node["$ref"].removeprefix("#/").split("/"):
            target = target[token]
        return target
    return node


def validator_for(dialect: str, schema: dict[str, Any]) -> Draft202012Validator:
    resource = Resource.from_contents(document(dialect), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource("urn:openapi", resource)
    rebased = {"$ref": "urn:openapi" + schema["$ref"]} if "$ref" in schema else schema
    if "anyOf" in schema:
        rebased = {"anyOf": [{"$ref": "urn:openapi" + part["$ref"]} for part in schema["anyOf"]]}
    return Draft202012Validator(rebased, registry=registry)


def title_ref(file: str) -> dict[str, str]:
    return {"$ref": "#/components/schemas/" + load_json(file)["title"]}


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_each_dialect_has_a_valid_current_document(dialect: str) -> None:
    validate(document(dialect))
    assert document(dialect) == openapi_document(dialect), "stale: run python tools/generate_openapi.py"


def test_the_generator_check_passes_on_the_committed_files() -> None:
    result = subprocess.run([sys.executable, "tools/generate_openapi.py", "--check"], cwd=ROOT, capture_output=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_operations_use_the_dialects_own_reply_schemas(dialect: str) -> None:
    schemas = dialect_named(dialect).schemas
    paths = document(dialect)["paths"]
    created = paths["/v1/video/generations"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert created == title_ref(schemas.created)
    for route, path in zip(ROUTES, ("/v1/video/generations/{task_id}", "/v1/videos/{task_id}"), strict=True):
        poll = paths[path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
        assert poll == title_ref(schemas.job(route))


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
def test_every_example_validates_against_its_schema(dialect: str) -> None:
    count = 0
    responses = [
        resolve(dialect, response)
        for item in document(dialect)["paths"].values()
        for method, op in item.items()
        if method != "description"
        for response in op["responses"].values()
    ]
    for response in responses:
        for content in response.get("content", {}).values():
            for name, example in content.get("examples", {}).items():
                errors = list(validator_for(dialect, content["schema"]).iter_errors(example["value"]))
                assert not errors, (name, errors)
                count += 1
    assert count > 30


def test_new_api_documents_its_statuses_and_shapes() -> None:
    responses = document("new-api")["components"]["responses"]
    task_missing = responses["Error400"]["content"]["application/json"]["examples"]["task_not_found"]["value"]
    assert task_missing == {"code": "task_not_exist", "message": "task_not_exist", "data": None}
    model = responses["Error503"]["content"]["application/json"]["examples"]["model_not_supported"]["value"]
    assert model["error"]["code"] == "model_not_found" and model["error"]["type"] == "new_api_error"
    link = document("new-api")["paths"]["/v1/video/generations/{task_id}"]["get"]["responses"]["200"]["links"]
    assert link["GetVideoGenerationAgain"]["parameters"] == {"task_id": "$response.body#/data/task_id"}
