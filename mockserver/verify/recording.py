"""`mockserver verify --record DIR`: every exchange of the run, in the shared recording format.

Each exchange the `PoliteClient` sees is named (`create`, `poll`, `content`, `other`) and
tied to its task, then held until the check it belongs to has a verdict: a check that
drifted puts its drift text on the exchange that answered it. Files are written by
`mockserver.recordings.folder.RecordingWriter`, so the key, `Authorization` and cookies are
redacted wherever they appear (docs/recordings.md).
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from urllib.parse import urlsplit

from mockserver.contract.redaction import Redactor
from mockserver.contract.replay.format import Exchange
from mockserver.contract.routes.paths import endpoint_of
from mockserver.recordings.folder import RecordingWriter
from mockserver.verify.budget import task_id_of
from mockserver.verify.results import CheckResult

__all__ = ["ExchangeLog"]


class ExchangeLog:
    """Names each exchange, waits for its check's verdict, and writes it (redacted) to a folder."""

    def __init__(self, folder: Path, key: str, base_url: str) -> None:
        self.writer = RecordingWriter(folder, Redactor(secrets=[key]))
        self._prefix = urlsplit(base_url).path.rstrip("/")  # a gateway mounted under a path
        self._pending: list[Exchange] = []
        self._last: Exchange | None = None  # the last one written: a later verdict may still name it
        self._task: str | None = None  # the task last polled: a video download is its content
        #: Why writing failed (the run goes on; the CLI reports it at the end), or None.
        self.error: str | None = None

    def seen(self, exchange: Exchange) -> None:
        """Take one exchange from the client (numbered now, written once its check has a verdict)."""
        if exchange.endpoint == "content":  # a video download (the client names it), wherever the URL points
            endpoint, task_id = exchange.endpoint, self._task
        else:
            endpoint, task_id = endpoint_of(exchange.method, exchange.path.removeprefix(self._prefix))
        if endpoint == "create":
            task_id = task_id_of(exchange.response_json()) if 200 <= exchange.status < 300 else None
        elif endpoint == "poll":
            self._task = task_id
        self._pending.append(replace(exchange, seq=self.writer.next_seq(), endpoint=endpoint, task_id=task_id))

    def verdict(self, result: CheckResult) -> None:
        """A check has its verdict: write what is pending, the drift (if any) on the last exchange."""
        drift = (f"{result.check}: {result.observed}", *result.details) if result.verdict == "DRIFT" else ()
        if not self._pending and drift and self._last is not None:
            self._pending.append(self._last)  # a verdict on an exchange already written: rewrite it
        self.flush(drift)

    def flush(self, drift: tuple[str, ...] = ()) -> None:
        """Write every pending exchange; `drift` goes on the last one."""
        pending, self._pending = self._pending, []
        for n, exchange in enumerate(pending):
            if drift and n == len(pending) - 1:
                exchange = replace(exchange, drift=(*exchange.drift, *drift))
            if self.error is None:
                try:
                    self.writer.write(exchange)
                except OSError as error:
                    self.error = f"{error.strerror}: {error.filename}"
            self._last = exchange
