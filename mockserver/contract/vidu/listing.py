"""The query of `GET /ent/v2/tasks` (the tasks-list page), read with the standard query parser.

Filters: `created_at.from` / `created_at.to` (ISO 8601; the page's default window is the
last 7 days), `task_ids`, `states` (each repeated or comma-separated: ours, the page does
not say); paging: `pager.page` (from 0), `pager.pagesz` (default 10, at most 100) and
`pager.page_token` (the previous answer's `next_page_token`, opaque). The page spells the
first two `paper.page` / `paper.pagesz` in its table: both spellings are read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from mockserver.contract.errors import ApiError
from mockserver.contract.vidu.data import DATA

__all__ = ["ListQuery", "page_token", "read_list_query"]

_LISTING = DATA["listing"]
DEFAULT_PAGE_SIZE: int = _LISTING["default_page_size"]
MAX_PAGE_SIZE: int = _LISTING["max_page_size"]
WINDOW_SECONDS: float = _LISTING["default_window_seconds"]
_STATES = frozenset(DATA["states"].values())
TIME_PATTERN: str = _LISTING["time_pattern"]
PAGE_TOKEN_PATTERN: str = _LISTING["page_token_pattern"]
_TIME = re.compile(TIME_PATTERN)
_TOKEN = re.compile(PAGE_TOKEN_PATTERN)


@dataclass(frozen=True, slots=True)
class ListQuery:
    """What to list: a creation-time window, ids, states, and which page."""

    created_from: float | None
    created_to: float | None
    task_ids: frozenset[str]
    states: frozenset[str]
    page: int
    page_size: int


def _invalid(field: str) -> ApiError:
    return ApiError("FieldInvalid", f"invalid field: {field}", field)


def _values(query: dict[str, list[str]], name: str) -> list[str]:
    return [part.strip() for value in query.get(name, ()) for part in value.split(",")]


def _one(query: dict[str, list[str]], *names: str) -> tuple[str, str] | None:
    for name in names:
        values = query.get(name)
        if values:
            return name, values[-1]
    return None


def _time(query: dict[str, list[str]], name: str) -> float | None:
    given = _one(query, name)
    if given is None:
        return None
    match = _TIME.match(given[1])
    if match is None:
        raise _invalid(name)
    year, month, day, hour, minute, second, fraction, zone = match.groups()
    # A day past its month's end (Feb 30) rolls over, as the pattern (in the OpenAPI document) allows it.
    moment = datetime(int(year), int(month), 1, tzinfo=UTC) + timedelta(
        days=int(day) - 1, hours=int(hour), minutes=int(minute), seconds=int(second) + float(fraction or 0)
    )
    offset = 0 if zone == "Z" else (int(zone[1:3]) * 60 + int(zone[4:6])) * (1 if zone[0] == "+" else -1)
    return moment.timestamp() - offset * 60


def _whole(text: str, field: str) -> int:
    if not re.fullmatch("[0-9]{1,9}", text):
        raise _invalid(field)
    return int(text)


def read_list_query(raw: str, now: float) -> ListQuery:
    """The list query in `raw` (a query string), or the `ApiError` naming the bad parameter."""
    try:
        query = parse_qs(raw, keep_blank_values=True, max_num_fields=1000)
    except ValueError:
        raise ApiError("BadRequest", "the query has more than 1000 fields", None) from None
    created_from = _time(query, "created_at.from")
    created_to = _time(query, "created_at.to")
    if created_from is None and created_to is None:
        created_from = now - WINDOW_SECONDS
    states = frozenset(_values(query, "states"))
    if not states <= _STATES:
        raise _invalid("states")
    size_given = _one(query, "pager.pagesz", "paper.pagesz")
    page_size = DEFAULT_PAGE_SIZE if size_given is None else _whole(size_given[1], size_given[0])
    if not 1 <= page_size <= MAX_PAGE_SIZE:
        raise ApiError(
            "PageSizeOutOfRange", f"page size out of range: 1 to {MAX_PAGE_SIZE}", size_given and size_given[0]
        )
    token = _one(query, "pager.page_token")
    page_given = _one(query, "pager.page", "paper.page")
    if token is not None:
        token_match = _TOKEN.match(token[1])
        if token_match is None:
            raise _invalid(token[0])
        page = int(token_match.group(1))
    else:
        page = 0 if page_given is None else _whole(page_given[1], page_given[0])
    return ListQuery(created_from, created_to, frozenset(_values(query, "task_ids")), states, page, page_size)


def page_token(page: int) -> str:
    """The token of page `page` (ours: opaque to clients, `p` and the page number; PAGE_TOKEN_PATTERN)."""
    return f"p{page}"
