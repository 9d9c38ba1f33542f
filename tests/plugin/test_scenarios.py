"""Scenarios: the value and its story, the strategy's arguments and shrinking, and playing them."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis.errors import InvalidArgument

from pytest_plugin import VideoAPI, VideoServer
from pytest_plugin.scenario import OK, Scenario
from pytest_plugin.strategies import JobEnd, Step, job_ends, scenarios, steps
from tests.support.scenario_clients import GaveUp, JobFailed, VideoClient

BASE = "https://video-gateway.example.test"
AUTH = {"Authorization": "Bearer sk-test"}
FIXTURE = settings(suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
RETRYABLE_ERRORS = ("429", "500", "502", "503", "504")


# -- the value -------------------------------------------------------------------------------
def test_the_story_reads_as_one_line_and_parses_back() -> None:
    scenario = Scenario(
        create=(Step(error="503"),),
        poll=(OK, Step(fault="reset"), Step(delay_ms=20)),
        content=(Step(error="insufficient_quota"),),
        jobs=(JobEnd("fail"), JobEnd(), JobEnd("succeed", 1)),
    )
    story = (
        "Scenario(create: 503 then ok; poll: ok, reset, delay 20ms then ok; content: insufficient_quota then ok; "
        "job 1: fails generation_failed; job 2: completes after 2 polls; job 3: completes after 1 poll)"
    )
    assert repr(scenario) == story
    assert Scenario.parse(story) == scenario
    assert Scenario.parse("job 2: stalls").jobs == (JobEnd(), JobEnd("stall"))


def test_a_cap_is_part_of_the_story() -> None:
    scenario = Scenario.parse("create: 429 then ok; cap: 1 per token")
    assert scenario.token_concurrency == 1 and not scenario.normal
    assert repr(scenario) == "Scenario(create: 429 then ok; cap: 1 per token)"
    assert Scenario.parse(repr(scenario)) == scenario
    assert repr(Scenario(token_concurrency=2)) == "Scenario(cap: 2 per token)"
    assert Scenario.parse("cap: 0 per token") == Scenario()


def test_trailing_normal_steps_and_jobs_are_dropped() -> None:
    assert Scenario(create=(OK, OK), jobs=(JobEnd(),)) == Scenario()
    assert repr(Scenario()) == "Scenario(all ok)" and Scenario().normal
    assert Scenario(poll=(OK, Step(error="500"), OK)).poll == (OK, Step(error="500"))


def test_scripts_become_rules_by_position() -> None:
    rules = Scenario.parse("poll: ok, ok, 503, 503, reset then ok; create: 429 then ok").rules()
    assert [(r.endpoint, r.error or r.fault, r.times, r.after) for r in rules] == [
        ("create", "429", 1, 0),
        ("poll", "503", 2, 2),
        ("poll", "reset", 1, 0),
    ]


@pytest.mark.parametrize(
    ("story", "message"),
    [
        ("create: 418 then ok", "status 418 cannot be injected"),
        ("poll: reset", "a script ends with 'then ok'"),
        ("job 1: explodes", "not a job end"),
        ("upload: 503 then ok", "unknown part 'upload'"),
        ("cap: many", "not a cap: 'many'; say 'cap: N per token'"),
        ("cap: 101 per token", "token_concurrency must be an integer from 0"),
    ],
)
def test_a_bad_story_is_one_clear_error(story: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        Scenario.parse(story)


# -- the strategy ------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "arguments",
    [
        {"endpoints": ["upload"]},
        {"errors": [418]},
        {"errors": ["teapot"]},
        {"faults": ["slow"]},
        {"outcomes": ["explodes"]},
        {"outcomes": []},
        {"max_steps": -1},
        {"max_steps": 1.5},
        {"max_jobs": True},
        {"max_polls": 0},
        {"max_delay_ms": 60_001},
        {"endpoints": 3.5},
        {"max_token_concurrency": -1},
        {"max_token_concurrency": 51},
    ],
)
def test_bad_arguments_raise_invalid_argument_at_once(arguments: dict[str, Any]) -> None:
    with pytest.raises(InvalidArgument):
        scenarios(**arguments)  # not drawn from: the error comes from the call itself


@given(
    scenarios(
        endpoints="poll", errors=["503"], faults=["reset"], max_delay_ms=0, outcomes="fails", max_steps=2, max_jobs=1
    )
)
def test_narrowed_scenarios_stay_inside_their_arguments(scenario: Scenario) -> None:
    assert scenario.create == scenario.content == ()
    assert {str(s) for s in scenario.poll} <= {"ok", "503", "reset"}
    assert scenario.misbehaving <= 2
    assert [end.outcome for end in scenario.jobs] == ["fail"]


def lost_jobs(scenario: Scenario) -> int:
    """Jobs the create script may leave behind unheard of: a fault acts after the job is made, a delay may outlast the client."""
    return sum(step.fault is not None or step.delay_ms > 0 for step in scenario.create)


@given(scenarios(max_steps=4))
def test_drawn_scenarios_respect_the_budget_and_parse_back(scenario: Scenario) -> None:
    assert scenario.misbehaving <= 4
    # A cap by default (up to 2), with a slot more for each job a create fault or delay may leave behind.
    assert scenario.token_concurrency == 0 or 1 <= scenario.token_concurrency - lost_jobs(scenario) <= 2
    assert Scenario.parse(repr(scenario)) == scenario


@given(scenarios(max_token_concurrency=3, endpoints="create", max_steps=3))
def test_drawn_caps_stay_inside_their_bound_leave_room_and_parse_back(scenario: Scenario) -> None:
    assert scenario.token_concurrency == 0 or 1 <= scenario.token_concurrency - lost_jobs(scenario) <= 3
    assert Scenario.parse(repr(scenario)) == scenario


@given(scenarios(max_token_concurrency=0, max_steps=4))
def test_no_cap_is_drawn_when_told_so(scenario: Scenario) -> None:
    assert scenario.token_concurrency == 0


def test_a_cap_beside_a_create_fault_has_room_for_the_lost_job() -> None:
    found = find(
        scenarios(endpoints="create", errors=(), faults="reset", max_delay_ms=0, max_jobs=0),
        lambda s: s.token_concurrency > 0 and s.create != (),
    )
    assert found == Scenario.parse("create: reset then ok; cap: 2 per token")


def test_a_cap_is_drawn_and_shrinks_to_one_with_all_else_normal() -> None:
    assert find(scenarios(max_token_concurrency=3), lambda s: s.token_concurrency > 0) == Scenario(token_concurrency=1)
    assert find(scenarios(max_token_concurrency=3), lambda s: s.token_concurrency > 2).token_concurrency == 3


def test_the_simplest_scenario_is_all_normal() -> None:
    assert find(scenarios(), lambda s: True) == Scenario()
    assert find(steps(), lambda s: True) == OK
    assert find(job_ends(), lambda e: True) == JobEnd()


def test_each_kind_of_misbehaviour_is_drawn() -> None:
    stories: list[str] = []

    @settings(max_examples=300, database=None)
    @given(scenarios())
    def collect(scenario: Scenario) -> None:
        stories.append(repr(scenario))

    collect()
    text = " ".join(stories)
    words = ["429", "500", "502", "503", "504", "insufficient_quota", "reset", "empty", "malformed", "timeout"]
    words += ["delay", "stalls", "fails", "completes after 1 poll", "create:", "poll:", "content:", "job 2:"]
    words += ["cap: 1 per token", "cap: 2 per token"]
    assert [word for word in words if word not in text] == []


# -- shrinking finds the smallest scenario that breaks a planted bug ----------------------------------
def breaks(client_knobs: dict[str, Any], api: VideoAPI) -> Callable[[Scenario], bool]:
    """Whether a client with these knobs misreads how the scenario's job ended."""

    def predicate(scenario: Scenario) -> bool:
        with api.play(scenario), httpx.Client(base_url=BASE, headers=AUTH) as http:
            client = VideoClient(http, **client_knobs)
            try:
                video = client.generate()
            except (JobFailed, GaveUp):
                video = None
            except (httpx.HTTPError, ValueError):
                return True  # an error the client should have handled
            if client.seen.task_id is None:
                return True
            outcome = api.task(client.seen.task_id).outcome
            return (video is not None) != (outcome == "succeed")

    return predicate


