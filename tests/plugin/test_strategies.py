"""The Hypothesis strategies: valid bodies the core accepts, invalid ones with their exact error,
response bodies per schema, eager argument checks, coverage and shrinking."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import Phase, find, given, seed, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

import pytest_plugin.strategies as strategies
from mockserver.contract import MODELS, MODES, STATUSES, ApiError, error_spec, is_mix_model, validate_create
from mockserver.contract.data.catalogue import ERRORS, GATEWAY_DIALECTS
from mockserver.contract.data.schemas import schema_validator
from mockserver.contract.dialects import ROUTES, dialect_named
from pytest_plugin.invalid_bodies import RULES
from pytest_plugin.request_rules import MODE_FIELDS, REFERENCES_MAX
from pytest_plugin.strategies import (
    InvalidRequest,
    catalogue_bodies,
    create_requests,
    error_bodies,
    every_model_and_mode,
    invalid_create_requests,
    jobs,
)

FAST = settings(database=None, derandomize=True, deadline=None)


def as_json(value: Any) -> Any:
    """Round-trip through strict JSON, as a client sends it (no NaN, no infinity)."""
    return json.loads(json.dumps(value, allow_nan=False))


def test_all_lists_exactly_the_public_names() -> None:
    public = {name for name in vars(strategies) if not name.startswith(("_", "@"))}  # "@": pytest rewrite
    assert set(strategies.__all__) == public
    assert len(strategies.__all__) == len(set(strategies.__all__))


# --- valid create bodies ---------------------------------------------------------------


@settings(FAST, max_examples=400)
@given(create_requests())
def test_every_body_is_schema_valid_and_accepted(body: dict[str, Any]) -> None:
    assert as_json(body) == body
    schema_validator("request").validate(body)
    assert validate_create(body, strict=True).model == body["model"]


@pytest.mark.parametrize("mode", MODES)
@settings(FAST, max_examples=40)
@given(data=st.data())
def test_pinned_mode_is_the_mode_the_core_decides(mode: Any, data: st.DataObject) -> None:
    body = data.draw(create_requests(mode=mode))
    schema_validator("request").validate(body)
    assert validate_create(body).mode == mode


@settings(FAST, max_examples=150)
@given(data=st.data())
def test_pinned_model_and_mode_are_kept(data: st.DataObject) -> None:
    model = data.draw(st.sampled_from(MODELS))
    modes = [m for m in MODES if (m == "reference-to-video") == is_mix_model(model)]
    mode = data.draw(st.sampled_from(modes))
    for body in (data.draw(create_requests(model=model)), data.draw(create_requests(model=model, mode=mode))):
        schema_validator("request").validate(body)
        assert validate_create(body).model == model
    assert validate_create(body).mode == mode


def draws(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """`count` independent draws from `strategy`, deterministic, in seeded runs of 25.

    Each run's second example is random (its first is Hypothesis' simplest); small batches
    keep a test case under Hypothesis' 8 KB entropy limit.
    """
    found: list[Any] = []
    for run_seed in range(-(-count // BATCH)):
        examples: list[list[Any]] = []

        @seed(run_seed)
        @settings(database=None, deadline=None, max_examples=2, phases=[Phase.generate])
        @given(st.lists(strategy, min_size=BATCH, max_size=BATCH))
        def run(batch: list[Any]) -> None:
            examples.append(batch)  # noqa: B023 - `run` is called before `examples` is rebound

        run()
        found += examples[-1]
    return found[:count]


BATCH = 25


VARIANTS: dict[str, Callable[[dict[str, Any]], bool]] = {
    "prompt absent (image modes)": lambda b: "prompt" not in b,
    "prompt at the length limit": lambda b: len(b.get("prompt", "")) == 2000,
    "optional fields all absent": lambda b: set(b) <= {"model", "prompt", *MODE_FIELDS[validate_create(b).mode]},
    "optional fields all present": lambda b: {"prompt", "aspect_ratio", "duration", "extra_body"} <= set(b),
    "duration as int": lambda b: isinstance(b.get("duration"), int),
    "duration as string": lambda b: isinstance(b.get("duration"), str),
    "https image URL": lambda b: b.get("image", "").startswith("https://"),
    "http image URL": lambda b: b.get("image", "").startswith("http://"),
    "png data URI": lambda b: b.get("image", "").startswith("data:image/png;base64,"),
    "jpeg data URI": lambda b: b.get("last_image", "").startswith("data:image/jpeg;base64,"),
    "webp data URI": lambda b: any(r.startswith("data:image/webp;base64,") for r in b.get("reference_image_urls", [])),
    "one reference": lambda b: len(b.get("reference_image_urls", [])) == 1,
    "the most references": lambda b: len(b.get("reference_image_urls", [])) == REFERENCES_MAX,
    "extra_body audio": lambda b: "audio" in b.get("extra_body", {}),
    "extra_body bgm": lambda b: "bgm" in b.get("extra_body", {}),
    "extra_body seed": lambda b: "seed" in b.get("extra_body", {}),
    "extra_body unknown key": lambda b: bool(set(b.get("extra_body", {})) - {"audio", "bgm", "seed"}),
}


def test_every_variant_is_generated() -> None:
    bodies = draws(create_requests(), 400)
    missing = [name for name, wanted in VARIANTS.items() if not any(map(wanted, bodies))]
    assert not missing


def test_200_draws_cover_every_model_and_mode() -> None:
    """A batch of 200 independent draws holds all models and modes.

    (Within one `@given` run Hypothesis mutates each fresh example a few times, keeping its
    model, so a run's first 200 examples hold only about 40 independent model choices.)
    """
    bodies = draws(create_requests(), 200)
    assert {b["model"] for b in bodies} == set(MODELS)
    assert {validate_create(b).mode for b in bodies} == set(MODES)


def test_a_run_meets_every_mode_within_200_examples() -> None:
    modes: list[str] = []

    @settings(FAST, max_examples=200, phases=[Phase.generate])
    @given(create_requests())
    def run(body: dict[str, Any]) -> None:
        modes.append(validate_create(body).mode)

    run()
    assert set(modes) == set(MODES)


def test_catalogue_bodies_hold_each_allowed_pair_once_with_required_fields_only() -> None:
    bodies = catalogue_bodies()
    pairs = [(validate_create(b).model, validate_create(b).mode) for b in bodies]
    allowed = [
        (model, mode) for model in MODELS for mode in MODES if is_mix_model(model) == (mode == "reference-to-video")
    ]
    assert pairs == allowed
    for body in bodies:
        schema_validator("request").validate(body)
        mode = validate_create(body).mode
        prompt = ("prompt",) if mode in ("text-to-video", "reference-to-video") else ()
        assert set(body) == {"model", *prompt, *MODE_FIELDS[mode]}


def test_catalogue_bodies_are_fresh_copies() -> None:
    first = catalogue_bodies()
    first[-1]["reference_image_urls"].append("https://example.com/changed.png")
    first[0]["model"] = "changed"
    assert catalogue_bodies()[-1]["reference_image_urls"] == ["https://example.com/reference-1.png"]
    assert catalogue_bodies()[0]["model"] == MODELS[0]


@pytest.mark.parametrize("argname", [None, "body"])
@pytest.mark.parametrize("outermost", [True, False])
def test_every_model_and_mode_runs_each_pair_before_generating(argname: str | None, outermost: bool) -> None:
    seen: list[dict[str, Any]] = []

    def record(body: dict[str, Any]) -> None:
        seen.append(body)

    given_ = given(body=create_requests()) if argname else given(create_requests())
    generated = settings(FAST, max_examples=5)
    if outermost:
        every_model_and_mode(argname)(generated(given_(record)))()
    else:
        generated(given_(every_model_and_mode(argname)(record)))()
    explicit = catalogue_bodies()
    assert seen[: len(explicit)] == explicit
    assert len(seen) == len(explicit) + 5


def test_every_model_and_mode_reports_the_failing_pair() -> None:
    @every_model_and_mode()
    @settings(FAST, max_examples=5)
    @given(create_requests())
    def rejects_offpeak(body: dict[str, Any]) -> None:
        assert not body["model"].endswith("-offpeak"), body["model"]

    with pytest.raises(AssertionError, match=r"-offpeak"):
        rejects_offpeak()


def test_every_model_and_mode_refuses_a_name_that_is_not_an_argument_name() -> None:
    with pytest.raises(ValueError, match=r"argname='my body' is not a Python argument name"):
        every_model_and_mode("my body")


def test_every_model_and_mode_names_a_mismatched_argument() -> None:
    @settings(FAST, max_examples=5)
    @given(body=create_requests())
    @every_model_and_mode("request")
    def misnamed(body: dict[str, Any]) -> None:
        pass

    with pytest.raises(InvalidArgument, match=r"'request'"):
        misnamed()


def test_shrinks_to_the_first_model_in_its_simplest_mode() -> None:
    shrink = settings(FAST, phases=[Phase.generate, Phase.shrink], report_multiple_bugs=False)
    assert find(create_requests(), lambda body: True, settings=shrink) == {"model": MODELS[0], "prompt": "0"}
    mix = find(create_requests(), lambda body: is_mix_model(body["model"]), settings=shrink)
    assert mix["model"] == next(m for m in MODELS if is_mix_model(m))
    assert set(mix) == {"model", "prompt", "reference_image_urls"} and len(mix["reference_image_urls"]) == 1


def test_the_mode_table_names_every_catalogue_mode() -> None:
    assert list(MODE_FIELDS) == list(MODES)


# --- invalid create bodies ---------------------------------------------------------------

SCHEMA_SILENT = {"unknown_field"}  # the schema allows extra fields; only strict mode rejects them


@pytest.mark.parametrize("strict", [False, True])
@settings(FAST, max_examples=300)
@given(data=st.data())
def test_invalid_bodies_get_exactly_the_expected_error(strict: bool, data: st.DataObject) -> None:
    example = data.draw(invalid_create_requests(strict=strict))
    assert as_json(example.body) == example.body
    with pytest.raises(ApiError) as raised:
        validate_create(example.body, strict=strict)
    error = raised.value
    assert (error.status, error.code, error.param) == (example.status, example.code, example.param), example.rule
    if example.code not in SCHEMA_SILENT:
        assert not schema_validator("request").is_valid(example.body), example.rule


@settings(FAST, max_examples=30)
@given(invalid_create_requests(code="unknown_field", strict=True))
def test_unknown_fields_pass_a_lenient_server(example: InvalidRequest) -> None:
    validate_create(example.body)
    assert schema_validator("request").is_valid(example.body)


def test_every_rule_is_generated() -> None:
    seen = {example.rule for example in draws(invalid_create_requests(strict=True), 300)}
    assert seen == set(RULES)


@pytest.mark.parametrize("code", ["missing_field", "invalid_value", "model_not_supported", "invalid_mode"])
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_code_keeps_only_that_error(code: str, data: st.DataObject) -> None:
    example = data.draw(invalid_create_requests(code=code))
    assert example.code == code
    with pytest.raises(ApiError) as raised:
        validate_create(example.body)
    assert raised.value.code == code


# --- response bodies ---------------------------------------------------------------------


@pytest.mark.parametrize("status", STATUSES)
@settings(FAST, max_examples=50)
@given(data=st.data())
def test_jobs_are_schema_valid_in_every_status(status: Any, data: st.DataObject) -> None:
    job = data.draw(jobs(status=status))
    schema_validator("job").validate(as_json(job))
    assert job["status"] == status and job["id"] == job["task_id"]


@settings(FAST, max_examples=100)
@given(jobs())
def test_unpinned_jobs_are_schema_valid(job: dict[str, Any]) -> None:
    schema_validator("job").validate(as_json(job))


def validator_for(path: str) -> Any:
    """The compiled validator of a schema file under `schemas/`, named by its path."""
    return schema_validator(path.removesuffix(".schema.json"))


@pytest.mark.parametrize("route", ROUTES)
@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
@pytest.mark.parametrize("status", STATUSES)
@settings(FAST, max_examples=25)
@given(data=st.data())
def test_jobs_follow_each_dialects_schema_for_each_route(
    status: Any, dialect: str, route: Any, data: st.DataObject
) -> None:
    job = data.draw(jobs(status=status, dialect=dialect, route=route))
    validator_for(dialect_named(dialect).schemas.job(route)).validate(as_json(job))
    shown = job["data"]["status"] if route == "generations" and dialect == "new-api" else job["status"]
    assert shown == (dialect_named("new-api").data["task_statuses"][status] if shown.isupper() else status)


@pytest.mark.parametrize("dialect", GATEWAY_DIALECTS)
@settings(FAST, max_examples=60)
@given(data=st.data())
def test_error_bodies_follow_one_of_each_dialects_error_schemas(dialect: str, data: st.DataObject) -> None:
    body = as_json(data.draw(error_bodies(dialect=dialect)))
    files = dialect_named(dialect).schemas.errors
    assert sum(validator_for(path).is_valid(body) for path in files) == 1, body


def test_new_api_error_bodies_use_its_statuses() -> None:
    body = find(error_bodies(dialect="new-api", status=503), lambda b: "error" in b)
    assert body["error"]["type"] == "new_api_error" and body["error"]["code"] in (
        "model_not_found",
        "service_unavailable",
    )
    task = find(error_bodies(dialect="new-api", code="task_not_found"), lambda b: True)
    assert task == {"code": "task_not_exist", "message": "task_not_exist", "data": None}


@pytest.mark.parametrize("spec", ERRORS, ids=[spec.code for spec in ERRORS])
@settings(FAST, max_examples=10)
@given(data=st.data())
def test_error_bodies_follow_the_catalogue(spec: Any, data: st.DataObject) -> None:
    for body in (data.draw(error_bodies(code=spec.code)), data.draw(error_bodies(status=spec.status))):
        schema_validator("error").validate(as_json(body))
        entry = error_spec(body["error"]["code"])
        assert (entry.status, entry.type) == (spec.status, body["error"]["type"])
    assert body["error"]["code"] in {s.code for s in ERRORS if s.status == spec.status}


# --- arguments are checked when the strategy is built -----------------------------------

BAD_CALLS: dict[str, Callable[[], object]] = {
    "unknown mode": lambda: create_requests(mode="audio-to-video"),  # type: ignore[arg-type]
    "unknown model": lambda: create_requests(model="viduq2-720p"),
    "mix model in text mode": lambda: create_requests(mode="text-to-video", model="viduq3p-mix-720p"),
    "base model in reference mode": lambda: create_requests(mode="reference-to-video", model="viduq3p-720p"),
    "unknown code": lambda: invalid_create_requests(code="nope"),
    "code no body gets": lambda: invalid_create_requests(code="task_not_found"),
    "unknown_field without strict": lambda: invalid_create_requests(code="unknown_field"),
    "strict not a bool": lambda: invalid_create_requests(strict="yes"),  # type: ignore[arg-type]
    "unknown job status": lambda: jobs(status="done"),  # type: ignore[arg-type]
    "status not in catalogue": lambda: error_bodies(status=418),
    "status as a bool": lambda: error_bodies(status=True),
    "code not in catalogue": lambda: error_bodies(code="teapot"),
    "code with another status": lambda: error_bodies(status=400, code="task_not_found"),
    "unknown dialect for jobs": lambda: jobs(dialect="openai"),
    "unknown route": lambda: jobs(route="v2"),  # type: ignore[arg-type]
    "unknown dialect for errors": lambda: error_bodies(dialect="openai"),
    "status another dialect answers": lambda: error_bodies(status=404, code="task_not_found", dialect="new-api"),
    "code new-api never renders": lambda: error_bodies(code="admin_forbidden", dialect="new-api"),
}


@pytest.mark.parametrize("call", BAD_CALLS)
def test_bad_arguments_raise_invalid_argument_at_call_time(call: str) -> None:
    with pytest.raises(InvalidArgument):
        BAD_CALLS[call]()
