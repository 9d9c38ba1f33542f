"""What is wrong with a create's answer (200): the one check `mockserver verify` and `mockserver record` make.

On `POST /v1/video/generations` the answer is the dialect's create object: its schema, the
seven `CREATE_KEYS`, its `object` word, `id` equal to `task_id`, and `queued`. On `POST
/v1/videos` (the OpenAI SDK's route) UniAll's answer is not documented: the dialect's create
or its poll object will do, `queued`, and an `id` (equal to `task_id` when both are given).
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.dialects import Route
from mockserver.verify.expectations import CREATE_KEYS, DialectExpectations

__all__ = ["create_answer_problems"]


def create_answer_problems(dialect: DialectExpectations, job: Any, route: Route = "generations") -> list[str]:
    """How a create's 200 answer `job` on `route` differs from `dialect`'s, one short line each."""
    if route == "videos":
        problems = [] if dialect.create.fits(job) or dialect.videos.fits(job) else dialect.create.problems(job)
        if isinstance(job, dict):
            if job.get("status") != "queued":
                problems.append(f"status: {job.get('status')!r} on create, the contract gives 'queued'")
            if job.get("task_id", job.get("id")) != job.get("id"):
                problems.append("id: differs from task_id")
        return problems
    problems = dialect.create.problems(job)
    if isinstance(job, dict):
        extra, missing = sorted(set(job) - CREATE_KEYS), sorted(CREATE_KEYS - set(job))
        if extra or missing:
            problems.append(f"body: keys differ from the create answer's seven (extra {extra}, missing {missing})")
        if job.get("object") != dialect.create_object:
            problems.append(f"object: {job.get('object')!r}, the dialect gives {dialect.create_object!r}")
        if job.get("id") != job.get("task_id"):
            problems.append("id: differs from task_id")
        if job.get("status") != "queued":  # lowercase in both dialects' create answers
            problems.append(f"status: {job.get('status')!r} on create, the contract gives 'queued'")
    return problems
