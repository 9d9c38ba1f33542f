"""Readers: each create route's request turned into the one create input the create logic takes.

`POST /v1/video/generations` takes the body of CONTRACT §1 as it is. `POST /v1/videos` takes
new-api's `TaskSubmitReq` (`prompt, model, mode, image, images, size, duration, seconds,
input_reference, metadata`) as JSON or as `multipart/form-data` (the OpenAI SDK's way), and
maps it onto that same body: the images choose the mode as new-api's Vidu adaptor does (none:
text-to-video, one: image-to-video, two: first-and-last-frame, more: reference-to-video), so
the two routes share one set of rules and one catalogue. Refusals name the fields as the
client sent them (`images[1]`, `seconds`, `metadata.seed`); docs/contract.md lists each rule
and where new-api's own checks were read.
"""

from __future__ import annotations

import contextlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

import jsonschema_rs

from mockserver.contract.data.catalogue import MODELS, Mode
from mockserver.contract.data.schemas import load_schema
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.requests.multipart_form import Upload, read_form
from mockserver.contract.requests.validation import check_create, classify_mode

__all__ = ["FIELDS", "MAX_UPLOAD_BYTES", "CreateInput", "read_create", "videos_request_schema"]

_REQUEST = load_schema("request")
FIELDS = ("prompt", "model", "mode", "image", "images", "size", "duration", "seconds", "input_reference", "metadata")
"""new-api's `TaskSubmitReq` (relay/common/relay_info.go): what `POST /v1/videos` reads."""
_TEXT_FIELDS = ("prompt", "mode", "image", "size", "seconds", "input_reference")
_SOURCES = ("image", "images", "input_reference")
# An upload may be as large as the image inline as a data URI may be (base64: 4 characters per 3 bytes).
MAX_UPLOAD_BYTES: int = _REQUEST["$defs"]["imageReference"]["maxLength"] * 3 // 4
_SECONDS_PATTERN = re.compile(
    next(c for c in _REQUEST["properties"]["duration"]["oneOf"] if c["type"] == "string")["pattern"]
)
# new-api's MaxTaskDurationSeconds and its refusal (relay/common/relay_utils.go, validateTaskDurationBounds).
_MAX_TASK_SECONDS = 3600
# An upload stands in the canonical body as this (it was checked here, by its bytes).
_UPLOADED = "data:image/png;base64,iVBORw0KGgo="
_NOT_BLANK = jsonschema_rs.validator_for(
    {"type": "string", "minLength": 1, "pattern": _REQUEST["properties"]["prompt"]["pattern"]}
)
# The mode rules' sentences (validation.py) in this route's terms.
_MODE_WORDS = (
    ("needs reference_image_urls (reference-to-video)", "needs 3 or more images (reference-to-video)"),
    ("reference_image_urls needs a -mix- model", "3 or more images need a -mix- model"),
)


@dataclass(slots=True)
class CreateInput:
    """One create request, read: what failure rules match on, what the journal keeps, and what to check."""

    body: Any = None
    journal: Any = None
    model: str | None = None
    mode: Mode | None = None
    refusal: ApiError | None = None  # refused before the rules (Content-Type, unreadable body)
    fields: dict[str, Any] | None = None  # `/v1/videos`: the request's fields, for its own checks
    names: dict[str, str] = field(default_factory=dict)  # canonical field -> the name the client sent

    @property
    def prompt(self) -> str | None:
        prompt = self.body.get("prompt") if isinstance(self.body, dict) else None
        return prompt if isinstance(prompt, str) else None

    def use_model(self, model: str) -> None:
        """Take `model` whatever the body names (a remix runs on its origin task's model)."""
        self.model = model
        if isinstance(self.body, dict):
            self.body["model"] = model
        if self.fields is not None:
            self.fields["model"] = model

    def check(self, *, strict: bool) -> tuple[str, Mode]:
        """The model and mode of a valid request, or raise the `ApiError` for the first thing wrong."""
        if self.refusal is not None:
            raise self.refusal
        if self.fields is None or not isinstance(self.body, dict):
            return check_create(self.body, strict=strict, mode=self.mode)
        model = self.body.get("model")
        try:
            if not isinstance(model, str) or model not in MODELS:
                check_create(self.body)  # the routing layer's model refusal comes first, as in new-api
            _check_task_request(self.fields, strict=strict)
            return check_create(self.body, strict=strict, mode=self.mode)
        except ApiError as error:
            raise self._renamed(error) from None

    def _renamed(self, error: ApiError) -> ApiError:
        def rename(text: str) -> str:
            head = re.match(r"[A-Za-z_]+(\[\d+\])?", text)
            if head is None:
                return text
            name = self.names.get(head.group(0)) or self.names.get(head.group(0).split("[")[0])
            if name is None:
                return text
            rest = text[head.end() :] if head.group(0) in self.names else text[len(head.group(0).split("[")[0]) :]
            return name + rest

        message = "; ".join(rename(part) for part in error.message.split("; "))
        for canonical, said in _MODE_WORDS:
            message = message.replace(canonical, said)
        return ApiError(error.code, message, None if error.param is None else rename(error.param))


