"""Replaying a recording: which recorded exchange answers a request, or why none does (pure).

A face reads a folder with `mockserver.recordings.folder.read_recordings` and hands the exchanges
to `Replay`; the engine asks it for each API request (`ContractEngine._route`). The rules
(docs/recordings.md, "Replay"):

- a request matches a recorded one on method (HEAD as GET), path and body: the body's JSON
  exactly, a form's fields and its files' names, types and sizes (never its boundary, which
  a client draws anew each time), or, with `match="loose"`, a create's model and mode only;
- the matching recordings answer in their recorded order, one per request, and the last
  keeps answering: a task's polls replay its states one step per poll, then stay final;
- a video whose bytes were not kept (over the recorder's cap) is served as the mock's
  sample MP4, and a URL in an answer that leads to a recorded download is pointed at the
  replaying server, so a client that follows it gets the recorded bytes;
- nothing matches: the closest recording and how it differs (a near miss, as WireMock's).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.redaction import REDACTED
from mockserver.contract.replay.format import Exchange, exchange_file_name
from mockserver.contract.requests.multipart_form import read_form
from mockserver.contract.requests.validation import classify_mode
from mockserver.contract.routes.paths import endpoint_of
from mockserver.contract.routes.steps import sample_video

__all__ = ["MATCH_MODES", "Found", "MatchMode", "Replay", "created_task_id", "video_url_in"]

MatchMode = Literal["exact", "loose"]
MATCH_MODES: tuple[MatchMode, ...] = ("exact", "loose")
# How many differences a near miss names before "(+N more)", and how much of a value it shows.
_SHOWN_DIFFERENCES = 3
_SHOWN_VALUE = 60
_NO_BODY = object()
# A recorded form's part may be as large as the recorder lets a request be.
_MAX_FORM_PART_BYTES = 16 * 1024 * 1024
# Headers the replaying mock writes itself (its request id, which worker answered).
_FACE_HEADERS = frozenset({"x-request-id", "x-mock-worker"})
# Where answers put a finished job's video (uniall's `video_url`, new-api's `result_url`, OpenAI's `url`).
_VIDEO_URL_KEYS = ("video_url", "result_url", "url")


@dataclass(frozen=True)
class Found:
    """The recordings a request matches (in order), or none and the near-miss `miss` message.

    `endpoint`, `task_id`, `model` and `mode` describe the request for the journal and for
    failure rules (a poll's model and mode are its recorded create's). Nothing has been
    used up yet: `Replay.take` picks the recording that answers and moves its sequence on.
    """

    matching: tuple[Exchange, ...]
    endpoint: str
    task_id: str | None
    model: str | None
    mode: str | None
    miss: str | None = None


class Replay:
    """Answers requests from recorded exchanges; its only state is where each sequence stands."""

    def __init__(self, exchanges: Iterable[Exchange], match: str = "exact") -> None:
        if match not in MATCH_MODES:
            raise ValueError(f"replay match must be one of {', '.join(MATCH_MODES)}, got {match!r}")
        self.match: MatchMode = "loose" if match == "loose" else "exact"
        self.exchanges = tuple(sorted(exchanges, key=lambda e: e.seq))
        self._routes: dict[tuple[str, str], list[Exchange]] = {}
        self._facts: dict[str, tuple[str | None, str | None]] = {}
        self._downloads: set[str] = set()
        # Read once, not per request: each recording's body (JSON or a form's parts), and which answers
        # hold a download's URL (keyed by the exchange object: a hand-edited folder may repeat a `seq`).
        self._bodies = {id(e): _parsed(e.request_body, e.request_headers) for e in self.exchanges}
        for exchange in self.exchanges:
            self._routes.setdefault((_method(exchange.method), _route(exchange.path)), []).append(exchange)
            if exchange.endpoint == "create" and exchange.task_id:
                self._facts.setdefault(exchange.task_id, _model_and_mode(self._bodies[id(exchange)]))
            if exchange.endpoint == "content":
                self._downloads.add(exchange.path)
        self._linking = {
            id(e)
            for e in self.exchanges
            if e.response_body and any(path.encode() in e.response_body for path in self._downloads)
        }
        # Where each sequence of matching recordings stands; bounded by the recording's size.
        self._cursors: dict[tuple[int, ...], int] = {}
        self._lock = threading.Lock()

    def reset(self) -> None:
        """Start every sequence from its first recording again."""
        with self._lock:
            self._cursors.clear()

    # -- matching ----------------------------------------------------------------------
    def find(self, request: Incoming) -> Found:
        """The recordings that match `request`, or the near miss; no sequence moves yet."""
        method = _method(request.method)
        endpoint, task_id = endpoint_of(method, request.path)
        body = _parsed(request.body, request.headers)
        model, mode = _model_and_mode(body) if endpoint == "create" else self._facts.get(task_id or "", (None, None))
        matching = [
            e
            for e in self._routes.get((method, _route(request.path)), ())
            if self._same_body(e, request.body, body, endpoint)
        ]
        if not matching:
            miss = self._near_miss(method, request.path, request.body, body)
            return Found((), endpoint, task_id, model, mode, miss)
        has_key = any(name.lower() == "authorization" for name in request.headers)
        # A recording made with a key answers a request with one before one made without (a 401).
        matching = [e for e in matching if ("authorization" in e.request_headers) == has_key] or matching
        first = matching[0]
        if first.task_id and endpoint != "create":
            model, mode = self._facts.get(first.task_id, (model, mode))
        return Found(tuple(matching), first.endpoint, first.task_id or task_id, model, mode)

    def take(self, found: Found) -> Exchange:
        """The recording that answers now, moving its sequence one step on (staying on the last)."""
        if not found.matching:
            raise ValueError("nothing was found to replay")
        key = tuple(id(e) for e in found.matching)
        with self._lock:
            step = self._cursors.get(key, 0)
            self._cursors[key] = min(step + 1, len(found.matching))
        return found.matching[min(step, len(found.matching) - 1)]

    def _same_body(self, recorded: Exchange, raw: bytes, parsed: Any, endpoint: str) -> bool:
        if self.match == "loose" and endpoint == "create":
            return _model_and_mode(parsed) == _model_and_mode(self._bodies.get(id(recorded)))
        if parsed is _NO_BODY or not raw:
            return raw == recorded.request_body
        return bool(parsed == self._bodies.get(id(recorded), _NO_BODY))

    # -- answering ---------------------------------------------------------------------
    def reply(self, exchange: Exchange, base_url: str) -> Outgoing:
        """The recorded answer of `exchange`, as the replaying server sends it."""
        # A redacted cookie or key means nothing to a client: such headers are not sent.
        headers = {k: v for k, v in exchange.response_headers.items() if REDACTED not in v and k not in _FACE_HEADERS}
        body = exchange.response_body
        if body is None:
            body = sample_video() if exchange.endpoint == "content" else b""
            if exchange.endpoint == "content":
                headers["content-type"] = "video/mp4"
        elif id(exchange) in self._linking and "json" in headers.get("content-type", ""):
            body = self._pointed_here(body, base_url)
        return Outgoing(exchange.status, headers, body, task_id=exchange.task_id)

    def _pointed_here(self, body: bytes, base_url: str) -> bytes:
        """`body` with each URL of a recorded download pointed at `base_url` (the replaying server)."""
        try:
            data = json.loads(body)
        except ValueError:
            return body
        changed = [False]

        def walk(value: Any) -> Any:
            if isinstance(value, dict):
                return {k: walk(v) for k, v in value.items()}
            if isinstance(value, list):
                return [walk(v) for v in value]
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                parts = urlsplit(value)
                path = next((p for p in self._downloads if parts.path.endswith(p)), None)
                if path is not None:
                    changed[0] = True
                    return base_url.rstrip("/") + path + (f"?{parts.query}" if parts.query else "")
            return value

        data = walk(data)
        return json.dumps(data, ensure_ascii=False).encode("utf-8") if changed[0] else body

    # -- near misses ---------------------------------------------------------------------
    def _near_miss(self, method: str, path: str, raw: bytes, body: Any) -> str:
        asked = f"No recorded exchange matches {method} {_show(path[:200])}"
        if not self.exchanges:
            return f"{asked}: the recording holds no exchanges."
        endpoint = endpoint_of(method, path)[0]
        closest = min(self.exchanges, key=lambda e: (self._distance(e, method, path, raw, body, endpoint), e.seq))
        differences = self._differences(closest, method, path, raw, body, endpoint)
        shown = "; ".join(differences[:_SHOWN_DIFFERENCES])
        if len(differences) > _SHOWN_DIFFERENCES:
            shown += f" (+{len(differences) - _SHOWN_DIFFERENCES} more)"
        where = f"{exchange_file_name(closest)} ({closest.method} {closest.path} -> {closest.status})"
        return f"{asked}. Closest recording: {where}; {shown or 'it differs in the key it was sent with'}."

    def _distance(self, recorded: Exchange, method: str, path: str, raw: bytes, body: Any, endpoint: str) -> float:
        distance = 2.0 * (_method(recorded.method) != method)
        ours, theirs = _route(path).split("/"), _route(recorded.path).split("/")
        differing = sum(a != b for a, b in zip(ours, theirs, strict=False)) + abs(len(ours) - len(theirs))
        distance += 2.0 * differing / max(len(ours), len(theirs))
        return distance + len(self._body_differences(recorded, raw, body, endpoint)) / 10

    def _differences(
        self, recorded: Exchange, method: str, path: str, raw: bytes, body: Any, endpoint: str
    ) -> list[str]:
        found: list[str] = []
        if _method(recorded.method) != method:
            found.append(f"method is {method} (recorded {recorded.method})")
        if _route(recorded.path) != _route(path):
            found.append(f"path is {_show(path)} (recorded {_show(recorded.path)})")
        return found + self._body_differences(recorded, raw, body, endpoint)

    def _body_differences(self, recorded: Exchange, raw: bytes, body: Any, endpoint: str) -> list[str]:
        theirs = self._bodies.get(id(recorded))
        if self.match == "loose" and endpoint == "create":
            asked, kept = _model_and_mode(body), _model_and_mode(theirs)
            return [
                f"{name} is {_show(a)} (recorded {_show(b)})"
                for name, a, b in zip(("model", "mode"), asked, kept, strict=True)
                if a != b
            ]
        if isinstance(body, dict) and isinstance(theirs, dict):
            found = []
            for name in sorted(body.keys() | theirs.keys()):
                if name not in theirs:
                    found.append(f"body.{name} is {_show(body[name])} (not in the recording)")
                elif name not in body:
                    found.append(f"body.{name} is absent (recorded {_show(theirs[name])})")
                elif body[name] != theirs[name]:
                    found.append(f"body.{name} is {_show(body[name])} (recorded {_show(theirs[name])})")
            return found
        if self._same_body(recorded, raw, body, "other"):
            return []
        return [f"body differs ({len(raw)} bytes, recorded {len(recorded.request_body)} bytes)"]


def _method(method: str) -> str:
    method = method.upper()
    return "GET" if method == "HEAD" else method


def _route(path: str) -> str:
    return path.rstrip("/") or "/"


def _parsed(body: bytes, headers: Mapping[str, str]) -> Any:
    """What a request body is compared on: its JSON, or a form's parts (`_NO_BODY`: neither, compare bytes)."""
    if not body:
        return _NO_BODY
    content_type = next((v for k, v in headers.items() if k.lower() == "content-type"), "")
    if content_type.split(";")[0].strip().lower() == "multipart/form-data":
        return _form_parts(body, content_type)
    try:
        return json.loads(body)
    except ValueError:
        return _NO_BODY


