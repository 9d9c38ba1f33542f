"""The `vidu` dialect's data, read once from `schemas/dialects/vidu/` (nothing here restates it)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mockserver.contract.data.catalogue import Mode, Status
from mockserver.contract.data.schemas import load_json

__all__ = [
    "CANCELLABLE",
    "CREDITS",
    "DATA",
    "DEFAULTS",
    "MEDIA",
    "PREFIX",
    "REQUEST_SCHEMA",
    "STATES",
    "TASKS",
    "VIDU_ROUTES",
    "ViduRoute",
    "vidu_state",
]

DATA: dict[str, Any] = load_json("dialects/vidu/dialect.json")
REQUEST_SCHEMA: dict[str, Any] = load_json("dialects/vidu/request.schema.json")
PREFIX: str = DATA["api"]["prefix"]
TASKS: str = DATA["api"]["tasks"]
MEDIA: str = DATA["api"]["media"]
AUTH_SCHEME: str = DATA["api"]["auth_scheme"]
DEFAULTS: dict[str, Any] = DATA["defaults"]
STATES: dict[str, str] = DATA["states"]
CANCELLABLE: frozenset[str] = frozenset(DATA["cancellable"])
CREDITS: dict[str, Any] = DATA["credits"]
ENDING_REASONS: tuple[str, ...] = tuple(DATA["ending_reasons"])


@dataclass(frozen=True, slots=True)
class ViduRoute:
    """One create route: its path name, the engine's mode, how many images, whether a prompt, which models."""

    name: str
    mode: Mode
    min_images: int
    max_images: int
    prompt_required: bool
    models: tuple[str, ...]

    @property
    def path(self) -> str:
        """`/ent/v2/<name>`."""
        return f"{PREFIX}/{self.name}"


VIDU_ROUTES: dict[str, ViduRoute] = {
    name: ViduRoute(name, r["mode"], r["min_images"], r["max_images"], r["prompt_required"], tuple(r["models"]))
    for name, r in DATA["routes"].items()
}
ROUTE_OF_MODE: dict[str, ViduRoute] = {route.mode: route for route in VIDU_ROUTES.values()}


def vidu_state(status: Status) -> str:
    """The engine's status as Vidu names it (`queued` -> `queueing`, ...)."""
    return STATES[status]
