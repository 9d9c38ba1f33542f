"""One recorded HTTP exchange and its JSON document: the recording format, version 1.

A recording is a folder of plain JSON files, one per exchange, named by order
(`0001-create.json`, `0002-poll.json`, ...), written by `mockserver record` and
`mockserver verify --record`, and served by `mockserver --replay`. This module is the
format itself (pure: no file is read or written here); `mockserver.recordings.folder` does the
I/O and the redaction. The format is documented in docs/recordings.md.

A document is stable under re-recording: keys sorted, two-space indent, one trailing
newline, no recording time, and the headers that only frame one connection (`date`,
`content-length`, `transfer-encoding`, `connection`, `keep-alive`) left out.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.header_fields import header_problem

__all__ = [
    "FORMAT_VERSION",
    "FRAMING_HEADERS",
    "INLINE_BINARY_CAP",
    "Exchange",
    "RecordingFormatError",
    "document_text",
    "exchange_file_name",
    "exchange_from_document",
    "exchange_to_document",
]

FORMAT_VERSION = 1
#: Headers a recording leaves out: they describe one connection, not the API's answer.
FRAMING_HEADERS = frozenset({"date", "content-length", "transfer-encoding", "connection", "keep-alive"})
#: A binary body up to this size is kept inline as base64 (a few screens of text at most, so the
#: JSON stays readable); a bigger one goes to a file beside the JSON.
INLINE_BINARY_CAP = 32 * 1024
# Media types whose bodies are kept as bytes even when they happen to decode as text.
_BINARY_TYPES = ("video/", "image/", "audio/", "application/octet-stream")
_ENDPOINT_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


class RecordingFormatError(ValueError):
    """A document that is not a recording of this format (the message names what is wrong)."""


@dataclass(frozen=True)
class Exchange:
    """One request and the answer it got, as recorded (secrets already redacted by the writer).

    `endpoint` names the API call (`create`, `poll`, `content`, or `other`); `task_id` is the
    task the exchange concerns, if any. `response_body` is None when the body was not kept
    (over the video cap); `notes` then says why. `drift` lists how the answer differed from
    the dialect's schemas when it was recorded (empty: it matched, or was not checked).
    """

    seq: int
    method: str
    path: str
    status: int
    request_headers: Mapping[str, str] = field(default_factory=dict)
    request_body: bytes = b""
    response_headers: Mapping[str, str] = field(default_factory=dict)
    response_body: bytes | None = b""
    query: str = ""
    endpoint: str = "other"
    task_id: str | None = None
    elapsed_ms: int | None = None
    drift: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()

    def request_json(self) -> Any:
        """The request body parsed as JSON, or None when it is empty or not JSON."""
        return _json_or_none(self.request_body)

    def response_json(self) -> Any:
        """The response body parsed as JSON, or None when it is empty, not kept or not JSON."""
        return _json_or_none(self.response_body or b"")


def _json_or_none(body: bytes) -> Any:
    if not body:
        return None
    try:
        return json.loads(body)
    except ValueError:
        return None


def exchange_file_name(exchange: Exchange) -> str:
    """`0001-create.json`: the order first, so a folder listing is the order of the exchanges."""
    endpoint = exchange.endpoint if exchange.endpoint and set(exchange.endpoint) <= _ENDPOINT_CHARS else "other"
    return f"{exchange.seq:04d}-{endpoint}.json"


def _sidecar_name(exchange: Exchange, part: str, content_type: str) -> str:
    suffix = ".mp4" if content_type.split(";")[0].strip().lower() == "video/mp4" else ".bin"
    return exchange_file_name(exchange).removesuffix(".json") + f"-{part}{suffix}"


def _body_document(
    body: bytes | None, headers: Mapping[str, str], sidecar: str, sidecars: dict[str, bytes]
) -> dict[str, Any] | None:
    """A body as JSON (`json`, `text`, `base64`, or a `file` beside the document); None when empty."""
    if body is None:
        return None
    if not body:
        return None
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "").lower()
    text: str | None = None
    if not content_type.startswith(_BINARY_TYPES) and b"\x00" not in body:
        try:
            text = body.decode("utf-8")
        except UnicodeDecodeError:
            text = None
    if text is not None:
        try:
            # Kept as JSON only when it reads back to the very same bytes' meaning.
            return {"json": json.loads(text)}
        except ValueError:
            return {"text": text}
    if len(body) <= INLINE_BINARY_CAP:
        return {"base64": base64.b64encode(body).decode("ascii")}
    sidecars[sidecar] = body
    return {"file": sidecar, "size": len(body)}


def _kept_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in FRAMING_HEADERS}


def exchange_to_document(exchange: Exchange) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The JSON document for `exchange`, and the files to write beside it (name -> bytes)."""
    sidecars: dict[str, bytes] = {}
    request: dict[str, Any] = {
        "method": exchange.method.upper(),
        "path": exchange.path,
        "headers": _kept_headers(exchange.request_headers),
    }
    if exchange.query:
        request["query"] = exchange.query
    request_ct = next((v for k, v in exchange.request_headers.items() if k.lower() == "content-type"), "")
    body = _body_document(
        exchange.request_body, exchange.request_headers, _sidecar_name(exchange, "request", request_ct), sidecars
    )
    if body is not None:
        request["body"] = body
    response: dict[str, Any] = {"status": exchange.status, "headers": _kept_headers(exchange.response_headers)}
    response_ct = next((v for k, v in exchange.response_headers.items() if k.lower() == "content-type"), "")
    body = _body_document(
        exchange.response_body, exchange.response_headers, _sidecar_name(exchange, "response", response_ct), sidecars
    )
    if body is not None:
        response["body"] = body
    elif exchange.response_body is None:
        response["body"] = {"omitted": True}
    document: dict[str, Any] = {
        "format": f"vidu-mock-recording/{FORMAT_VERSION}",
        "seq": exchange.seq,
        "endpoint": exchange.endpoint,
        "task_id": exchange.task_id,
        "request": request,
        "response": response,
    }
    if exchange.elapsed_ms is not None:
        document["elapsed_ms"] = exchange.elapsed_ms
    if exchange.drift:
        document["drift"] = list(exchange.drift)
    if exchange.notes:
        document["notes"] = list(exchange.notes)
    return document, sidecars


