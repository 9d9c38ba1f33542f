"""What the verifier sends: one invalid body per rule the strategies know, and the page's examples.

The invalid bodies are fixed (a verifier run must be repeatable and small), one for each
rule name of `pytest_plugin.invalid_bodies.RULES` except the strict-mode one (a gateway
ignores unknown fields); limits are read from the packaged request schema, so a changed
limit moves the sample with it. A test checks the coverage and that the mock's own core
answers each body with the code and param given here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.contract import MODELS, is_mix_model, is_offpeak_model, load_schema

__all__ = ["INVALID_BODIES", "PAGE_EXAMPLES", "UNKNOWN_MODEL", "BadBody", "PageExample", "create_examples"]

#: A model no gateway offers: a body naming it cannot start a job anywhere (the auth probes carry it).
UNKNOWN_MODEL = "vidu-mock-verify-no-such-model"


@dataclass(frozen=True)
class BadBody:
    """A create body that breaks `rule`; the contract answers it with 400 `code` at `param`."""

    rule: str
    body: Any
    code: str
    param: str | None
    raw: bytes | None = None  # sent as-is instead of `body` (a body that is not JSON)

    @property
    def free(self) -> bool:
        """Whether no gateway can start a job for this body: it is not JSON, or names no catalogue model.

        A body without a model is not free (a gateway may default one), nor an array holding one.
        """
        if self.raw is not None:
            return True
        return isinstance(self.body, dict) and "model" in self.body and self.body["model"] not in MODELS


@dataclass(frozen=True)
class PageExample:
    """One request example of the API page and the mode CONTRACT section 1 gives it."""

    mode: str
    body: dict[str, Any]


# The page's four examples, in its order (text-to-video first); tests/support/page_examples.py holds
# the same bodies for the mock's own tests, and a test keeps the two equal.
PAGE_EXAMPLES: tuple[PageExample, ...] = (
    PageExample(
        "text-to-video",
        {
            "model": "viduq3p-720p",
            "prompt": " camera, and, slow camera push-in. ",
            "aspect_ratio": "16:9",
            "duration": 5,
            "extra_body": {"audio": False, "seed": 42, "bgm": False},
        },
    ),
    PageExample(
        "image-to-video",
        {
            "model": "viduq3t-540p",
            "prompt": " camera, natural motion, camera. ",
            "image": "https://example.com/source.png",
            "duration": 5,
            "extra_body": {"seed": 42},
        },
    ),
    PageExample(
        "first-and-last-frame",
        {
            "model": "viduq3p-1080p-offpeak",
            "prompt": ", keep identity stable, action. ",
            "image": "https://example.com/head.png",
            "last_image": "https://example.com/tail.png",
            "duration": 6,
        },
    ),
    PageExample(
        "reference-to-video",
        {
            "model": "viduq3p-mix-720p",
            "prompt": "A @Image1 walking through a beach in the visual style of @Image2",
            "reference_image_urls": ["https://example.com/ref-1.png", "https://example.com/ref-2.png"],
            "aspect_ratio": "16:9",
            "duration": 5,
            "extra_body": {"audio": False, "seed": 42},
        },
    ),
)

_CHEAPEST = "viduq3t-540p"  # more creates than examples: cycle the examples on the cheapest model


def create_examples(count: int, *, offpeak: bool = False) -> list[PageExample]:
    """The first `count` bodies to create: the page's examples in order, then again on other models.

    Off-peak models (jobs that may wait hours) are left out unless `offpeak` is true: the
    first-and-last-frame example then runs on its on-peak model.
    """
    chosen: list[PageExample] = []
    for n in range(count):
        example = PAGE_EXAMPLES[n % len(PAGE_EXAMPLES)]
        body = dict(example.body)
        if is_offpeak_model(body["model"]) and not offpeak:
            body["model"] = body["model"].removesuffix("-offpeak")
        if n >= len(PAGE_EXAMPLES) and not is_mix_model(body["model"]):
            body["model"] = _CHEAPEST
        chosen.append(PageExample(example.mode, body))
    return chosen


_REQUEST = load_schema("request")
_PROPS: dict[str, Any] = _REQUEST["properties"]
_TEXT = {"model": MODELS[0], "prompt": "a red fox running through fresh snow"}
_IMAGE = "https://example.com/first-frame.png"
_MIX = next(m for m in MODELS if is_mix_model(m))
_PLAIN = next(m for m in MODELS if not is_mix_model(m))
_REFS = {"model": _MIX, "prompt": _TEXT["prompt"], "reference_image_urls": [_IMAGE]}
_MAX_REFS: int = _PROPS["reference_image_urls"]["maxItems"]
_MAX_PROMPT: int = _PROPS["prompt"]["maxLength"]
_MAX_SECONDS: int = next(b for b in _PROPS["duration"]["oneOf"] if b.get("type") == "integer")["maximum"]

INVALID, MISSING, MODE, UNSUPPORTED = "invalid_value", "missing_field", "invalid_mode", "model_not_supported"

#: One body per rule (plus a body that is not JSON at all), in a stable order.
INVALID_BODIES: tuple[BadBody, ...] = (
    BadBody("body not JSON", None, "invalid_json", None, raw=b'{"model": "viduq3p-720p",'),
    BadBody("body not a JSON object", [_TEXT], INVALID, None),
    BadBody("model missing", {"prompt": _TEXT["prompt"]}, MISSING, "model"),
    BadBody("prompt missing", {"model": _PLAIN}, MISSING, "prompt"),
    BadBody("last_image without image", {"model": _PLAIN, "last_image": _IMAGE}, MODE, "last_image"),
    BadBody("-mix- model without references", {**_TEXT, "model": _MIX}, MODE, "model"),
    BadBody("references with a non-mix model", {**_REFS, "model": _PLAIN}, MODE, "model"),
    BadBody("reference images with image or last_image", {**_REFS, "image": _IMAGE}, MODE, "image"),
    BadBody("model not in the catalogue", {**_TEXT, "model": UNKNOWN_MODEL}, UNSUPPORTED, "model"),
    BadBody("model not a string", {**_TEXT, "model": 7}, INVALID, "model"),
    BadBody("prompt blank", {**_TEXT, "prompt": "   "}, INVALID, "prompt"),
    BadBody("prompt too long", {**_TEXT, "prompt": "a" * (_MAX_PROMPT + 1)}, INVALID, "prompt"),
    BadBody("prompt not a string", {**_TEXT, "prompt": ["a fox"]}, INVALID, "prompt"),
    BadBody("image malformed", {"model": _PLAIN, "image": "ftp://example.com/a.png"}, INVALID, "image"),
    BadBody(
        "last_image malformed",
        {"model": _PLAIN, "image": _IMAGE, "last_image": "data:image/gif;base64,R0lG"},
        INVALID,
        "last_image",
    ),
    BadBody(
        "too few or too many reference images",
        {**_REFS, "reference_image_urls": [_IMAGE] * (_MAX_REFS + 1)},
        INVALID,
        "reference_image_urls",
    ),
    BadBody(
        "reference image malformed",
        {**_REFS, "reference_image_urls": [_IMAGE, "example.com/b.png"]},
        INVALID,
        "reference_image_urls[1]",
    ),
    BadBody(
        "reference_image_urls not an array", {**_REFS, "reference_image_urls": _IMAGE}, INVALID, "reference_image_urls"
    ),
    BadBody("aspect_ratio not offered", {**_TEXT, "aspect_ratio": "21:9"}, INVALID, "aspect_ratio"),
    BadBody("duration out of range", {**_TEXT, "duration": _MAX_SECONDS + 1}, INVALID, "duration"),
    BadBody("duration not whole", {**_TEXT, "duration": 5.5}, INVALID, "duration"),
    BadBody("duration string not canonical", {**_TEXT, "duration": "05"}, INVALID, "duration"),
    BadBody("duration of the wrong type", {**_TEXT, "duration": True}, INVALID, "duration"),
    BadBody("extra_body not an object", {**_TEXT, "extra_body": "audio"}, INVALID, "extra_body"),
    BadBody(
        "extra_body option of the wrong type or range",
        {**_TEXT, "extra_body": {"seed": -1}},
        INVALID,
        "extra_body.seed",
    ),
    BadBody(
        "two fields broken: the first in schema order is reported",
        {**_TEXT, "prompt": "", "duration": 0},
        INVALID,
        "prompt",
    ),
)
