"""What verify sends to `POST /v1/videos` (issue 26): the bad bodies its probes send (`probes.py`), which
create goes through the route, the OpenAI SDK's form for it, and how its answer is judged (`checks.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx

from mockserver.verify.budget import Cost

__all__ = ["VIDEOS_BAD_BODIES", "VideosBadBody", "uses_videos_route", "videos_form"]

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
    cost: Cost = "risky"  # names a catalogue model: a gateway that accepted it could start a job


VIDEOS_BAD_BODIES: tuple[VideosBadBody, ...] = (
    VideosBadBody(
        "blank prompt (JSON)",
        b'{"model": "viduq3p-720p", "prompt": "  "}',
        "application/json",
        "invalid_request",
        "prompt",
    ),
    VideosBadBody(
        "form that does not parse",
        f"--{_BOUNDARY}\r\nnot a part".encode(),
        _FORM,
        "invalid_multipart_form",
        None,
        "free",  # no model can be read from it
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


def videos_form(body: dict[str, Any]) -> tuple[bytes, str]:
    """The OpenAI SDK's form for a create `body`: model, prompt, seconds, and the images as `images` parts."""
    images = [body[k] for k in ("image", "last_image") if k in body] + list(body.get("reference_image_urls", ()))
    parts: list[tuple[str, tuple[None, str]]] = [("model", (None, body["model"]))]
    parts += [("prompt", (None, body.get("prompt") or "a slow camera push-in"))]
    parts += [("seconds", (None, str(body.get("duration", 5))))]
    parts += [("images", (None, image)) for image in images]
    request = httpx.Request("POST", "http://form.invalid/", files=parts)
    return request.read(), request.headers["content-type"]