def document_text(document: Mapping[str, Any]) -> str:
    """The document as written to disk: sorted keys, two-space indent, a final newline (diffs well)."""
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def _body_from_document(part: Mapping[str, Any], where: str, read_file: Callable[[str], bytes]) -> bytes | None:
    body = part.get("body")
    if body is None:
        return b""
    if not isinstance(body, Mapping) or len(body.keys() - {"size"}) != 1:
        raise RecordingFormatError(f"{where}.body must be one of {{json}}, {{text}}, {{base64}}, {{file}}, {{omitted}}")
    if "json" in body:
        return json.dumps(body["json"], ensure_ascii=False).encode("utf-8")
    if "text" in body and isinstance(body["text"], str):
        return str(body["text"]).encode("utf-8")
    if "base64" in body and isinstance(body["base64"], str):
        try:
            return base64.b64decode(body["base64"], validate=True)
        except ValueError as error:
            raise RecordingFormatError(f"{where}.body.base64 is not base64") from error
    if "file" in body and isinstance(body["file"], str):
        name = body["file"]
        if "/" in name or "\\" in name or name.startswith("."):
            raise RecordingFormatError(f"{where}.body.file must name a file in the recording's folder")
        return read_file(name)
    if "omitted" in body:
        return None
    raise RecordingFormatError(f"{where}.body must be one of {{json}}, {{text}}, {{base64}}, {{file}}, {{omitted}}")


def _headers(part: Mapping[str, Any], where: str) -> dict[str, str]:
    headers = part.get("headers", {})
    if not isinstance(headers, Mapping) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in headers.items()
    ):
        raise RecordingFormatError(f"{where}.headers must be an object of strings")
    for name, value in headers.items():
        problem = header_problem(name, value)
        if problem is not None:  # it could never be answered as recorded (a CR or LF would split the answer)
            raise RecordingFormatError(f"{where}.headers: {problem}")
    return {k.lower(): v for k, v in headers.items()}


def exchange_from_document(document: Any, read_file: Callable[[str], bytes]) -> Exchange:
    """The exchange a document describes; `read_file(name)` reads a body file beside it."""
    if not isinstance(document, Mapping):
        raise RecordingFormatError("a recording is a JSON object")
    if document.get("format") != f"vidu-mock-recording/{FORMAT_VERSION}":
        raise RecordingFormatError(f"format must be 'vidu-mock-recording/{FORMAT_VERSION}'")
    request, response = document.get("request"), document.get("response")
    if not isinstance(request, Mapping) or not isinstance(response, Mapping):
        raise RecordingFormatError("request and response must be objects")
    seq, status = document.get("seq"), response.get("status")
    method, path = request.get("method"), request.get("path")
    if not isinstance(seq, int) or not isinstance(status, int) or not 100 <= status <= 599:
        raise RecordingFormatError("seq must be an integer and response.status an HTTP status")
    if not isinstance(method, str) or not isinstance(path, str) or not path.startswith("/"):
        raise RecordingFormatError("request.method must be a string and request.path start with '/'")
    request_body = _body_from_document(request, "request", read_file)
    task_id, elapsed = document.get("task_id"), document.get("elapsed_ms")
    return Exchange(
        seq=seq,
        method=method.upper(),
        path=path,
        query=str(request.get("query", "")),
        status=status,
        request_headers=_headers(request, "request"),
        request_body=request_body or b"",
        response_headers=_headers(response, "response"),
        response_body=_body_from_document(response, "response", read_file),
        endpoint=str(document.get("endpoint", "other")),
        task_id=task_id if isinstance(task_id, str) else None,
        elapsed_ms=elapsed if isinstance(elapsed, int) else None,
        drift=tuple(str(d) for d in document.get("drift", ())),
        notes=tuple(str(n) for n in document.get("notes", ())),
    )
