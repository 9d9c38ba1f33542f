"""What `requests()` and `assert_requested()` may filter the journal on, checked before they look.

A filter no entry can ever have (`modl=`, `endpoint="pol"`) would make
`assert_requested(0, ...)` pass without testing anything, so it is refused, naming the
closest valid one. Values are not checked against the catalogue: the journal keeps what
clients sent, an unknown model or path included.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from mockserver.contract.spelling import closest
from mockserver.contract.state.journal import JournalEntry

__all__ = ["JOURNAL_ENDPOINTS", "check_journal_filters"]

#: The endpoints a journal entry names (`other`: a replayed request outside the API's routes).
JOURNAL_ENDPOINTS = ("create", "poll", "content", "other")
_FIELDS = tuple(item.name for item in fields(JournalEntry))


def check_journal_filters(endpoint: str | None, match: Mapping[str, Any]) -> None:
    """Raise `ValueError` for an endpoint no entry names, or a field no entry has."""
    if endpoint is not None and endpoint not in JOURNAL_ENDPOINTS:
        near = closest(endpoint, JOURNAL_ENDPOINTS)
        hint = f"did you mean {near!r}? " if near else ""
        raise ValueError(
            f"endpoint={endpoint!r} can never match a request: {hint}choose one of {', '.join(JOURNAL_ENDPOINTS)}"
        )
    for key in match:
        if key not in _FIELDS:
            near = closest(key, _FIELDS)
            hint = f" (did you mean {near}=?)" if near else ""
            raise ValueError(f"{key}= is not a field of a journal entry{hint}; the fields: {', '.join(_FIELDS)}")
