"""Invalid create bodies, each paired with the exact error the contract promises for it.

Every rule starts from a valid body (`create_requests`) and breaks one thing; the
expected status, code and param follow from which thing was broken and from the order
problems are reported in (a missing `model`, then fields in schema order, then mode
rules). The core's validator is never consulted, so a test comparing the two can fail.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract import MODES, Mode, error_spec
from pytest_plugin import bad_values as bad
from pytest_plugin.request_rules import FIELDS, PROMPT_REQUIRED, REFERENCE_MODE, models_for, other_models
from pytest_plugin.valid_bodies import create_requests, http_urls, image_references, json_values

__all__ = ["RULES", "InvalidRequest", "invalid_create_requests"]

# The catalogue codes these rules produce; error_spec() fails at import if one is renamed.
MISSING, INVALID, UNSUPPORTED, BAD_MODE, UNKNOWN = (
    error_spec(code).code
    for code in ("missing_field", "invalid_value", "model_not_supported", "invalid_mode", "unknown_field")
)


@dataclass(frozen=True, slots=True)
class InvalidRequest:
    """An invalid create body and the error the mock must answer it with.

    `body` is what to send as JSON; `status`, `code` and `param` are the expected
    response's status and `error.code` / `error.param`; `rule` names what was broken.
    """

    body: Any
    status: int
    code: str
    param: str | None
    rule: str


def _invalid(body: Any, code: str, param: str | None, rule: str) -> InvalidRequest:
    return InvalidRequest(body, error_spec(code).status, code, param, rule)


@dataclass(frozen=True)
class _FieldRule:
    """Setting `field` to one of `values` (each with the param it is reported at) breaks `rule`."""

    rule: str
    field: str
    code: str
    values: st.SearchStrategy[tuple[Any, str]]
    modes: tuple[Mode, ...] = MODES


def _at(field: str) -> Callable[[Any], tuple[Any, str]]:
    return lambda value: (value, field)


_IMAGE_MODES: tuple[Mode, ...] = ("image-to-video", "first-and-last-frame")
_FIELD_RULES: tuple[_FieldRule, ...] = (
    _FieldRule("model not in the catalogue", "model", UNSUPPORTED, bad.unsupported_models.map(_at("model"))),
    _FieldRule("model not a string", "model", INVALID, bad.values_not_of_type("string").map(_at("model"))),
    _FieldRule("prompt blank", "prompt", INVALID, bad.blank_prompts.map(_at("prompt"))),
    _FieldRule("prompt too long", "prompt", INVALID, bad.long_prompts.map(_at("prompt"))),
    _FieldRule("prompt not a string", "prompt", INVALID, bad.values_not_of_type("string").map(_at("prompt"))),
    _FieldRule("image malformed", "image", INVALID, bad.bad_image_references.map(_at("image")), _IMAGE_MODES),
    _FieldRule(
        "last_image malformed",
        "last_image",
        INVALID,
        bad.bad_image_references.map(_at("last_image")),
        ("first-and-last-frame",),
    ),
    _FieldRule(
        "too few or too many reference images",
        "reference_image_urls",
        INVALID,
        bad.bad_reference_counts.map(_at("reference_image_urls")),
        (REFERENCE_MODE,),
    ),
    _FieldRule(
        "reference image malformed",
        "reference_image_urls",
        INVALID,
        bad.reference_lists_with_a_bad_item.map(lambda pair: (pair[0], f"reference_image_urls[{pair[1]}]")),
        (REFERENCE_MODE,),
    ),
    _FieldRule(
        "reference_image_urls not an array",
        "reference_image_urls",
        INVALID,
        st.one_of(image_references, bad.values_not_of_type("array")).map(_at("reference_image_urls")),
        (REFERENCE_MODE,),
    ),
    _FieldRule("aspect_ratio not offered", "aspect_ratio", INVALID, bad.bad_aspect_ratios.map(_at("aspect_ratio"))),
    _FieldRule("duration out of range", "duration", INVALID, bad.out_of_range_durations.map(_at("duration"))),
    _FieldRule("duration not whole", "duration", INVALID, bad.fractional_durations.map(_at("duration"))),
    _FieldRule("duration string not canonical", "duration", INVALID, bad.duration_strings.map(_at("duration"))),
    _FieldRule(
        "duration of the wrong type",
        "duration",
        INVALID,
        bad.values_not_of_type("integer", "number", "string").map(_at("duration")),
    ),
    _FieldRule(
        "extra_body not an object", "extra_body", INVALID, bad.values_not_of_type("object").map(_at("extra_body"))
    ),
    _FieldRule(
        "extra_body option of the wrong type or range",
        "extra_body",
        INVALID,
        bad.bad_extra_option_bodies.map(lambda pair: (pair[0], f"extra_body.{pair[1]}")),
    ),
)


def _bases(modes: tuple[Mode, ...]) -> st.SearchStrategy[dict[str, Any]]:
    return st.one_of([create_requests(mode=mode) for mode in MODES if mode in modes])


def _break_field(rule: _FieldRule) -> st.SearchStrategy[InvalidRequest]:
    def apply(body: dict[str, Any], broken: tuple[Any, str]) -> InvalidRequest:
        value, param = broken
        return _invalid({**body, rule.field: value}, rule.code, param, rule.rule)

    return st.builds(apply, _bases(rule.modes), rule.values)


_TWO_FIELDS = "two fields broken: the first in schema order is reported"
_LAST_FIELD = max(FIELDS.index(rule.field) for rule in _FIELD_RULES)


@st.composite
def _two_broken_fields(draw: st.DrawFn, firsts: tuple[_FieldRule, ...]) -> InvalidRequest:
    first = draw(st.sampled_from(firsts))
    later = [r for r in _FIELD_RULES if FIELDS.index(r.field) > FIELDS.index(first.field)]
    second = draw(st.sampled_from(later))
    value, param = draw(first.values)
    other, _ = draw(second.values)
    body = {**draw(create_requests()), first.field: value, second.field: other}
    return _invalid(body, first.code, param, _TWO_FIELDS)


def _without(body: dict[str, Any], field: str) -> dict[str, Any]:
    return {k: v for k, v in body.items() if k != field}


def _frames_with_references(body: dict[str, Any], frames: dict[str, str]) -> InvalidRequest:
    param = "image" if "image" in frames else "last_image"
    return _invalid({**body, **frames}, BAD_MODE, param, "reference images with image or last_image")


def _last_image_alone(body: dict[str, Any]) -> InvalidRequest:
    moved = {("last_image" if k == "image" else k): v for k, v in body.items()}
    return _invalid(moved, BAD_MODE, "last_image", "last_image without image")


_NOT_OBJECTS = st.one_of(
    st.lists(create_requests(), max_size=2),
    st.text(max_size=20),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.booleans(),
    st.none(),
)
_OTHER_MODES: tuple[Mode, ...] = tuple(mode for mode in MODES if mode != REFERENCE_MODE)
_STRUCTURE_RULES: tuple[tuple[str, st.SearchStrategy[InvalidRequest]], ...] = (
    (INVALID, _NOT_OBJECTS.map(lambda body: _invalid(body, INVALID, None, "body not a JSON object"))),
    (MISSING, create_requests().map(lambda b: _invalid(_without(b, "model"), MISSING, "model", "model missing"))),
    (
        MISSING,
        _bases(PROMPT_REQUIRED).map(lambda b: _invalid(_without(b, "prompt"), MISSING, "prompt", "prompt missing")),
    ),
    (BAD_MODE, create_requests(mode="image-to-video").map(_last_image_alone)),
    (
        BAD_MODE,
        st.builds(
            lambda body, model: _invalid({**body, "model": model}, BAD_MODE, "model", "-mix- model without references"),
            _bases(_OTHER_MODES),
            st.sampled_from(models_for(REFERENCE_MODE)),
        ),
    ),
    (
        BAD_MODE,
        st.builds(
            lambda body, model: _invalid(
                {**body, "model": model}, BAD_MODE, "model", "references with a non-mix model"
            ),
            create_requests(mode=REFERENCE_MODE),
            st.sampled_from(other_models(REFERENCE_MODE)),
        ),
    ),
    (
        BAD_MODE,
        st.builds(
            _frames_with_references,
            create_requests(mode=REFERENCE_MODE),
            st.one_of(
                st.fixed_dictionaries({"image": image_references}, optional={"last_image": image_references}),
                st.fixed_dictionaries({"last_image": image_references}),
            ),
        ),
    ),
)

_UNKNOWN_FIELDS = st.one_of(
    st.sampled_from(["seed", "Model", "negative_prompt", "resolution"]),
    st.text(min_size=1, max_size=15),
).filter(lambda name: name not in FIELDS)
_STRICT_RULE = st.builds(
    lambda body, name, value: _invalid({**body, name: value}, UNKNOWN, name, "unknown top-level field (strict mode)"),
    create_requests(),
    _UNKNOWN_FIELDS,
    st.one_of(http_urls, json_values),
)

#: The name of every rule `invalid_create_requests(strict=True)` breaks, for coverage checks.
RULES: tuple[str, ...] = (
    "body not a JSON object",
    "model missing",
    "prompt missing",
    "last_image without image",
    "-mix- model without references",
    "references with a non-mix model",
    "reference images with image or last_image",
    *(rule.rule for rule in _FIELD_RULES),
    _TWO_FIELDS,
    "unknown top-level field (strict mode)",
)


def invalid_create_requests(*, code: str | None = None, strict: bool = False) -> st.SearchStrategy[InvalidRequest]:
    """Invalid create bodies, each as an `InvalidRequest` with the exact expected error.

    One rule of CONTRACT section 1 is broken per example (or two fields, where the first
    in schema order must be reported). `code=` keeps only examples expecting that error
    code; `strict=True` adds unknown top-level fields, which only a strict server rejects.
    """
    if not isinstance(strict, bool):
        raise InvalidArgument(f"strict={strict!r} must be True or False")
    codes = sorted({c for c, _ in _STRUCTURE_RULES} | {r.code for r in _FIELD_RULES} | ({UNKNOWN} if strict else set()))
    if code is not None and code not in codes:
        hint = " (pass strict=True for unknown_field)" if code == UNKNOWN else ""
        raise InvalidArgument(f"code={code!r} is not an error a create body can get; choose one of {codes}{hint}")
    return _invalid_create_requests(code, strict)


@cache
def _invalid_create_requests(code: str | None, strict: bool) -> st.SearchStrategy[InvalidRequest]:
    strategies = [s for c, s in _STRUCTURE_RULES if code in (None, c)]
    strategies += [_break_field(rule) for rule in _FIELD_RULES if code in (None, rule.code)]
    firsts = tuple(r for r in _FIELD_RULES if code in (None, r.code) and FIELDS.index(r.field) < _LAST_FIELD)
    if firsts:
        strategies.append(_two_broken_fields(firsts))
    if strict and code in (None, UNKNOWN):
        strategies.append(_STRICT_RULE)
    return st.one_of(strategies)
