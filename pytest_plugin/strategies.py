"""Hypothesis strategies for property-testing clients of the Vidu video API.

Everything is read from the packaged contract (`mockserver.contract`): models, modes,
aspect ratios, limits and the error catalogue are never restated here.

- `create_requests()`: valid `POST /v1/video/generations` bodies.
- `every_model_and_mode()`: runs a test on each catalogue (model, mode) pair first;
  `catalogue_bodies()` lists those bodies.
- `invalid_create_requests()`: invalid bodies, each with the exact error to expect.
- `video_create_requests()` / `invalid_video_create_requests()`: the same for `POST /v1/videos`
  (the OpenAI-compatible create), as JSON or as a multipart form.
- `jobs()` and `error_bodies()`: response bodies, for testing response parsers.
- `vidu_create_requests()`, `invalid_vidu_create_requests()` and `vidu_tasks()`: the same for
  Vidu's own API (the `vidu` dialect, `/ent/v2/*`).
- `scenarios()`: scripts of server behaviour (errors, faults, delays, job ends, a per-token cap) to play
  with `video_api.play(...)` / `video_server.play(...)`; `steps()` and `job_ends()` are
  their parts, for stateful tests (`pytest_plugin.scenario_machine.ScenarioMachine`). See docs/scenarios.md.
  `scenarios(callback_faults=..., max_callback_steps=N)` adds what Vidu's callbacks do wrong
  (`callback_steps()`, `CallbackStep`).
- `callback_deliveries()`, `callback_bodies()`, `callback_urls()`: Vidu's callbacks as a
  receiver gets them, signed or tampered (docs/callbacks.md).
"""

from pytest_plugin.callback_step import CallbackStep
from pytest_plugin.callback_strategies import (
    TAMPERINGS,
    CallbackDelivery,
    callback_bodies,
    callback_deliveries,
    callback_urls,
)
from pytest_plugin.catalogue_examples import catalogue_bodies, every_model_and_mode
from pytest_plugin.invalid_bodies import InvalidRequest, invalid_create_requests
from pytest_plugin.response_bodies import error_bodies, jobs
from pytest_plugin.scenario import JobEnd, Scenario, Step
from pytest_plugin.scenario_strategy import callback_steps, job_ends, scenarios, steps
from pytest_plugin.valid_bodies import create_requests
from pytest_plugin.video_requests import (
    InvalidVideoRequest,
    VideoRequest,
    invalid_video_create_requests,
    video_create_requests,
)
from pytest_plugin.vidu_bodies import (
    InvalidViduRequest,
    ViduRequest,
    invalid_vidu_create_requests,
    vidu_create_requests,
    vidu_tasks,
)

__all__ = [
    "TAMPERINGS",
    "CallbackDelivery",
    "CallbackStep",
    "InvalidRequest",
    "InvalidVideoRequest",
    "InvalidViduRequest",
    "JobEnd",
    "Scenario",
    "Step",
    "VideoRequest",
    "ViduRequest",
    "callback_bodies",
    "callback_deliveries",
    "callback_steps",
    "callback_urls",
    "catalogue_bodies",
    "create_requests",
    "error_bodies",
    "every_model_and_mode",
    "invalid_create_requests",
    "invalid_video_create_requests",
    "invalid_vidu_create_requests",
    "job_ends",
    "jobs",
    "scenarios",
    "steps",
    "video_create_requests",
    "vidu_create_requests",
    "vidu_tasks",
]
