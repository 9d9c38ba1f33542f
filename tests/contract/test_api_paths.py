"""The one path classifier (`routes/paths.py`): which API call a method and path are."""

from __future__ import annotations

import pytest

from mockserver.contract.data.catalogue import COLLECTION, VIDEOS
from mockserver.contract.routes.paths import ApiPath, api_path, endpoint_of


@pytest.mark.parametrize(
    ("method", "path", "expected"),
    [
        ("POST", COLLECTION, ("create", None)),
        ("POST", f"{VIDEOS}/", ("create", None)),
        ("GET", f"{COLLECTION}/task_1", ("poll", "task_1")),
        ("HEAD", f"{VIDEOS}/task_1/content", ("content", "task_1")),
        # A remix makes a task: a create, whose task is the one its answer names (not the origin).
        ("POST", f"{VIDEOS}/task_1/remix", ("create", None)),
        ("POST", f"{VIDEOS}/task_1/remix/", ("create", None)),
        ("GET", f"{VIDEOS}/task_1/remix", ("other", None)),
        ("POST", f"{COLLECTION}/task_1/remix", ("other", None)),  # new-api routes remix on /v1/videos only
        ("POST", f"{VIDEOS}/task_1/remixes", ("other", None)),
        ("POST", f"{VIDEOS}/task_1", ("other", None)),
    ],
)
def test_each_request_is_filed_as_the_call_it_is(method: str, path: str, expected: tuple[str, str | None]) -> None:
    assert endpoint_of(method, path) == expected


def test_a_remix_path_names_its_origin_and_takes_post_only() -> None:
    target = api_path(f"{VIDEOS}/task_9/remix")
    assert target == ApiPath("videos", "task_9", remix=True)
    assert target.creates and target.endpoint == "create"
    assert target.allows("post") and not target.allows("GET")
    assert api_path(f"{VIDEOS}/task_9") == ApiPath("videos", "task_9")
    assert api_path(f"{COLLECTION}/task_9/remix") is None
