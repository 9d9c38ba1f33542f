"""Field values that each break one request rule, built from templates known to miss it.

Nothing here asks a validator whether a value is bad; the strategies in
`invalid_bodies` predict the error from which template produced the value.
"""

from __future__ import annotations

import base64
import copy
from collections.abc import Callable
from typing import Any

from hypothesis import strategies as st

from mockserver.contract import MODELS
from pytest_plugin.request_rules import (
    ASPECT_RATIOS,
    DURATION_MAX,
    DURATION_MIN,
    EXTRA_BODY_OPTIONS,
    IMAGE_MIME_TYPES,
    PROMPT_MAX_LENGTH,
    REFERENCES_MAX,
    REFERENCES_MIN,
)
from pytest_plugin.valid_bodies import extra_bodies, http_urls, image_references

__all__ = [
    "bad_aspect_ratios",
    "bad_extra_option_bodies",
    "bad_image_references",
    "bad_reference_counts",
    "blank_prompts",
    "duration_strings",
    "fractional_durations",
    "long_prompts",
    "out_of_range_durations",
    "reference_lists_with_a_bad_item",
    "unsupported_models",
    "values_not_of_type",
]

_TYPE_SAMPLES: dict[str, tuple[Any, ...]] = {
    "null": (None,),
    "boolean": (True, False),
    "integer": (0, 7, -1),
    "number": (1.5, -0.25),
    "string": ("", "5", "true"),
    "array": ([], ["x"]),
    "object": ({}, {"value": 1}),
}


def values_not_of_type(*kinds: str) -> st.SearchStrategy[Any]:
    """JSON values of none of the JSON Schema types `kinds` (`number` includes `integer`)."""
    excluded = {*kinds, *(("integer",) if "number" in kinds else ())}
    samples = [value for kind, values in _TYPE_SAMPLES.items() if kind not in excluded for value in values]
    return st.sampled_from(samples).map(copy.deepcopy)  # fresh lists/dicts: callers may mutate bodies


_MODEL_TYPOS: tuple[Callable[[str], str], ...] = (
    str.upper,
    lambda model: f" {model}",
    lambda model: f"{model}-beta",
    lambda model: model[:-1],
    lambda model: model.replace("-", "_"),
)
#: Strings that are not catalogue models: near misses of real ones, and arbitrary text.
unsupported_models = st.one_of(
    st.builds(lambda typo, model: typo(model), st.sampled_from(_MODEL_TYPOS), st.sampled_from(MODELS)),
    st.text(max_size=24),
).filter(lambda model: model not in MODELS)

