"""`RemixRoute`: `POST /v1/videos/{video_id}/remix`, as new-api answers it for a Vidu channel's task.

new-api routes it to the create handler (`router/video-router.go`); `ResolveOriginTask`
(`relay/relay_task.go`) looks the origin task up among the caller's tasks (unknown: 400
`task_not_exist`, "task_origin_not_exist") and takes its model. The Vidu adaptor
(`relay/channel/task/vidu/adaptor.go`) knows no remix: its `ValidateRequestAndSetAction`
reads the body like any create and sets the action from the images it holds, so the remix is
a new task on the origin's model, answered as a create is. docs/contract.md cites the commits.
"""

from __future__ import annotations

import hmac
from time import perf_counter

from mockserver.contract.errors import ApiError
from mockserver.contract.injection.prefer import Preferences
from mockserver.contract.messages import Incoming, Outgoing
from mockserver.contract.routes.create import CreateRoute
from mockserver.contract.routes.steps import EngineSteps
from mockserver.contract.routes.tasks import TaskRoutes

__all__ = ["RemixRoute"]


class RemixRoute:
    """A remix: the caller's origin task found (`tasks`), then a create on its model (`create`)."""

    def __init__(self, steps: EngineSteps, create: CreateRoute, tasks: TaskRoutes) -> None:
        """A remix route over `steps` (state, clock, settings, shared steps) and the routes it hands over to."""
        self.steps = steps
        self.create = create
        self.tasks = tasks

    def handle(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str, video_id: str
    ) -> Outgoing:
        """Remix `video_id`: 404 in the dialect's shape unless it is the caller's task, else a create on its model."""
        steps = self.steps
        started = perf_counter()
        try:
            owner = steps.authenticate(headers)
            origin = self.tasks.find_task(video_id)
            if origin is None or not hmac.compare_digest(origin.owner, owner):
                raise ApiError("task_not_found", f"No task {video_id[:130]!r} to remix for this API key.", "video_id")
        except ApiError as refused:
            # Refused before a create is read: journaled as a create that made no task.
            reply = steps.refusal(refused, request_id)
            fields = steps.journal_fields(request, headers, reply, "create", started=started, message=refused.message)
            steps.state.record(steps.clock.now(), fields)
            return reply
        return self.create.handle(request, headers, prefs, request_id, "videos", model=origin.model)
