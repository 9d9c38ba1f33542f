"""A Vidu create body checked against `schemas/dialects/vidu/request.schema.json` and its route's data.

Each refusal is one of Vidu's reasons and names every field it concerns, in schema order:
`FieldLacking` (missing or empty: `model`, a required `prompt`, a route's `images`), then
`FieldInvalid` (a wrong type, value or form), then `FieldItemCountOutOfRange` (the route's
image count), then `ModelUnavailable` (a Q3 model the route does not take). The order and
the wording past Vidu's own sentences are ours (docs/contract.md, "Vidu's own API").
"""

from __future__ import annotations

import re
from typing import Any

import jsonschema_rs

from mockserver.contract.errors import ApiError
from mockserver.contract.vidu.data import DATA, REQUEST_SCHEMA, ViduRoute

__all__ = ["check_body"]

_PROPERTIES: dict[str, Any] = REQUEST_SCHEMA["properties"]
_FIELD = {name: jsonschema_rs.validator_for(schema) for name, schema in _PROPERTIES.items()}
_REASONS: dict[str, list[Any]] = DATA["reasons"]
# An image is a URL or a Base64 data URI of an image (the create pages: "URL or Base64").
_IMAGE = re.compile(r"^(?:https?://[^\s/?#]+\S*|data:image/[a-z0-9.+-]+;base64,[A-Za-z0-9+/]+={0,2})$")


def _refusal(reason: str, fields: list[str]) -> ApiError:
    message = str(_REASONS[reason][1]).format(fields=", ".join(fields))
    return ApiError(reason, message, fields[0])


def _blank(value: Any) -> bool:
    return value is None or value == [] or (isinstance(value, str) and not value.strip())


def check_body(body: Any, route: ViduRoute, *, strict: bool = False) -> dict[str, Any]:
    """The body of a valid create on `route`; raises the `ApiError` (a Vidu reason) for the first kind of problem."""
    if not isinstance(body, dict):
        raise ApiError("BadRequest", "the request body must be a JSON object", None)
    lacking = [name for name in ("model",) if _blank(body.get(name))]
    if route.prompt_required and _blank(body.get("prompt")):
        lacking.append("prompt")
    if route.min_images and _blank(body.get("images")):
        lacking.append("images")
    if lacking:
        raise _refusal("FieldLacking", lacking)
    unwanted = [name for name in body if name not in _PROPERTIES] if strict else []
    if not route.max_images and body.get("images") not in (None, []):
        unwanted.append("images")
    invalid = [name for name in _PROPERTIES if name in body and not _FIELD[name].is_valid(body[name])]
    images = body.get("images")
    if "images" not in invalid and isinstance(images, list) and not all(_IMAGE.match(i) for i in images):
        invalid.append("images")
    if invalid:
        raise _refusal("FieldInvalid", invalid)
    if unwanted:
        raise _refusal("FieldUnwanted", unwanted)
    count = len(images) if isinstance(images, list) else 0
    if route.max_images and not route.min_images <= count <= route.max_images:
        raise _refusal("FieldItemCountOutOfRange", ["images"])
    if body["model"] not in route.models:
        raise ApiError("ModelUnavailable", f"model {body['model']} is not available on {route.path}", "model")
    return body
