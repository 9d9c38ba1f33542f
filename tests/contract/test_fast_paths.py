"""The fast paths (inlined `$ref`s, the whole-schema check, the Flask face's host URL memo) answer exactly as the slow ones."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Request
from hypothesis import given
from hypothesis import strategies as st
from jsonschema import Draft202012Validator
from werkzeug.test import EnvironBuilder

from mockserver.contract.data.ecma_regex import ecma_patterns
from mockserver.contract.data.schemas import _registry, inline_local_refs, load_schema, subschema_validator
from mockserver.contract.errors import ApiError
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.requests.validation import FIELDS, check_create, find_problems, schema_accepts
from mockserver.contract.settings import Settings
from mockserver.contract.state.journal import Journal, JournalEntry
from mockserver.live.app import _host_url, create_app
from tests.support.contract_checks import assert_conforms

URLS = [
    "https://images.example.com/a.png",
    "http://x.io/b.jpg",
    "data:image/webp;base64,UklGRg==",
    "data:image/gif;base64,R0lG",
    "ftp://x/a.png",
    "https:// spaced",
    "",
]
JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=8)
    | st.sampled_from(URLS),
    lambda inner: st.lists(inner, max_size=9) | st.dictionaries(st.sampled_from(["audio", "bgm", "seed", "x"]), inner),
    max_leaves=12,
)


def _with_refs(name: str) -> Draft202012Validator:
    """The property's validator as it was before inlining: `$ref`s resolved through the registry."""
    root = ecma_patterns(load_schema("request"))
    return Draft202012Validator({"$defs": root["$defs"], **root["properties"][name]}, registry=_registry())


def _errors(validator: Draft202012Validator, value: Any) -> list[tuple[Any, ...]]:
    return [
        (error.validator, error.validator_value, list(error.absolute_path), error.message)
        for error in validator.iter_errors(value)
    ]


def test_refs_are_inlined_where_the_schema_uses_them() -> None:
    for name in ("image", "last_image", "reference_image_urls"):
        schema = dict(subschema_validator("request", f"/properties/{name}").schema)  # type: ignore[arg-type]
        del schema["$defs"]
        assert "$ref" not in str(schema), schema


@pytest.mark.parametrize("name", FIELDS)
@given(value=JSON)
def test_inlined_validators_give_the_same_errors_in_the_same_order(name: str, value: Any) -> None:
    assert _errors(subschema_validator("request", f"/properties/{name}"), value) == _errors(_with_refs(name), value)


def test_a_reference_clashing_with_a_sibling_keyword_is_kept() -> None:
    defs = {"short": {"type": "string", "maxLength": 3}, "loop": {"$ref": "#/$defs/loop"}}
    assert inline_local_refs({"$ref": "#/$defs/short", "maxLength": 9}, defs) == {
        "$ref": "#/$defs/short",
        "maxLength": 9,
    }
    assert inline_local_refs({"$ref": "#/$defs/loop"}, defs) == {"$ref": "#/$defs/loop"}
    assert inline_local_refs({"$ref": "#/$defs/missing"}, defs) == {"$ref": "#/$defs/missing"}
    spliced = inline_local_refs({"type": "array", "items": {"$ref": "#/$defs/short"}, "maxItems": 2}, defs)
    assert spliced == {"type": "array", "items": {"type": "string", "maxLength": 3}, "maxItems": 2}


BASE = {"model": "viduq3p-720p", "prompt": "a fox"}


@pytest.mark.parametrize(
    ("name", "value", "valid"),
    [
        ("duration", 1, True),
        ("duration", True, False),  # 1 == True == 1.0 in Python; JSON Schema keeps them apart
        ("duration", 5.0, True),
        ("duration", 16.5, False),
        ("duration", 17, False),
        ("duration", "16", True),
        ("duration", "16\n", False),
        ("extra_body", {"seed": True}, False),
        ("extra_body", {"seed": 1.0}, True),
        ("extra_body", {"seed": 2**31}, False),
        ("extra_body", {"seed": 2**64 + 1}, False),
        ("extra_body", {"x": 10**30}, True),
        ("extra_body", {"audio": 1}, False),
        ("extra_body", {"x": [True]}, True),
        ("reference_image_urls", [URLS[0], 1], False),
        ("reference_image_urls", [URLS[0]] * 8, False),
        ("prompt", "a fox ", True),
        ("prompt", "\ufeff", False),
        ("prompt", "\x1d", True),
        ("model", "viduq3p-mix-720p", False),
    ],
)
def test_the_whole_schema_check_agrees_with_the_field_walk(name: str, value: Any, valid: bool) -> None:
    body = {**BASE, name: value}
    assert schema_accepts(body) is valid
    assert (find_problems(body) == []) is valid
    if valid:
        assert check_create(body) == (BASE["model"] if name != "model" else value, "text-to-video")
    else:
        with pytest.raises(ApiError) as raised:
            check_create(body)
        assert raised.value.code == find_problems(body)[0].code


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        ({"prompt": "\ud800"}, None),
        ({"extra_body": {"\ud800": 1}}, None),
        ({"prompt": "\ud800", "duration": 99}, ("invalid_value", "duration")),
    ],
)
def test_a_value_jsonschema_rs_cannot_take_gets_the_full_check(
    changes: dict[str, Any], error: tuple[str, str] | None
) -> None:
    # A lone surrogate (JSON allows the escape) cannot cross into Rust: the full check decides.
    body = {**BASE, **changes}
    assert schema_accepts(body) is False
    if error is None:
        assert check_create(body) == (BASE["model"], "text-to-video")
    else:
        with pytest.raises(ApiError) as raised:
            check_create(body)
        assert (raised.value.code, raised.value.param) == error


