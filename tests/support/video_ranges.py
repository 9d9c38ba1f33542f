"""One check of `Range` on a completed task's video, run on every face (httpx: the in-process fake intercepts it)."""

from __future__ import annotations

import httpx

from mockserver.contract.routes.steps import sample_video

__all__ = ["AUTH", "assert_ranges_served", "completed_task"]

AUTH = {"Authorization": "Bearer sk-test"}
CACHE_CONTROL = "public, max-age=86400"  # controller/video_proxy.go


def completed_task(client: httpx.Client) -> str:
    """Create a job and poll it to `completed` (the mock under test runs the step lifecycle)."""
    body = {"model": "viduq3p-720p", "prompt": "a fox"}
    created = client.post("/v1/video/generations", json=body, headers=AUTH)
    assert created.status_code == 200, created.text
    task_id = str(created.json()["id"])
    for _ in range(2):
        assert client.get(f"/v1/videos/{task_id}", headers=AUTH).status_code == 200
    return task_id


def assert_ranges_served(client: httpx.Client, dialect: str) -> None:
    """`bytes=0-99`, `bytes=-10` and `bytes=100-` get 206 with their bytes, on both content routes; HEAD agrees."""
    video = sample_video()
    size = len(video)
    task_id = completed_task(client)
    for path in (f"/v1/videos/{task_id}/content", f"/v1/video/generations/{task_id}/content"):
        whole = client.get(path, headers=AUTH)
        assert (whole.status_code, whole.content) == (200, video)
        assert whole.headers["accept-ranges"] == "bytes"
        assert whole.headers["cache-control"] == CACHE_CONTROL
        for header, first, last in (
            ("bytes=0-99", 0, 99),
            ("bytes=-10", size - 10, size - 1),
            ("bytes=100-", 100, size - 1),
        ):
            part = client.get(path, headers={**AUTH, "Range": header})
            assert part.status_code == 206, (header, part.status_code)
            assert part.content == video[first : last + 1]
            assert part.headers["content-range"] == f"bytes {first}-{last}/{size}"
            assert int(part.headers["content-length"]) == last - first + 1
            assert part.headers["cache-control"] == CACHE_CONTROL
            head = client.head(path, headers={**AUTH, "Range": header})
            assert (head.status_code, head.content) == (206, b"")
            assert head.headers["content-range"] == part.headers["content-range"]
            assert head.headers["content-length"] == part.headers["content-length"]
        beyond = client.get(path, headers={**AUTH, "Range": f"bytes={size}-"})
        if dialect == "new-api":
            # video_proxy.go relays only 200 and 206: the storage's 416 becomes its 502.
            assert beyond.status_code == 502
            assert beyond.json() == {
                "error": {"message": "Upstream service returned status 416", "type": "server_error"}
            }
        else:
            assert beyond.status_code == 416
            assert beyond.headers["content-range"] == f"bytes */{size}"
