"""What is never shown or stored: the one home of redaction (pure).

Everything that keeps or prints what a client sent goes through here: the journal (its
headers), recordings (`Redactor`: headers, and every known key wherever an answer echoes
it), settings shown back (`/__mock/config`, the start-up line, refusals of a bad value)
and URLs that may carry a password (a `redis://` state URL).
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from dataclasses import replace
from urllib.parse import urlsplit, urlunsplit

from mockserver.contract.replay.format import Exchange

__all__ = [
    "ANSWER_SECRET_HEADERS",
    "REDACTED",
    "SECRET_HEADERS",
    "SECRET_SETTINGS",
    "Redactor",
    "redact_headers",
    "redacted_url",
]

REDACTED = "[redacted]"
"""What stands in for a secret."""
SECRET_HEADERS = frozenset(
    {"authorization", "x-mock-admin-token", "cookie", "api-key", "x-api-key", "proxy-authorization"}
)
"""Request headers whose values are credentials."""
ANSWER_SECRET_HEADERS = frozenset({"set-cookie"})
"""Headers that carry a secret in an answer too (a session cookie the upstream sets)."""
SECRET_SETTINGS = frozenset({"tokens", "admin_token", "secret", "state"})
"""Settings whose values are never echoed (a token or secret would land in a CI log; a state URL may hold a password)."""


def _redacted_value(name: str, value: str) -> str:
    # An `Authorization: Bearer …` keeps its scheme word (it says how the client authenticated);
    # no other header does: a cookie's first word is itself a secret.
    scheme = value.split(" ", 1)[0] if " " in value and name.lower().endswith("authorization") else ""
    return f"{scheme} {REDACTED}".strip()


def redact_headers(headers: Mapping[str, str], secret: frozenset[str] = SECRET_HEADERS) -> dict[str, str]:
    """Copy `headers` with every secret-bearing value (`secret` names them) replaced."""
    return {name: _redacted_value(name, value) if name.lower() in secret else value for name, value in headers.items()}


def redacted_url(url: str) -> str:
    """`url` with any password withheld, for messages and `/__mock/config`."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    port = "" if parts.port is None else f":{parts.port}"
    return urlunsplit(parts._replace(netloc=f"{parts.username or ''}:{REDACTED}@{host}{port}"))


class Redactor:
    """Replaces secrets in what is written: named headers, and known keys wherever they appear."""

    def __init__(self, secrets: Iterable[str] = (), headers: Iterable[str] = ()) -> None:
        self._secrets: set[str] = {s for s in secrets if s}
        self._headers = SECRET_HEADERS | ANSWER_SECRET_HEADERS | {h.lower() for h in headers}
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
        """`headers` with the secret-bearing ones replaced (an authorization's scheme word kept) and known keys removed."""
        clean = redact_headers(headers, self._headers)
        return {name: value if name.lower() in self._headers else self.text(value) for name, value in clean.items()}

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
