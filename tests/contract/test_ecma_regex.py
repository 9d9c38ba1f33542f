"""The core reads schema `pattern`s as ECMA-262, agreeing with jsonschema-rs (what schemathesis uses)."""

from __future__ import annotations

import re
import sys
from typing import Any

import jsonschema_rs
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mockserver.contract import ApiError, validate_create
from mockserver.contract.data.ecma_regex import ECMA_WHITESPACE, ecma_patterns, to_python
from mockserver.contract.data.schemas import SCHEMA_FILES, load_json, schema_validator


def schema_patterns() -> list[str]:
    """Every `pattern` in the packaged schemas."""
    found: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "pattern" and isinstance(value, str):
                    found.append(value)
                else:
                    walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    for name in SCHEMA_FILES:
        walk(load_json(name))
    return sorted(set(found))


PATTERNS = schema_patterns()
# Where Python's `re` and ECMA-262 part ways: line ends, the two whitespace sets, digits, words.
TRICKY = "\n\r\x1c\x1d\x1e\x1f\x85\xa0\u2028\ufeff\u0665\u00e9 \t"


def ecma_matches(pattern: str, text: str) -> bool:
    return bool(jsonschema_rs.is_valid({"type": "string", "pattern": pattern}, text))


def test_the_schemas_have_patterns_to_check() -> None:
    assert len(PATTERNS) >= 4  # prompt, image reference, duration string, task id, video URL


@pytest.mark.parametrize(
    ("pattern", "text", "expected"),
    [
        ("^([1-9]|1[0-6])$", "5", True),
        ("^([1-9]|1[0-6])$", "5\n", False),  # Python's `$` would match before the newline
        (r"\S", "\x1d", True),  # not whitespace in ECMA-262, whitespace to str.isspace
        (r"\S", "\ufeff", False),  # whitespace in ECMA-262, not to str.isspace
        (r"\S", " \u3000\t", False),
        (r"^[^\s/?#]+$", "a\x85b", True),
        (r"^\d$", "\u0665", False),  # ECMA `\d` is ASCII only
        (r"^(?<year>[0-9]{4})$", "2024", True),  # named groups, ECMA spelling
        ("^[a[]+$", "[a", True),  # a literal `[` inside a class
    ],
)
def test_to_python_gives_the_ecma_answer(pattern: str, text: str, expected: bool) -> None:
    assert ecma_matches(pattern, text) is expected  # the reference agrees with the table
    assert (re.search(to_python(pattern), text) is not None) is expected


def test_dot_stops_at_every_ecma_line_terminator() -> None:
    # ECMA-262 excludes \r, U+2028 and U+2029 from `.` too (jsonschema-rs does not; our schemas use no `.`).
    for terminator in "\n\r\u2028\u2029":
        assert re.search(to_python("^a.b$"), f"a{terminator}b") is None
    assert re.search(to_python("^a.b$"), "a\x85b") is not None


@pytest.mark.parametrize("pattern", [r"[\S]", "[]", "[^]"])
def test_constructs_without_a_faithful_rewrite_are_refused(pattern: str) -> None:
    with pytest.raises(ValueError, match="class"):
        to_python(pattern)


def test_ecma_whitespace_is_what_ecma_backslash_s_matches() -> None:
    space = jsonschema_rs.validator_for({"type": "string", "pattern": r"^\s$"})
    characters = (chr(code) for code in range(0x10000) if not 0xD800 <= code <= 0xDFFF)
    assert {c for c in characters if space.is_valid(c)} == set(ECMA_WHITESPACE)


def test_ecma_non_space_is_every_code_point_outside_ecma_whitespace() -> None:
    # The rewrite of `\S` leans on Python's own Unicode table; this pins it to ECMA's set.
    not_space = re.compile(to_python(r"\S"))
    wrong = [
        code
        for code in range(sys.maxunicode + 1)
        if (not_space.match(chr(code)) is None) != (chr(code) in ECMA_WHITESPACE)
    ]
    assert wrong == []


@st.composite
def near_misses(draw: st.DrawFn, pattern: str) -> str:
    """A string the pattern matches under Python's reading, with tricky characters spliced in."""
    text = draw(st.from_regex(re.compile(pattern), fullmatch=False).filter(lambda t: len(t) < 200))
    for _ in range(draw(st.integers(0, 3))):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.sampled_from(TRICKY)) + text[at:]
    return text


@pytest.mark.parametrize("pattern", PATTERNS)
def test_every_schema_pattern_agrees_with_jsonschema_rs(pattern: str) -> None:
    compiled = re.compile(to_python(pattern))
    reference = jsonschema_rs.validator_for({"type": "string", "pattern": pattern})

    @settings(max_examples=100, deadline=None, database=None, derandomize=True)
    @given(st.one_of(near_misses(pattern), st.text(alphabet=st.sampled_from(TRICKY + "aZ09/:="), max_size=8)))
    def agree(text: str) -> None:
        assert (compiled.search(text) is not None) == reference.is_valid(text), repr(text)

    agree()


def test_ecma_patterns_rewrites_patterns_only() -> None:
    schema = {"pattern": "^a$", "properties": {"pattern": {"type": "string"}}, "enum": ["^a$"]}
    assert ecma_patterns(schema) == {
        "pattern": to_python("^a$"),
        "properties": {"pattern": {"type": "string"}},
        "enum": ["^a$"],
    }


@pytest.mark.parametrize(
    ("changes", "accepted"),
    [
        ({"duration": "5\n"}, False),
        ({"image": "data:image/png;base64,AAAA\n"}, False),
        ({"image": "https://example.com/a.png\n"}, False),
        ({"prompt": "\ufeff"}, False),  # blank: U+FEFF is ECMA whitespace
        ({"prompt": "\x1d"}, True),  # not blank: U+001D is not
    ],
)
def test_the_core_agrees_with_ecma_tools_on_the_edge_bodies(changes: dict[str, Any], accepted: bool) -> None:
    body = {"model": "viduq3p-720p", "prompt": "a fox", **changes}
    rs_verdict = jsonschema_rs.validator_for(load_json("request.schema.json")).is_valid(body)
    assert rs_verdict is accepted
    assert schema_validator("request").is_valid(body) is accepted
    try:
        validate_create(body)
    except ApiError as error:
        assert not accepted, error.body()
    else:
        assert accepted
