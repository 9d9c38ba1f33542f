"""`POST /v1/videos` (issue 26): new-api's TaskSubmitReq as JSON or a form, mapped onto the rules of
`POST /v1/video/generations`; new-api's own refusals; the same injection, journal and failure rules."""

from __future__ import annotations

from typing import Any

import httpx
import jsonschema_rs
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from mockserver.contract.requests.readers import MAX_UPLOAD_BYTES, videos_request_schema
from pytest_plugin import VideoAPI
from pytest_plugin.strategies import (
    InvalidVideoRequest,
    VideoRequest,
    create_requests,
    invalid_video_create_requests,
    video_create_requests,
)
from tests.support.contract_checks import assert_conforms

BASE = "https://gateway.example.test"
AUTH = {"Authorization": "Bearer sk-test"}
URL = "https://example.com/"
DIALECTS = [pytest.param(d, marks=pytest.mark.video_api(dialect=d), id=d) for d in GATEWAY_DIALECTS]
# Hypothesis runs many examples against one function-scoped fixture: the journal is reset each time.
PROPERTY = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def post(**kwargs: Any) -> httpx.Response:
    return httpx.post(f"{BASE}/v1/videos", headers={**AUTH, **kwargs.pop("headers", {})}, **kwargs)


@pytest.mark.parametrize(
    ("fields", "mode"),
    [
        ({}, "text-to-video"),
        ({"image": URL + "a.png"}, "image-to-video"),
        ({"images": [URL + "a.png"]}, "image-to-video"),
        ({"input_reference": URL + "a.png"}, "image-to-video"),
        ({"images": [URL + "first.png", URL + "last.png"]}, "first-and-last-frame"),
        ({"images": [URL + "1.png", URL + "2.png", URL + "3.png"], "model": "viduq3p-mix-720p"}, "reference-to-video"),
    ],
)
def test_the_number_of_images_picks_the_mode(video_api: VideoAPI, fields: dict[str, Any], mode: str) -> None:
    body = {"model": "viduq3p-720p", "prompt": "a fox", **fields}
    created = post(json=body)
    assert_conforms(created.status_code, created.content)
    (entry,) = video_api.assert_requested(1, mode=mode, model=body["model"])
    assert (entry.path, entry.endpoint, entry.body) == ("/v1/videos", "create", body)


def test_a_form_upload_is_one_image_and_the_journal_keeps_its_size_not_its_bytes(video_api: VideoAPI) -> None:
    upload = b"\x89PNG\r\n\x1a\n" + b"\x01" * 100
    files = {"input_reference": ("a.png", upload, "image/png")}
    created = post(data={"model": "viduq3p-720p", "prompt": "a fox", "seconds": "8", "cfg": "7"}, files=files)
    assert created.status_code == 200, created.text
    (entry,) = video_api.assert_requested(1, mode="image-to-video")
    # An unknown form field becomes metadata, read as a number where it is one (new-api's reading).
    assert entry.body == {
        "model": "viduq3p-720p",
        "prompt": "a fox",
        "seconds": "8",
        "metadata": {"cfg": 7},
        "input_reference": {"filename": "a.png", "content_type": "image/png", "bytes": len(upload)},
    }


@given(request=video_create_requests())
@PROPERTY
def test_every_valid_request_is_accepted_with_its_mode(video_api: VideoAPI, request: VideoRequest) -> None:
    video_api.reset()
    created = post(**request.send_kwargs())
    assert created.status_code == 200, (request, created.text)
    video_api.assert_requested(1, mode=request.mode)


@given(bad=invalid_video_create_requests())
@PROPERTY
def test_every_invalid_request_gets_its_error(video_api: VideoAPI, bad: InvalidVideoRequest) -> None:
    refused = post(**bad.request.send_kwargs())
    error = refused.json()["error"]
    assert (refused.status_code, error["code"], error["param"]) == (bad.status, bad.code, bad.param), bad


@given(body=create_requests())
@PROPERTY
def test_the_two_routes_agree_on_a_generations_body_said_as_a_task_request(
    video_api: VideoAPI, body: dict[str, Any]
) -> None:
    # The same job in new-api's words: the images in `images`, the options in `metadata`.
    images = [body[k] for k in ("image", "last_image") if k in body] + body.get("reference_image_urls", [])
    fields = {"model": body["model"], "prompt": body.get("prompt", "a fox")}
    fields |= {"images": images} if images else {}
    fields |= {k: body[v] for k, v in (("duration", "duration"), ("metadata", "extra_body")) if v in body}
    old = httpx.post(f"{BASE}/v1/video/generations", json={**body, "prompt": fields["prompt"]}, headers=AUTH)
    new = post(json=fields)
    # reference-to-video with 1 or 2 images is first-and-last-frame or image-to-video here: a -mix- model is refused.
    expected = 200 if len(images) >= 3 or "reference_image_urls" not in body else 400
    assert (old.status_code, new.status_code) == (200, expected), new.text