SEARCH = settings(database=None, max_examples=500, derandomize=True)


@pytest.mark.parametrize(
    ("bug", "knobs", "minimal"),
    [
        ("no retries at all", {"attempts": 1}, "create: 429 then ok"),
        ("does not retry 502", {"retry_statuses": frozenset({429, 500, 503, 504})}, "create: 502 then ok"),
        ("a malformed body is fatal", {"retry_malformed": False}, "create: malformed then ok"),
        ("stops polling too soon", {"max_polls": 2}, "job 1: completes after 3 polls"),
        ("never looks at 'failed'", {"check_failed": False}, "job 1: fails generation_failed"),
        ("downloads once", {"retry_downloads": False}, "content: 429 then ok"),
    ],
)
def test_shrinking_reaches_the_minimal_scenario_for_a_planted_bug(
    bug: str, knobs: dict[str, Any], minimal: str
) -> None:
    with VideoAPI() as api:
        found = find(scenarios(errors=RETRYABLE_ERRORS), breaks(knobs, api), settings=SEARCH)
    assert repr(found) == f"Scenario({minimal})", bug


def test_the_careful_client_has_no_counterexample() -> None:
    with VideoAPI() as api:
        predicate = breaks({}, api)
        for scenario in map(Scenario.parse, ["create: reset, 503, malformed then ok", "job 1: stalls"]):
            assert not predicate(scenario)


