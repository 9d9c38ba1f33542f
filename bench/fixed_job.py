"""The static job the bare baselines answer a create with: what the mock returns, minus the work."""

from __future__ import annotations

import json

__all__ = ["FIXED_JOB"]

FIXED_JOB = json.dumps(
    {
        "id": "task_bench",
        "task_id": "task_bench",
        "object": "video.generation.job",
        "model": "viduq3p-720p",
        "status": "queued",
        "progress": 0,
        "created_at": 1_700_000_000,
    },
    separators=(",", ":"),
).encode()
