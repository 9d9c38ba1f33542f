"""Reading HTTP/1.x requests off a connection with llhttp (Node's parser, through `httptools`).

llhttp owns the grammar and the framing (RFC 9112): it refuses a request with both
`Content-Length` and `Transfer-Encoding`, a transfer coding list whose last coding is not
`chunked`, two `Content-Length` headers, a length that is not digits, a bad chunk size,
bare line ends, folded headers, invalid tokens in the method or a header name, control
characters in a value, and methods it does not know. On top of it this module adds what
llhttp leaves to the server:

- limits: a request target over 64 KiB is a 414, a header line over 64 KiB, more than
  100 header lines or a head over 6.5 MB a 431;
- HTTP/1.1 needs exactly one `Host` (two are refused in any version), and only HTTP/1.x
  (and a bare HTTP/0.9 `GET`) is spoken: 400;
- a final `chunked` after another coding (`gzip, chunked`): the mock decodes no other
  coding, so a 400 too (not RFC 9112's suggested 501: no input earns an un-injected 5xx);
- the body cap: a `Content-Length` over it is taken at once, body unread (the core
  answers 413), and a chunked body is kept up to one byte past it.

Each complete request is queued in `ready` in arrival order (pipelined ones included); a
refused one is queued as a `HeadError`, after which nothing more is parsed.
Header names are lower-cased; names with an underscore are dropped and repeated
headers joined with a comma, as Werkzeug's environ does.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

import httptools

__all__ = ["MAX_HEADERS", "MAX_LINE", "Head", "HeadError", "Parsed", "RequestReader"]

#: The longest request target, and the longest header line (its name, value and line end).
MAX_LINE = 65536
#: The most header lines a request may have.
MAX_HEADERS = 100
# The most bytes a head may take while it arrives: a full request line and a hundred full header lines.
_MAX_HEAD = MAX_LINE * (MAX_HEADERS + 1)
_VERSIONS = {"1.1": (1, 1), "1.0": (1, 0), "0.9": (0, 9)}
# Header names as sent, lower-cased once: clients send the same few dozen names again and again.
_KEYS: dict[bytes, str] = {}
_MAX_KEYS = 512


class HeadError(Exception):
    """A request the server refuses before the app sees it: an HTTP status and a short reason."""

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
    keep_alive: bool = True


@dataclass(slots=True)
class Parsed:
    """A request read off the wire: its head and body.

    `declared` is a `Content-Length` over the body cap (the body is not read: the core
    answers 413). `unread` says the body may still be arriving when it is answered (an
    over-cap body), so the connection reads past it before closing; `close` that the
    connection closes after the answer.
    """

    head: Head
    body: bytes
    declared: int | None = None
    unread: int = 0
    close: bool = False


class _Stop(Exception):
    """Raised in a callback to stop llhttp once a request is queued that ends the connection."""


class RequestReader:
    """Feeds a connection's bytes to llhttp; complete requests (or one refusal) wait in `ready`."""

    def __init__(self, max_body: int) -> None:
        self._parser = httptools.HttpRequestParser(self)
        self._max_body = max_body
        self.ready: deque[Parsed | HeadError] = deque()
        self.stopped = False  # refused, upgraded or over the cap: nothing more is parsed
        self.in_message = False  # a request has begun and is not complete
        self.head: Head | None = None  # the head of the request whose body is arriving
        self._url = b""
        self._headers: dict[str, str] = {}
        self._lines = 0
        self._hosts = 0
        self._head_bytes = 0
        self._body: list[bytes] = []
        self._body_size = 0
        self._skipping: Parsed | None = None  # answered unread: its body is counted, not kept

    def feed(self, data: bytes) -> None:
        """Parse `data`; what completes is appended to `ready`."""
        if self.stopped:
            return
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            # The mock speaks no other protocol: answer the request, then close.
            self._stop()
            if self.ready and isinstance(self.ready[-1], Parsed):
                self.ready[-1].close = True
            return
        except httptools.HttpParserError as error:
            cause = error.__context__
            if isinstance(cause, _Stop):
                return
            self._refuse(cause if isinstance(cause, HeadError) else HeadError(400, str(error)))
            return
        if self.in_message and self.head is None:
            self._head_bytes += len(data)  # an upper bound on the head so far
            if self._head_bytes > _MAX_HEAD:
                self._refuse(HeadError(431, "Head too large"))

    @property
    def awaiting_body(self) -> bool:
        """Whether a request's head is read and its body is still to come (and will be read)."""
        return self.head is not None and self._skipping is None

    def _stop(self) -> None:
        self.stopped = True
        self.in_message = False

    def _refuse(self, error: HeadError) -> None:
        self._stop()
        self.head = None
        self.ready.append(error)

    # -- llhttp's callbacks ---------------------------------------------------------------

    def on_message_begin(self) -> None:
        self.in_message = True
        self.head = None
        self._url = b""
        self._lines = self._hosts = self._head_bytes = self._body_size = 0
        self._headers = {}
        self._body = []
        self._skipping = None

    def on_url(self, url: bytes) -> None:
        # llhttp hands the target over in one piece per read, so this joins a few pieces at most.
        url = self._url = self._url + url
        if len(url) > MAX_LINE:
            raise HeadError(414)

    def on_header(self, name: bytes, value: bytes) -> None:
        lines = self._lines = self._lines + 1
        if lines > MAX_HEADERS:
            raise HeadError(431, "Too many headers")
        if len(name) + len(value) + 4 > MAX_LINE:
            raise HeadError(431, "Line too long")
        key = _KEYS.get(name)
        if key is None:
            key = name.lower().decode("latin-1")  # a token: ASCII, so bytes' lower case is the text's
            if len(_KEYS) < _MAX_KEYS:
                _KEYS[name] = key
        if key == "host":
            self._hosts += 1
        elif "_" in key:
            return  # dropped, as Werkzeug drops them: `X_User` must not pass for `X-User`
        text = value.rstrip(b" \t").decode("latin-1")  # llhttp leaves out the leading blanks, not the trailing
        headers = self._headers
        before = headers.get(key)
        headers[key] = text if before is None or key == "content-type" else f"{before},{text}"

    def on_headers_complete(self) -> None:
        parser = self._parser
        version = _VERSIONS.get(parser.get_http_version())
        if version is None:
            raise HeadError(400, "Only HTTP/1.x is spoken here")
        if self._hosts > 1 or (version == (1, 1) and self._hosts == 0):
            raise HeadError(400, "HTTP/1.1 needs exactly one Host header")
        headers = self._headers
        coding = headers.get("transfer-encoding")
        if coding is not None and coding.lower() != "chunked":
            # llhttp let it through, so `chunked` is the last coding: the others are not implemented.
            raise HeadError(400, "Only Transfer-Encoding: chunked is implemented")
        method = parser.get_method().decode("ascii")
        target = self._url.decode("latin-1")
        # HTTP/1.0 closes after each answer, keep-alive asked or not, as before (answers carry no `Keep-Alive`).
        head = self.head = Head(method, target, version, headers, version == (1, 1) and parser.should_keep_alive())
        length = headers.get("content-length")
        if length is not None and int(length) > self._max_body:  # llhttp checked it is digits
            declared = int(length)
            self._skipping = Parsed(head, b"", declared, declared, close=not head.keep_alive)
            self.ready.append(self._skipping)  # answered now; the core refuses it (413) by its size

    def on_body(self, body: bytes) -> None:
        skipping = self._skipping
        if skipping is not None:
            skipping.unread -= len(body)
            return
        self._body.append(body)
        self._body_size += len(body)
        if self._body_size > self._max_body:  # chunked: one byte past the cap is enough to refuse it
            assert self.head is not None
            kept = b"".join(self._body)[: self._max_body + 1]
            self.ready.append(Parsed(self.head, kept, unread=1, close=True))
            self._stop()
            self.head = None
            raise _Stop

    def on_message_complete(self) -> None:
        head, skipping = self.head, self._skipping
        self.in_message = False
        self.head = None
        self._head_bytes = 0
        if skipping is not None:
            skipping.unread = 0
            self._skipping = None
            return
        assert head is not None
        self.ready.append(Parsed(head, b"".join(self._body), close=not head.keep_alive))
