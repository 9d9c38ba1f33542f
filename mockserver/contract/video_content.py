"""A completed task's video as the gateway serves it: whole, or the byte range asked for.

Every content route answers through `video_answer`, so each dialect (and any route added
later) gets the same `Range`, `Accept-Ranges` and `Cache-Control` handling.
"""

from __future__ import annotations

from mockserver.contract.byte_ranges import ACCEPT_RANGES, Unsatisfiable, content_range, select_range
from mockserver.contract.dialects import Dialect
from mockserver.contract.messages import Outgoing

__all__ = ["CACHE_CONTROL", "video_answer"]

#: controller/video_proxy.go sets this on every video it relays (200 and 206 alike).
CACHE_CONTROL = "public, max-age=86400"


def video_answer(body: bytes, range_header: str | None, dialect: Dialect, request_id: str) -> Outgoing:
    """The 200 with `body`, the 206 with the range `range_header` selects, or the dialect's unsatisfiable-range answer."""
    selected = select_range(range_header, len(body))
    if isinstance(selected, Unsatisfiable):
        return dialect.range_not_satisfiable(content_range(selected), request_id)
    # No Content-Length: framing is each face's to write, once.
    headers = {"Content-Type": "video/mp4", "Accept-Ranges": ACCEPT_RANGES, "Cache-Control": CACHE_CONTROL}
    if selected is None:
        return Outgoing(200, headers, body)
    headers["Content-Range"] = content_range(selected)
    return Outgoing(206, headers, selected.of(body))
