"""The bounded request journal, with secrets redacted before anything is read."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

from mockserver.contract.redaction import redact_headers

# The largest request body the mock keeps (journal) or reads for itself (admin API).
MAX_STORED_BODY = 64 * 1024


@dataclass(frozen=True, slots=True)
class JournalEntry:
    """One received request and how the mock answered it."""

    seq: int
    time: float
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int
    endpoint: str
    task_id: str | None = None
    model: str | None = None
    mode: str | None = None
    injected: str | None = None
    # How long the mock took to answer, injected delay included (engine time, not the network's).
    latency_ms: float | None = None
    # The error message of a refused or failed request (what a client's log would show).
    message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        return asdict(self)


class Journal:
    """Keeps the newest `cap` entries; older ones are dropped first (FIFO).

    `add` keeps an entry's fields as a plain tuple and `entries()` turns them into
    `JournalEntry`s, once, redacting their headers then: a server records every request
    and reads its journal rarely. No entry leaves this class unredacted.
    """

    def __init__(self, cap: int) -> None:
        self._entries: deque[JournalEntry | tuple[Any, ...]] = deque(maxlen=max(cap, 0))
        self._seq = 0
        self._lock = threading.Lock()

    def add(
        self,
        time: float,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any,
        status: int,
        endpoint: str,
        task_id: str | None = None,
        model: str | None = None,
        mode: str | None = None,
        injected: str | None = None,
        latency_ms: float | None = None,
        message: str | None = None,
    ) -> None:
        """Store a new entry; it is built into a `JournalEntry`, its `headers` redacted, when first read."""
        with self._lock:
            self._seq += 1
            fields = (
                self._seq,
                time,
                method,
                path,
                headers,
                body,
                status,
                endpoint,
                task_id,
                model,
                mode,
                injected,
                latency_ms,
                message,
            )
            self._entries.append(fields)

    def entries(self) -> list[JournalEntry]:
        """Entries oldest first."""
        with self._lock:
            entries = [item if isinstance(item, JournalEntry) else _entry(item) for item in self._entries]
            self._entries = deque(entries, maxlen=self._entries.maxlen)
            return entries

    def clear(self) -> None:
        """Forget every entry; numbering starts again at 1, so messages stay the same run to run."""
        with self._lock:
            self._entries.clear()
            self._seq = 0


def _entry(fields: tuple[Any, ...]) -> JournalEntry:
    seq, time, method, path, headers, *rest = fields
    return JournalEntry(seq, time, method, path, redact_headers(headers), *rest)