#: Empty or whitespace-only prompts.
blank_prompts = st.text(st.sampled_from(" \t\n\r\x0b\x0c\xa0\u2003\u3000\u2028\ufeff"), max_size=6)
_SENTENCE = "a red fox runs through the snow. "
#: Non-blank prompts 1 to 64 characters over the limit.
long_prompts = st.integers(1, 64).map(
    lambda extra: (_SENTENCE * (PROMPT_MAX_LENGTH // len(_SENTENCE) + 3))[: PROMPT_MAX_LENGTH + extra]
)

_PAYLOADS = st.binary(min_size=1, max_size=24).map(lambda raw: base64.b64encode(raw).decode("ascii"))
_MIMES = st.sampled_from(IMAGE_MIME_TYPES)
_OTHER_MIMES = st.sampled_from(["gif", "bmp", "svg+xml", "tiff", "avif"]).filter(lambda m: m not in IMAGE_MIME_TYPES)


def _other_scheme(scheme: str, url: str) -> str:
    return scheme + url[url.index("://") :]


def _no_host(url: str) -> str:
    scheme, rest = url.split("://", 1)
    return f"{scheme}:///{rest.split('/', 1)[1]}"


def _with_whitespace(reference: str, at: int, space: str) -> str:
    at %= len(reference) + 1
    return reference[:at] + space + reference[at:]


def _swap_char(payload: str, at: int, char: str) -> str:
    at %= len(payload)
    return payload[:at] + char + payload[at + 1 :]


# Spaces and tabs are whitespace in every regex dialect a schema validator might use.
_BAD_REFERENCE_STRINGS = st.one_of(
    st.builds(_other_scheme, st.sampled_from(["ftp", "file", "s3", "ws", "blob"]), http_urls),
    http_urls.map(lambda url: url.split("://", 1)[1]),
    http_urls.map(_no_host),
    st.builds(_with_whitespace, image_references, st.integers(0, 200), st.sampled_from([" ", "\t"])),
    st.builds("data:image/{};base64,{}".format, _OTHER_MIMES, _PAYLOADS),
    st.builds("data:text/plain;base64,{}".format, _PAYLOADS),
    st.builds("data:image/{},{}".format, _MIMES, _PAYLOADS),
    _MIMES.map("data:image/{};base64,".format),
    st.builds("data:image/{};base64,{}".format, _MIMES, _PAYLOADS.map(lambda payload: payload[:-1])),
    st.builds(
        "data:image/{};base64,{}".format,
        _MIMES,
        st.builds(_swap_char, _PAYLOADS, st.integers(0, 40), st.sampled_from(["-", "_", "!"])),
    ),
    st.sampled_from(["", "a.png", "/images/a.png", "//example.com/a.png"]),
)
#: Image references that are neither an http(s) URL with a host nor a valid data URI.
bad_image_references = st.one_of(_BAD_REFERENCE_STRINGS, values_not_of_type("string"))

_too_few = [st.lists(image_references, max_size=REFERENCES_MIN - 1)] if REFERENCES_MIN > 0 else []
#: Reference lists with too few or too many (valid) items.
bad_reference_counts = st.one_of(
    *_too_few, st.lists(image_references, min_size=REFERENCES_MAX + 1, max_size=REFERENCES_MAX + 3)
)


def _insert(references: list[str], bad: Any, at: int) -> tuple[list[Any], int]:
    at = min(at, len(references))
    return [*references[:at], bad, *references[at:]], at


#: `(list, index)`: an allowed number of references, exactly one of them (at `index`) bad.
reference_lists_with_a_bad_item = st.builds(
    _insert,
    st.lists(image_references, min_size=max(REFERENCES_MIN - 1, 0), max_size=REFERENCES_MAX - 1),
    bad_image_references,
    st.integers(0, REFERENCES_MAX - 1),
)

#: Strings and other values that are not an offered aspect ratio.
bad_aspect_ratios = st.one_of(
    st.one_of(
        st.sampled_from(["21:9", "16/9", "16x9", "16:9 ", " 1:1", "1:1.0", "9:21", "auto"]), st.text(max_size=6)
    ).filter(lambda ratio: ratio not in ASPECT_RATIOS),
    values_not_of_type("string"),
)

_TOO_SHORT = st.integers(max_value=DURATION_MIN - 1)
_TOO_LONG = st.integers(min_value=DURATION_MAX + 1)
#: Whole numbers outside the allowed seconds, as ints and as integral floats (`17.0`).
out_of_range_durations = st.one_of(
    _TOO_SHORT,
    _TOO_LONG,
    st.integers(DURATION_MIN - 1000, DURATION_MIN - 1).map(float),
    st.integers(DURATION_MAX + 1, DURATION_MAX + 1000).map(float),
)
#: Numbers with a fractional part, e.g. `5.5`.
fractional_durations = st.builds(
    lambda whole, part: whole + part, st.integers(DURATION_MIN - 1, DURATION_MAX), st.sampled_from([0.5, 0.25, 0.1])
)
_SECONDS = st.integers(DURATION_MIN, DURATION_MAX)
#: Strings that are not the canonical decimal form of an allowed duration.
duration_strings = st.one_of(
    st.builds(
        lambda form, seconds: form.format(seconds),
        st.sampled_from(["0{}", " {}", "{} ", "{}.0", "+{}", "{}s", "{}\t"]),
        _SECONDS,
    ),
    st.one_of(_TOO_SHORT, _TOO_LONG).map(str),
    st.sampled_from(["", "five", "ten seconds", "1e1"]),
)


def _bad_option(schema: dict[str, Any]) -> st.SearchStrategy[Any]:
    kind: str = schema["type"]
    strategies = [values_not_of_type(kind)]
    if "minimum" in schema:
        strategies.append(st.integers(max_value=schema["minimum"] - 1))
    if "maximum" in schema:
        strategies.append(st.integers(min_value=schema["maximum"] + 1))
    return st.one_of(strategies)


def _bad_options(name: str, schema: dict[str, Any]) -> st.SearchStrategy[tuple[str, Any]]:
    return st.tuples(st.just(name), _bad_option(schema))


def _with_option(extra: dict[str, Any], option: tuple[str, Any]) -> tuple[dict[str, Any], str]:
    name, value = option
    return {**extra, name: value}, name


#: `(extra_body, name)`: a valid `extra_body` with known option `name` of the wrong type or range.
bad_extra_option_bodies = st.builds(
    _with_option, extra_bodies, st.one_of([_bad_options(n, s) for n, s in EXTRA_BODY_OPTIONS.items()])
)
