"""One explicit create body per (model, mode) pair of the catalogue, for `@example`.

Hypothesis promises no coverage of a `sampled_from` choice: its mutations re-run a test
case with the same model, so 200 examples of `create_requests()` often miss a model.
Explicit examples run first on every run, so stacking these on a test guarantees each
pair once before the generated examples start.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any, TypeVar

from hypothesis import example

from mockserver.contract import MODELS, MODES, Mode
from pytest_plugin.request_rules import MODE_FIELDS, PROMPT_REQUIRED, REFERENCES_MIN, modes_for

__all__ = ["catalogue_bodies", "every_model_and_mode"]

_Test = TypeVar("_Test", bound=Callable[..., Any])

_PROMPT = "a red fox running through fresh snow"
_FIELD_VALUES: dict[str, Any] = {
    "image": "https://example.com/first-frame.png",
    "last_image": "https://example.com/last-frame.png",
    "reference_image_urls": [f"https://example.com/reference-{n}.png" for n in range(1, REFERENCES_MIN + 1)],
}


def _smallest_body(model: str, mode: Mode) -> dict[str, Any]:
    # Required fields only: the generated examples cover the optional ones, and a client
    # that assumes `prompt` is always present fails on the image modes' bodies here.
    body: dict[str, Any] = {"model": model}
    if mode in PROMPT_REQUIRED:
        body["prompt"] = _PROMPT
    for name in MODE_FIELDS[mode]:
        body[name] = _FIELD_VALUES[name]
    return body


@cache
def _catalogue_bodies() -> tuple[dict[str, Any], ...]:
    return tuple(_smallest_body(model, mode) for model in MODELS for mode in MODES if mode in modes_for(model))


def catalogue_bodies() -> list[dict[str, Any]]:
    """A valid body for each (model, mode) pair the catalogue allows, with required fields only.

    In catalogue order (models, then modes); fresh copies on every call.
    """
    return [{**body, **{k: list(v) for k, v in body.items() if isinstance(v, list)}} for body in _catalogue_bodies()]


def every_model_and_mode(argname: str | None = None) -> Callable[[_Test], _Test]:
    """Decorate a `@given` test to run first on every body of `catalogue_bodies()`.

    Each body becomes an explicit `@example`, passed positionally, or as `argname=` when
    `@given` names its arguments. Explicit examples come on top of `max_examples`.
    """
    if argname is not None and not argname.isidentifier():
        raise ValueError(f"argname={argname!r} is not a Python argument name")

    def decorate(test: _Test) -> _Test:
        # `example` decorators run in the order they are applied from the bottom up, so
        # applying them in reverse keeps catalogue order.
        for body in reversed(catalogue_bodies()):
            test = example(**{argname: body})(test) if argname is not None else example(body)(test)
        return test

    return decorate
