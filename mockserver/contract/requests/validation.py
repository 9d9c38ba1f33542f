"""Validation of a create body into a normalized request or the exact §3 error.

Field rules come from `request.schema.json` (one compiled validator per property); the
mode decision table of CONTRACT §1 is written here in Python, and a property test checks
that the schema's own conditionals agree with it on every body. A body the whole schema
accepts (jsonschema-rs, one call) skips the field-by-field walk, which only errors need.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from functools import cache
from typing import Any, TypeAlias

import jsonschema_rs
from jsonschema.exceptions import ValidationError

from mockserver.contract.data.catalogue import MODELS, Mode, is_mix_model
from mockserver.contract.data.schemas import load_schema, subschema_validator
from mockserver.contract.errors import ApiError

_SCHEMA = load_schema("request")
FIELDS: tuple[str, ...] = tuple(_SCHEMA["properties"])
_FIELD_SET = frozenset(FIELDS)
_DEFAULT_ASPECT: str = _SCHEMA["properties"]["aspect_ratio"]["default"]
_DEFAULT_DURATION: int = _SCHEMA["properties"]["duration"]["default"]
_FRAME_FIELDS = ("image", "last_image")
# "Seconds, 1 to 16; …" in the schema: the message states the schema's own range.
_DURATION_INTEGER = next(choice for choice in _SCHEMA["properties"]["duration"]["oneOf"] if choice["type"] == "integer")
_DURATION_RULE = (
    f"an integer from {_DURATION_INTEGER['minimum']} to {_DURATION_INTEGER['maximum']} seconds (or its string form)"
)


@dataclass(frozen=True, slots=True)
class CreateRequest:
    """A valid create body, normalized: mode decided, duration an int, defaults filled."""

    model: str
    mode: Mode
    prompt: str | None
    duration: int
    aspect_ratio: str
    image: str | None = None
    last_image: str | None = None
    reference_image_urls: tuple[str, ...] = ()
    extra_body: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Problem:
    """One broken rule: catalogue code, field path, and a sentence naming it."""

    code: str
    param: str | None
    message: str


class _Unclassified(Enum):
    """Marks a mode not yet classified (None is a classification: no mode)."""

    MODE = 0


UNCLASSIFIED = _Unclassified.MODE
ModeOrUnclassified: TypeAlias = Mode | _Unclassified | None


def classify_mode(body: dict[str, Any]) -> Mode | None:
    """The mode the present fields ask for, or None where they form none (`last_image` alone)."""
    if "reference_image_urls" in body:
        return "reference-to-video"
    if "image" in body:
        return "first-and-last-frame" if "last_image" in body else "image-to-video"
    if "last_image" in body:
        return None
    return "text-to-video"


def _path(error: ValidationError, name: str) -> str:
    param = name
    for part in error.absolute_path:
        param += f"[{part}]" if isinstance(part, int) else f".{part}"
    return param


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _describe(error: ValidationError, name: str) -> str:
    keyword = error.validator
    expected: Any = error.validator_value
    instance: Any = error.instance
    if name == "model" and keyword == "enum":
        return f"model {_short(error.instance)} is not supported; use one of {', '.join(MODELS)}"
    if keyword == "type":
        return f"must be of type {expected}, got {_short(error.instance)}"
    if keyword == "enum":
        return f"must be one of {', '.join(map(str, expected))}, got {_short(error.instance)}"
    if keyword in ("minLength", "pattern") and name == "prompt":
        return "must not be blank"
    if keyword == "maxLength":
        return f"must be at most {expected} characters, got {len(instance)}"
    if keyword == "pattern":
        return "must be an http(s) URL or a data:image/(png|jpeg|webp);base64, URI"
    if keyword in ("minItems", "maxItems"):
        return f"must hold {'at least' if keyword == 'minItems' else 'at most'} {expected} items, got {len(instance)}"
    if keyword in ("minimum", "maximum"):
        return f"must be {'at least' if keyword == 'minimum' else 'at most'} {expected}, got {_short(error.instance)}"
    if keyword == "oneOf" and name == "duration":
        return f"must be {_DURATION_RULE}, got {_short(error.instance)}"
    return f"is invalid: {_short(error.instance)}"


@cache
def _whole_schema() -> jsonschema_rs.Validator:
    # jsonschema-rs reads `pattern` as ECMA-262 natively (tests/contract/test_ecma_regex.py holds our
    # rewrite to it), so it takes the schema file as written.
    return jsonschema_rs.validator_for(_SCHEMA)


def schema_accepts(body: Any) -> bool:
    """Whether the request schema accepts `body`, checked whole by jsonschema-rs in about a microsecond.

    The fast way in for valid bodies; anything it refuses, or cannot take (a lone surrogate
    cannot cross into Rust), is left to the full field-by-field check, which words the error.
    """
    try:
        return _whole_schema().is_valid(body)
    except Exception:  # whatever it cannot take, the full check decides
        return False


def _field_problems(body: dict[str, Any]) -> list[Problem]:
    problems: list[Problem] = []
    for name in FIELDS:
        if name not in body:
            continue
        validator = subschema_validator("request", f"/properties/{name}")
        errors = sorted(validator.iter_errors(body[name]), key=lambda e: (list(e.absolute_path), e.validator != "type"))
        if not errors:
            continue
        first = errors[0]
        param = _path(first, name)
        code = "model_not_supported" if name == "model" and first.validator == "enum" else "invalid_value"
        problems.append(Problem(code, param, f"{param}: {_describe(first, name)}"))
    return problems


def _mode_problems(body: dict[str, Any], model_ok: bool, mode: ModeOrUnclassified) -> list[Problem]:
    problems: list[Problem] = []
    if mode is UNCLASSIFIED:
        mode = classify_mode(body)
    model = body.get("model")
    mix = model_ok and isinstance(model, str) and is_mix_model(model)
    if mode == "reference-to-video":
        for name in _FRAME_FIELDS:
            if name in body:
                problems.append(Problem("invalid_mode", name, f"{name}: not allowed with reference_image_urls"))
        if model_ok and not mix:
            problems.append(
                Problem(
                    "invalid_mode", "model", f"model: reference_image_urls needs a -mix- model, got {_short(model)}"
                )
            )
        if "prompt" not in body:
            problems.append(Problem("missing_field", "prompt", "prompt: required for reference-to-video"))
        return problems
    if mode is None:
        problems.append(Problem("invalid_mode", "last_image", "last_image: needs image (first-and-last-frame)"))
    if mix:
        problems.append(
            Problem("invalid_mode", "model", f"model: {model} needs reference_image_urls (reference-to-video)")
        )
    if mode == "text-to-video" and "prompt" not in body:
        problems.append(Problem("missing_field", "prompt", "prompt: required for text-to-video"))
    return problems


def find_problems(body: Any, *, strict: bool = False, mode: ModeOrUnclassified = UNCLASSIFIED) -> list[Problem]:
    """Every rule `body` breaks, most important first; empty when it is valid.

    `mode` is `classify_mode(body)` when the caller already has it.
    """
    if not isinstance(body, dict):
        return [
            Problem(
                "invalid_value",
                None,
                f"the request body must be a JSON object, got {type(body).__name__ if body is not None else 'null'}",
            )
        ]
    problems: list[Problem] = []
    if "model" not in body:
        problems.append(Problem("missing_field", "model", "model: required"))
    field_problems = _field_problems(body)
    problems.extend(field_problems)
    model_ok = "model" in body and not any(p.param == "model" for p in field_problems)
    problems.extend(_mode_problems(body, model_ok, mode))
    if strict:
        for name in body:
            if name not in FIELDS:
                problems.append(Problem("unknown_field", str(name), f"{_short(name)}: unknown field (strict mode)"))
    return problems


def check_create(body: Any, *, strict: bool = False, mode: ModeOrUnclassified = UNCLASSIFIED) -> tuple[str, Mode]:
    """The model and mode of a valid create body, or raise the `ApiError` for what is wrong.

    What `validate_create` checks, without building the normalized request (the engine
    needs only these two). The error's code and param are those of the first problem;
    its message names them all. `mode` is `classify_mode(body)` when the caller already has it.
    """
    if type(body) is dict and schema_accepts(body) and not (strict and body.keys() - _FIELD_SET):
        problems: list[Problem] = []
    else:
        problems = find_problems(body, strict=strict, mode=mode)
    if problems:
        first = problems[0]
        message = "; ".join(p.message for p in problems)
        raise ApiError(first.code, message, first.param)
    if mode is UNCLASSIFIED:
        mode = classify_mode(body)
    assert mode is not None  # find_problems rejects last_image alone
    return body["model"], mode


def validate_create(body: Any, *, strict: bool = False) -> CreateRequest:
    """Return the normalized request for `body`, or raise the `ApiError` for what is wrong.

    The error's code and param are those of the first problem; its message names them all.
    """
    _, mode = check_create(body, strict=strict)
    duration = body.get("duration", _DEFAULT_DURATION)
    return CreateRequest(
        model=body["model"],
        mode=mode,
        prompt=body.get("prompt"),
        duration=int(duration),
        aspect_ratio=body.get("aspect_ratio", _DEFAULT_ASPECT),
        image=body.get("image"),
        last_image=body.get("last_image"),
        reference_image_urls=tuple(body.get("reference_image_urls", ())),
        extra_body=dict(body.get("extra_body", {})),
    )