@pytest.mark.parametrize("strict", [False, True])
def test_strict_mode_refuses_unknown_fields_on_the_fast_way_too(strict: bool) -> None:
    body = {**BASE, "colour": "red"}
    assert schema_accepts(body)
    if not strict:
        assert check_create(body, strict=strict) == (BASE["model"], "text-to-video")
        return
    with pytest.raises(ApiError) as raised:
        check_create(body, strict=strict)
    assert (raised.value.code, raised.value.param) == ("unknown_field", "colour")


@pytest.mark.parametrize(
    ("scheme", "host"),
    [
        ("http", "127.0.0.1:8000"),
        ("http", "Example.COM"),
        ("http", "example.com:80"),
        ("https", "example.com:443"),
        ("https", "example.com:8443"),
        ("http", "[::1]:9000"),
        ("http", "[::1]"),
        ("http", "xn--bcher-kva.example:8000"),
        ("http", "XN--BCHER-KVA.example"),
        ("http", "example.com:0080"),
        ("http", "bad host"),
        ("http", None),
    ],
)
def test_the_host_url_is_werkzeugs_without_the_idna_codec_when_not_needed(scheme: str, host: str | None) -> None:
    headers = [] if host is None else [("Host", host)]
    environ = EnvironBuilder(path="/", base_url=f"{scheme}://server.local:5000", headers=headers).get_environ()
    if host is None:
        environ.pop("HTTP_HOST", None)
    request = Request(environ)
    assert _host_url(request) == request.host_url


def test_each_host_gets_its_own_video_url_from_the_flask_face() -> None:
    client = create_app(Settings(lifecycle="step", allow_host=("a.example", "b.example"))).test_client()
    auth = {"Authorization": "Bearer sk-fast"}
    created = client.post("/v1/video/generations", json=BASE, headers=auth, base_url="http://a.example:8000")
    task_id = assert_conforms(created.status_code, created.data)["id"]
    urls = []
    for base in ["http://a.example:8000", "http://a.example:8000", "http://b.example", "https://a.example:8000"]:
        polled = client.get(f"/v1/video/generations/{task_id}", headers=auth, base_url=base)
        urls.append(assert_conforms(polled.status_code, polled.data).get("video_url"))
    content = f"/v1/video/generations/{task_id}/content"
    assert urls == [
        None,
        f"http://a.example:8000{content}",
        f"http://b.example{content}",
        f"https://a.example:8000{content}",
    ]


@pytest.mark.parametrize(
    ("raw", "detail"),
    [
        (b"\xef\xbb\xbf\xef\xbb\xbf{}", "Unexpected UTF-8 BOM (decode using utf-8-sig) at line 1 column 1"),
        (b'{"a":{"b":1,"b":2},"a":3}', "duplicate key 'b'"),
        (b'{"a":1,"b":2,"a":3,"b":4}', "duplicate key 'a'"),
    ],
)
def test_the_shared_json_decoder_reports_what_json_loads_did(raw: bytes, detail: str) -> None:
    with pytest.raises(ApiError) as caught:
        parse_json_body(raw)
    assert caught.value.code == "invalid_json"
    assert caught.value.message == f"The request body is not valid JSON: {detail}."


@pytest.mark.parametrize("method", ["GET", "HEAD", "OPTIONS", "POST", "TRACE"])
@pytest.mark.parametrize("path", ["/static/site.css", "/"])
def test_root_and_static_paths_are_unknown_endpoints_like_any_other(method: str, path: str) -> None:
    # Flask's default static route used to answer OPTIONS /static/... itself (200, no
    # x-request-id); "/" now has no rule of its own and reaches the engine via the routing error.
    response = create_app(Settings()).test_client().open(path, method=method)
    assert response.status_code == 404
    assert response.headers["x-request-id"].startswith("req_")
    if method != "HEAD":
        assert assert_conforms(404, response.data)["error"]["code"] == "not_found"


def test_journal_add_keeps_every_field_in_order_and_within_the_cap() -> None:
    fields: dict[str, Any] = {
        "time": 1.5,
        "method": "POST",
        "path": "/v1/video/generations",
        "headers": {"authorization": "Bearer sk-secret", "content-type": "application/json"},
        "body": {"model": "viduq3p-720p"},
        "status": 200,
        "endpoint": "create",
        "task_id": "task_x",
        "model": "viduq3p-720p",
        "mode": "text-to-video",
        "injected": None,
    }
    redacted = {**fields["headers"], "authorization": "Bearer [redacted]"}
    expected = [JournalEntry(seq=n + 1, **{**fields, "status": n, "headers": redacted}) for n in range(5)][-3:]
    mixed = Journal(3)
    for number in range(5):
        mixed.add(**{**fields, "status": number})
        if number % 2:
            mixed.entries()  # read in between: the journal then holds built entries and raw ones
    assert mixed.entries() == expected == mixed.entries()
    assert [entry.status for entry in mixed.entries()] == [2, 3, 4]
    assert [entry.seq for entry in mixed.entries()] == [3, 4, 5]
    assert mixed.entries()[0].headers["authorization"] == "Bearer [redacted]"
