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
from mockserver.contract.routes.tasks import TaskRoutes

__all__ = ["RemixRoute"]


class RemixRoute(CreateRoute, TaskRoutes):
    """A remix: the caller's origin task found, then a create on its model."""

    def _remix(
        self, request: Incoming, headers: dict[str, str], prefs: Preferences, request_id: str, video_id: str
    ) -> Outgoing:
        started = perf_counter()
        try:
            owner = self._authenticate(headers)
            origin = self.find_task(video_id)
            if origin is None or not hmac.compare_digest(origin.owner, owner):
                raise ApiError("task_not_found", f"No task {video_id[:130]!r} to remix for this API key.", "video_id")
        except ApiError as refused:
            # Refused before a create is read: journaled as a create that made no task.
            reply = self._refusal(refused, request_id)
            fields = self._journal_fields(request, headers, reply, "create", started=started, message=refused.message)
            self.state.record(self.clock.now(), fields)
            return reply
        return self._create(request, headers, prefs, request_id, "videos", model=origin.model)
