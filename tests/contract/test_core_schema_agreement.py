"""Property: the JSON Schema (under jsonschema and jsonschema-rs) and the Python core agree on accept/reject for every body."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mockserver.contract.data.catalogue import MODELS
from mockserver.contract.data.schemas import schema_validator
from mockserver.contract.requests.validation import find_problems, schema_accepts

URLS = [
    "https://example.com/a.png",
    "http://x.io/b.jpg",
    "data:image/webp;base64,UklGRg==",
    "ftp://x/a.png",
    "a.png",
    "",
]
VALUES: dict[str, st.SearchStrategy[Any]] = {
    "model": st.sampled_from([*MODELS, "viduq2-720p", "viduq3t-mix-720p", "", 3]),
    "prompt": st.one_of(st.text(max_size=5), st.sampled_from(["a cat", " ", "x" * 2000, "x" * 2001]), st.none()),
    "image": st.sampled_from([*URLS, 1]),
    "last_image": st.sampled_from([*URLS, None]),
    "reference_image_urls": st.one_of(
        st.lists(st.sampled_from(URLS), min_size=0, max_size=9), st.sampled_from(URLS), st.integers()
    ),
    "aspect_ratio": st.sampled_from(["16:9", "9:16", "1:1", "4:3", "3:4", "21:9", 1]),
    "duration": st.one_of(
        st.integers(-2, 18),
        st.sampled_from(["5", "16", "0", "17", "05", " 5", "five", 5.5, 5.0, True, False, None]),
    ),
    "extra_body": st.one_of(
        st.fixed_dictionaries(
            {},
            optional={
                "audio": st.sampled_from([True, False, "true", 0]),
                "bgm": st.sampled_from([True, False, None]),
                "seed": st.sampled_from([0, 42, 2**31 - 1, 2**31, -1, "1", 1.5]),
                "custom": st.integers(),
            },
        ),
        st.sampled_from([[], "x", None]),
    ),
    "unknown": st.integers(),
}


@st.composite
def bodies(draw: st.DrawFn) -> Any:
    """Objects with any subset of the fields, each value valid or not; now and then not an object."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.sampled_from([[], "text", 1, None, True]))
    names = draw(st.sets(st.sampled_from(sorted(VALUES))))
    body = {name: draw(VALUES[name]) for name in sorted(names)}
    if draw(st.booleans()):
        # Half the bodies start valid and vary one or two fields: random fields are rarely
        # all valid at once, and acceptance must be exercised as much as rejection.
        base: dict[str, Any] = {"model": draw(st.sampled_from(MODELS)), "prompt": "a cat"}
        if "-mix-" in base["model"]:
            base["reference_image_urls"] = ["https://example.com/a.png"]
        kept = draw(st.sets(st.sampled_from(sorted(body)), max_size=2)) if body else set()
        body = {**base, **{name: body[name] for name in kept}}
    return body


@settings(max_examples=1500, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(bodies())
def test_schema_and_core_agree(body: Any) -> None:
    schema_ok = schema_validator("request").is_valid(body)
    core_problems = find_problems(body)
    assert schema_ok == (not core_problems), (body, core_problems)
    # The whole-body jsonschema-rs check that lets valid bodies skip the field walk.
    assert schema_accepts(body) == schema_ok, body


def test_the_generator_reaches_both_verdicts() -> None:
    """Guard against a vacuous property: the strategy yields accepted and rejected bodies."""
    seen: set[bool] = set()

    @settings(max_examples=300, deadline=None, database=None)
    @given(bodies())
    def collect(body: Any) -> None:
        seen.add(schema_validator("request").is_valid(body))

    collect()
    assert seen == {True, False}
