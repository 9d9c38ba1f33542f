"""Does a recorded answer still fit the dialect? The check `mockserver verify` makes, per answer.

The recorder calls `drift_of` for each exchange; what it returns is printed as it happens
and kept in the recording's `drift` list. Answers the contract says nothing about (paths
other than the API's) are not checked.
"""

from __future__ import annotations

import json
from typing import Any

from mockserver.contract.data.schemas import schema_validator
from mockserver.contract.routes.paths import api_path
from mockserver.verify.create_answer import create_answer_problems
from mockserver.verify.expectations import DialectExpectations

__all__ = ["drift_of", "vidu_drift_of"]

_NOT_JSON = object()


def drift_of(
    dialect: DialectExpectations, endpoint: str, path: str, status: int, content_type: str, body: bytes | None
) -> tuple[str, ...]:
    """How the answer differs from `dialect`'s shapes, one short line each (empty: it fits or was not checked)."""
    if body is None or endpoint not in ("create", "poll", "content"):
        return ()
    if endpoint == "content" and status == 200:
        problems = []
        if not content_type.lower().startswith("video/"):
            problems.append(f"content-type: {content_type or 'none'!r}, a video was expected")
        if body[4:8] != b"ftyp":
            problems.append("body: no ftyp box first (not an MP4)")
        return tuple(problems)
    parsed = _json(body)
    if parsed is _NOT_JSON:
        return (f"body: not JSON ({content_type or 'no content-type'}, {len(body)} bytes)",)
    if status >= 400:
        if dialect.auth_error.fits(parsed) or dialect.task_error.fits(parsed):
            return ()
        shape = dialect.auth_error if status == 401 else dialect.task_error
        return tuple(f"error shape: {p}" for p in shape.problems(parsed))
    if status != 200:
        return ()
    target = api_path(path)
    route = target.route if target is not None else "generations"
    if endpoint == "create":
        return tuple(create_answer_problems(dialect, parsed, route))
    shape = dialect.videos if route == "videos" else dialect.poll
    return tuple(shape.problems(parsed))


def _json(body: bytes) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return _NOT_JSON


def vidu_drift_of(endpoint: str, path: str, status: int, content_type: str, body: bytes | None) -> tuple[str, ...]:
    """How an answer of Vidu's own API differs from `schemas/dialects/vidu/` (the recorder's `--dialect vidu`)."""
    if body is None or endpoint not in ("create", "poll", "content"):
        return ()
    if endpoint == "content":
        return () if status != 200 or body[4:8] == b"ftyp" or content_type.startswith("image/") else ("not an MP4",)
    parsed = _json(body)
    if parsed is _NOT_JSON:
        return (f"body: not JSON ({content_type or 'no content-type'}, {len(body)} bytes)",)
    schema = "error" if status >= 400 else "created" if endpoint == "create" else "task"
    if status not in (200,) and status < 400:
        return ()
    validator = schema_validator(f"dialects/vidu/{schema}")
    return tuple(f"{'/'.join(map(str, e.absolute_path)) or 'body'}: {e.message}" for e in validator.iter_errors(parsed))
