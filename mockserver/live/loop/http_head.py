"""Reading an HTTP/1.x request head and a chunked body from bytes, with the limits and leniency of before.

The rules are those of Python's `http.server` under Werkzeug, which served the mock until
the event-loop server replaced it, so the answers `docs/robustness.md` lists stay the same:
a request line over 64 KiB is a 414, a header line over 64 KiB or more than 100 header
lines a 431, anything but `METHOD target HTTP/1.x` a 400 (`GET target` alone is HTTP/0.9);
header names with an underscore are dropped and repeated headers joined with a comma,
as Werkzeug's environ does. Values are Latin-1 text, NUL bytes and all.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ChunkedBody", "Head", "HeadError", "MAX_HEADERS", "MAX_LINE", "parse_head"]

#: The longest request line or header line, ending included (`http.client._MAXLINE`).
MAX_LINE = 65536
#: The most header lines a request may have (`http.client._MAXHEADERS`).
MAX_HEADERS = 100
# The longest head: a full request line and a hundred full header lines.
_MAX_HEAD = MAX_LINE * (MAX_HEADERS + 1) + 4
# The longest chunk-size line (hex size, extensions): no real client sends a tenth of it.
_MAX_CHUNK_LINE = 4096


class HeadError(Exception):
    """A head the server refuses before the app sees it: an HTTP status and a short reason."""

    def __init__(self, status: int, reason: str = "") -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(slots=True)
class Head:
    """A parsed request head: `version` is (1, 1), (1, 0) or (0, 9); header names are lower case."""

    method: str
    target: str
    version: tuple[int, int]
    headers: dict[str, str]
    size: int  # bytes the head took in the buffer, its blank line included


def _end_of_head(buffer: bytes | bytearray, start: int) -> tuple[int, int]:
    """Where the head's last line ends and the body starts, or (-1, -1) when the head is not complete."""
    crlf = buffer.find(b"\r\n\r\n", start)
    lf = buffer.find(b"\n\n", start)  # bare line feeds, which `http.server` accepts too
    if lf >= 0 and (crlf < 0 or lf < crlf):
        return lf, lf + 2
    if crlf >= 0:
        return crlf, crlf + 4
    return -1, -1


def _check_incomplete(buffer: bytes | bytearray, start: int) -> None:
    """Refuse a head still arriving that is already too long; it is cheaper than waiting for more."""
    first = buffer.find(b"\n", start)
    if first < 0:
        if len(buffer) - start > MAX_LINE:
            raise HeadError(414)
        return
    if first - start > MAX_LINE:
        raise HeadError(414)
    if len(buffer) - start <= MAX_LINE:
        return  # checked when complete: cheaper than scanning every small piece
    if len(buffer) - start > _MAX_HEAD:
        raise HeadError(431, "Too many headers")
    lines = bytes(buffer[first + 1 :]).split(b"\n")
    if len(lines) - 1 > MAX_HEADERS:
        raise HeadError(431, "Too many headers")
    if any(len(line) > MAX_LINE - 1 for line in lines):
        raise HeadError(431, "Line too long")


# The versions of nearly every request, and what they parse to.
_VERSIONS = {"HTTP/1.1": (1, 1), "HTTP/1.0": (1, 0)}


def parse_head(buffer: bytes | bytearray) -> Head | None:
    """The request head at the start of `buffer`, or None while it is incomplete; raises `HeadError`."""
    end = buffer.find(b"\r\n\r\n")
    if end > 0 and buffer[0] not in (10, 13):
        head = _common_head(buffer, end)
        if head is not None:
            return head
    return _any_head(buffer)


def _common_head(buffer: bytes | bytearray, end: int) -> Head | None:
    """The head of a request as clients send them (CRLF lines, `HTTP/1.x`, plain unique headers), or None.

    None sends the request the careful way (`_any_head`), which decides alike for these
    requests and also handles the odd ones: it is only for speed (a profile put the
    careful way at a fifth of the server's own time per request).
    """
    text = buffer[:end].decode("latin-1")
    lines = text.split("\r\n")
    count = len(lines)
    if count > MAX_HEADERS + 1 or text.count("\n") != count - 1 or text.count("\r") != count - 1:
        return None  # bare line ends, or too many lines: the careful way refuses or reads them
    words = lines[0].split(" ")
    version = _VERSIONS.get(words[-1])
    if len(words) != 3 or version is None or not words[0] or len(lines[0]) > MAX_LINE - 2:
        return None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        key = name.lower()
        # Empty, padded, underscored, repeated or folded names, and over-long lines: the careful way.
        if (
            not colon
            or key[-1:] in " \t"
            or key[:1] in " \t"
            or "_" in key
            or key in headers
            or len(line) > MAX_LINE - 2
        ):
            return None
        headers[key] = value.strip(" \t")
    return Head(words[0], words[1], version, headers, end + 4)


