"""`RecordingProxy`: a WSGI app that forwards each request to one upstream and records the exchange.

The request goes to the upstream as the client sent it (its key included: the key goes
to the upstream's scheme, host and port only, redirects are not followed, and nothing
else is ever fetched). The answer comes back with the same status, headers and body (a
compressed body is passed on decoded). Each exchange is written, redacted, with
`RecordingWriter`, after its answer was checked against the dialect (`drift_of`). When a
poll shows a video URL on the upstream, the recorder downloads it once, so the recording
holds the video too. A body over `max_video_bytes` is passed on but not kept.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import replace
from itertools import chain
from pathlib import Path
from time import perf_counter
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx
from werkzeug.wsgi import get_input_stream

from mockserver.contract.redaction import Redactor
from mockserver.contract.replay.format import Exchange, exchange_file_name
from mockserver.contract.replay.matching import created_task_id, video_url_in
from mockserver.contract.routes.paths import endpoint_of
from mockserver.live.log_text import printable
from mockserver.record.drift import drift_of, vidu_drift_of
from mockserver.recordings.folder import RecordingWriter
from mockserver.verify.expectations import DIALECTS

__all__ = ["DEFAULT_MAX_VIDEO_BYTES", "RecordingProxy", "Upstream"]

DEFAULT_MAX_VIDEO_BYTES = 16 * 1024 * 1024
#: The largest request body passed on (the mock's own default cap).
MAX_REQUEST_BYTES = 16 * 1024 * 1024
# Headers of one hop: not passed on, not recorded (httpx and the serving handler write their own).
_REQUEST_HOP = frozenset(
    {"host", "connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade"}
    | {"content-length", "expect"}  # this server answers `Expect: 100-continue` itself
)
_ANSWER_HOP = frozenset(
    {"connection", "keep-alive", "proxy-authenticate", "trailer", "transfer-encoding", "upgrade"}
    | {"content-length", "content-encoding", "server", "date"}
)
_MAX_KNOWN_VIDEOS = 10_000


class Upstream:
    """The one origin (and path prefix) the proxy talks to."""

    def __init__(self, url: str) -> None:
        parts = urlsplit(url.strip())
        try:
            port = parts.port
        except ValueError:
            raise ValueError(f"--upstream: the port of {url!r} must be a number from 0 to 65535") from None
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"--upstream must be an http(s) URL with a host, got {url!r}")
        if parts.username or parts.password or parts.query or parts.fragment:
            raise ValueError("--upstream takes no credentials, query or fragment (the client's key passes through)")
        self.scheme, self.host, self.port = parts.scheme, parts.hostname, _port(parts.scheme, port)
        host = f"[{self.host}]" if ":" in self.host else self.host
        self.origin = f"{self.scheme}://{host}{'' if port is None else f':{port}'}"
        self.prefix = parts.path.rstrip("/")
        self.url = self.origin + self.prefix

    def url_for(self, raw_path: str, query: str) -> httpx.URL:
        """The upstream URL for a request target; refuses anything that would leave the upstream's origin."""
        url = httpx.URL(self.origin + self.prefix + raw_path + (f"?{query}" if query else ""))
        if (url.scheme, url.host, _port(url.scheme, url.port)) != (self.scheme, self.host, self.port):
            raise ValueError("the request target leaves the upstream")
        return url

    def path_of(self, url: str) -> tuple[str, str] | None:
        """`(raw path below the prefix, query)` of an absolute URL on this upstream, else None."""
        try:
            parts = urlsplit(url)
            port = parts.port
        except ValueError:
            return None
        if (parts.scheme, parts.hostname, _port(parts.scheme, port)) != (self.scheme, self.host, self.port):
            return None
        if not parts.path.startswith(self.prefix + "/"):
            return None
        return parts.path[len(self.prefix) :], parts.query


def _port(scheme: str, port: int | None) -> int:
    """The port a URL reaches (80 or 443 when it names none): `http://h` and `http://h:80` are one origin."""
    return port if port is not None else 443 if scheme == "https" else 80