@pytest.mark.parametrize("dialect", DIALECTS)
def test_new_api_answers_for_a_form_it_cannot_read(video_api: VideoAPI, dialect: str) -> None:
    no_boundary = post(content=b'{"model": "viduq3p-720p"}', headers={"Content-Type": "multipart/form-data"})
    broken = post(content=b"--x\r\nnot a part", headers={"Content-Type": "multipart/form-data; boundary=x"})
    assert no_boundary.status_code == broken.status_code == 400
    if dialect == "new-api":
        # validateMultipartTaskRequest's error in the task shape; the routing middleware's when it cannot read the form.
        assert no_boundary.json() == {
            "code": "invalid_multipart_form",
            "message": "no multipart boundary param in Content-Type",
            "data": None,
        }
        assert broken.json()["error"]["type"] == "new_api_error" and broken.json()["error"]["code"] == ""
    else:
        assert no_boundary.json()["error"]["code"] == broken.json()["error"]["code"] == "invalid_multipart_form"
    video_api.assert_requested(2, status=400, mode=None)


def test_other_bodies_and_methods_are_refused(video_api: VideoAPI) -> None:
    assert (
        post(content=b"prompt=a", headers={"Content-Type": "text/plain"}).json()["error"]["code"]
        == "unsupported_media_type"
    )
    assert post(content=b"{", headers={"Content-Type": "application/json"}).json()["error"]["code"] == "invalid_json"
    listing = httpx.get(f"{BASE}/v1/videos", headers=AUTH)
    assert (listing.status_code, listing.headers["allow"]) == (405, "POST")


@pytest.mark.video_api(max_body_bytes=MAX_UPLOAD_BYTES + 4096)
def test_an_upload_over_the_file_cap_is_a_413(video_api: VideoAPI) -> None:
    files = {"input_reference": ("a.png", b"\x89PNG" + b"\x00" * MAX_UPLOAD_BYTES, "image/png")}
    refused = post(data={"model": "viduq3p-720p", "prompt": "a fox"}, files=files)
    assert (refused.status_code, refused.json()["error"]["param"]) == (413, "input_reference")


@pytest.mark.video_api(strict=True)
def test_strict_mode_refuses_fields_task_submit_req_does_not_have(video_api: VideoAPI) -> None:
    refused = post(json={"model": "viduq3p-720p", "prompt": "a fox", "aspect_ratio": "16:9"})
    assert (refused.json()["error"]["code"], refused.json()["error"]["param"]) == ("unknown_field", "aspect_ratio")


def test_failure_rules_prefer_and_job_plans_work_on_this_route(video_api: VideoAPI) -> None:
    video_api.queue_failure(503, endpoint="create", mode="image-to-video")
    body = {"model": "viduq3p-720p", "prompt": "a fox", "image": URL + "a.png"}
    assert post(json=body).status_code == 503
    assert post(json=body, headers={"Prefer": "code=429"}).status_code == 429
    created = post(json=body, headers={"Prefer": "job=fail"}).json()
    polled = [httpx.get(f"{BASE}/v1/videos/{created['id']}", headers=AUTH).json()["status"] for _ in "ab"]
    assert polled == ["in_progress", "failed"]
    statuses = [(e.status, e.injected) for e in video_api.assert_requested(3, endpoint="create")]
    assert statuses == [(503, "rule:503"), (429, "prefer"), (200, None)]


def test_the_strategies_check_their_arguments() -> None:
    for bad in ({"mode": "sideways"}, {"model": "sora-2"}, {"encoding": "xml"}):
        with pytest.raises(InvalidArgument):
            video_create_requests(**bad)  # type: ignore[arg-type]
    with pytest.raises(InvalidArgument):
        video_create_requests(mode="reference-to-video", model="viduq3p-720p")
    with pytest.raises(InvalidArgument, match="choose one of"):
        invalid_video_create_requests(code="payload_too_large")


@given(request=video_create_requests(encoding="multipart", mode="image-to-video"))
@PROPERTY
def test_pinned_requests_keep_their_pins(request: VideoRequest) -> None:
    assert (request.encoding, request.mode) == ("multipart", "image-to-video")
    assert sum(k in request.fields or k in request.files for k in ("image", "images", "input_reference")) == 1


_NAMES = ("prompt", "model", "mode", "image", "images", "size", "duration", "seconds", "input_reference", "metadata")
_ODD_VALUES = st.sampled_from(
    [None, 5, 5.5, True, "", " ", "x", "8", "08", "17", "-3", "4000", [], [URL + "a.png"], ["x"], {}, {"seed": -1}]
    + [[URL + f"{i}.png" for i in range(n)] for n in (2, 3, 5)]
    + ["viduq3p-mix-720p", "viduq3p-720p", URL + "b.png", "data:image/png;base64,iVBORw0KGgo="]
)


@given(
    request=video_create_requests(encoding="json"),
    changes=st.dictionaries(st.sampled_from(_NAMES), _ODD_VALUES, max_size=2),
)
@PROPERTY
def test_the_route_accepts_exactly_what_its_documented_schema_accepts(
    video_api: VideoAPI, request: VideoRequest, changes: dict[str, Any]
) -> None:
    # The OpenAPI documents give this schema for the JSON body: the server and it must agree.
    body = {**request.fields, **changes}
    documented = jsonschema_rs.validator_for(videos_request_schema()).is_valid(body)
    answer = post(json=body)
    assert (answer.status_code == 200) == documented, (body, answer.text)
