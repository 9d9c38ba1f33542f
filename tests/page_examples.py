"""The four request examples of the original API page, as bodies and verbatim curl commands."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

__all__ = ["PAGE", "PAGE_BODIES", "page_curl_commands"]

# A verbatim copy of the original page; docs/spec/PROVENANCE.md says where it came from.
PAGE = Path(__file__).resolve().parents[1] / "docs" / "spec" / "create-video-task-old.txt"

# (body, the mode CONTRACT §1 assigns it), copied from the page's JSON examples.
PAGE_BODIES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "model": "viduq3p-720p",
            "prompt": " camera, and, slow camera push-in. ",
            "aspect_ratio": "16:9",
            "duration": 5,
            "extra_body": {"audio": False, "seed": 42, "bgm": False},
        },
        "text-to-video",
    ),
    (
        {
            "model": "viduq3t-540p",
            "prompt": " camera, natural motion, camera. ",
            "image": "https://example.com/source.png",
            "duration": 5,
            "extra_body": {"seed": 42},
        },
        "image-to-video",
    ),
    (
        {
            "model": "viduq3p-1080p-offpeak",
            "prompt": ", keep identity stable, action. ",
            "image": "https://example.com/head.png",
            "last_image": "https://example.com/tail.png",
            "duration": 6,
        },
        "first-and-last-frame",
    ),
    (
        {
            "model": "viduq3p-mix-720p",
            "prompt": "A @Image1 walking through a beach in the visual style of @Image2",
            "reference_image_urls": ["https://example.com/ref-1.png", "https://example.com/ref-2.png"],
            "aspect_ratio": "16:9",
            "duration": 5,
            "extra_body": {"audio": False, "seed": 42},
        },
        "reference-to-video",
    ),
]


def page_curl_commands() -> list[str]:
    """The page's four curl commands, verbatim (still holding `{BASE_URL}`)."""
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(r"^curl .*?}'$", text, flags=re.MULTILINE | re.DOTALL)
