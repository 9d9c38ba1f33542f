"""The four request examples of the original API page, as bodies and verbatim curl commands."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from mockserver.verify.samples import PAGE_EXAMPLES

__all__ = ["PAGE", "PAGE_BODIES", "page_curl_bodies", "page_curl_commands"]

# A verbatim copy of the original page; docs/spec/PROVENANCE.md says where it came from.
PAGE = Path(__file__).resolve().parents[2] / "docs" / "spec" / "create-video-task-old.txt"

# (body, the mode CONTRACT §1 assigns it): the copy `mockserver verify` ships, checked
# against the page's own curl commands by `page_curl_bodies` (tests/verify/test_verify_units.py).
PAGE_BODIES: list[tuple[dict[str, Any], str]] = [(example.body, example.mode) for example in PAGE_EXAMPLES]


def page_curl_commands() -> list[str]:
    """The page's four curl commands, verbatim (still holding `{BASE_URL}`)."""
    text = PAGE.read_text(encoding="utf-8")
    return re.findall(r"^curl .*?}'$", text, flags=re.MULTILINE | re.DOTALL)


def page_curl_bodies() -> list[Any]:
    """The JSON bodies (`-d '...'`) of the page's curl commands, parsed, in page order."""
    bodies: list[Any] = []
    for command in page_curl_commands():
        data = re.search(r"-d '(.*)'$", command, flags=re.DOTALL)
        assert data is not None, command
        bodies.append(json.loads(data.group(1)))
    return bodies