class RecordingProxy:
    """The WSGI app of `mockserver record`: forward, answer, check, write."""

    def __init__(
        self,
        upstream: str,
        folder: Path,
        *,
        dialect: str = "uniall",
        redact_headers: Iterable[str] = (),
        max_video_bytes: int = DEFAULT_MAX_VIDEO_BYTES,
        timeout: float = 60.0,
        say: Callable[[str], None] = print,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        if dialect not in DIALECTS and dialect != "vidu":
            raise ValueError(f"--dialect must be one of {', '.join([*DIALECTS, 'vidu'])}, got {dialect!r}")
        if max_video_bytes < 0:
            raise ValueError("--max-video-bytes must be 0 or more")
        self.upstream = Upstream(upstream)
        self.writer = RecordingWriter(folder, Redactor(headers=redact_headers))
        # Vidu's own API is checked against its schemas (`vidu_drift_of`), the gateway's against `DIALECTS`.
        self.dialect = DIALECTS.get(dialect)
        self.dialect_name = dialect
        self.max_video_bytes = max_video_bytes
        self.written = 0
        self.drifted = 0
        self._say = say
        self._client = httpx.Client(timeout=timeout, follow_redirects=False, trust_env=False, transport=transport)
        self._lock = threading.Lock()
        self._videos: dict[str, str] = {}  # a video URL's path seen in a poll -> its task id
        self._kept: dict[str, tuple[str, str]] = {}  # a video's path -> (sha-256, the file holding it)

    def close(self) -> None:
        """Close the connections to the upstream."""
        self._client.close()

    # -- one request -----------------------------------------------------------------
    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = perf_counter()
        method = str(environ.get("REQUEST_METHOD", "GET")).upper()
        raw_path, query = _target(environ)
        path = unquote(raw_path)
        headers = _request_headers(environ)
        self.writer.redactor.learn_from(headers)  # before anything is printed
        declared = str(environ.get("CONTENT_LENGTH") or "0")
        if declared.isdigit() and int(declared) > MAX_REQUEST_BYTES:
            return _refuse(start_response, 413, "payload_too_large", f"bodies over {MAX_REQUEST_BYTES} bytes")
        # Werkzeug's stream ends at Content-Length (or the last chunk): a raw socket read would wait for more.
        body = get_input_stream(environ, max_content_length=MAX_REQUEST_BYTES + 1).read(MAX_REQUEST_BYTES + 1)
        if len(body) > MAX_REQUEST_BYTES:
            return _refuse(start_response, 413, "payload_too_large", f"bodies over {MAX_REQUEST_BYTES} bytes")
        try:
            url = self.upstream.url_for(raw_path, query)
            response = self._client.send(
                self._client.build_request(method, url, headers=headers, content=body), stream=True
            )
        except (httpx.HTTPError, ValueError) as error:
            reason = f"{type(error).__name__}" if isinstance(error, httpx.HTTPError) else str(error)
            self._tell(f"{method} {path} -> the upstream did not answer ({reason}); nothing recorded")
            return _refuse(start_response, 502, "upstream_unavailable", f"the upstream did not answer ({reason})")
        endpoint, task_id = self._classify(method, path)
        kept, rest = _read_capped(response, self._cap(endpoint, response))
        if endpoint == "create" and kept is not None:
            task_id = created_task_id(kept)
        elapsed = round((perf_counter() - started) * 1000)
        answer_headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _ANSWER_HOP]
        exchange = Exchange(
            seq=0,
            method=method,
            path=path,
            query=query,
            status=response.status_code,
            request_headers=headers,
            request_body=body,
            response_headers=_joined(answer_headers),
            response_body=kept,
            endpoint=endpoint,
            task_id=task_id,
            elapsed_ms=elapsed,
        )
        self._record(exchange)
        if endpoint == "poll" and kept is not None and response.status_code == 200:
            self._fetch_video(exchange, headers)
        status_line = f"{response.status_code} {response.reason_phrase or 'UNKNOWN'}"
        if rest is None:
            response.close()
            data = kept or b""
            start_response(status_line, [*answer_headers, ("Content-Length", str(len(data)))])
            return [data]
        start_response(status_line, answer_headers)
        return _relay(response, rest)

    def _classify(self, method: str, path: str) -> tuple[str, str | None]:
        endpoint, task_id = endpoint_of(method, path)
        if endpoint == "other" and method in ("GET", "HEAD") and path in self._videos:
            return "content", self._videos[path]
        return endpoint, task_id

    def _cap(self, endpoint: str, response: httpx.Response) -> int:
        """How much of an answer is kept: `max_video_bytes` of a video, up to 16 MiB of anything else."""
        content_type = response.headers.get("content-type", "").lower()
        if endpoint == "content" or content_type.startswith(("video/", "application/octet-stream")):
            return self.max_video_bytes
        return MAX_REQUEST_BYTES

    # -- writing -----------------------------------------------------------------------
    def _record(self, exchange: Exchange) -> None:
        """Check, write and report one exchange (a video already written, byte for byte, is not written again)."""
        content_type = next((v for k, v in exchange.response_headers.items() if k.lower() == "content-type"), "")
        drift = (
            ()
            if exchange.method == "HEAD"
            else drift_of(
                self.dialect, exchange.endpoint, exchange.path, exchange.status, content_type, exchange.response_body
            )
            if self.dialect is not None
            else vidu_drift_of(exchange.endpoint, exchange.path, exchange.status, content_type, exchange.response_body)
        )
        notes = exchange.notes
        if exchange.response_body is None and exchange.endpoint == "content":
            notes += (
                f"a video over {self.max_video_bytes} bytes (--max-video-bytes): not kept; "
                "replay serves the mock's sample MP4",
            )
        elif exchange.response_body is None:
            notes += (f"an answer over {MAX_REQUEST_BYTES} bytes: not kept",)
        digest = None
        if exchange.endpoint == "content" and exchange.status == 200 and exchange.response_body:
            digest = hashlib.sha256(exchange.response_body).hexdigest()
            with self._lock:
                same = self._kept.get(exchange.path)
            if same is not None and same[0] == digest:
                self._tell(
                    f"{exchange.method} {exchange.path} -> {exchange.status} (the video in {same[1]}: kept once)"
                )
                return
        with self._lock:
            exchange = replace(exchange, seq=self.writer.next_seq(), drift=drift, notes=notes)
            name = exchange_file_name(exchange)
            if digest is not None:
                self._kept[exchange.path] = (digest, name)
            self.written += 1
            self.drifted += bool(drift)
        self.writer.write(exchange)
        task = f" task={exchange.task_id}" if exchange.task_id else ""
        kept = "" if exchange.response_body is not None else " (body over the cap: not kept)"
        self._tell(f"{name}: {exchange.method} {exchange.path} -> {exchange.status}{task}{kept}")
        for line in drift:
            self._tell(f"  DRIFT in {name} ({self.dialect_name}): {line}")

    def _fetch_video(self, poll: Exchange, headers: Mapping[str, str]) -> None:
        """Download, once, the video a poll's answer points to, if it is on the upstream."""
        url = video_url_in(poll.response_json())
        where = self.upstream.path_of(url) if url else None
        if where is None or not poll.task_id:
            return
        raw_path, query = where
        path = unquote(raw_path)
        with self._lock:
            if path in self._videos or len(self._videos) >= _MAX_KNOWN_VIDEOS:
                return
            self._videos[path] = poll.task_id
        # The poll's own key: the download goes to the same upstream the poll went to.
        auth = {k: v for k, v in headers.items() if k.lower() == "authorization"}
        started = perf_counter()
        try:
            with self._client.stream("GET", self.upstream.url_for(raw_path, query), headers=auth) as response:
                kept, _ = _read_capped(response, self._cap("content", response))  # the rest is not read
                answer_headers = _joined(
                    [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _ANSWER_HOP]
                )
                status = response.status_code
        except (httpx.HTTPError, ValueError) as error:
            self._tell(f"GET {path} -> the video could not be fetched ({type(error).__name__}); nothing recorded")
            return
        fetched = Exchange(
            seq=0,
            method="GET",
            path=path,
            query=query,
            status=status,
            request_headers=auth,
            response_headers=answer_headers,
            response_body=kept,
            endpoint="content",
            task_id=poll.task_id,
            elapsed_ms=round((perf_counter() - started) * 1000),
            notes=(f"fetched by the recorder: the video URL in the answer of {exchange_file_name(poll)}",),
        )
        self._record(fetched)

    def _tell(self, line: str) -> None:
        # Paths come from clients: control characters escaped, as the mock's request log does.
        self._say(printable(self.writer.redactor.text(line), 500))


