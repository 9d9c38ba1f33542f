"""The one loader of the packaged schemas; validators are built once and cached."""

from __future__ import annotations

import json
from functools import cache
from importlib.resources import files
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.exceptions import NoSuchResource

from mockserver.contract.data.ecma_regex import ecma_patterns

SCHEMA_FILES = ("request.schema.json", "job.schema.json", "error.schema.json")


@cache
def load_json(name: str) -> Any:
    """Return the parsed JSON file `name` (e.g. `admin/clock.schema.json`) from the packaged `schemas/` folder."""
    node = files("mockserver.contract.data") / "schemas"
    for part in name.split("/"):
        node = node / part
    return json.loads(node.read_text(encoding="utf-8"))


@cache
def load_text(name: str) -> str:
    """Return the packaged file `name` from `schemas/` as text, e.g. `openapi.yaml` to serve as-is."""
    return (files("mockserver.contract.data") / "schemas" / name).read_text(encoding="utf-8")


def load_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema `request`, `job` or `error` (a shared, read-only dict)."""
    schema: dict[str, Any] = load_json(f"{name}.schema.json")
    return schema


def catalogue_data() -> dict[str, Any]:
    """Return the parsed `catalogue.json`: the (ours) choices that are not field rules."""
    data: dict[str, Any] = load_json("catalogue.json")
    return data


@cache
def _ecma_json(file: str) -> Any:
    # Validators read `pattern` as ECMA-262, as JSON Schema and the OpenAPI tools do.
    return ecma_patterns(load_json(file))


@cache
def _resource(uri: str) -> Resource[Any]:
    if uri not in SCHEMA_FILES:
        raise NoSuchResource(ref=uri)  # type: ignore[call-arg]  # attrs class; only our own files, never fetched
    return Resource.from_contents(_ecma_json(uri))


@cache
def _registry() -> Registry[Any]:
    # Each file is read when a `$ref` first reaches it, not when the first validator is built.
    return Registry(retrieve=_resource)  # type: ignore[call-arg]


@cache
def schema_validator(name: str) -> Draft202012Validator:
    """Return a compiled validator for the schema `name`, built once per process."""
    return Draft202012Validator(_ecma_json(f"{name}.schema.json"), registry=_registry())


@cache
def subschema_validator(name: str, pointer: str) -> Draft202012Validator:
    """Return a compiled validator for a part of schema `name`, e.g. `/properties/model`.

    The part is resolved against its whole document, so its `$ref`s keep working.
    """
    root = _ecma_json(f"{name}.schema.json")
    node: Any = root
    for token in pointer.strip("/").split("/"):
        node = node[token]
    defs = root.get("$defs", {})
    part = {"$defs": defs, **inline_local_refs(node, defs)}
    return Draft202012Validator(part, registry=_registry())


# Draft 2020-12 keywords whose value is a schema, a list of schemas, or a map of names to schemas.
_SCHEMA_VALUED = frozenset(
    {"items", "contains", "not", "if", "then", "else", "additionalProperties", "propertyNames"}
    | {"unevaluatedItems", "unevaluatedProperties", "contentSchema"}
)
_LIST_VALUED = frozenset({"allOf", "anyOf", "oneOf", "prefixItems"})
_MAP_VALUED = frozenset({"properties", "patternProperties", "dependentSchemas"})
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "$comment", "deprecated"})
_LOCAL_DEF = "#/$defs/"


def inline_local_refs(schema: Any, defs: dict[str, Any], depth: int = 0) -> Any:
    """A copy of `schema` with each `{"$ref": "#/$defs/<name>"}` replaced by that definition's keywords.

    jsonschema resolves a `$ref` through the registry on every validation, which costs
    more than the checks it leads to; spliced in where the `$ref` stood, the same
    keywords give the same errors in the same order. A reference that would clash with
    a sibling keyword, or nests deeper than 8, is kept (still correct, just slower).
    """
    if not isinstance(schema, dict) or depth > 8:
        return schema
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key in _SCHEMA_VALUED:
            value = inline_local_refs(value, defs, depth + 1)
        elif key in _LIST_VALUED and isinstance(value, list):
            value = [inline_local_refs(item, defs, depth + 1) for item in value]
        elif key in _MAP_VALUED and isinstance(value, dict):
            value = {name: inline_local_refs(item, defs, depth + 1) for name, item in value.items()}
        elif key == "$ref" and isinstance(value, str) and value.startswith(_LOCAL_DEF):
            target = inline_local_refs(defs.get(value[len(_LOCAL_DEF) :]), defs, depth + 1)
            clash = isinstance(target, dict) and (set(target) & set(schema)) - _ANNOTATIONS
            if isinstance(target, dict) and "$ref" not in target and not clash:
                out.update((k, v) for k, v in target.items() if k not in out)
                continue
        out[key] = value
    return out