def _any_head(buffer: bytes | bytearray) -> Head | None:
    start = 0
    while buffer.startswith(b"\r\n", start) or buffer.startswith(b"\n", start):  # blank lines before a request
        start += 2 if buffer[start] == 13 else 1
    last, body = _end_of_head(buffer, start)
    if last < 0:
        _check_incomplete(buffer, start)
        return None
    lines = bytes(buffer[start:last]).decode("latin-1").split("\n")
    request_line = lines[0]
    if len(request_line.rstrip("\r")) > MAX_LINE - 2:
        raise HeadError(414)
    method, target, version = _request_line(request_line.rstrip("\r"))
    if len(lines) - 1 > MAX_HEADERS:
        raise HeadError(431, "Too many headers")
    return Head(method, target, version, _headers(lines), body)


def _request_line(line: str) -> tuple[str, str, tuple[int, int]]:
    words = line.split()
    if len(words) == 3:
        method, target, version = words
        return method, target, _version(version)
    if len(words) == 2 and words[0] == "GET":
        return words[0], words[1], (0, 9)
    if len(words) == 2:
        raise HeadError(400, f"Bad HTTP/0.9 request type ({words[0]!r})")
    raise HeadError(400, f"Bad request syntax ({line!r})")


def _version(text: str) -> tuple[int, int]:
    name, _, number = text.partition("/")
    major, dot, minor = number.partition(".")
    if name != "HTTP" or not dot or not (major.isdigit() and minor.isdigit()) or len(number) > 9:
        raise HeadError(400, f"Bad request version ({text!r})")
    if int(major) != 1:
        # `http.server` answers 505 to 2.0 and up; no input may earn an un-injected 5xx here.
        raise HeadError(400, f"Invalid HTTP version ({number})")
    return 1, int(minor)


def _headers(lines: list[str]) -> dict[str, str]:
    headers: dict[str, str] = {}
    name = ""
    for raw in lines[1:]:
        line = raw[:-1] if raw.endswith("\r") else raw
        if len(line) > MAX_LINE - 2:  # the line end counts too
            raise HeadError(431, "Line too long")
        if line[:1] in (" ", "\t"):  # an obsolete folded continuation of the previous value
            if name:
                headers[name] = f"{headers[name]} {line.strip()}"
            continue
        field, colon, value = line.partition(":")
        if not colon or not field or field != field.strip(" \t"):
            raise HeadError(400, f"Bad header line ({line[:60]!r})")
        if "_" in field:
            name = ""  # dropped, as Werkzeug drops them: `X_User` must not pass for `X-User`
            continue
        name = field.lower()
        value = value.strip(" \t").replace("\r", "")
        if name in headers and name not in ("content-type", "content-length"):
            value = f"{headers[name]},{value}"
        headers[name] = value
    return headers


class ChunkedBody:
    """A `Transfer-Encoding: chunked` body decoded as it arrives, keeping at most `keep` bytes.

    `feed` takes what arrived and returns how many bytes it used; `done` is set after the
    last chunk and its trailers. Bytes past `keep` are counted in `size` and dropped.
    Raises `ValueError` for a body that cannot be de-chunked.
    """

    def __init__(self, keep: int) -> None:
        self.keep = keep
        self.data = bytearray()
        self.size = 0
        self.done = False
        self._left = -1  # bytes of the current chunk still to come; -1 while reading a size line
        self._trailers = False

    def feed(self, buffer: bytes | bytearray) -> int:
        """Decode as much of `buffer` as is complete; returns the number of bytes used."""
        used = 0
        while not self.done:
            if self._trailers:
                end = buffer.find(b"\n", used)
                if end < 0:
                    self._check_line(len(buffer) - used)
                    return used
                line, used = buffer[used:end].rstrip(b"\r"), end + 1
                self.done = not line
            elif self._left < 0:
                end = buffer.find(b"\n", used)
                if end < 0:
                    self._check_line(len(buffer) - used)
                    return used
                self._left = self._size(bytes(buffer[used:end]))
                used = end + 1
                if self._left == 0:
                    self._trailers = True
            else:
                take = min(self._left, len(buffer) - used)
                if take:
                    if len(self.data) < self.keep:
                        self.data += buffer[used : used + min(take, self.keep - len(self.data))]
                    self.size += take
                    self._left -= take
                    used += take
                if self._left > 0:
                    return used
                if len(buffer) - used < 2 and not buffer.startswith(b"\n", used):
                    return used  # the line end after the chunk has not come yet
                if buffer.startswith(b"\r\n", used):
                    used += 2
                elif buffer.startswith(b"\n", used):
                    used += 1
                else:
                    raise ValueError("a chunk is longer than its size says")
                self._left = -1
        return used

    @staticmethod
    def _check_line(length: int) -> None:
        if length > _MAX_CHUNK_LINE:
            raise ValueError("a chunk size line is too long")

    @staticmethod
    def _size(line: bytes) -> int:
        text = line.split(b";", 1)[0].strip(b" \t\r")
        if not text or len(text) > 16 or text.strip(b"0123456789abcdefABCDEF"):
            raise ValueError(f"invalid chunk size {text[:20]!r}")
        return int(text, 16)