def _content_type(headers: dict[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


def read_create(request: Incoming, headers: dict[str, str], route: str, max_body_bytes: int) -> CreateInput:
    """Read a create request on `route` (`generations` or `videos`); never raises."""
    content_type = _content_type(headers)
    if route == "generations":
        return _read_generations(request.body, content_type)
    if content_type == "multipart/form-data":
        return _read_multipart(request.body, headers.get("content-type", ""), min(max_body_bytes, MAX_UPLOAD_BYTES))
    read = _read_videos_json(request.body) if _is_json(content_type) else CreateInput()
    if not _is_json(content_type):
        read.refusal = ApiError(
            "unsupported_media_type",
            f"Content-Type is {content_type or 'missing'!r}; send application/json or multipart/form-data.",
        )
    return read


def _read_generations(raw: bytes, content_type: str) -> CreateInput:
    read = CreateInput()
    try:
        read.body = read.journal = parse_json_body(raw)
    except ApiError as bad_json:
        read.refusal = bad_json
    if not _is_json(content_type):
        read.refusal = ApiError(
            "unsupported_media_type", f"Content-Type is {content_type or 'missing'!r}; send application/json."
        )
    if isinstance(read.body, dict):
        model = read.body.get("model")
        read.model = model if isinstance(model, str) else None
        read.mode = classify_mode(read.body)
    return read


def _read_videos_json(raw: bytes) -> CreateInput:
    try:
        parsed = parse_json_body(raw)
    except ApiError as bad_json:
        return CreateInput(refusal=bad_json)
    if not isinstance(parsed, dict):
        return CreateInput(body=parsed, journal=parsed, fields={})
    return _from_fields(parsed, parsed)


def _read_multipart(raw: bytes, content_type: str, max_part_bytes: int) -> CreateInput:
    try:
        form = read_form(raw, content_type, max_part_bytes)
    except ApiError as broken:
        return CreateInput(refusal=broken)
    fields: dict[str, Any] = {}
    metadata: dict[str, Any] = {}
    for name, values in form.fields.items():
        if name == "images":
            fields[name] = values
        elif name == "input_reference[image_url]":  # the SDK's reference object, flattened
            fields["input_reference"] = values[0]
        elif name in FIELDS:
            fields[name] = values[0]
        else:
            metadata[name] = _form_number(values[0])  # new-api: unknown form fields become metadata
    if "metadata" in fields:
        with contextlib.suppress(ValueError):  # left a string: refused below as not an object
            fields["metadata"] = json.loads(fields["metadata"])
    elif metadata:
        fields["metadata"] = metadata
    upload = form.files.get("input_reference")
    if upload is not None and "input_reference" not in fields:
        fields["input_reference"] = upload
    journal = {**{k: v for k, v in fields.items() if not isinstance(v, Upload)}}
    journal |= {name: file.described() for name, file in form.files.items()}
    return _from_fields(fields, journal)


def _form_number(value: str) -> Any:
    """new-api's reading of an unknown form field: an int, else a float, else the text."""
    for kind in (int, float):
        try:
            number = kind(value)
        except ValueError:
            continue
        return number if number == number and abs(number) != float("inf") else value
    return value


def _from_fields(fields: dict[str, Any], journal: Any) -> CreateInput:
    """The canonical CONTRACT §1 body for `fields`, and the names to report problems under."""
    images: list[Any] = []
    sources: list[str] = []
    listed = fields.get("images")
    if isinstance(listed, list):
        images += listed
        sources += [f"images[{i}]" for i in range(len(listed))]
    for name in ("image", "input_reference"):
        if name in fields:
            images.append(_UPLOADED if isinstance(fields[name], Upload) else fields[name])
            sources.append(name)
    body: dict[str, Any] = {key: fields[key] for key in ("model", "prompt") if key in fields}
    names: dict[str, str] = {}
    if len(images) in (1, 2):
        for key, value, source in zip(("image", "last_image"), images, sources, strict=False):
            body[key], names[key] = value, source
    elif images:
        body["reference_image_urls"], names["reference_image_urls"] = images, "images"
        names |= {f"reference_image_urls[{i}]": source for i, source in enumerate(sources)}
    for key in ("duration", "seconds"):
        if key in fields and "duration" not in body:
            body["duration"], names["duration"] = fields[key], key
    if "metadata" in fields:
        body["extra_body"], names["extra_body"] = fields["metadata"], "metadata"
    model = body.get("model")
    return CreateInput(
        body=body,
        journal=journal,
        model=model if isinstance(model, str) else None,
        mode=classify_mode(body),
        fields=fields,
        names=names,
    )


def _check_task_request(fields: dict[str, Any], *, strict: bool) -> None:
    """new-api's own checks (ValidateBasicTaskRequest), then the route's: field types, prompt, seconds, images."""
    for name in _TEXT_FIELDS:
        value = fields.get(name)
        if name in fields and not isinstance(value, str | Upload):
            raise _not_a(name, value, "string")
    images = fields.get("images")
    if "images" in fields and not (isinstance(images, list) and all(isinstance(i, str) for i in images)):
        raise _not_a("images", images, "[]string")
    if "metadata" in fields and not isinstance(fields["metadata"], dict):
        raise ApiError("invalid_value", "metadata: must be a JSON object", "metadata")
    if not _has_text(fields.get("prompt")):
        raise ApiError("invalid_request", "prompt is required", "prompt")
    for name in ("duration", "seconds"):
        seconds = _as_int(fields.get(name))
        if seconds is not None and not 0 <= seconds <= _MAX_TASK_SECONDS:
            raise ApiError("invalid_seconds", f"seconds must be between 1 and {_MAX_TASK_SECONDS}", name)
    given = [name for name in _SOURCES if name in fields]
    if len(given) > 1:
        raise ApiError("invalid_mode", f"{given[1]}: give one of image, images or input_reference", given[1])
    if images == []:
        raise ApiError("invalid_value", "images: must hold at least 1 items, got 0", "images")
    seconds = fields.get("seconds")
    if "duration" in fields and isinstance(seconds, str) and not _SECONDS_PATTERN.fullmatch(seconds):
        raise ApiError(
            "invalid_value", f"seconds: must be a whole number of seconds from 1 to 16, got {seconds!r}", "seconds"
        )
    if strict:
        for name in fields:
            if name not in FIELDS:
                raise ApiError("unknown_field", f"{name[:40]!r}: unknown field (strict mode)", name)


def _has_text(prompt: Any) -> bool:
    """Whether `prompt` is a string the prompt rule calls not blank (ECMA-262 `\\S`, as the schema reads it)."""
    try:
        return isinstance(prompt, str) and _NOT_BLANK.is_valid(prompt)
    except Exception:  # a lone surrogate cannot cross into Rust; it is a character, so not blank
        return isinstance(prompt, str) and bool(prompt)


def _as_int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and re.fullmatch(r"[+-]?\d{1,12}", value.strip()):
        return int(value)
    return None


def _not_a(name: str, value: Any, kind: str) -> ApiError:
    got = (
        "null"
        if value is None
        else {dict: "object", list: "array", bool: "bool", str: "string"}.get(type(value), "number")
    )
    # encoding/json's wording, as new-api returns it with the code invalid_request.
    return ApiError(
        "invalid_request",
        f"json: cannot unmarshal {got} into Go struct field TaskSubmitReq.{name} of type {kind}",
        name,
    )


def videos_request_schema() -> dict[str, Any]:
    """The JSON Schema of a `POST /v1/videos` body, built from the request schema's own parts."""
    props = _REQUEST["properties"]
    image = {"$ref": "#/$defs/imageReference"}
    mix = next(rule["then"]["properties"]["model"] for rule in _REQUEST["allOf"] if "reference" in rule["description"])
    string = {"type": "string"}
    return {
        "$schema": _REQUEST["$schema"],
        "title": "CreateVideoRequest",
        "description": "Body of POST /v1/videos: new-api's TaskSubmitReq, as JSON or multipart/form-data. The number "
        "of images (image, images or input_reference: one of them) picks the mode; prompt is always required.",
        "type": "object",
        "required": ["model", "prompt"],
        "properties": {
            "model": props["model"],
            "prompt": props["prompt"],
            "mode": {**string, "description": "Accepted and not used (the images pick the mode)."},
            "image": {**image, "description": "One image: image-to-video."},
            "images": {
                "description": "1 image: image-to-video; 2: first-and-last-frame; 3 or more: reference-to-video (-mix-).",
                "type": "array",
                "minItems": 1,
                "maxItems": props["reference_image_urls"]["maxItems"],
                "items": image,
            },
            "input_reference": {**image, "description": "One image (a URL or data URI here; a file upload in a form)."},
            "size": {**string, "description": "Accepted and not used (the model names the resolution)."},
            "duration": props["duration"],
            "seconds": {
                **next(c for c in props["duration"]["oneOf"] if c["type"] == "string"),
                "description": "Seconds, as the OpenAI SDK sends them.",
            },
            "metadata": {
                **props["extra_body"],
                "description": "Pass-through options (new-api hands them to the upstream).",
            },
        },
        "allOf": [
            {
                "description": "One image source at most.",
                "not": {
                    "anyOf": [
                        {"required": list(pair)}
                        for pair in (("image", "images"), ("image", "input_reference"), ("images", "input_reference"))
                    ]
                },
            },
            {
                "description": "Three or more images: reference-to-video, a -mix- model; otherwise any other model.",
                "if": {"required": ["images"], "properties": {"images": {"minItems": 3}}},
                "then": {"properties": {"model": mix}},
                "else": {"properties": {"model": {"not": mix}}},
            },
        ],
        "$defs": {"imageReference": _REQUEST["$defs"]["imageReference"]},
    }
