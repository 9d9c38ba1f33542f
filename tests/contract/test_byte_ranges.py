"""`Range` headers read into the byte range they select (RFC 9110 §14), one rule for every content route."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mockserver.contract.byte_ranges import ByteRange, Unsatisfiable, content_range, select_range


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-99", ByteRange(0, 99, 1000)),
        ("bytes=-10", ByteRange(990, 999, 1000)),
        ("bytes=500-", ByteRange(500, 999, 1000)),
        ("bytes=900-5000", ByteRange(900, 999, 1000)),  # a last position past the end is cut to it
        ("bytes=-5000", ByteRange(0, 999, 1000)),  # a suffix longer than the file is all of it
        ("Bytes = 0-0 ", ByteRange(0, 0, 1000)),
        ("bytes=1000-", Unsatisfiable(1000)),
        ("bytes=-0", Unsatisfiable(1000)),
        (None, None),
        ("bytes=0-1,5-6", None),  # several ranges: ignored, the whole file
        ("items=0-5", None),
        ("bytes=5-1", None),  # an invalid range-spec: ignored
        ("bytes=abc", None),
        ("bytes=0-99\r\nX: y", None),
    ],
)
def test_a_range_header_selects_its_bytes(header: str | None, expected: object) -> None:
    assert select_range(header, 1000) == expected


def test_content_range_names_the_range_or_the_size() -> None:
    assert content_range(ByteRange(0, 99, 1000)) == "bytes 0-99/1000"
    assert content_range(Unsatisfiable(1000)) == "bytes */1000"


@given(st.binary(min_size=1, max_size=64), st.integers(0, 80), st.integers(0, 80))
def test_a_selected_range_is_the_slice_it_names(body: bytes, first: int, length: int) -> None:
    selected = select_range(f"bytes={first}-{first + length}", len(body))
    if first >= len(body):
        assert selected == Unsatisfiable(len(body))
    else:
        assert isinstance(selected, ByteRange)
        assert selected.of(body) == body[first : first + length + 1]
        assert len(selected.of(body)) == selected.last - selected.first + 1
