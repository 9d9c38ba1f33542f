"""README's gunicorn section promises only what the workers share: per-worker state is said to be per worker."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def gunicorn_section() -> str:
    text = README.read_text(encoding="utf-8")
    start = text.index("run the WSGI app under gunicorn")
    return " ".join(text[start : text.index("\n## ", start)].split())


def test_the_cross_worker_promise_is_limited_to_time_mode() -> None:
    section = gunicorn_section()
    assert re.search(
        r"in time mode \(the default\) a task created by one worker.* is polled through any other", section
    )


def test_step_mode_forced_states_and_the_admin_api_are_said_to_be_per_worker() -> None:
    section = gunicorn_section()
    per_worker = section[section.index("**per worker**") :]
    for subject in ("step mode", "forced state", "/__mock/tasks/{id}", "queued failures", "journal", "/__mock/reset"):
        assert subject in per_worker, subject
    assert "Use one worker" in per_worker
