"""Strategies for valid create bodies, and the field values they are built from."""

from __future__ import annotations

import base64
import string
from functools import cache
from typing import Any

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract import MODELS, MODES, Mode
from pytest_plugin.request_rules import (
    ASPECT_RATIOS,
    DURATION_MAX,
    DURATION_MIN,
    EXTRA_BODY_OPTIONS,
    IMAGE_MIME_TYPES,
    MODE_FIELDS,
    PROMPT_MAX_LENGTH,
    PROMPT_REQUIRED,
    REFERENCES_MAX,
    REFERENCES_MIN,
    models_for,
    modes_for,
)

__all__ = [
    "body_strategies",
    "create_requests",
    "data_uris",
    "extra_bodies",
    "hosts",
    "http_urls",
    "image_references",
    "json_values",
    "prompts",
]


def _has_visible_char(text: str) -> bool:
    # JSON Schema's `\S` is ECMA-262's, which also counts U+FEFF as space; Python's
    # `isspace` adds U+001C-U+001F and U+0085. Needing a char neither calls space is safe.
    return any(not (char.isspace() or char == "\ufeff") for char in text)


_NOTABLE_PROMPTS = (
    "a red fox running through fresh snow",
    "@Image1 walks along a beach at sunset with @Image2",
    "一只狐狸在雪地里奔跑",
    "  padded with spaces  ",
    "x" * PROMPT_MAX_LENGTH,  # the longest prompt allowed
)
#: Non-blank prompts within the length limit, from short random text to the longest allowed.
prompts = st.one_of(
    st.text(min_size=1, max_size=80).filter(_has_visible_char),
    st.sampled_from(_NOTABLE_PROMPTS),
)

_LABELS = st.text(string.ascii_lowercase + string.digits, min_size=1, max_size=12)
#: URL hosts: names, a port, IPv4 and IPv6 literals.
hosts = st.one_of(
    st.sampled_from(["example.com", "cdn.example.org:8443", "127.0.0.1", "[::1]"]),
    st.builds("{}.example.net".format, _LABELS),
)
_PATHS = st.text(string.ascii_letters + string.digits + "-._~/=&?#", max_size=30)
#: `http(s)://host/path` URLs with a host and no whitespace.
http_urls = st.builds("{}://{}/{}".format, st.sampled_from(["https", "http"]), hosts, _PATHS)

# A real signature first, so clients that sniff image types see a plausible file.
_MAGIC = {"png": b"\x89PNG\r\n\x1a\n", "jpeg": b"\xff\xd8\xff", "webp": b"RIFF\x00\x00\x00\x00WEBP"}


def _data_uri(mime: str, payload: bytes) -> str:
    encoded = base64.b64encode(_MAGIC.get(mime, b"") + payload).decode("ascii")
    return f"data:image/{mime};base64,{encoded}"


#: `data:image/<type>;base64,` URIs with a non-empty, correctly padded payload.
data_uris = st.builds(_data_uri, st.sampled_from(IMAGE_MIME_TYPES), st.binary(min_size=1, max_size=48))
#: Image references: http(s) URLs and data URIs.
image_references = st.one_of(http_urls, data_uris)

#: Any JSON value (no NaN or infinity), small; for pass-through options.
json_values: st.SearchStrategy[Any] = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=10),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=4,
)


def _option_values(name: str, schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind = schema.get("type")
    if kind == "boolean":
        return st.booleans()
    if kind == "integer":
        return st.integers(schema.get("minimum"), schema.get("maximum"))
    raise RuntimeError(f"extra_body.{name}: no strategy for schema {schema!r}")  # pragma: no cover


_UNKNOWN_OPTIONS = st.one_of(
    st.sampled_from(["movement_amplitude", "watermark", "style"]), st.text(min_size=1, max_size=12)
).filter(lambda key: key not in EXTRA_BODY_OPTIONS)
#: `extra_body` objects: known options (each present or absent) plus unknown pass-through keys.
extra_bodies = st.builds(
    lambda known, unknown: {**unknown, **known},
    st.fixed_dictionaries({}, optional={k: _option_values(k, s) for k, s in EXTRA_BODY_OPTIONS.items()}),
    st.dictionaries(_UNKNOWN_OPTIONS, json_values, max_size=2),
)

_DURATIONS = st.integers(DURATION_MIN, DURATION_MAX)
_FIELD_VALUES: dict[str, st.SearchStrategy[Any]] = {
    "prompt": prompts,
    "image": image_references,
    "last_image": image_references,
    "reference_image_urls": st.lists(image_references, min_size=REFERENCES_MIN, max_size=REFERENCES_MAX),
    "aspect_ratio": st.sampled_from(ASPECT_RATIOS),
    "duration": st.one_of(_DURATIONS, _DURATIONS.map(str)),
    "extra_body": extra_bodies,
}


def _mode_fields(mode: Mode) -> st.SearchStrategy[dict[str, Any]]:
    required = (*(("prompt",) if mode in PROMPT_REQUIRED else ()), *MODE_FIELDS[mode])
    optional = [f for f in ("prompt", "aspect_ratio", "duration", "extra_body") if f not in required]
    return st.fixed_dictionaries(
        {f: _FIELD_VALUES[f] for f in required}, optional={f: _FIELD_VALUES[f] for f in optional}
    )


#: Per mode: every field of a valid body except `model`.
body_strategies: dict[Mode, st.SearchStrategy[dict[str, Any]]] = {mode: _mode_fields(mode) for mode in MODES}


@st.composite
def _bodies(
    draw: st.DrawFn, models: st.SearchStrategy[str], modes_by_model: dict[str, st.SearchStrategy[Mode]]
) -> dict[str, Any]:
    # Model first, uniformly, then one of its modes: every model is equally likely, and
    # shrinking heads for the first model in its simplest (text-to-video) mode.
    model = draw(models)
    mode = draw(modes_by_model[model])
    return {"model": model, **draw(body_strategies[mode])}


def create_requests(*, mode: Mode | None = None, model: str | None = None) -> st.SearchStrategy[dict[str, Any]]:
    """Valid `POST /v1/video/generations` bodies, for every mode and model of the catalogue.

    Optional fields are present or absent; `duration` is an int or its canonical string;
    images are http(s) URLs or base64 data URIs; `extra_body` mixes known and unknown keys.
    `mode=` and/or `model=` pin the mode or model.
    """
    if mode is not None and mode not in MODES:
        raise InvalidArgument(f"mode={mode!r} is not a mode; choose one of {', '.join(MODES)}")
    if model is not None and model not in MODELS:
        raise InvalidArgument(f"model={model!r} is not in the catalogue; choose one of {', '.join(MODELS)}")
    if model is not None and mode is not None and model not in models_for(mode):
        raise InvalidArgument(
            f"model={model!r} cannot be used in mode={mode!r}; that mode takes {', '.join(models_for(mode))}"
        )
    return _create_requests(mode, model)


@cache  # built once per arguments, as Hypothesis caches its own strategies
def _create_requests(mode: Mode | None, model: str | None) -> st.SearchStrategy[dict[str, Any]]:
    models = (model,) if model is not None else models_for(mode) if mode is not None else MODELS
    modes_by_model = {m: st.sampled_from([mode] if mode is not None else modes_for(m)) for m in models}
    return _bodies(st.sampled_from(models), modes_by_model)
