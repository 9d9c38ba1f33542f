"""What a Vidu task's answers echo (its request, credits, callback URL), kept per task.

The engine's `Task` holds the lifecycle; this holds the rest of a Vidu task, bounded like
the task store. A task derived from its signed id by a process that never saw the create
has no record: its answers show the dialect's defaults (docs/contract.md, "Vidu's own API").
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Any

from mockserver.contract.vidu.data import CREDITS, DEFAULTS

__all__ = ["ViduRecord", "ViduRecords", "credits_for"]

# Images are echoed in the task list; a Base64 image can be megabytes, so a long one is not kept (ours).
_MAX_KEPT_IMAGE = 2048


def credits_for(model: str, duration: int, resolution: str, off_peak: bool) -> int:
    """The credits a task costs (ours: Vidu publishes no per-second rate; see docs/contract.md)."""
    per_second = int(CREDITS["per_second"].get(resolution, 1)) * int(CREDITS["model_factor"].get(model, 1))
    total = per_second * duration
    if off_peak:
        total //= int(CREDITS["off_peak_divisor"])
    return max(total, 1)


@dataclass(frozen=True, slots=True)
class ViduRecord:
    """One Vidu task's request as answered back, and how it ended when not by its lifecycle."""

    model: str
    prompt: str = ""
    images: tuple[str, ...] = ()
    duration: int = int(DEFAULTS["duration"])
    seed: int = 0
    aspect_ratio: str = str(DEFAULTS["aspect_ratio"])
    resolution: str = str(DEFAULTS["resolution"])
    movement_amplitude: str = str(DEFAULTS["movement_amplitude"])
    bgm: bool = False
    audio: bool = bool(DEFAULTS["audio"])
    payload: str = ""
    off_peak: bool = False
    watermark: bool = False
    callback_url: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def credits(self) -> int:
        """What the task costs."""
        return credits_for(self.model, self.duration, self.resolution, self.off_peak)

    @classmethod
    def of(cls, body: dict[str, Any], seed: int) -> ViduRecord:
        """The record of a valid create body, defaults filled in (`seed` drawn when absent or 0)."""
        images = tuple(i if len(i) <= _MAX_KEPT_IMAGE else f"<{len(i)} characters>" for i in body.get("images", ()))
        return cls(
            model=body["model"],
            prompt=body.get("prompt", ""),
            images=images,
            duration=int(body.get("duration", DEFAULTS["duration"])),  # JSON's 5.0 is the integer 5
            seed=int(body.get("seed") or seed),
            aspect_ratio=body.get("aspect_ratio", str(DEFAULTS["aspect_ratio"])),
            resolution=body.get("resolution", str(DEFAULTS["resolution"])),
            movement_amplitude=body.get("movement_amplitude", str(DEFAULTS["movement_amplitude"])),
            bgm=body.get("bgm", False),
            audio=body.get("audio", bool(DEFAULTS["audio"])),
            payload=body.get("payload", ""),
            off_peak=body.get("off_peak", False),
            watermark=body.get("watermark", False),
            callback_url=body.get("callback_url"),
        )


class ViduRecords:
    """Records by task id, the oldest dropped first past `cap`."""

    def __init__(self, cap: int) -> None:
        self._records: OrderedDict[str, ViduRecord] = OrderedDict()
        self._cap = max(cap, 1)
        self._lock = threading.Lock()

    def put(self, task_id: str, record: ViduRecord) -> None:
        """Keep (or replace) the record of `task_id`."""
        with self._lock:
            self._records[task_id] = record
            self._records.move_to_end(task_id)
            while len(self._records) > self._cap:
                self._records.popitem(last=False)

    def get(self, task_id: str) -> ViduRecord | None:
        """The record of `task_id`, if this process holds one."""
        return self._records.get(task_id)

    def clear(self) -> None:
        """Forget every record (a reset)."""
        with self._lock:
            self._records.clear()