def _form_parts(body: bytes, content_type: str) -> Any:
    """A form as its text fields (one value, or every value in order) and its files' names, types and sizes.

    The boundary is left out: a client draws a new one for every request (the OpenAI SDK does).
    """
    try:
        form = read_form(body, content_type, _MAX_FORM_PART_BYTES)
    except ApiError:
        return _NO_BODY
    parts: dict[str, Any] = {name: values[0] if len(values) == 1 else values for name, values in form.fields.items()}
    parts.update((name, upload.described()) for name, upload in form.files.items())
    return parts


def _model_and_mode(body: Any) -> tuple[str | None, str | None]:
    if not isinstance(body, Mapping):
        return None, None
    model = body.get("model")
    return (model if isinstance(model, str) else None), classify_mode(dict(body))


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= _SHOWN_VALUE else text[: _SHOWN_VALUE - 3] + "..."


def created_task_id(body: bytes) -> str | None:
    """The task id a create's answer gives: `task_id` or `id`, at the top or under `data`."""
    try:
        job = json.loads(body)
    except ValueError:
        return None
    for part in (job, job.get("data") if isinstance(job, dict) else None):
        if isinstance(part, dict):
            for key in ("task_id", "id"):
                if isinstance(part.get(key), str) and part[key]:
                    return str(part[key])
    return None


def video_url_in(answer: Any) -> str | None:
    """The first video URL in a poll's answer (`video_url`, `result_url` or `url`, depth first), or None.

    Lists are searched too: Vidu's poll puts it in `creations[0].url`.
    """
    if isinstance(answer, list):
        return next((found for item in answer if (found := video_url_in(item))), None)
    if isinstance(answer, dict):
        for key in _VIDEO_URL_KEYS:
            value = answer.get(key)
            if isinstance(value, str) and value.startswith(("http://", "https://")):
                return value
        for value in answer.values():
            found = video_url_in(value)
            if found:
                return found
    return None
