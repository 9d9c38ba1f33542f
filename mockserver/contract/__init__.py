"""The pure contract core: the API's rules as code, shared by every face of the mock.

Rule of this package: it does no I/O beyond reading the schemas packaged with it, and it
imports no Flask, Werkzeug, respx, httpx, pytest or Hypothesis (a test checks this).
The Flask server and the in-process respx fake are thin adapters that call `Router.handle`
(admin paths to the admin API, the rest to `ContractEngine`), so the two can never
disagree. See docs/architecture.md.
"""

from mockserver.contract.catalogue import (
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
from mockserver.contract.clock import Clock, ManualClock, SystemClock
from mockserver.contract.control import MockControl
from mockserver.contract.dialects import DIALECT_NAMES, Dialect, JobFacts, dialect_named
from mockserver.contract.engine import ContractEngine
from mockserver.contract.errors import ApiError
from mockserver.contract.failures import FailureRule
from mockserver.contract.injection import Injection
from mockserver.contract.journal import JournalEntry
from mockserver.contract.json_body import parse_json_body
from mockserver.contract.lifecycle import JobView, Outcome, Task
from mockserver.contract.prefer import Preferences, parse_prefer
from mockserver.contract.replies import Incoming, Outgoing
from mockserver.contract.router import Router
from mockserver.contract.schemas import load_schema, schema_validator
from mockserver.contract.settings import Settings
from mockserver.contract.validation import CreateRequest, validate_create

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