# -- playing -------------------------------------------------------------------------------------
@FIXTURE
@given(scenarios(errors=RETRYABLE_ERRORS))
def test_a_client_that_retries_and_polls_within_bounds_passes(video_api: VideoAPI, scenario: Scenario) -> None:
    with video_api.play(scenario), httpx.Client(base_url=BASE, headers=AUTH) as http:
        client = VideoClient(http)
        try:
            video = client.generate()
        except JobFailed as failed:
            assert str(failed) == "generation_failed"
            video = None
        except GaveUp:
            video = None
    assert client.seen.task_id is not None
    outcome = video_api.task(client.seen.task_id).outcome
    assert (video is not None) == (outcome == "succeed")
    if outcome == "stall":
        assert video_api.state(client.seen.task_id).status == "in_progress"


def test_play_resets_first_and_leaves_nothing_queued(video_api: VideoAPI) -> None:
    video_api.queue_failure(500)
    video_api.plan_job("fail")
    with httpx.Client(base_url=BASE, headers=AUTH) as http:
        http.post("/v1/video/generations", json={"model": "viduq3p-720p", "prompt": "x"})
        with video_api.play(Scenario.parse("create: ok, 503, 503 then ok; poll: delay 5ms then ok; job 1: stalls")):
            assert len(video_api.journal) == 0 and video_api.delays == []
            answers = [
                http.post("/v1/video/generations", json={"model": "viduq3p-720p", "prompt": "x"}) for _ in range(4)
            ]
            task_id = answers[0].json()["id"]
            http.get(f"/v1/video/generations/{task_id}")
        assert not video_api.pending_failures and not video_api.pending_jobs
    assert [a.status_code for a in answers] == [200, 503, 503, 200]
    assert [(e.endpoint, e.status, e.injected) for e in video_api.journal] == [
        ("create", 200, None),
        ("create", 503, "rule:503"),
        ("create", 503, "rule:503"),
        ("create", 200, None),
        ("poll", 200, "rule:delay"),
    ]
    assert video_api.task(task_id).outcome == "stall" and [d.delay_ms for d in video_api.delays] == [5]


