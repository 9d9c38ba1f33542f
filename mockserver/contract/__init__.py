"""The pure contract core: the API's rules as code, shared by every face of the mock.

Rule of this package: it does no I/O beyond reading the schemas packaged with it, and it
imports no Flask, Werkzeug, respx, httpx, pytest or Hypothesis (a test checks this).
The Flask server and the in-process respx fake are thin adapters that call `Router.handle`
(admin paths to the admin API, the rest to `ContractEngine`), so the two can never
disagree. See docs/architecture.md.
"""

from mockserver.contract.admin.control import MockControl
from mockserver.contract.data.catalogue import (
    MODELS,
    MODES,
    STATUSES,
    ErrorSpec,
    Mode,
    Status,
    error_spec,
    is_mix_model,
    is_offpeak_model,
)
from mockserver.contract.data.schemas import load_schema, schema_validator
from mockserver.contract.dialects import DIALECT_NAMES, Dialect, JobFacts, dialect_named
from mockserver.contract.errors import ApiError
from mockserver.contract.injection.decision import Injection
from mockserver.contract.injection.failures import FailureRule
from mockserver.contract.injection.prefer import Preferences, parse_prefer
from mockserver.contract.jobs.clock import Clock, ManualClock, SystemClock
from mockserver.contract.jobs.lifecycle import JobView, Outcome, Task
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.requests.json_body import parse_json_body
from mockserver.contract.requests.validation import CreateRequest, validate_create
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.router import Router
from mockserver.contract.settings import Settings
from mockserver.contract.state.journal import JournalEntry

__all__ = [
    "DIALECT_NAMES",
    "MODELS",
    "MODES",
    "STATUSES",
    "ApiError",
    "Clock",
    "ContractEngine",
    "CreateRequest",
    "Dialect",
    "ErrorSpec",
    "FailureRule",
    "Incoming",
    "Injection",
    "JobFacts",
    "JobView",
    "JournalEntry",
    "ManualClock",
    "MockControl",
    "Mode",
    "Outcome",
    "Outgoing",
    "Preferences",
    "Router",
    "Settings",
    "Status",
    "SystemClock",
    "Task",
    "dialect_named",
    "error_spec",
    "is_mix_model",
    "is_offpeak_model",
    "load_schema",
    "parse_json_body",
    "parse_prefer",
    "schema_validator",
    "validate_create",
]
