"""Shared assertions: every response body a test sees is checked against `schemas/`."""

from __future__ import annotations

import json
from typing import Any

from mockserver.contract.data.schemas import schema_validator

__all__ = ["assert_conforms", "assert_dialect_conforms", "assert_error", "assert_job"]


def assert_job(body: Any) -> dict[str, Any]:
    """Assert `body` is a job object per `job.schema.json`; return it."""
    schema_validator("job").validate(body)
    assert isinstance(body, dict)
    return body


def assert_error(body: Any, status: int | None = None, code: str | None = None, param: str | None = None) -> None:
    """Assert `body` is an error body per `error.schema.json`, optionally with this code and param."""
    schema_validator("error").validate(body)
    if code is not None:
        assert body["error"]["code"] == code, body
    if param is not None:
        assert body["error"]["param"] == param, body
    del status  # documented for readability at call sites; status is checked by the caller


def assert_conforms(status: int, raw: bytes | str | Any) -> Any:
    """Validate a response: a 2xx JSON body against the job schema, anything else against the error schema."""
    body = json.loads(raw) if isinstance(raw, bytes | str) else raw
    if 200 <= status < 300:
        assert_job(body)
    else:
        assert_error(body)
    return body


def assert_dialect_conforms(dialect: str, status: int, raw: bytes | str | Any) -> Any:
    """Validate a response of a server in `dialect`: a 2xx body against one of its job schemas, else one of its error schemas.

    The §3 error schema is always allowed too: the admin API and the HTTP layer answer in it in every dialect.
    """
    from mockserver.contract.dialects import ROUTES, dialect_named

    body = json.loads(raw) if isinstance(raw, bytes | str) else raw
    schemas = dialect_named(dialect).schemas
    if 200 <= status < 300:
        files = {schemas.created, *(schemas.job(route) for route in ROUTES)}
    else:
        files = {*schemas.errors, "error.schema.json"}
    fits = [path for path in sorted(files) if schema_validator(path.removesuffix(".schema.json")).is_valid(body)]
    assert fits, f"{status} {body!r} fits none of {sorted(files)}"
    return body
