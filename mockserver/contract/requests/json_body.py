"""Strict JSON decoding of request bodies: whatever a buggy client sends becomes a 400."""

from __future__ import annotations

import json
from typing import Any

from mockserver.contract.errors import ApiError


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = dict(pairs)
    if len(result) == len(pairs):
        return result  # no key repeated; the loop below only names the first one that is
    result = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {key[:40]!r}")
        result[key] = value
    return result


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# What json.loads(object_pairs_hook=..., parse_constant=...) builds on every call, built once.
_DECODER = json.JSONDecoder(object_pairs_hook=_no_duplicates, parse_constant=_no_constant)


def parse_json_body(raw: bytes) -> Any:
    """Decode `raw` as strict UTF-8 JSON or raise `ApiError("invalid_json")`.

    Rejects what Python's `json` would let through but JSON does not allow or a server
    cannot trust: invalid UTF-8, NaN/Infinity, duplicate keys, integers of more than
    4300 digits and nesting deep enough to exhaust the stack.
    """
    if not raw.strip():
        raise ApiError("invalid_json", "The request body is empty; send a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError("invalid_json", f"The request body is not valid UTF-8 (byte {exc.start}).") from None
    if text.startswith("\ufeff"):
        text = text[1:]
    try:
        if text.startswith("\ufeff"):  # json.loads refuses a (second) BOM with this error; so do we
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        return _DECODER.decode(text)
    except RecursionError:
        raise ApiError("invalid_json", "The request body is nested too deeply.") from None
    except json.JSONDecodeError as exc:
        raise ApiError(
            "invalid_json", f"The request body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}."
        ) from None
    except ValueError as exc:
        raise ApiError("invalid_json", f"The request body is not valid JSON: {str(exc)[:120]}.") from None
