"""What may be written as an HTTP header: the one rule for every answer and every recording.

A header name is a token (RFC 9110 §5.1); a value holds no control character but the tab
(§5.5): a CR or LF would end the line and let the rest pass for headers of its own
(response splitting), a NUL is refused by every strict parser. Recordings are checked
when loaded (`mockserver.contract.recorded`), and every face checks each answer's
headers again on the way out (`sendable_headers`), so a header that slipped past the
first check is dropped, never written.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping

__all__ = ["header_problem", "sendable_headers"]

_LOG = logging.getLogger("mockserver.live")
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")
_NAMES = {"\r": "a CR", "\n": "an LF", "\x00": "a NUL"}


def header_problem(name: str, value: str) -> str | None:
    """Why `name: value` cannot be written as a header line, or None when it can."""
    if not _TOKEN.fullmatch(name):
        return f"header name {name[:60]!r} is not an HTTP token"
    found = _CONTROL.search(value)
    if found:
        char = found.group()
        return f"header {name!r} holds {_NAMES.get(char, 'a control character')} ({char!r})"
    return None


# Names already found to be tokens: replies use a few dozen, so most checks are a set lookup.
_TOKENS: set[str] = set()


def _all_sendable(headers: Iterable[tuple[str, str]]) -> bool:
    """Whether `header_problem` finds nothing in any of `headers` (fast: answers ask this of every header)."""
    for name, value in headers:
        # `isprintable` (in C) is False for every control character, so True settles the value.
        if name in _TOKENS and value.isprintable():
            continue
        if header_problem(name, value) is not None:
            return False
        if len(_TOKENS) < 1024:
            _TOKENS.add(name)
    return True


def sendable_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
    """`headers` without those `header_problem` refuses (each dropped with a warning naming it)."""
    items = list(headers.items() if isinstance(headers, Mapping) else headers)
    if _all_sendable(items):  # the usual answer: nothing to drop, so no warning to write
        return items
    kept: list[tuple[str, str]] = []
    for name, value in items:
        problem = header_problem(name, value)
        if problem is None:
            kept.append((name, value))
        else:
            _LOG.warning("not sent: %s", problem)
    return kept
