"""A queued rule's filters checked against what can match: a rule that can never fire is refused.

`model` must be in the catalogue, `mode` one of the modes, `endpoint` one of the routes a
rule can match. A typo is named with the closest valid value, so `model="viduq3-720p"`
says "did you mean 'viduq3p-720p'?" instead of waiting for a request that never comes.
"""

from __future__ import annotations

from collections.abc import Sequence

from mockserver.contract.data.catalogue import MODELS, MODES
from mockserver.contract.spelling import closest

__all__ = ["ENDPOINTS", "check_filters"]

#: The requests a rule can match: a create, a task poll, a video download, or any of them.
ENDPOINTS = ("create", "poll", "content", "any")


def _refuse(field: str, value: object, choices: Sequence[str]) -> ValueError:
    near = closest(value, choices)
    hint = f"did you mean {near!r}? " if near is not None else ""
    return ValueError(f"{field}={value!r} can never match a request: {hint}choose one of {', '.join(choices)}")


def check_filters(model: str | None, mode: str | None, endpoint: str) -> None:
    """Raise `ValueError` naming the closest valid value when a filter can never match a request."""
    if model is not None and model not in MODELS:
        raise _refuse("model", model, MODELS)
    if mode is not None and mode not in MODES:
        raise _refuse("mode", mode, MODES)
    if endpoint not in ENDPOINTS:
        raise _refuse("endpoint", endpoint, ENDPOINTS)
