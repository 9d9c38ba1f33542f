"""The console log escapes what a request controls: a path cannot forge a line or send a terminal escape."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from mockserver.cli import _configure_logging
from mockserver.contract import Settings
from mockserver.live.app import REQUEST_LOG, create_app
from mockserver.live.log_text import printable

FORGED = "/v1/video/generations/abc%0A17:00:00%20POST%20/v1/video/generations%20-%3E%20200%1b%5b31m%E2%80%A8x%5C"


@pytest.fixture
def console() -> Iterator[io.StringIO]:
    """What `mockserver` would print to the terminal, captured; the logger is restored afterwards."""
    handlers, propagate, level = list(REQUEST_LOG.handlers), REQUEST_LOG.propagate, REQUEST_LOG.level
    stream = io.StringIO()
    _configure_logging(Settings(), stream)
    yield stream
    REQUEST_LOG.handlers[:], REQUEST_LOG.propagate = handlers, propagate
    REQUEST_LOG.setLevel(level)


def test_a_forged_task_id_prints_one_escaped_line(console: io.StringIO) -> None:
    client = create_app(Settings()).test_client()
    response = client.get(FORGED, headers={"Authorization": "Bearer sk-a"})
    assert response.status_code == 404
    printed = console.getvalue()
    assert printed.count("\n") == 1 and printed.endswith("\n")
    assert "\x1b" not in printed and "\u2028" not in printed
    assert "abc\\n17:00:00 POST /v1/video/generations -> 200\\x1b[31m\\u2028x\\\\ -> 404" in printed


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("/v1/video/generations", "/v1/video/generations"),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[2J", "\\x1b[2J"),
        ("\x9b31m", "\\x9b31m"),
        ("back\\slash", "back\\\\slash"),
        ("é ü", "é ü"),
    ],
)
def test_printable_escapes_only_what_a_terminal_would_act_on(text: str, shown: str) -> None:
    assert printable(text) == shown


def test_printable_cuts_before_escaping() -> None:
    assert printable("x" * 300) == "x" * 200
    assert printable("\n" * 300, limit=3) == "\\n\\n\\n"
