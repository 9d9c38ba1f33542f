"""Hypothesis strategies for `POST /v1/videos` (the OpenAI-compatible create): valid requests, as JSON or
as a `multipart/form-data` form the way the OpenAI SDK sends it, and invalid ones with the error to expect.

A valid request starts from a valid `POST /v1/video/generations` body (`create_requests`) and
says the same thing in new-api's `TaskSubmitReq` words: the images move to `image`, `images`
or `input_reference` (a file upload in a form), `duration` may become `seconds`, `extra_body`
becomes `metadata`. The expected errors follow from the rule broken, never from the core.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from typing import Any, Literal

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract import MODELS, MODES, Mode, error_spec, is_mix_model
from pytest_plugin.valid_bodies import create_requests, http_urls, image_references, prompts

__all__ = ["InvalidVideoRequest", "VideoRequest", "invalid_video_create_requests", "video_create_requests"]

Encoding = Literal["json", "multipart"]
ENCODINGS: tuple[Encoding, ...] = ("json", "multipart")
_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 8


@dataclass(frozen=True)
class VideoRequest:
    """One `POST /v1/videos` request: its fields, how they are sent, and the mode it asks for.

    `fields` are JSON values (`encoding="json"`) or form values (`"multipart"`: text, lists of
    text for repeated parts, and `files` for uploads). `send_kwargs()` gives httpx's or
    requests' `json=` or `data=`/`files=` for it.
    """

    fields: dict[str, Any]
    encoding: Encoding
    mode: Mode
    files: dict[str, tuple[str, bytes, str]] = field(default_factory=dict)

    def send_kwargs(self) -> dict[str, Any]:
        """Keyword arguments for `httpx.post(url, **...)` (or `requests.post`)."""
        if self.encoding == "json":
            return {"json": self.fields}
        # Text parts as (None, value) "files": a multipart body even with no upload, as the SDK sends.
        parts: list[tuple[str, Any]] = []
        for name, value in self.fields.items():
            parts += [(name, (None, str(item))) for item in (value if isinstance(value, list) else [value])]
        return {"files": parts + list(self.files.items())}


@dataclass(frozen=True)
class InvalidVideoRequest:
    """An invalid `POST /v1/videos` request and the error the mock answers it with (catalogue status)."""

    request: VideoRequest
    status: int
    code: str
    param: str | None
    rule: str


def _check(mode: Mode | None, model: str | None, encoding: str | None) -> None:
    if mode is not None and mode not in MODES:
        raise InvalidArgument(f"mode={mode!r} is not a mode; choose one of {', '.join(MODES)}")
    if model is not None and model not in MODELS:
        raise InvalidArgument(f"model={model!r} is not in the catalogue; choose one of {', '.join(MODELS)}")
    if encoding is not None and encoding not in ENCODINGS:
        raise InvalidArgument(f"encoding={encoding!r} must be one of {', '.join(ENCODINGS)}")


def video_create_requests(
    *, mode: Mode | None = None, model: str | None = None, encoding: Encoding | None = None
) -> st.SearchStrategy[VideoRequest]:
    """Valid `POST /v1/videos` requests for every mode and model, as JSON or a form (`encoding=` pins one).

    Reference-to-video takes three or four images here (fewer pick another mode); a form's
    single image is sometimes an uploaded file, as the OpenAI SDK's `input_reference` sends it.
    """
    _check(mode, model, encoding)
    if model is not None and mode is not None:
        create_requests(mode=mode, model=model)  # raises InvalidArgument for a model the mode cannot take
    return _video_create_requests(mode, model, encoding)


@cache
def _video_create_requests(
    mode: Mode | None, model: str | None, encoding: Encoding | None
) -> st.SearchStrategy[VideoRequest]:
    return _said_anew(create_requests(mode=mode, model=model), st.sampled_from([encoding] if encoding else ENCODINGS))


@st.composite
def _said_anew(
    draw: st.DrawFn, bodies: st.SearchStrategy[dict[str, Any]], encodings: st.SearchStrategy[Encoding]
) -> VideoRequest:
    """A valid old-route body said in `/v1/videos` words."""
    body, encoding = draw(bodies), draw(encodings)
    form = encoding == "multipart"
    fields: dict[str, Any] = {"model": body["model"], "prompt": body.get("prompt") or draw(prompts)}
    files: dict[str, tuple[str, bytes, str]] = {}
    images = [body[k] for k in ("image", "last_image") if k in body] + list(body.get("reference_image_urls", ()))
    if "reference_image_urls" in body:
        images += draw(st.lists(image_references, min_size=max(0, 3 - len(images)), max_size=4 - len(images)))
    if len(images) == 1:
        source = draw(st.sampled_from(("image", "images", "input_reference", *(("upload",) if form else ()))))
        if source == "upload":
            files["input_reference"] = ("reference.png", _PNG, "image/png")
        else:
            fields[source] = images if source == "images" else images[0]
    elif images:
        fields["images"] = images
    if "duration" in body:
        name = draw(st.sampled_from(("duration", "seconds")))
        fields[name] = str(body["duration"]) if form or name == "seconds" else body["duration"]
    if "extra_body" in body:
        fields["metadata"] = json.dumps(body["extra_body"]) if form else body["extra_body"]
    fields |= draw(st.fixed_dictionaries({}, optional={"size": st.just("1280x720"), "mode": st.just("std")}))
    modes: tuple[Mode, ...] = ("text-to-video", "image-to-video", "first-and-last-frame")
    return VideoRequest(fields, encoding, modes[len(images)] if len(images) < 3 else "reference-to-video", files)


_RULES = (
    "prompt missing or blank",
    "seconds outside 0 to 3600",
    "seconds outside 1 to 16",
    "a JSON field of the wrong type",
    "two image sources",
    "three or more images with a non-mix model",
    "a -mix- model with fewer than three images",
    "more than four images",
    "a bad image reference",
    "an unknown model",
)


def _invalid(request: VideoRequest, code: str, param: str | None, rule: str) -> InvalidVideoRequest:
    return InvalidVideoRequest(request, error_spec(code).status, code, param, rule)


def _with(request: VideoRequest, **changes: Any) -> VideoRequest:
    fields = {k: v for k, v in {**request.fields, **changes}.items() if v is not None}
    return VideoRequest(fields, request.encoding, request.mode, request.files)


@st.composite
def _broken(draw: st.DrawFn, rule: str) -> InvalidVideoRequest:
    text = video_create_requests(
        mode="text-to-video", model=draw(st.sampled_from([m for m in MODELS if not is_mix_model(m)]))
    )
    base: VideoRequest = draw(text)
    json_only = base.encoding == "json"
    if rule == _RULES[0]:
        return _invalid(
            _with(base, prompt=draw(st.sampled_from([None, "", "  ", "\n\t"]))), "invalid_request", "prompt", rule
        )
    if rule == _RULES[1]:
        seconds = draw(st.one_of(st.integers(3601, 10**9), st.integers(-(10**9), -1)))
        return _invalid(_with(base, duration=None, seconds=str(seconds)), "invalid_seconds", "seconds", rule)
    if rule == _RULES[2]:
        return _invalid(
            _with(base, duration=None, seconds=str(draw(st.integers(17, 3600)))), "invalid_value", "seconds", rule
        )
    if rule == _RULES[3] and json_only:
        name, value = draw(
            st.sampled_from([("prompt", 5), ("seconds", 8), ("images", "x"), ("size", [1]), ("mode", None)])
        )
        return _invalid(
            _with(base, **{name: value}) if value is not None else _with_null(base, name), "invalid_request", name, rule
        )
    if rule == _RULES[4]:
        url = draw(http_urls)
        return _invalid(_with(base, image=url, images=[url]), "invalid_mode", "images", rule)
    if rule == _RULES[5]:
        return _invalid(
            _with(base, images=draw(st.lists(http_urls, min_size=3, max_size=4))), "invalid_mode", "model", rule
        )
    if rule == _RULES[6]:
        mix = draw(st.sampled_from([m for m in MODELS if is_mix_model(m)]))
        return _invalid(
            _with(base, model=mix, images=draw(st.lists(http_urls, min_size=1, max_size=2))),
            "invalid_mode",
            "model",
            rule,
        )
    if rule == _RULES[7]:
        mix = draw(st.sampled_from([m for m in MODELS if is_mix_model(m)]))
        return _invalid(
            _with(base, model=mix, images=draw(st.lists(http_urls, min_size=5, max_size=7))),
            "invalid_value",
            "images",
            rule,
        )
    if rule == _RULES[8]:
        images = draw(st.lists(http_urls, min_size=2, max_size=2))
        at = draw(st.integers(0, 1))
        images[at] = draw(st.sampled_from(["ftp://example.com/a.png", "not a url", "data:image/gif;base64,R0lG"]))
        return _invalid(_with(base, images=images), "invalid_value", f"images[{at}]", rule)
    name = draw(st.sampled_from(["sora-2", "viduq2", "viduq3p-4k", ""]))
    return _invalid(_with(base, model=name), "model_not_supported", "model", _RULES[9])


def _with_null(request: VideoRequest, name: str) -> VideoRequest:
    return VideoRequest({**request.fields, name: None}, request.encoding, request.mode, request.files)


def invalid_video_create_requests(*, code: str | None = None) -> st.SearchStrategy[InvalidVideoRequest]:
    """Invalid `POST /v1/videos` requests (JSON or form), each with the exact expected error.

    One rule is broken per example: new-api's own checks (`invalid_request`, `invalid_seconds`)
    and the old route's rules in this route's words. `code=` keeps only that error code.
    """
    codes = sorted({"invalid_request", "invalid_seconds", "invalid_value", "invalid_mode", "model_not_supported"})
    if code is not None and code not in codes:
        raise InvalidArgument(f"code={code!r} is not an error a /v1/videos request can get; choose one of {codes}")
    return _invalid_video_create_requests(code)


@cache
def _invalid_video_create_requests(code: str | None) -> st.SearchStrategy[InvalidVideoRequest]:
    return st.sampled_from(_RULES).flatmap(_broken).filter(lambda bad: code in (None, bad.code) and bad.rule in _RULES)
