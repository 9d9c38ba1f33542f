"""A client of Vidu's own API written from its platform pages alone (not from the mock's code).

Base URL `https://api.vidu.com`, `Authorization: Token <key>`, JSON bodies; the four create
routes, `GET /ent/v2/tasks/{id}/creations`, `POST /ent/v2/tasks/{id}/cancel` and
`GET /ent/v2/tasks`. It knows nothing of the mock: the tests steer time through the admin
API (or the fixture) on their own.
"""

from __future__ import annotations

from typing import Any

import httpx

__all__ = ["FINAL_STATES", "STATES", "ViduClient", "ViduError"]

STATES = ("created", "queueing", "processing", "success", "failed")
FINAL_STATES = ("success", "failed")


class ViduError(Exception):
    """An error answer: `{code, reason, message, metadata: {trace_id}}` (the error-code page)."""

    def __init__(self, status: int, body: dict[str, Any]) -> None:
        self.status = status
        self.code = body["code"]
        self.reason: str = body["reason"]
        self.message: str = body["message"]
        self.trace_id: str = body["metadata"]["trace_id"]
        super().__init__(f"{status} {self.reason}: {self.message}")


class ViduClient:
    """Vidu's API over `httpx.Client` (which the `video_api` fixture answers in-process)."""

    def __init__(self, api_key: str | None, base_url: str = "https://api.vidu.com") -> None:
        headers = {"Content-Type": "application/json"}
        if api_key is not None:
            headers["Authorization"] = f"Token {api_key}"
        self.http = httpx.Client(base_url=base_url, headers=headers, timeout=10)

    def close(self) -> None:
        self.http.close()

    def _answer(self, response: httpx.Response) -> Any:
        body = response.json()
        if response.status_code != 200:
            raise ViduError(response.status_code, body)
        return body

    def create(self, route: str, **body: Any) -> dict[str, Any]:
        """POST /ent/v2/{route}: text2video, img2video, start-end2video or reference2video."""
        return dict(self._answer(self.http.post(f"/ent/v2/{route}", json=body)))

    def text2video(self, prompt: str, model: str = "viduq3-pro", **body: Any) -> dict[str, Any]:
        return self.create("text2video", model=model, prompt=prompt, **body)

    def creations(self, task_id: str) -> dict[str, Any]:
        """GET /ent/v2/tasks/{id}/creations: the task's state, err_code, credits and creations."""
        return dict(self._answer(self.http.get(f"/ent/v2/tasks/{task_id}/creations")))

    def cancel(self, task_id: str) -> dict[str, Any]:
        """POST /ent/v2/tasks/{id}/cancel (the page sends the id in the body as well)."""
        return dict(self._answer(self.http.post(f"/ent/v2/tasks/{task_id}/cancel", json={"id": task_id})))

    def tasks(self, **params: Any) -> dict[str, Any]:
        """GET /ent/v2/tasks with the page's filters (`states`, `task_ids`, `pager.pagesz`, ...)."""
        return dict(self._answer(self.http.get("/ent/v2/tasks", params=params)))

    def download(self, url: str) -> httpx.Response:
        """Fetch a creation's `url` or `cover_url` (signed CDN links: no token)."""
        return httpx.get(url, timeout=10)
