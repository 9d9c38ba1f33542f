"""What verify sends to `POST /v1/videos`: the bad bodies, and which create goes through the route.

Apart from `videos_route` (the checks) so that `plan.py` can list the steps without importing them.
"""

from __future__ import annotations

from dataclasses import dataclass

from mockserver.contract.catalogue import VIDEOS

__all__ = ["VIDEOS_BAD_BODIES", "VideosBadBody", "plan_steps", "uses_videos_route"]

_BOUNDARY = "vidu-mock-verify"
_FORM = f"multipart/form-data; boundary={_BOUNDARY}"


@dataclass(frozen=True)
class VideosBadBody:
    """A `/v1/videos` request the gateway must refuse (`code` at `param`, as the mock does) without creating."""

    rule: str
    content: bytes
    content_type: str
    code: str
    param: str | None


VIDEOS_BAD_BODIES: tuple[VideosBadBody, ...] = (
    VideosBadBody(
        "blank prompt (JSON)",
        b'{"model": "viduq3p-720p", "prompt": "  "}',
        "application/json",
        "invalid_request",
        "prompt",
    ),
    VideosBadBody(
        "form that does not parse", f"--{_BOUNDARY}\r\nnot a part".encode(), _FORM, "invalid_multipart_form", None
    ),
    # new-api reads the model from the JSON fallback, then its form parser fails (docs/contract.md).
    VideosBadBody(
        "form without a boundary",
        b'{"model": "viduq3p-720p", "prompt": "a fox"}',
        "multipart/form-data",
        "invalid_multipart_form",
        "Content-Type",
    ),
)


def uses_videos_route(n: int, creates: int) -> bool:
    """Whether create `n` of `creates` goes through `POST /v1/videos`: the last, when there are two or more."""
    return creates >= 2 and n == creates


def plan_steps() -> list[tuple[str, str]]:
    """The free steps (what, request), one request each, for `--dry-run`."""
    return [(f"bad body on {VIDEOS}: {bad.rule}", f"POST {VIDEOS}") for bad in VIDEOS_BAD_BODIES]