def _target(environ: Mapping[str, Any]) -> tuple[str, str]:
    """The request target's raw (still percent-encoded) path and query; an absolute-form target's host is ignored."""
    raw = str(environ.get("RAW_URI") or environ.get("REQUEST_URI") or "")
    if not raw:
        return str(environ.get("PATH_INFO") or "/"), str(environ.get("QUERY_STRING") or "")
    if not raw.startswith("/"):
        parts = urlsplit(raw)
        return parts.path or "/", parts.query
    path, _, query = raw.partition("?")
    return path, query.partition("#")[0]


def _request_headers(environ: Mapping[str, Any]) -> dict[str, str]:
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            name = key[5:].replace("_", "-").lower()
        elif key in ("CONTENT_TYPE", "CONTENT_LENGTH") and value:
            name = key.replace("_", "-").lower()
        else:
            continue
        if name not in _REQUEST_HOP:
            headers[name] = str(value)
    return headers


def _joined(headers: list[tuple[str, str]]) -> dict[str, str]:
    joined: dict[str, str] = {}
    for name, value in headers:
        name = name.lower()
        joined[name] = f"{joined[name]}, {value}" if name in joined else value
    return joined


def _read_capped(response: httpx.Response, cap: int) -> tuple[bytes | None, Iterator[bytes] | None]:
    """The decoded body if it fits in `cap` bytes (and None for the rest); else None and the whole stream."""
    chunks: list[bytes] = []
    size = 0
    stream = response.iter_bytes()
    for chunk in stream:
        chunks.append(chunk)
        size += len(chunk)
        if size > cap:
            return None, chain(chunks, stream)
    return b"".join(chunks), None


def _relay(response: httpx.Response, chunks: Iterator[bytes]) -> Iterator[bytes]:
    try:
        yield from chunks
    finally:
        response.close()


def _refuse(start_response: Callable[..., Any], status: int, code: str, message: str) -> list[bytes]:
    body = json.dumps(
        {"error": {"message": f"vidu-mock record: {message}", "type": "proxy_error", "param": None, "code": code}}
    ).encode()
    reason = {413: "PAYLOAD TOO LARGE", 502: "BAD GATEWAY"}[status]
    start_response(f"{status} {reason}", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
    return [body]
