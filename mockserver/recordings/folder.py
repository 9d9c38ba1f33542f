"""Recordings on disk: write redacted exchanges to a folder, read a folder back.

The format is `mockserver.contract.replay.format` (documented in docs/recordings.md). What is
written never holds a secret: the secret-bearing headers (`Authorization`, cookies,
`Set-Cookie`, API-key headers, and any the user names) are replaced by `[redacted]`, and
so is every known key wherever an answer echoes it (headers and bodies alike).
"""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

from mockserver.contract.redaction import Redactor
from mockserver.contract.replay.format import (
    Exchange,
    RecordingFormatError,
    document_text,
    exchange_file_name,
    exchange_from_document,
    exchange_to_document,
)

__all__ = ["RecordingFormatError", "RecordingWriter", "read_recordings"]

#: A recording folder holds at most this many exchanges; a reader refuses more (a typo'd path to `/`).
MAX_EXCHANGES = 100_000


class RecordingWriter:
    """Writes exchanges to `folder`, numbered in the order they are written, redacted first.

    Numbering continues after the highest number already in the folder, so two runs into
    one folder keep both; pass a fresh folder for a clean recording.
    """

    def __init__(self, folder: Path, redactor: Redactor | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.redactor = redactor or Redactor()
        self._lock = threading.Lock()
        self._seq = max((_seq_of(p) for p in self.folder.glob("[0-9]*-*.json")), default=0)

    def next_seq(self) -> int:
        """Reserve the next number (for a caller that builds the exchange itself)."""
        with self._lock:
            self._seq += 1
            return self._seq

    def write(self, exchange: Exchange) -> Path:
        """Redact and write `exchange` (numbered now if its `seq` is 0); returns the JSON file's path."""
        if exchange.seq <= 0:
            exchange = replace(exchange, seq=self.next_seq())
        clean = self.redactor.exchange(exchange)
        document, sidecars = exchange_to_document(clean)
        for name, data in sidecars.items():
            (self.folder / name).write_bytes(data)
        path = self.folder / exchange_file_name(clean)
        path.write_text(document_text(document), encoding="utf-8")
        return path


def _seq_of(path: Path) -> int:
    head = path.name.split("-", 1)[0]
    return int(head) if head.isdigit() else 0


def read_recordings(folder: Path) -> list[Exchange]:
    """Every exchange in `folder`, in order; `RecordingFormatError` names the file that is wrong."""
    folder = Path(folder)
    if not folder.is_dir():
        raise RecordingFormatError(f"{folder}: not a folder of recordings")
    paths = sorted(folder.glob("[0-9]*-*.json"), key=lambda p: (_seq_of(p), p.name))
    if len(paths) > MAX_EXCHANGES:
        raise RecordingFormatError(f"{folder}: more than {MAX_EXCHANGES} recordings")

    def read_file(name: str) -> bytes:
        try:
            return (folder / name).read_bytes()
        except OSError as error:
            raise RecordingFormatError(f"{name}: cannot be read ({error.strerror})") from error

    exchanges: list[Exchange] = []
    for path in paths:
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
            exchanges.append(exchange_from_document(document, read_file))
        except (ValueError, OSError) as error:  # RecordingFormatError is a ValueError
            raise RecordingFormatError(f"{path.name}: {error}") from error
    return exchanges
