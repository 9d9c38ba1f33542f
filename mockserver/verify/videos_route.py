"""verify's checks of `POST /v1/videos`, the OpenAI-compatible create (the OpenAI SDK's `videos.create`).

Free: three bodies every gateway refuses before creating anything (a blank prompt, a form that
does not parse, a form without its boundary), compared with how the mock refuses them in the
chosen dialect. Paid: when a run makes two creates or more, its last one goes through this
route as the SDK sends it (a form) and is polled like the others. `checks.py` calls in here
(and `plan.py` into `videos_plan`); nothing else of the run changes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

import httpx

from mockserver.contract.catalogue import VIDEOS
from mockserver.verify.client import Answer, PoliteClient
from mockserver.verify.dialects import Dialect
from mockserver.verify.polling import PolledTask, problems_line
from mockserver.verify.results import CheckResult, Report, Verdict
from mockserver.verify.videos_plan import VIDEOS_BAD_BODIES


class Verifier(Protocol):
    """What these checks use of `checks.Verifier` (a protocol: `checks` imports this module)."""

    client: PoliteClient
    dialect: Dialect
    report: Report
    clock: Callable[[], float]

    def _say(self, line: str) -> None: ...

    def _check_bad_body(self, rule: str, code: str, param: str | None, answer: Answer) -> None: ...


__all__ = ["Verifier", "videos_create", "videos_free_checks"]


def videos_free_checks(verifier: Verifier) -> None:
    """Send each bad body and judge the answer as the other route's bad bodies are judged."""
    for bad in VIDEOS_BAD_BODIES:
        answer = verifier.client.api("POST", VIDEOS, raw=bad.content, content_type=bad.content_type)
        verifier._check_bad_body(f"{VIDEOS}: {bad.rule}", bad.code, bad.param, answer)


def _form(body: dict[str, Any]) -> tuple[bytes, str]:
    """The OpenAI SDK's form for `body`: prompt, model, seconds, and the images as `images` parts."""
    images = [body[k] for k in ("image", "last_image") if k in body] + list(body.get("reference_image_urls", ()))
    parts: list[tuple[str, tuple[None, str]]] = [("model", (None, body["model"]))]
    parts += [("prompt", (None, body.get("prompt") or "a slow camera push-in"))]
    parts += [("seconds", (None, str(body.get("duration", 5))))]
    parts += [("images", (None, image)) for image in images]
    request = httpx.Request("POST", "http://form.invalid/", files=parts)
    return request.read(), request.headers["content-type"]


def videos_create(
    verifier: Verifier, n: int, mode: str, body: dict[str, Any], seen_ids: dict[str, int]
) -> PolledTask | None:
    """Create `body`'s job through `POST /v1/videos` as a form; the task is then polled like the others."""
    d = verifier.dialect
    name = f"create #{n} on {VIDEOS} (a form): {mode} on {body['model']}"
    expected = f"200 {d.name} video object, queued, model echoed"
    verifier._say(f"create #{n} on {VIDEOS}: {mode} on {body['model']} ...")
    content, content_type = _form(body)
    answer = verifier.client.api("POST", VIDEOS, raw=content, content_type=content_type)
    verifier.report.creates_sent += 1
    if answer.status != 200 or not answer.is_json or not isinstance(answer.json, dict):
        verdict: Verdict = "incomplete" if answer.status in (429, 503) else "DRIFT"
        verifier.report.add(CheckResult(name, expected, answer.brief(), verdict, "paid"))
        return None
    job = answer.json
    problems = [] if d.create.fits(job) or d.videos.fits(job) else d.create.problems(job)
    if job.get("status") != "queued":
        problems.append(f"status: {job.get('status')!r} on create, the contract gives 'queued'")
    if job.get("model") != body["model"]:
        problems.append(f"model: {job.get('model')!r} echoed for a request for {body['model']!r}")
    task_id = job.get("id")
    if isinstance(task_id, str) and task_id in seen_ids:
        problems.append(f"task_id: {task_id!r} was already returned by create #{seen_ids[task_id]}")
    verdict = "DRIFT" if problems else "pass"
    verifier.report.add(
        CheckResult(
            name, expected, problems_line(problems) if problems else f"200 {task_id}", verdict, "paid", problems
        )
    )
    if not isinstance(task_id, str) or not task_id or task_id in seen_ids:
        return None
    seen_ids[task_id] = n
    return PolledTask(n, task_id, body["model"], verifier.clock())
