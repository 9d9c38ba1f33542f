"""The contract core's validation: the page's examples, and one invalid body per rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from mockserver.contract import ApiError, parse_json_body, validate_create
from mockserver.contract.data.catalogue import MODELS
from mockserver.contract.data.schemas import schema_validator
from tests.support.contract_checks import assert_error
from tests.support.page_examples import PAGE_BODIES

TEXT: dict[str, Any] = {"model": "viduq3p-720p", "prompt": "a red fox in snow"}
IMAGE: dict[str, Any] = {"model": "viduq3t-540p", "image": "https://example.com/a.png"}
MIX: dict[str, Any] = {
    "model": "viduq3p-mix-720p",
    "prompt": "@Image1 on a beach",
    "reference_image_urls": ["https://example.com/r1.png"],
}
PNG = "data:image/png;base64,iVBORw0KGgo="


def body(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """`base` with `changes` applied; a value of `...` removes the key."""
    merged = {**base, **changes}
    return {k: v for k, v in merged.items() if v is not ...}


@pytest.mark.parametrize(("payload", "mode"), PAGE_BODIES, ids=[m for _, m in PAGE_BODIES])
def test_page_examples_are_accepted_with_their_mode(payload: dict[str, Any], mode: str) -> None:
    request = validate_create(payload)
    assert request.mode == mode
    assert request.model == payload["model"]
    assert request.duration == payload["duration"]
    schema_validator("request").validate(payload)


def test_defaults_are_filled_and_duration_normalized() -> None:
    request = validate_create(body(TEXT, duration="7"))
    assert (request.duration, request.aspect_ratio, request.extra_body) == (7, "16:9", {})
    assert validate_create(TEXT).duration == 5


def test_image_modes_need_no_prompt_and_ignore_aspect_ratio() -> None:
    assert validate_create(body(IMAGE, aspect_ratio="1:1")).mode == "image-to-video"
    assert validate_create(body(IMAGE, last_image=PNG)).mode == "first-and-last-frame"


def test_extra_body_unknown_keys_pass_through() -> None:
    request = validate_create(body(TEXT, extra_body={"seed": 0, "style": {"any": [1, 2]}}))
    assert request.extra_body == {"seed": 0, "style": {"any": [1, 2]}}


def test_unknown_top_level_fields_are_ignored_unless_strict() -> None:
    validate_create(body(TEXT, user="me"))
    with pytest.raises(ApiError) as info:
        validate_create(body(TEXT, user="me"), strict=True)
    assert (info.value.code, info.value.param) == ("unknown_field", "user")


@pytest.mark.parametrize("model", MODELS)
def test_every_catalogue_model_is_accepted_in_its_mode(model: str) -> None:
    payload = body(MIX, model=model) if "-mix-" in model else body(TEXT, model=model)
    assert validate_create(payload).model == model


# (id, body, code, param). Every case is a 400 `invalid_request_error`.
INVALID: list[tuple[str, Any, str, str | None]] = [
    # the body itself
    ("array body", [TEXT], "invalid_value", None),
    ("string body", "hello", "invalid_value", None),
    ("null body", None, "invalid_value", None),
    ("number body", 42, "invalid_value", None),
    ("empty object", {}, "missing_field", "model"),
    # model
    ("model missing", body(TEXT, model=...), "missing_field", "model"),
    ("model unknown", body(TEXT, model="viduq2-720p"), "model_not_supported", "model"),
    ("model wrong case", body(TEXT, model="VIDUQ3P-720P"), "model_not_supported", "model"),
    ("model not a string", body(TEXT, model=7), "invalid_value", "model"),
    ("model null", body(TEXT, model=None), "invalid_value", "model"),
    ("mix variant not in catalogue", body(MIX, model="viduq3t-mix-720p"), "model_not_supported", "model"),
    # prompt
    ("prompt missing in text mode", body(TEXT, prompt=...), "missing_field", "prompt"),
    ("prompt missing in reference mode", body(MIX, prompt=...), "missing_field", "prompt"),
    ("prompt empty", body(TEXT, prompt=""), "invalid_value", "prompt"),
    ("prompt blank", body(TEXT, prompt="   \t\n"), "invalid_value", "prompt"),
    ("prompt 2001 chars", body(TEXT, prompt="x" * 2001), "invalid_value", "prompt"),
    ("prompt not a string", body(TEXT, prompt=["a"]), "invalid_value", "prompt"),
    ("prompt blank in image mode", body(IMAGE, prompt=" "), "invalid_value", "prompt"),
    # image / last_image
    ("image not a URL", body(IMAGE, image="example.com/a.png"), "invalid_value", "image"),
    ("image ftp URL", body(IMAGE, image="ftp://example.com/a.png"), "invalid_value", "image"),
    ("image data URI gif", body(IMAGE, image="data:image/gif;base64,R0lGOD=="), "invalid_value", "image"),
    ("image data URI not base64", body(IMAGE, image="data:image/png,abc"), "invalid_value", "image"),
    ("image data URI empty payload", body(IMAGE, image="data:image/png;base64,"), "invalid_value", "image"),
    ("image not a string", body(IMAGE, image={"url": "https://e.com/a.png"}), "invalid_value", "image"),
    ("last_image alone", body(TEXT, last_image="https://example.com/z.png"), "invalid_mode", "last_image"),
    ("last_image bad form", body(IMAGE, last_image="not a url"), "invalid_value", "last_image"),
    # reference_image_urls
    ("references with non-mix model", body(MIX, model="viduq3p-720p"), "invalid_mode", "model"),
    ("mix model without references", body(TEXT, model="viduq3p-mix-540p"), "invalid_mode", "model"),
    ("mix model with image", body(IMAGE, model="viduq3p-mix-1080p"), "invalid_mode", "model"),
    ("references with image", body(MIX, image="https://example.com/a.png"), "invalid_mode", "image"),
    ("references with last_image", body(MIX, last_image="https://example.com/a.png"), "invalid_mode", "last_image"),
    ("references empty", body(MIX, reference_image_urls=[]), "invalid_value", "reference_image_urls"),
    (
        "5 references (rev 2: the publisher takes up to 4)",
        body(MIX, reference_image_urls=[f"https://e.com/{i}.png" for i in range(5)]),
        "invalid_value",
        "reference_image_urls",
    ),
    (
        "reference not a URL",
        body(MIX, reference_image_urls=["https://e.com/1.png", "nope"]),
        "invalid_value",
        "reference_image_urls[1]",
    ),
    (
        "references not an array",
        body(MIX, reference_image_urls="https://e.com/1.png"),
        "invalid_value",
        "reference_image_urls",
    ),
    (
        "reference bad data URI",
        body(MIX, reference_image_urls=["data:text/plain;base64,aGk="]),
        "invalid_value",
        "reference_image_urls[0]",
    ),
    # aspect_ratio
    ("aspect ratio unknown", body(TEXT, aspect_ratio="21:9"), "invalid_value", "aspect_ratio"),
    ("aspect ratio number", body(TEXT, aspect_ratio=1.77), "invalid_value", "aspect_ratio"),
    # duration
    ("duration 0", body(TEXT, duration=0), "invalid_value", "duration"),
    ("duration 17", body(TEXT, duration=17), "invalid_value", "duration"),
    ("duration 5.5", body(TEXT, duration=5.5), "invalid_value", "duration"),
    ("duration five", body(TEXT, duration="five"), "invalid_value", "duration"),
    ("duration true", body(TEXT, duration=True), "invalid_value", "duration"),
    ("duration negative", body(TEXT, duration=-5), "invalid_value", "duration"),
    ("duration string 0", body(TEXT, duration="0"), "invalid_value", "duration"),
    ("duration string 17", body(TEXT, duration="17"), "invalid_value", "duration"),
    ("duration string padded", body(TEXT, duration=" 5"), "invalid_value", "duration"),
    ("duration null", body(TEXT, duration=None), "invalid_value", "duration"),
    # extra_body
    ("extra_body not an object", body(TEXT, extra_body=[1]), "invalid_value", "extra_body"),
    ("extra_body audio string", body(TEXT, extra_body={"audio": "false"}), "invalid_value", "extra_body.audio"),
    ("extra_body bgm number", body(TEXT, extra_body={"bgm": 1}), "invalid_value", "extra_body.bgm"),
    ("extra_body seed string", body(TEXT, extra_body={"seed": "42"}), "invalid_value", "extra_body.seed"),
    ("extra_body seed negative", body(TEXT, extra_body={"seed": -1}), "invalid_value", "extra_body.seed"),
    ("extra_body seed too big", body(TEXT, extra_body={"seed": 2**31}), "invalid_value", "extra_body.seed"),
    ("extra_body seed float", body(TEXT, extra_body={"seed": 4.2}), "invalid_value", "extra_body.seed"),
    # combinations: the first problem decides code and param
    ("model missing and prompt blank", {"prompt": " "}, "missing_field", "model"),
    ("bad duration and bad aspect", body(TEXT, duration=0, aspect_ratio="2:1"), "invalid_value", "aspect_ratio"),
    (
        "last_image alone with mix model",
        body(TEXT, model="viduq3p-mix-720p", last_image="https://e.com/z.png"),
        "invalid_mode",
        "last_image",
    ),
]


@pytest.mark.parametrize(("payload", "code", "param"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID])
def test_invalid_bodies_get_the_exact_error(payload: Any, code: str, param: str | None) -> None:
    with pytest.raises(ApiError) as info:
        validate_create(payload)
    error = info.value
    assert (error.status, error.type, error.code, error.param) == (400, "invalid_request_error", code, param)
    assert_error(error.body(), code=code, param=param)


def test_the_table_covers_at_least_forty_rules() -> None:
    assert len(INVALID) >= 40
    assert len({c[0] for c in INVALID}) == len(INVALID)


def test_message_names_every_problem() -> None:
    with pytest.raises(ApiError) as info:
        validate_create({"model": "nope", "prompt": "", "duration": 99, "extra_body": {"seed": "x"}})
    message = info.value.message
    for name in ("model", "prompt", "duration", "extra_body.seed"):
        assert f"{name}:" in message, message


@pytest.mark.parametrize(
    ("raw", "why"),
    [
        (b"", "empty"),
        (b"{", "truncated"),
        (b'{"model": "a",}', "trailing comma"),
        (b"\xff\xfe{}", "invalid UTF-8"),
        (b'{"model": "a", "model": "b"}', "duplicate key"),
        (b'{"duration": NaN}', "NaN"),
        (b'{"duration": Infinity}', "Infinity"),
        (b"[" * 100_000 + b"]" * 100_000, "deep nesting"),
        (b'{"seed": 1' + b"0" * 5000 + b"}", "huge integer"),
    ],
)
def test_unparseable_bodies_are_invalid_json(raw: bytes, why: str) -> None:
    with pytest.raises(ApiError) as info:
        parse_json_body(raw)
    assert (info.value.status, info.value.code, info.value.param) == (400, "invalid_json", None), why


def test_parse_accepts_utf8_bom_free_unicode() -> None:
    text = json.dumps(body(TEXT, prompt="雪の中の狐 🦊"), ensure_ascii=False).encode()
    assert validate_create(parse_json_body(text)).prompt == "雪の中の狐 🦊"
