"""A client that waits for callbacks, against every delivery fault: the careful one copes, each
naive one fails, and its failing case shrinks to one readable step."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, find, given, settings

from mockserver.contract.callbacks import CALLBACK_FAULTS
from pytest_plugin.callback_receiver import CallbackReceiver
from pytest_plugin.options import DEFAULT_SETTINGS
from pytest_plugin.scenario import Scenario
from pytest_plugin.strategies import scenarios
from pytest_plugin.video_api import VideoAPI
from tests.support.callback_clients import BASE, CallbackClient

# Many examples, each a create and a settle: left out of the fast inner loop (-m 'not slow').
pytestmark = pytest.mark.slow

OUTCOMES = ("completes", "fails")  # the harness finishes each job through the admin API
SEARCH = settings(database=None, max_examples=300, derandomize=True)


@pytest.fixture(scope="module")
def fake() -> Iterator[tuple[VideoAPI, CallbackReceiver]]:
    receiver = CallbackReceiver()
    with VideoAPI(DEFAULT_SETTINGS.with_updates(dialect="vidu"), base_url=BASE) as api:
        api.receive_callbacks(receiver)
        yield api, receiver


def run(api: VideoAPI, receiver: CallbackReceiver, scenario: Scenario, **knobs: Any) -> tuple[CallbackClient, str]:
    """Play `scenario`: a client creates a task, the job runs to its end, the client settles; also the true end."""
    receiver.clear()
    with api.play(scenario), httpx.Client(base_url=BASE, headers={"Authorization": f"Token {receiver.token}"}) as http:
        client = CallbackClient(api, receiver, **knobs)
        task_id = client.create(http)
        api.advance(task_id)  # processing
        truth = api.advance(task_id).status  # its planned end
        client.settle(http)
    return client, {"completed": "success", "failed": "failed"}[truth]


def wrong(client: CallbackClient, truth: str) -> bool:
    """Whether the client ended believing something false, acted twice, or trusted a forgery."""
    return client.state != truth or client.downloads != (1 if truth == "success" else 0) or client.trusted_unsigned > 0


def breaks(api: VideoAPI, receiver: CallbackReceiver, **knobs: Any) -> Callable[[Scenario], bool]:
    def predicate(scenario: Scenario) -> bool:
        try:
            client, truth = run(api, receiver, scenario, **knobs)
        except ValueError:
            return True  # a body it could not take
        return wrong(client, truth)

    return predicate


def callback_scenarios(faults: tuple[str, ...] = CALLBACK_FAULTS) -> Any:
    return scenarios(endpoints=(), outcomes=OUTCOMES, max_jobs=1, callback_faults=faults, max_callback_steps=2)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(scenario=callback_scenarios())
def test_the_careful_client_copes_with_every_fault(fake: tuple[VideoAPI, CallbackReceiver], scenario: Scenario) -> None:
    client, truth = run(*fake, scenario)
    assert not wrong(client, truth), (client.state, client.downloads, truth)


def test_every_fault_is_drawn() -> None:
    seen: set[str] = set()

    def all_seen(scenario: Scenario) -> bool:
        seen.update(step.fault for step in scenario.callbacks)
        return seen == set(CALLBACK_FAULTS)

    find(callback_scenarios(), all_seen, settings=SEARCH)


@pytest.mark.parametrize(
    ("bug", "knobs", "faults", "minimal"),
    [
        (
            "acts on each delivery",
            {"ignore_repeats": False, "final_is_final": False},
            CALLBACK_FAULTS,
            "job 1: success delivered twice",
        ),
        (
            "lets a late delivery undo the end",
            {"final_is_final": False},
            CALLBACK_FAULTS,
            "job 1: processing delivered after the final state",
        ),
        ("trusts any signature", {"check_signature": False}, CALLBACK_FAULTS, "job 1: success badly signed"),
        (
            "refuses unknown fields",
            {"tolerate_unknown_fields": False},
            CALLBACK_FAULTS,
            "job 1: success with an unknown field",
        ),
        ("never polls", {"poll_when_silent": False}, CALLBACK_FAULTS, "job 1: success dropped"),
        (
            "waits one second, then gives up",
            {"poll_when_silent": False, "patience_seconds": 1.0},
            ("delay",),
            "job 1: success delayed 1001ms",
        ),
    ],
)
def test_a_naive_client_fails_and_its_case_shrinks_to_one_readable_step(
    fake: tuple[VideoAPI, CallbackReceiver], bug: str, knobs: dict[str, Any], faults: tuple[str, ...], minimal: str
) -> None:
    found = find(callback_scenarios(faults), breaks(*fake, **knobs), settings=SEARCH)
    assert repr(found) == f"Scenario({minimal})", bug
    assert Scenario.parse(repr(found)) == found
