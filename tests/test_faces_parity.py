"""Both faces in one test: the same script of requests gets the same transcript from each.

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
from tests.contract_checks import assert_conforms

API_BASE = "https://api.vidu.test"
AUTH = {"Authorization": "Bearer sk-parity"}
TEXT = {"model": "viduq3p-720p", "prompt": "a fox"}
MIX = {"model": "viduq3p-mix-1080p-offpeak", "prompt": "a fox", "reference_image_urls": ["https://example.com/r.png"]}
KEPT_HEADERS = ("content-type", "allow", "retry-after", "retry-after-ms", "preference-applied", "x-should-retry")
TASK_ID = re.compile(r"task_[A-Za-z0-9_-]+")

Send = Callable[..., httpx.Response]


def transcript(send: Send, control: VideoAPI | VideoServer) -> list[Any]:
    """Run the script against one face; each reply as (status, kept headers, masked body)."""
    lines: list[Any] = []

    def record(response: httpx.Response) -> Any:
        body: Any = response.content[:8]  # the video: its first bytes are enough
        if response.headers.get("content-type") == "application/json":
            body = assert_conforms(response.status_code, response.content)
        headers = {k: response.headers[k] for k in KEPT_HEADERS if k in response.headers}
        masked = TASK_ID.sub("<task>", repr(body)).replace(control.url, "<base>")
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
    done = record(send("GET", f"/v1/video/generations/{task}", headers=AUTH))
    record(send("GET", done["video_url"].replace(control.url, "")))
    failing = record(send("POST", "/v1/video/generations", json=TEXT, headers={**AUTH, "Prefer": "job=fail"}))["id"]
    control.fail(failing)
    record(send("GET", f"/v1/video/generations/{failing}", headers=AUTH))
    record(send("PUT", f"/v1/video/generations/{failing}", headers=AUTH))
    record(send("GET", "/v2/anything", headers=AUTH))
    return lines


@pytest.mark.video_api(base_url=API_BASE)
def test_both_faces_give_the_same_transcript(video_api: VideoAPI, video_server: VideoServer) -> None:
    # video_api owns only API_BASE; the live server's loopback traffic goes through untouched.
    video_api.router.route(host="127.0.0.1").pass_through()
    tls = ssl.create_default_context()
    with httpx.Client(base_url=API_BASE, verify=tls) as fake, httpx.Client(base_url=video_server.url) as live:
        in_process = transcript(fake.request, video_api)
        on_the_wire = transcript(live.request, video_server)
    assert in_process == on_the_wire
    # Journaled: every request but the three refused before reaching an endpoint (bad Prefer, 405, unknown path).
    assert len(video_api.journal) == len(video_server.journal) == 12
    statuses = [line[0] for line in in_process]
    assert statuses == [200, 200, 400, 401, 429, 400, 504, 200, 404, 200, 200, 200, 200, 405, 404]
