"""`mockserver verify --dialect vidu`: Vidu's own API (`/ent/v2/*`) checked against its schemas.

Free probes first (each refused before any task exists: no token, an unknown model, a
missing prompt, a wrong image count, an unknown task, the task list and its page-size
limit), then up to `--creates` text-to-video tasks, each polled to a final state (every poll
checked against `task.schema.json`, the states in Vidu's order) and its video downloaded.
An answer in another shape (a gateway's `{"error": …}`) is a drift that says whose shape it is.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TextIO

from mockserver.contract.data.schemas import schema_validator
from mockserver.verify.client import Answer, BudgetExhausted, NoAnswer, PoliteClient, StopRun
from mockserver.verify.options import VerifyOptions
from mockserver.verify.results import CheckResult, Report

__all__ = ["ViduVerifier"]

# An unknown model: Vidu refuses it before creating anything, so a probe with it costs nothing.
UNKNOWN_MODEL = "vidu-mock-unknown-model"
CHEAP_MODEL = "viduq3-turbo"
_STATES = ("created", "queueing", "processing", "success", "failed")
_IMAGE = "https://example.com/vidu-mock-probe.png"


def _problems(schema: str, body: Any) -> list[str]:
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}"
        for e in schema_validator(schema).iter_errors(body)
    ]


def _shape(answer: Answer) -> str:
    """What an answer looks like, in a few words (for `observed`)."""
    if not answer.is_json:
        return f"{answer.status} (not JSON)"
    body = answer.json
    if isinstance(body, dict) and "reason" in body:
        return f"{answer.status} {body.get('reason')}: {str(body.get('message', ''))[:80]}"
    if isinstance(body, dict) and isinstance(body.get("error"), dict):
        return f"{answer.status} {{\"error\": {{code: {body['error'].get('code')!r}}}}} (a gateway's shape, not Vidu's)"
    if isinstance(body, dict) and "data" in body and "code" in body:
        return f"{answer.status} {{code, message, data}} (new-api's task shape, not Vidu's)"
    return f"{answer.status} {str(body)[:80]}"


class ViduVerifier:
    """Runs the vidu checks against the server behind `client` (which sends `Authorization: Token <key>`)."""

    def __init__(
        self,
        options: VerifyOptions,
        client: PoliteClient,
        *,
        progress: TextIO,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        on_result: Callable[[CheckResult], None] | None = None,
    ) -> None:
        self.options = options
        self.client = client
        self.progress = progress
        self.sleep = sleep
        self.clock = clock
        self.report = Report(options.base_url, "vidu", "chosen with --dialect", on_add=on_result)

    def run(self) -> Report:
        """The probes, then the creates; a run cut short says why."""
        try:
            self._probes()
            for n in range(1, self.options.creates + 1):
                self._create(n)
        except BudgetExhausted as spent:
            self.report.stopped = f"{spent} (raise --max-requests)"
        except (StopRun, NoAnswer) as stop:
            self.report.stopped = str(stop)
        self.report.requests_sent = self.client.sent
        self.report.retries = self.client.retries
        return self.report

    def _say(self, line: str) -> None:
        print(self.client.scrub(line), file=self.progress, flush=True)

    def _judge(self, check: str, expected: str, answer: Answer, status: int, reason: str, field: str | None) -> None:
        problems = _problems("dialects/vidu/error", answer.json) if answer.is_json else ["not JSON"]
        body = answer.json if answer.is_json and isinstance(answer.json, dict) else {}
        fine = (
            answer.status == status
            and not problems
            and body.get("reason") == reason
            and (field is None or field in str(body.get("message", "")))
        )
        result = CheckResult(check, expected, _shape(answer), "pass" if fine else "DRIFT", details=problems[:5])
        self.report.add(result)
        self._say(f"{result.verdict}: {check}")

    def _probes(self) -> None:
        send = self.client.api
        text = {"model": UNKNOWN_MODEL, "prompt": "vidu-mock probe"}
        self._judge(
            "no token: 401 Unauthorized",
            "401 Unauthorized in Vidu's error shape",
            send("POST", "/ent/v2/text2video", key=None, json_body=text),
            401,
            "Unauthorized",
            None,
        )
        self._judge(
            "unknown model: 400 FieldInvalid naming model",
            "400 FieldInvalid, the message names model",
            send("POST", "/ent/v2/text2video", json_body=text),
            400,
            "FieldInvalid",
            "model",
        )
        self._judge(
            "text2video without prompt: 400 FieldLacking naming prompt",
            "400 FieldLacking, the message names prompt",
            send("POST", "/ent/v2/text2video", json_body={"model": UNKNOWN_MODEL}),
            400,
            "FieldLacking",
            "prompt",
        )
        self._judge(
            "img2video with two images: 400 FieldItemCountOutOfRange",
            "400 FieldItemCountOutOfRange, the message names images",
            send("POST", "/ent/v2/img2video", json_body={"model": CHEAP_MODEL, "images": [_IMAGE, _IMAGE]}),
            400,
            "FieldItemCountOutOfRange",
            "images",
        )
        self._judge(
            "unknown task: 404 TaskNotFound",
            "404 TaskNotFound",
            send("GET", "/ent/v2/tasks/vidu-mock-no-such-task/creations"),
            404,
            "TaskNotFound",
            None,
        )
        self._judge(
            "task list with 101 a page: 400 PageSizeOutOfRange",
            "400 PageSizeOutOfRange",
            send("GET", "/ent/v2/tasks?pager.pagesz=101"),
            400,
            "PageSizeOutOfRange",
            None,
        )
        listed = send("GET", "/ent/v2/tasks?pager.pagesz=1")
        problems = _problems("dialects/vidu/tasks", listed.json) if listed.is_json else ["not JSON"]
        fine = listed.status == 200 and not problems
        self.report.add(
            CheckResult(
                "task list: 200 {tasks, next_page_token}",
                "200, a body per tasks.schema.json",
                _shape(listed) if not fine else "200 as documented",
                "pass" if fine else "DRIFT",
                details=problems[:5],
            )
        )

    def _create(self, n: int) -> None:
        check = f"create #{n}: text2video on {CHEAP_MODEL}, polled to its end"
        body = {"model": CHEAP_MODEL, "prompt": "vidu-mock verify: a fox", "duration": 1, "resolution": "540p"}
        created = self.client.api("POST", "/ent/v2/text2video", json_body=body)
        self.report.creates_sent += 1
        details = _problems("dialects/vidu/created", created.json) if created.is_json else ["not JSON"]
        if created.status != 200 or details:
            self.report.add(
                CheckResult(check, "200, a body per created.schema.json", _shape(created), "DRIFT", "paid", details[:5])
            )
            return
        task_id = str(created.json["task_id"])
        seen = ["created"]
        deadline = self.clock() + self.options.deadline
        interval = self.options.poll_interval
        final: dict[str, Any] = {}
        while self.clock() < deadline:
            polled = self.client.api("GET", f"/ent/v2/tasks/{task_id}/creations")
            problems = _problems("dialects/vidu/task", polled.json) if polled.is_json else ["not JSON"]
            if polled.status != 200 or problems:
                self.report.add(
                    CheckResult(
                        check, "each poll 200, per task.schema.json", _shape(polled), "DRIFT", "paid", problems[:5]
                    )
                )
                return
            state = polled.json["state"]
            if state != seen[-1]:
                seen.append(state)
            if state in ("success", "failed"):
                final = polled.json
                break
            self.sleep(interval)
            interval = min(interval * 1.5, self.options.max_poll_interval)
        order = [_STATES.index(s) for s in seen]
        walk = " -> ".join(seen)
        if not final:
            self.report.add(CheckResult(check, "a final state before --deadline", walk, "incomplete", "paid"))
            return
        if order != sorted(order):
            self.report.add(CheckResult(check, "states in Vidu's order", walk, "DRIFT", "paid"))
            return
        if final["state"] == "success":
            download = self.client.download(final["creations"][0]["url"], cap_bytes=self.options.max_video_bytes)
            walk += f"; the video {download.status} {download.content_type}"
            if download.status != 200 or download.head[4:8] != b"ftyp":
                self.report.add(CheckResult(check, "the creation's url serves an MP4", walk, "DRIFT", "paid"))
                return
        self.report.add(
            CheckResult(check, "created, polled in order to an end, the video served", walk, "pass", "paid")
        )