@pytest.mark.parametrize("face", ["video_api", "video_server"])
def test_a_cap_holds_for_the_block_and_the_cap_before_is_back(face: str, request: pytest.FixtureRequest) -> None:
    control: VideoAPI | VideoServer = request.getfixturevalue(face)
    base = BASE if isinstance(control, VideoAPI) else control.url
    create = {"model": "viduq3p-720p", "prompt": "x"}
    with httpx.Client(base_url=base, headers=AUTH, timeout=10) as http:
        with control.play(Scenario.parse("cap: 1 per token")):
            assert control.token_concurrency == 1
            first = http.post("/v1/video/generations", json=create)
            assert first.status_code == 200, first.text
            refused = http.post("/v1/video/generations", json=create)
            assert refused.status_code == 429, refused.text
            assert refused.json()["error"]["code"] == "token_concurrency_limit_reached"
            control.complete(first.json()["id"])
            assert http.post("/v1/video/generations", json=create).status_code == 200  # the first is done
        assert control.token_concurrency == 0
        assert [http.post("/v1/video/generations", json=create).status_code for _ in range(2)] == [200, 200]


# Only the cap varies (no endpoint scripted, no job planned): 0, 1, 2 or 3 tasks in flight per token.
CAPS = scenarios(endpoints=(), max_jobs=0, max_token_concurrency=3)
CREATE = {"model": "viduq3p-720p", "prompt": "a fox"}


def creates_at_once(control: VideoAPI | VideoServer, http: httpx.Client, scenario: Scenario) -> None:
    """With a cap of N, N+1 creates sent at once with one token: N get through, one gets new-api's 429."""
    cap = scenario.token_concurrency
    with control.play(scenario), ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(lambda _: http.post("/v1/video/generations", json=CREATE), range((cap or 3) + 1)))
        admitted = [a for a in answers if a.status_code == 200]
        refused = [a for a in answers if a.status_code != 200]
        assert len(admitted) == (cap or 3) + (0 if cap else 1), [a.text for a in refused]
        assert [(a.status_code, a.json()["error"]["code"]) for a in refused] == (
            [(429, "token_concurrency_limit_reached")] if cap else []
        )
        other = http.post("/v1/video/generations", json=CREATE, headers={"Authorization": "Bearer sk-other"})
        assert other.status_code == 200  # another token has slots of its own
        if cap:
            control.complete(admitted[0].json()["id"])  # a task that ends frees its slot
            assert http.post("/v1/video/generations", json=CREATE).status_code == 200
    # The refusals are journaled as refused creates, no task made (the gate comes before the task handler).
    assert [(e.status, e.task_id) for e in control.requests("create", status=429)] == [(429, None)] * (1 if cap else 0)


@settings(max_examples=8)  # the fixtures' health check and deadline come from the plugin
@given(scenario=CAPS)
def test_a_drawn_cap_is_applied_in_process(video_api: VideoAPI, scenario: Scenario) -> None:
    with httpx.Client(base_url=BASE, headers=AUTH) as http:
        creates_at_once(video_api, http, scenario)


@settings(max_examples=8)  # the fixtures' health check and deadline come from the plugin
@given(scenario=CAPS)
def test_a_drawn_cap_is_applied_on_the_live_server(video_server: VideoServer, scenario: Scenario) -> None:
    with httpx.Client(base_url=video_server.url, headers=AUTH, timeout=10) as http:
        creates_at_once(video_server, http, scenario)


def test_the_drawn_caps_cover_none_and_each_bound() -> None:
    drawn: set[int] = set()

    @settings(max_examples=8, database=None)
    @given(CAPS)
    def collect(scenario: Scenario) -> None:
        drawn.add(scenario.token_concurrency)

    collect()
    assert drawn == {0, 1, 2, 3}  # what the two tests above were given


def test_play_refuses_what_is_not_a_scenario(video_api: VideoAPI) -> None:
    with pytest.raises(TypeError, match="play\\(\\) takes a Scenario, got str"), video_api.play("create: 503"):  # type: ignore[arg-type]
        pass


@pytest.mark.video_api(lifecycle="time")
def test_poll_counts_need_the_step_lifecycle(video_api: VideoAPI) -> None:
    with (
        pytest.raises(ValueError, match="needs the step lifecycle"),
        video_api.play(Scenario.parse("job 1: completes after 3 polls")),
    ):
        pass
    with video_api.play(Scenario.parse("job 1: fails generation_failed")):
        assert [p.outcome for p in video_api.pending_jobs] == ["fail"]
