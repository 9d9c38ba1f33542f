"""`Range: bytes=...` on a content route (RFC 9110 §14): one home for every route that serves bytes.

new-api's `controller/video_proxy.go` passes the client's `Range` header to the storage
that holds the video and forwards its `206` (browsers' `<video>` elements need it to
seek); the mock acts out that storage here. Only the `bytes` unit and one range are
honoured: a header that is not a single byte range is ignored (RFC 9110 allows it), so the
whole file is sent with a 200.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ACCEPT_RANGES", "ByteRange", "Unsatisfiable", "content_range", "select_range"]

#: What a storage that honours ranges says on every answer with the video.
ACCEPT_RANGES = "bytes"

# RFC 9110 §14.1.1: `bytes=first-last`, `bytes=first-` or `bytes=-suffix`, optional whitespace
# around the one range; a header value is already one line, so a full match of the grammar is
# the whole parse.
_ONE_RANGE = re.compile(r"bytes[ \t]*=[ \t]*(?:(\d{1,18})-(\d{0,18})|-(\d{1,18}))[ \t]*", re.ASCII | re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class ByteRange:
    """The inclusive byte positions `first` to `last` of a representation `size` bytes long."""

    first: int
    last: int
    size: int

    def of(self, body: bytes) -> bytes:
        """The range's bytes of `body`."""
        return body[self.first : self.last + 1]


@dataclass(frozen=True, slots=True)
class Unsatisfiable:
    """A byte range that selects nothing of a representation `size` bytes long (a 416)."""

    size: int


def select_range(header: str | None, size: int) -> ByteRange | Unsatisfiable | None:
    """The range `header` selects of `size` bytes; None means send everything (no header, or one ignored)."""
    if header is None:
        return None
    match = _ONE_RANGE.fullmatch(header.strip())
    if match is None:
        return None  # another unit, several ranges or bad syntax: RFC 9110 lets a server ignore it
    first_text, last_text, suffix_text = match.groups()
    if suffix_text is not None:
        suffix = int(suffix_text)
        if suffix == 0 or size == 0:
            return Unsatisfiable(size)
        return ByteRange(max(size - suffix, 0), size - 1, size)
    first = int(first_text)
    if last_text and int(last_text) < first:
        return None  # an invalid range-spec: the header is ignored (RFC 9110 §14.1.1)
    if first >= size:
        return Unsatisfiable(size)
    last = size - 1 if not last_text else min(int(last_text), size - 1)
    return ByteRange(first, last, size)


def content_range(selected: ByteRange | Unsatisfiable) -> str:
    """The `Content-Range` value of a 206 (`bytes first-last/size`) or a 416 (`bytes */size`)."""
    if isinstance(selected, Unsatisfiable):
        return f"bytes */{selected.size}"
    return f"bytes {selected.first}-{selected.last}/{selected.size}"
