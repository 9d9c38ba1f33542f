"""Both faces in one test, in each dialect: the same script of requests gets the same transcript from each.

Ids, request ids and the base URL differ by nature and are masked; everything else (status,
body, the headers a client acts on) must be identical.
"""

from __future__ import annotations

import re
import ssl
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from pytest_plugin import VideoAPI, VideoServer
from tests.support.contract_checks import assert_dialect_conforms

API_BASE = "https://api.vidu.test"
AUTH = {"Authorization": "Bearer sk-parity"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
MIX = {"model": "viduq3p-mix-1080p-offpeak", "prompt": "a fox", "reference_image_urls": ["https://example.com/r.png"]}
KEPT_HEADERS = ("content-type", "allow", "retry-after", "retry-after-ms", "preference-applied", "x-should-retry")
TASK_ID = re.compile(r"task_[A-Za-z0-9_-]+")
REQUEST_ID = re.compile(r"req_[0-9a-f]+")  # new-api's middleware errors name the request id
ROW_ID = re.compile(r"'id': \d+")  # new-api's task record number, derived from the task id

Send = Callable[..., httpx.Response]


def transcript(send: Send, control: VideoAPI | VideoServer) -> list[Any]:
    """Run the script against one face; each reply as (status, kept headers, masked body)."""
    lines: list[Any] = []

    def record(response: httpx.Response) -> Any:
        body: Any = response.content[:8]  # the video: its first bytes are enough
        if response.headers.get("content-type") == "application/json":
            body = assert_dialect_conforms(control.engine.settings.dialect, response.status_code, response.content)
        headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        if response.headers.get("content-type") == "video/mp4":  # the one length no base URL changes
            headers["content-length"] = response.headers["content-length"]
        masked = TASK_ID.sub("<task>", repr(body)).replace(control.url, "<base>")
        masked = ROW_ID.sub("'id': <row>", REQUEST_ID.sub("<request>", masked))
        lines.append((response.status_code, headers, masked))
        return body

    task = record(send("POST", "/v1/video/generations", json=TEXT, headers=AUTH))["id"]
    record(send("POST", "/v1/video/generations", json=MIX, headers=AUTH))
    record(send("POST", "/v1/video/generations", json={"model": "viduq3p-720p"}, headers=AUTH))
    record(send("POST", "/v1/video/generations", json=TEXT))
    record(send("POST", "/v1/video/generations", json=TEXT, headers={**AUTH, "Prefer": "code=429"}))
    record(send("POST", "/v1/video/generations", json=TEXT, headers={**AUTH, "Prefer": "job=maybe"}))
    control.queue_failure(504, mode="text-to-video")
    record(send("POST", "/v1/video/generations", json=TEXT, headers=AUTH))
    record(send("GET", f"/v1/video/generations/{task}", headers=AUTH))
    record(send("GET", f"/v1/video/generations/{task}/content"))
    record(send("GET", f"/v1/video/generations/{task}", headers=AUTH))
    record(send("GET", f"/v1/video/generations/{task}/content"))
    failing = record(send("POST", "/v1/video/generations", json=TEXT, headers={**AUTH, "Prefer": "job=fail"}))["id"]
    control.fail(failing)
    record(send("GET", f"/v1/video/generations/{failing}", headers=AUTH))
    record(send("PUT", f"/v1/video/generations/{failing}", headers=AUTH))
    record(send("GET", "/v2/anything", headers=AUTH))
    record(send("GET", f"/v1/videos/{task}", headers=AUTH))
    record(send("GET", f"/v1/videos/{failing}", headers={"Authorization": "Bearer sk-other"}))
    record(send("POST", "/v1/video/generations", json={**TEXT, "model": "viduq9-720p"}, headers=AUTH))
    record(send("GET", f"/v1/videos/{task}/content"))
    record(send("HEAD", f"/v1/video/generations/{task}/content"))  # the GET's headers, no body
    record(send("HEAD", f"/v1/videos/{task}/content"))
    return lines


# Per dialect: the statuses of the script above (the dialects differ only in how they answer).
STATUSES = {
    "uniall": [200, 200, 400, 401, 429, 400, 504, 200, 404, 200, 200, 200, 200, 405, 404, 200, 404, 400, 200],
    "new-api": [200, 200, 400, 401, 429, 400, 504, 200, 400, 200, 200, 200, 200, 405, 404, 200, 400, 503, 200],
}
HEADS = [200, 200]  # the two HEADs on the downloads, at the end of the script


@pytest.mark.video_api(base_url=API_BASE)
@pytest.mark.parametrize(
    "dialect", [pytest.param(name, marks=pytest.mark.video_api(dialect=name)) for name in STATUSES]
)
def test_both_faces_give_the_same_transcript(dialect: str, video_api: VideoAPI, video_server: VideoServer) -> None:
    assert video_api.engine.settings.dialect == video_server.engine.settings.dialect == dialect
    # video_api owns only API_BASE; the live server's loopback traffic goes through untouched.
    video_api.router.route(host="127.0.0.1").pass_through()
    tls = ssl.create_default_context()
    with httpx.Client(base_url=API_BASE, verify=tls) as fake, httpx.Client(base_url=video_server.url) as live:
        in_process = transcript(fake.request, video_api)
        on_the_wire = transcript(live.request, video_server)
    assert in_process == on_the_wire
    # Journaled: every request but the three refused before reaching an endpoint (bad Prefer, 405, unknown
    # path); the three video downloads and two HEADs (the content endpoint) included.
    assert len(video_api.journal) == len(video_server.journal) == 18
    assert [line[0] for line in in_process] == STATUSES[dialect] + HEADS
