"""What a client written from Vidu's pages must see, run the same on every face (command, `video_api`).

Each check takes the client and `advance(seconds)`, which moves the mock's clock (the admin
API over HTTP, or the fixture in-process); the mock runs with 60 s queued and 60 s running.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from tests.support.vidu_client import STATES, ViduClient, ViduError

__all__ = ["IMAGE", "check_every_page", "check_lifecycle_and_download"]

Advance = Callable[[float], object]
IMAGE = "https://example.com/frame.png"
ISO_8601 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$"


def check_lifecycle_and_download(client: ViduClient, advance: Advance) -> str:
    """text2video with the documented keys, polls walking created -> queueing -> processing -> success, the MP4."""
    created = client.text2video("a fox in the snow", duration=5, resolution="1080p", aspect_ratio="9:16")
    for key in (
        "task_id",
        "state",
        "model",
        "prompt",
        "duration",
        "seed",
        "aspect_ratio",
        "resolution",
        "movement_amplitude",
        "payload",
        "credits",
        "off_peak",
        "created_at",
    ):
        assert key in created, key
    assert created["state"] == "created"
    assert (created["model"], created["duration"], created["resolution"], created["aspect_ratio"]) == (
        "viduq3-pro",
        5,
        "1080p",
        "9:16",
    )
    assert created["credits"] > 0 and created["seed"] > 0

    assert re.match(ISO_8601, created["created_at"]), created["created_at"]
    task_id = str(created["task_id"])
    seen = [created["state"]]
    for _ in range(3):
        polled = client.creations(task_id)
        assert polled["id"] == task_id and polled["err_code"] == ""
        if polled["state"] != seen[-1]:
            seen.append(polled["state"])
        advance(60)
    assert seen == ["created", "queueing", "processing", "success"], seen
    assert [STATES.index(s) for s in seen] == sorted(STATES.index(s) for s in seen)
    final = client.creations(task_id)
    assert final["state"] == "success" and final["credits"] == created["credits"]
    (creation,) = final["creations"]
    video = client.download(creation["url"])
    assert video.status_code == 200 and video.headers["content-type"] == "video/mp4"
    assert video.content[4:8] == b"ftyp"  # an MP4 (ISO BMFF) starts with its ftyp box
    cover = client.download(creation["cover_url"])
    assert cover.status_code == 200 and cover.content[:3] == b"\xff\xd8\xff"  # a JPEG's SOI marker
    return task_id


def _refused(call: Callable[[], object]) -> ViduError:
    with pytest.raises(ViduError) as caught:
        call()
    error = caught.value
    assert error.code == error.status and error.trace_id, error  # Vidu's {code, reason, message, metadata}
    return error


def check_every_page(client: ViduClient, anonymous: ViduClient, advance: Advance) -> None:
    """Image counts per route, the field errors, 404, 401, cancel and the task list."""
    for route, count in (("img2video", 1), ("start-end2video", 2), ("reference2video", 7)):
        model = "viduq3" if route == "reference2video" else "viduq3-turbo"
        accepted = client.create(route, model=model, prompt="a fox", images=[IMAGE] * count)
        assert accepted["state"] == "created"
        with pytest.raises(ViduError) as caught:
            client.create(route, model=model, prompt="a fox", images=[IMAGE] * (count + 1))
        wrong = caught.value
        assert (wrong.status, wrong.reason) == (400, "FieldItemCountOutOfRange") and "images" in wrong.message
    lacking = _refused(lambda: client.create("text2video", model="viduq3-pro"))
    assert (lacking.status, lacking.reason) == (400, "FieldLacking") and "prompt" in lacking.message
    invalid = _refused(lambda: client.text2video("a fox", duration=17))
    assert (invalid.status, invalid.reason) == (400, "FieldInvalid") and "duration" in invalid.message
    unknown = _refused(lambda: client.creations("no-such-task"))
    assert (unknown.status, unknown.reason) == (404, "TaskNotFound")
    no_token = _refused(lambda: anonymous.text2video("a fox"))
    assert (no_token.status, no_token.reason) == (401, "Unauthorized")

    # Cancel: a queueing task is cancelled ({}), then shows failed with UserCancelled; again is a 400.
    queued = client.text2video("to be cancelled")["task_id"]
    assert client.cancel(queued) == {}
    cancelled = client.creations(queued)
    assert (cancelled["state"], cancelled["err_code"], cancelled["creations"]) == ("failed", "UserCancelled", []), (
        cancelled
    )
    again = _refused(lambda: client.cancel(queued))
    assert (again.status, again.reason) == (400, "BadRequest") and "can not cancel" in again.message
    running = client.text2video("already running")["task_id"]
    advance(60)
    late = _refused(lambda: client.cancel(running))
    assert late.status == 400 and late.message == "task state is processing, can not cancel"

    # The task list: the caller's tasks, newest first, filtered by state and id, paged with a token.
    listed = client.tasks(**{"pager.pagesz": 100})
    ids = [task["id"] for task in listed["tasks"]]
    assert ids[:2] == [running, queued] and listed["next_page_token"] == ""
    failed = client.tasks(states="failed")["tasks"]
    assert [task["id"] for task in failed] == [queued] and failed[0]["err_code"] == "UserCancelled"
    assert [t["id"] for t in client.tasks(task_ids=running)["tasks"]] == [running]
    first = client.tasks(**{"pager.pagesz": 2})
    assert len(first["tasks"]) == 2 and first["next_page_token"]
    second = client.tasks(**{"pager.pagesz": 2, "pager.page_token": first["next_page_token"]})
    assert [t["id"] for t in second["tasks"]] == ids[2:4]
    too_big = _refused(lambda: client.tasks(**{"pager.pagesz": 101}))
    assert (too_big.status, too_big.reason) == (400, "PageSizeOutOfRange")
