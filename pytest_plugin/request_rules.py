"""The create-request rules the strategies build on, read once from the packaged schema.

Models, modes, aspect ratios and every limit come from `mockserver.contract`; only the
mode decision table (which fields make which mode) is written here, independently of the
core's `validation.py`, so the strategies can predict its verdicts rather than copy them.
"""

from __future__ import annotations

import re
from typing import Any

from mockserver.contract import MODELS, MODES, Mode, is_mix_model, load_schema

_SCHEMA = load_schema("request")
_PROPERTIES: dict[str, Any] = _SCHEMA["properties"]

#: Top-level fields in schema order, which is also the order problems are reported in.
FIELDS: tuple[str, ...] = tuple(_PROPERTIES)
ASPECT_RATIOS: tuple[str, ...] = tuple(_PROPERTIES["aspect_ratio"]["enum"])
PROMPT_MAX_LENGTH: int = _PROPERTIES["prompt"]["maxLength"]
REFERENCES_MIN: int = _PROPERTIES["reference_image_urls"]["minItems"]
REFERENCES_MAX: int = _PROPERTIES["reference_image_urls"]["maxItems"]
_INTEGER_DURATION = next(b for b in _PROPERTIES["duration"]["oneOf"] if b.get("type") == "integer")
DURATION_MIN: int = _INTEGER_DURATION["minimum"]
DURATION_MAX: int = _INTEGER_DURATION["maximum"]
#: The type-checked `extra_body` options, name -> subschema (`type`, maybe `minimum`/`maximum`).
EXTRA_BODY_OPTIONS: dict[str, dict[str, Any]] = _PROPERTIES["extra_body"]["properties"]


def _image_mime_types() -> tuple[str, ...]:
    pattern: str = _SCHEMA["$defs"]["imageReference"]["pattern"]
    found = re.search(r"data:image/\(([\w+|.-]+)\);base64,", pattern)
    if found is None:  # pragma: no cover - only if the schema's data-URI form changes
        raise RuntimeError(f"cannot read the data-URI image types from {pattern!r}")
    return tuple(found.group(1).split("|"))


#: Image types a `data:image/<type>;base64,` reference may name.
IMAGE_MIME_TYPES: tuple[str, ...] = _image_mime_types()

#: Mode decision table (CONTRACT section 1): the frame/reference fields each mode carries.
MODE_FIELDS: dict[Mode, tuple[str, ...]] = {
    "text-to-video": (),
    "image-to-video": ("image",),
    "first-and-last-frame": ("image", "last_image"),
    "reference-to-video": ("reference_image_urls",),
}
#: Modes where `prompt` is required (it is optional in the two image modes). A tuple, not
#: a set: strategies built by iterating it must not depend on the hash seed.
PROMPT_REQUIRED: tuple[Mode, ...] = ("text-to-video", "reference-to-video")
#: The one mode that needs, and the only mode that allows, a `-mix-` model.
REFERENCE_MODE: Mode = "reference-to-video"

if set(MODE_FIELDS) != set(MODES):  # pragma: no cover - the catalogue gained or lost a mode
    raise RuntimeError(f"the mode table {sorted(MODE_FIELDS)} no longer matches the catalogue {sorted(MODES)}")


def models_for(mode: Mode) -> tuple[str, ...]:
    """Catalogue models usable in `mode`, in catalogue order."""
    return tuple(m for m in MODELS if is_mix_model(m) == (mode == REFERENCE_MODE))


def other_models(mode: Mode) -> tuple[str, ...]:
    """Catalogue models that cannot be used in `mode`."""
    return tuple(m for m in MODELS if m not in models_for(mode))


def modes_for(model: str) -> tuple[Mode, ...]:
    """Modes `model` can be used in, in catalogue order."""
    return tuple(mode for mode in MODES if model in models_for(mode))
