"""A Vidu create body checked against `schemas/dialects/vidu/request.schema.json` and its route's data.

Each refusal is one of Vidu's reasons and names every field it concerns, in schema order:
`FieldLacking` (missing or empty: `model`, a required `prompt`, a route's `images`), then
`FieldInvalid` (a wrong type, value or form), then `FieldUnwanted` (images on text2video;
unknown fields in strict mode), then `FieldItemCountOutOfRange` (the route's image count),
then `ModelUnavailable` (a Q3 model the route does not take). The order and the wording past
Vidu's own sentences are ours (docs/contract.md, "Vidu's own API").
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.data.schemas import subschema_validator
from mockserver.contract.errors import ApiError
from mockserver.contract.vidu.data import DATA, REQUEST_SCHEMA, ViduRoute

__all__ = ["check_body"]

_SCHEMA = "dialects/vidu/request"
_PROPERTIES: tuple[str, ...] = tuple(REQUEST_SCHEMA["properties"])
_FIELD = {name: subschema_validator(_SCHEMA, f"/properties/{name}") for name in _PROPERTIES}
_FILLED_PROMPT = subschema_validator(_SCHEMA, "/$defs/filledPrompt")
_REASONS: dict[str, list[Any]] = DATA["reasons"]


def _refusal(reason: str, fields: list[str]) -> ApiError:
    message = str(_REASONS[reason][1]).format(fields=", ".join(fields))
    return ApiError(reason, message, fields[0])


def _blank(value: Any) -> bool:
    return value is None or value == [] or value == ""


def check_body(body: Any, route: ViduRoute, *, strict: bool = False) -> dict[str, Any]:
    """The body of a valid create on `route`; raises the `ApiError` (a Vidu reason) for the first kind of problem."""
    if not isinstance(body, dict):
        raise ApiError("BadRequest", "the request body must be a JSON object", None)
    lacking = ["model"] if _blank(body.get("model")) else []
    prompt = body.get("prompt")
    if route.prompt_required and (prompt is None or (isinstance(prompt, str) and not _FILLED_PROMPT.is_valid(prompt))):
        lacking.append("prompt")
    if route.min_images and _blank(body.get("images")):
        lacking.append("images")
    if lacking:
        raise _refusal("FieldLacking", lacking)
    invalid = [name for name in _PROPERTIES if name in body and not _FIELD[name].is_valid(body[name])]
    if invalid:
        raise _refusal("FieldInvalid", invalid)
    unwanted = [name for name in body if name not in _PROPERTIES] if strict else []
    if not route.max_images and body.get("images"):
        unwanted.append("images")
    if unwanted:
        raise _refusal("FieldUnwanted", unwanted)
    count = len(body.get("images") or ())
    if route.max_images and not route.min_images <= count <= route.max_images:
        raise _refusal("FieldItemCountOutOfRange", ["images"])
    if body["model"] not in route.models:
        raise ApiError("ModelUnavailable", f"model {body['model']} is not available on {route.path}", "model")
    return body
