"""The SDK's newer create fields as new-api's `TaskSubmitReq` (relay/common/relay_info.go) takes them:
`input_reference` is a string there, so a JSON object is encoding/json's 400; `character_ids` is not a
field, so it is ignored (refused only in strict mode)."""

from __future__ import annotations

import httpx
import pytest

from mockserver.contract.data.catalogue import GATEWAY_DIALECTS
from pytest_plugin import VideoAPI

API_BASE = "https://video-gateway.example.test"
AUTH = {"Authorization": "Bearer sk-test"}
DIALECTS = [pytest.param(d, marks=pytest.mark.video_api(base_url=API_BASE, dialect=d), id=d) for d in GATEWAY_DIALECTS]
UNMARSHAL = "json: cannot unmarshal object into Go struct field TaskSubmitReq.input_reference of type string"


@pytest.mark.parametrize("dialect", DIALECTS)
@pytest.mark.parametrize("reference", [{"image_url": "https://example.test/cat.png"}, {"file_id": "file_123"}])
def test_an_input_reference_object_is_refused_as_go_refuses_it(
    video_api: VideoAPI, dialect: str, reference: dict[str, str]
) -> None:
    body = {"model": "viduq3p-720p", "prompt": "a cat", "input_reference": reference}
    answer = httpx.post(f"{API_BASE}/v1/videos", json=body, headers=AUTH)
    assert answer.status_code == 400
    if dialect == "new-api":
        assert answer.json() == {"code": "invalid_request", "message": UNMARSHAL, "data": None}
    else:
        assert answer.json()["error"]["message"] == UNMARSHAL
    video_api.assert_requested(1, endpoint="create", status=400)


@pytest.mark.parametrize("dialect", DIALECTS)
def test_character_ids_are_ignored(video_api: VideoAPI, dialect: str) -> None:
    body = {"model": "viduq3p-720p", "prompt": "a cat", "character_ids": ["char_1"]}
    answer = httpx.post(f"{API_BASE}/v1/videos", json=body, headers=AUTH)
    assert answer.status_code == 200
    (entry,) = video_api.assert_requested(1, endpoint="create", mode="text-to-video")
    assert entry.body["character_ids"] == ["char_1"]  # kept in the journal as sent


@pytest.mark.video_api(base_url=API_BASE, strict=True)
def test_strict_mode_refuses_character_ids(video_api: VideoAPI) -> None:
    body = {"model": "viduq3p-720p", "prompt": "a cat", "character_ids": ["char_1"]}
    answer = httpx.post(f"{API_BASE}/v1/videos", json=body, headers=AUTH)
    assert (answer.status_code, answer.json()["error"]["code"]) == (400, "unknown_field")
