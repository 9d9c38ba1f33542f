"""The one loader of the packaged schemas; validators are built once and cached."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from mockserver.contract.ecma_regex import ecma_patterns

SCHEMA_FILES = ("request.schema.json", "job.schema.json", "error.schema.json")


@cache
def load_json(name: str) -> Any:
    """Return the parsed JSON file `name` from the packaged `schemas/` folder."""
    text = (files("mockserver.contract") / "schemas" / name).read_text(encoding="utf-8")
    return json.loads(text)


@cache
def load_text(name: str) -> str:
    """Return the packaged file `name` from `schemas/` as text, e.g. `openapi.yaml` to serve as-is."""
    return (files("mockserver.contract") / "schemas" / name).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema `request`, `job` or `error` (a shared, read-only dict)."""
    schema: dict[str, Any] = load_json(f"{name}.schema.json")
    return schema


def catalogue_data() -> dict[str, Any]:
    """Return the parsed `catalogue.json`: the (ours) choices that are not field rules."""
    data: dict[str, Any] = load_json("catalogue.json")
    return data


@cache
def _registry() -> Registry[Any]:
    # Validators read `pattern` as ECMA-262, as JSON Schema and the OpenAPI tools do.
    resources = [(f, Resource.from_contents(ecma_patterns(load_json(f)))) for f in SCHEMA_FILES]
    return Registry().with_resources(resources)


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """Return a compiled validator for the schema `name`, built once per process."""
    return Draft202012Validator(ecma_patterns(load_schema(name)), registry=_registry())


@cache
def subschema_validator(name: str, pointer: str) -> Draft202012Validator:
    """Return a compiled validator for a part of schema `name`, e.g. `/properties/model`.

    The part is resolved against its whole document, so its `$ref`s keep working.
    """
    root = ecma_patterns(load_schema(name))
    node: Any = root
    for token in pointer.strip("/").split("/"):
        node = node[token]
    part = {"$defs": root.get("$defs", {}), **node}
    return Draft202012Validator(part, registry=_registry())
