"""Recordings on disk: write redacted exchanges to a folder, read a folder back.

The format is `mockserver.contract.replay.format` (documented in docs/recordings.md). What is
written never holds a secret: the secret-bearing headers (`Authorization`, cookies,
`Set-Cookie`, API-key headers, and any the user names) are replaced by `[redacted]`, and
so is every known key wherever an answer echoes it (headers and bodies alike).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from pathlib import Path

from mockserver.contract.replay.format import (
    Exchange,
    RecordingFormatError,
    document_text,
    exchange_file_name,
    exchange_from_document,
    exchange_to_document,
)
from mockserver.contract.state.journal import REDACTED, SECRET_HEADERS

__all__ = ["RecordingWriter", "Redactor", "RecordingFormatError", "read_recordings"]

#: Headers that carry a secret in an answer too (a session cookie the upstream sets).
_ANSWER_SECRET_HEADERS = frozenset({"set-cookie"})
#: A recording folder holds at most this many exchanges; a reader refuses more (a typo'd path to `/`).
MAX_EXCHANGES = 100_000


class Redactor:
    """Replaces secrets in what is written: named headers, and known keys wherever they appear."""

    def __init__(self, secrets: Iterable[str] = (), headers: Iterable[str] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}
        self._headers = SECRET_HEADERS | _ANSWER_SECRET_HEADERS | {h.lower() for h in headers}
        self._lock = threading.Lock()

    def learn(self, secret: str) -> None:
        """Also redact `secret` from now on (a key seen in a request's `Authorization`)."""
        if secret:
            with self._lock:
                self._secrets.add(secret)

    def learn_from(self, headers: Mapping[str, str]) -> None:
        """Learn the credentials a request carries in its secret headers (the token after `Bearer`)."""
        for name, value in headers.items():
            if name.lower() in self._headers:
                token = value.split(" ", 1)[1] if " " in value else value
                self.learn(token.strip())

    def text(self, text: str) -> str:
        """`text` with every known secret replaced."""
        for secret in sorted(self._secrets, key=len, reverse=True):
            text = text.replace(secret, REDACTED)
        return text

    def body(self, body: bytes | None) -> bytes | None:
        """`body` with every known secret replaced, where it appears as UTF-8 text."""
        if not body or not self._secrets:
            return body
        for secret in sorted(self._secrets, key=len, reverse=True):
            body = body.replace(secret.encode("utf-8"), REDACTED.encode("utf-8"))
        return body

    def headers(self, headers: Mapping[str, str]) -> dict[str, str]:
        """`headers` with the secret-bearing ones replaced (the scheme word kept) and known keys removed."""
        clean: dict[str, str] = {}
        for name, value in headers.items():
            if name.lower() in self._headers:
                scheme = value.split(" ", 1)[0] if " " in value and name.lower().endswith("authorization") else ""
                clean[name] = f"{scheme} {REDACTED}".strip()
            else:
                clean[name] = self.text(value)
        return clean

    def exchange(self, exchange: Exchange) -> Exchange:
        """A copy of `exchange` with nothing secret left in it."""
        self.learn_from(exchange.request_headers)
        return replace(
            exchange,
            path=self.text(exchange.path),
            query=self.text(exchange.query),
            request_headers=self.headers(exchange.request_headers),
            request_body=self.body(exchange.request_body) or b"",
            response_headers=self.headers(exchange.response_headers),
            response_body=self.body(exchange.response_body),
            drift=tuple(self.text(d) for d in exchange.drift),
            notes=tuple(self.text(n) for n in exchange.notes),
        )


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
