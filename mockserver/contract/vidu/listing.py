"""The query of `GET /ent/v2/tasks` (the tasks-list page), read with the standard query parser.

Filters: `created_at.from` / `created_at.to` (ISO 8601; the page's default window is the
last 7 days), `task_ids`, `states` (each repeated or comma-separated: ours, the page does
not say); paging: `pager.page` (from 0), `pager.pagesz` (default 10, at most 100) and
`pager.page_token` (the previous answer's `next_page_token`, opaque). The page spells the
first two `paper.page` / `paper.pagesz` in its table: both spellings are read.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs

from mockserver.contract.errors import ApiError
from mockserver.contract.vidu.data import DATA

__all__ = ["ListQuery", "page_token", "read_list_query"]

_LISTING = DATA["listing"]
DEFAULT_PAGE_SIZE: int = _LISTING["default_page_size"]
MAX_PAGE_SIZE: int = _LISTING["max_page_size"]
WINDOW_SECONDS: float = _LISTING["default_window_seconds"]
_STATES = frozenset(DATA["states"].values())


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
    return [part.strip() for value in query.get(name, ()) for part in value.split(",") if part.strip()]


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
    try:
        return datetime.fromisoformat(given[1].replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise _invalid(name) from None


def _whole(text: str, field: str) -> int:
    if not text.isdigit() or len(text) > 9:
        raise _invalid(field)
    return int(text)


def read_list_query(raw: str, now: float) -> ListQuery:
    """The list query in `raw` (a query string), or the `ApiError` naming the bad parameter."""
    query = parse_qs(raw, keep_blank_values=False, max_num_fields=1000)
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
        page = _whole(token[1].removeprefix("p"), token[0])
    else:
        page = 0 if page_given is None else _whole(page_given[1], page_given[0])
    return ListQuery(created_from, created_to, frozenset(_values(query, "task_ids")), states, page, page_size)


def page_token(page: int) -> str:
    """The token of page `page` (ours: opaque to clients, `p` and the page number)."""
    return f"p{page}"
