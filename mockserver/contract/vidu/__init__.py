"""Vidu's own API (`/ent/v2/*`): the `vidu` dialect's routes, bodies and shapes over the one engine.

`data` reads `schemas/dialects/vidu/`; `body` checks a create body; `records` keeps what a
task's answers echo; `shapes` renders answers and errors; `listing` reads the task list's
query; `watch` is where a task's state change is observable; `routes` joins them to the engine.
"""

from mockserver.contract.vidu.data import VIDU_ROUTES, ViduRoute
from mockserver.contract.vidu.records import ViduRecord
from mockserver.contract.vidu.watch import StateChange, StateWatch

__all__ = ["VIDU_ROUTES", "StateChange", "StateWatch", "ViduRecord", "ViduRoute"]
