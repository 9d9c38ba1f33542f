"""A tiny gateway on loopback for the recording tests: one job's create, polls to completed, its video.

Its answers fit the uniall dialect (so recording them names no drift) unless `drifting`:
then a poll says `processing`, a word no dialect has. A refused body's message echoes the
caller's key and every answer sets a session cookie, as careless gateways do; the video is
its own bytes, not the mock's sample.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from typing import Any

import httpx
from werkzeug.serving import BaseWSGIServer

from mockserver.record.server import serve_wsgi

__all__ = ["CREATE", "REFUSED", "TASK_ID", "VIDEO", "FakeGateway", "client_run"]

TASK_ID = "task_fakegateway0001"
VIDEO = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00" + b"the fake gateway's own video " * 4
_CREATED_AT = 1_767_225_600
_STATES = ("in_progress", "completed")
CREATE = {"model": "viduq3p-720p", "prompt": "a fox"}
REFUSED = {"model": "viduq3p-720p"}  # no prompt: the gateway answers 400 and echoes the key


class FakeGateway:
    """A WSGI gateway that counts polls; `with FakeGateway() as gateway: gateway.url`."""

    def __init__(self, *, drifting: bool = False) -> None:
        self.drifting = drifting
        self.polls = 0
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_port}"

    def __enter__(self) -> FakeGateway:
        self._server = serve_wsgi(self, "127.0.0.1", 0)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._server is not None and self._thread is not None
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=10)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method, path = environ["REQUEST_METHOD"], environ["PATH_INFO"]
        key = environ.get("HTTP_AUTHORIZATION", "").removeprefix("Bearer ").strip()
        length = int(environ.get("CONTENT_LENGTH") or 0)
        body = json.loads(environ["wsgi.input"].read(length) or b"null")
        if not key:
            return _json(start_response, 401, _error("You didn't provide an API key.", "missing_api_key", None))
        if method == "POST" and path == "/v1/video/generations":
            if not isinstance(body, dict) or "prompt" not in body:
                message = f"prompt is required (request by key {key})"
                return _json(start_response, 400, _error(message, "missing_field", "prompt"))
            return _json(start_response, 200, self._job(body["model"], "queued", 0))
        if path == f"/v1/video/generations/{TASK_ID}":
            state = _STATES[min(self.polls, len(_STATES) - 1)]
            self.polls += 1
            if self.drifting and state == "in_progress":
                state = "processing"
            return _json(start_response, 200, self._poll(environ, state))
        if path == f"/v1/video/generations/{TASK_ID}/content":
            start_response("200 OK", [("Content-Type", "video/mp4"), ("Content-Length", str(len(VIDEO)))])
            return [VIDEO]
        return _json(start_response, 404, _error("No such endpoint.", "not_found", None))

    def _job(self, model: str, status: str, progress: int) -> dict[str, Any]:
        return {
            "id": TASK_ID,
            "task_id": TASK_ID,
            "object": "video.generation.job",
            "model": model,
            "status": status,
            "progress": progress,
            "created_at": _CREATED_AT,
        }

    def _poll(self, environ: dict[str, Any], status: str) -> dict[str, Any]:
        done = status == "completed"
        url = f"http://{environ['HTTP_HOST']}/v1/video/generations/{TASK_ID}/content" if done else None
        job = self._job("viduq3p-720p", status, 100 if done else 50)
        job.update(
            prompt="a fox",
            video_url=url,
            thumbnail_url=None,
            error=None,
            result={"outputs": [url], "video_url": url} if done else None,
            metadata={},
            completed_at=_CREATED_AT + 60 if done else None,
        )
        return job


def _error(message: str, code: str, param: str | None) -> dict[str, Any]:
    kind = "authentication_error" if code == "missing_api_key" else "invalid_request_error"
    return {"error": {"message": message, "type": kind, "param": param, "code": code}}


def _json(start_response: Callable[..., Any], status: int, payload: Any) -> list[bytes]:
    data = json.dumps(payload).encode()
    reason = {200: "OK", 400: "BAD REQUEST", 401: "UNAUTHORIZED", 404: "NOT FOUND"}[status]
    start_response(
        f"{status} {reason}",
        [("Content-Type", "application/json"), ("Content-Length", str(len(data))), ("Set-Cookie", "session=s3cr3t")],
    )
    return [data]


def client_run(client: httpx.Client, base_url: str) -> tuple[list[tuple[int, Any]], bytes]:
    """A client's part: create, poll three times (the last after completion), download, a refused body."""
    answers: list[tuple[int, Any]] = []
    created = client.post(f"{base_url}/v1/video/generations", json=CREATE)
    answers.append((created.status_code, created.json()))
    for _ in range(3):
        polled = client.get(f"{base_url}/v1/video/generations/{created.json()['id']}")
        answers.append((polled.status_code, polled.json()))
    video = client.get(f"{base_url}/v1/video/generations/{created.json()['id']}/content")
    assert video.status_code == 200
    refused = client.post(f"{base_url}/v1/video/generations", json=REFUSED)
    answers.append((refused.status_code, refused.json()))
    return answers, video.content
