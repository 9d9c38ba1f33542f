"""`ScenarioMachine`: a Hypothesis state machine whose rules script the in-process fake as a run goes.

For stateful tests of clients that track several jobs: subclass it, add the client's rules
and invariants, and Hypothesis interleaves them with misbehaviour and job plans.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, rule

from mockserver.contract.settings import Settings
from pytest_plugin.options import DEFAULT_SETTINGS
from pytest_plugin.scenario import ENDPOINTS, JobEnd, ScriptedEndpoint, Step
from pytest_plugin.scenario_strategy import job_ends, steps
from pytest_plugin.video_api import VideoAPI

__all__ = ["ScenarioMachine"]


class ScenarioMachine(RuleBasedStateMachine):
    """A state machine with a started `VideoAPI` in `self.api` (reset for every run) and two scripting rules.

    `misbehave` queues one step for the next request to an endpoint (behind steps already
    queued for it); `plan_next_job` decides how the next created job ends. Override
    `fake_settings` on the subclass to run the fake with other `Settings`.
    """

    fake_settings: Settings = DEFAULT_SETTINGS

    def __init__(self) -> None:
        super().__init__()
        self.api = VideoAPI(self.fake_settings).start()

    @rule(endpoint=st.sampled_from(ENDPOINTS), step=steps())
    def misbehave(self, endpoint: ScriptedEndpoint, step: Step) -> None:
        """The next request to `endpoint` still unscripted gets `step`'s answer."""
        if not step.ok:
            self.api.engine.state.add_failure(step.rule(endpoint))

    @rule(end=job_ends())
    def plan_next_job(self, end: JobEnd) -> None:
        """The next created job still unplanned ends as `end` says."""
        self.api.engine.state.add_job_plan(end.plan())

    def teardown(self) -> None:
        """Stop the fake (its journal and tasks stay readable on `self.api`)."""
        self.api.stop()
