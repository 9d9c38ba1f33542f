"""The admin API's request bodies, checked against `schemas/admin/*.schema.json`.

An unknown field is named with the fields the endpoint accepts, and a wrong value names
its field and what it must be (each schema's `x-expected` words it), so no message of
Python's (a keyword-argument `TypeError`, a validator's repr) ever reaches a client.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from mockserver.contract.data.schemas import load_json
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.spelling import closest
from mockserver.contract.state.journal import MAX_STORED_BODY

__all__ = ["ADMIN_SCHEMAS", "MAX_ADMIN_BODY", "admin_body", "admin_schema"]

MAX_ADMIN_BODY = MAX_STORED_BODY
#: The schema of each admin write's body, by name (`schemas/admin/<name>.schema.json`).
ADMIN_SCHEMAS = ("failure-rule", "job-plan", "clock", "task-action", "no-fields", "callback-fault", "concurrency")
_SHOWN = 60  # characters of a client's field name or value echoed back


def admin_schema(name: str) -> dict[str, Any]:
    """The parsed schema `name` (one of `ADMIN_SCHEMAS`; a shared, read-only dict)."""
    schema: dict[str, Any] = load_json(f"admin/{name}.schema.json")
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(admin_schema(name))


def admin_body(request: Incoming, name: str) -> dict[str, Any]:
    """`request`'s body as the JSON object schema `name` accepts (no body is `{}`); `ApiError` otherwise."""
    data = _json_object(request)
    errors = list(_validator(name).iter_errors(data))
    if errors:
        raise _refusal(admin_schema(name), data, errors)
    return data


def _json_object(request: Incoming) -> dict[str, Any]:
    if not request.body.strip():
        return {}
    if len(request.body) > MAX_ADMIN_BODY:
        raise ApiError("payload_too_large")
    data = parse_json_body(request.body)
    if not isinstance(data, dict):
        raise ApiError("invalid_value", "The admin body must be a JSON object.")
    return data


def _text(value: str) -> str:
    shown = "".join(c if c.isprintable() else "?" for c in value[:_SHOWN])
    return shown + ("..." if len(value) > _SHOWN else "")


def _refusal(schema: dict[str, Any], data: dict[str, Any], errors: list[ValidationError]) -> ApiError:
    """The one error to answer with: an unknown field first, then the first field at fault, then the whole."""
    what, accepted = schema["x-what"], list(schema["properties"])
    unknown = sorted(key for key in data if key not in schema["properties"])
    if unknown:
        fields = "; it takes no fields (send {} or no body)" if not accepted else f"; accepted: {', '.join(accepted)}"
        return ApiError(
            "unknown_field", f"Unknown field '{_text(unknown[0])}' in the {what}{fields}.", _text(unknown[0])
        )
    field_errors = [e for e in errors if e.absolute_path]
    if field_errors:
        field = str(field_errors[0].absolute_path[0])
        got = _text(json.dumps(data[field], ensure_ascii=False))
        expected = schema["properties"][field]["x-expected"]
        choices = [c for c in schema["properties"][field].get("enum", ()) if isinstance(c, str)]
        near = closest(data[field], choices) if choices and isinstance(data[field], str) else None
        hint = f" (did you mean {near!r}?)" if near else ""
        return ApiError("invalid_value", f"Bad {what}: {field} must be {expected}; got {got}{hint}.", field)
    required = [e.validator_value for e in errors if e.validator == "required" and isinstance(e.validator_value, list)]
    missing = [name for names in required for name in names if name not in data]
    param = missing[0] if missing else (accepted[0] if accepted else None)
    return ApiError("invalid_value", schema.get("x-expected", f"Bad {what}."), param)
