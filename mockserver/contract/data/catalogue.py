"""Closed sets and (ours) choices, read from the packaged schemas and catalogue."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, get_args

from mockserver.contract.data.schemas import catalogue_data, load_json, load_schema

Mode = Literal["text-to-video", "image-to-video", "first-and-last-frame", "reference-to-video"]
Status = Literal["queued", "in_progress", "completed", "failed"]

MODES: tuple[Mode, ...] = get_args(Mode)
STATUSES: tuple[Status, ...] = get_args(Status)
# Reply shapes (`mockserver.contract.dialects`); each has its data in `schemas/dialects/<name>/`.
DialectName = Literal["uniall", "new-api", "vidu"]
DIALECT_NAMES: tuple[DialectName, ...] = get_args(DialectName)
DEFAULT_DIALECT: DialectName = "uniall"
# The dialects of the gateway's routes (`/v1/...`); `vidu` speaks Vidu's own `/ent/v2/...` routes instead.
GatewayDialect = Literal["uniall", "new-api"]
GATEWAY_DIALECTS: tuple[GatewayDialect, ...] = get_args(GatewayDialect)

_data = catalogue_data()
# The API's collection path (create; task polls and videos sit below it) and the admin API's prefix.
COLLECTION: str = _data["api"]["collection"]
ADMIN_PREFIX: str = _data["api"]["admin_prefix"]
# The publisher's compatibility poll route: `{VIDEOS}/{task_id}` answers like `{COLLECTION}/{task_id}` (rev 2).
VIDEOS: str = _data["api"]["videos"]
# What a task id looks like (`^…$`), as the job schema says.
TASK_ID_PATTERN: str = load_schema("job")["$defs"]["taskId"]["pattern"]
# The literal start of every task id (`task_`), read off that pattern.
TASK_ID_PREFIX: str = TASK_ID_PATTERN[1 : TASK_ID_PATTERN.index("[")]
MODELS: tuple[str, ...] = tuple(load_schema("request")["properties"]["model"]["enum"])
_OFFPEAK_SUFFIX: str = _data["models"]["offpeak_suffix"]
_MIX_MARKER: str = _data["models"]["mix_marker"]


def is_offpeak_model(model: str) -> bool:
    """Whether `model` is scheduled off-peak (its job waits longer in `queued`)."""
    return model.endswith(_OFFPEAK_SUFFIX)


def is_mix_model(model: str) -> bool:
    """Whether `model` is a reference-to-video (`-mix-`) model."""
    return _MIX_MARKER in model


@dataclass(frozen=True, slots=True)
class ErrorSpec:
    """One entry of the error catalogue (CONTRACT section 3)."""

    status: int
    type: str
    code: str
    message: str
    retry_after: bool = False


ERRORS: tuple[ErrorSpec, ...] = tuple(ErrorSpec(**entry) for entry in _data["errors"])
_vidu = load_json("dialects/vidu/dialect.json")
# Vidu's error reasons (its error-code page): codes of their own, so `ApiError("TaskNotFound")` and
# an injected `CreditInsufficient` work in every dialect; `ERRORS` stays the gateway's catalogue.
VIDU_REASONS: dict[str, ErrorSpec] = {
    reason: ErrorSpec(status, "vidu_error", reason, message, retry_after=status == 429)
    for reason, (status, message) in _vidu["reasons"].items()
}
VIDU_INJECTABLE: frozenset[str] = frozenset(_vidu["injectable"])
# The reasons a failed task can show as its `err_code` (a job plan's `reason`).
ENDING_REASONS: tuple[str, ...] = tuple(_vidu["ending_reasons"])
# Vidu's models: task ids number them after the gateway's (`MODELS`), so old ids keep their meaning.
VIDU_MODELS: tuple[str, ...] = tuple(load_json("dialects/vidu/request.schema.json")["properties"]["model"]["enum"])
_BY_CODE = {**VIDU_REASONS, **{spec.code: spec for spec in ERRORS}}
INJECTABLE_STATUSES: frozenset[int] = frozenset(_data["injectable_statuses"])
LIFECYCLE_DEFAULTS: dict[str, float | str] = dict(_data["lifecycle"])


def error_spec(code: str) -> ErrorSpec:
    """Return the catalogue entry for `code`; a `KeyError` names the unknown code."""
    return _BY_CODE[code]


def injectable_spec(selector: str | int) -> ErrorSpec:
    """Resolve an injection selector: a status (the first entry with it) or a code name.

    Raises `ValueError` for a selector the catalogue cannot inject.
    """
    text = str(selector).strip()
    if text.isdigit():
        status = int(text)
        if status in INJECTABLE_STATUSES:
            for spec in ERRORS:
                if spec.status == status:
                    return spec
        raise ValueError(f"status {text} cannot be injected; choose one of {sorted(INJECTABLE_STATUSES)}")
    by_code = _BY_CODE.get(text)
    if text in VIDU_INJECTABLE:
        return VIDU_REASONS[text]
    if by_code is None or by_code.status not in INJECTABLE_STATUSES or by_code.code in VIDU_REASONS:
        raise ValueError(f"unknown error code {text!r}")
    return by_code
