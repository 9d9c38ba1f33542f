"""`Router`: the one entry point both faces call; admin paths go to `admin`, the rest to the engine.

It sits beside the engine rather than inside it, so the engine never imports the admin API
(which imports `MockControl`, which imports the engine): the import graph stays acyclic.
"""

from __future__ import annotations

from mockserver.contract.admin.guard import RequestGuard
from mockserver.contract.admin.routes import PageHandler, handle_admin, is_admin_path
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming, Outgoing, error_reply, new_request_id
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.state.protocol import retry_after_ms

__all__ = ["Router"]


class Router:
    """Send `/__mock/…` to the admin API and everything else to `engine.handle`."""

    __slots__ = ("engine", "guard", "page")

    def __init__(
        self, engine: ContractEngine, page: PageHandler | None = None, guard: RequestGuard | None = None
    ) -> None:
        self.engine = engine
        # The live server passes the dashboard here; without it (in process) its paths are 404s.
        self.page = page
        # The live server passes its Host allow-list and cross-site check; in process no browser can call.
        self.guard = guard

    def handle(self, request: Incoming) -> Outgoing:
        """Answer one request. Never raises for anything a client can send."""
        admin = is_admin_path(request.path)
        if self.guard is not None:
            refused = self.guard.refusal(request, admin=admin)
            if refused is not None:
                reply = error_reply(refused)
                reply.headers["x-request-id"] = new_request_id()
                return reply
        if not admin:
            return self.engine.handle(request)
        headers = {k.lower(): v for k, v in request.headers.items()}
        try:
            reply = handle_admin(self.engine, request, headers, self.page)
        except ApiError as error:
            reply = error_reply(error, retry_after_ms(error, self.engine.settings.retry_after_ms))
        reply.headers["x-request-id"] = new_request_id()
        return reply
