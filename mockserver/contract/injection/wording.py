"""The error an injection answers with: the catalogue entry, worded so nobody hunts for a bug that is not there."""

from __future__ import annotations

from mockserver.contract.data.catalogue import ErrorSpec
from mockserver.contract.errors import ApiError

__all__ = ["injected_error"]

# What the engine's injection description starts with -> how the user asked for it.
_HOW = {"prefer": "the Prefer header", "rule": "a queued failure (/__mock/failures)", "random": "the error rate"}


def injected_error(spec: ErrorSpec, described: str | None) -> ApiError:
    """`spec` as an `ApiError`; a client-fault status (4xx but 429) says it was injected.

    A 400 injected on a valid body must not read "The request body is not valid JSON.":
    the code stays the catalogue's (clients branch on it), the message says what happened.
    429 and 5xx messages describe the server's state, which the injection acts out, so
    they keep the catalogue's words.
    """
    if spec.status >= 500 or spec.status == 429:
        return ApiError(spec.code)
    how = _HOW.get((described or "").split(":")[0], "the mock")
    return ApiError(
        spec.code,
        f"Injected by the mock through {how}: a {spec.status} {spec.code}; the request itself was not checked.",
    )
