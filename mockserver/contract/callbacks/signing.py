"""Vidu's callback signature: `base64(HMAC-SHA256(token, signing string))` (docs/callbacks.md).

The signing string is `METHOD \\n path \\n query \\n "vidu" \\n Date \\n` followed by one
`Name:value\\n` line per header named in `X-HMAC-SIGNED-HEADERS`, in that order. The
path and query come from the callback URL as a standard URL parser splits it (an empty
path is `/`, no query is the empty string). The key is the token that created the task.
Pure: the caller supplies the Date and the nonce.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import Mapping
from email.utils import formatdate
from urllib.parse import urlsplit

__all__ = [
    "ACCESS_KEY",
    "ALGORITHM",
    "SIGNED_HEADERS",
    "http_date",
    "new_nonce",
    "sign",
    "signature_headers",
    "signing_string",
    "verify",
]

ACCESS_KEY = "vidu"
ALGORITHM = "hmac-sha256"
#: The headers Vidu signs, in order, as `X-HMAC-SIGNED-HEADERS` lists them.
SIGNED_HEADERS = ("Date", "x-request-nonce")


def http_date(seconds: float) -> str:
    """`seconds` as an HTTP Date in GMT: `Tue, 06 May 2025 12:09:42 GMT`."""
    return formatdate(seconds, usegmt=True)


def new_nonce() -> str:
    """A fresh random `x-request-nonce` (a UUID-4 string, as the page's example looks)."""
    raw = bytearray(os.urandom(16))
    raw[6] = (raw[6] & 0x0F) | 0x40
    raw[8] = (raw[8] & 0x3F) | 0x80
    text = raw.hex()
    return f"{text[:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:]}"


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def signing_string(method: str, url: str, headers: Mapping[str, str]) -> str:
    """The string Vidu signs for a request of `method` to `url` carrying `headers`.

    `headers` must hold `Date`, `X-HMAC-SIGNED-HEADERS` and every header that one names;
    `KeyError` names a missing one.
    """
    parts = urlsplit(url)
    date = _header(headers, "Date")
    listed = _header(headers, "X-HMAC-SIGNED-HEADERS")
    if date is None or listed is None:
        raise KeyError("Date" if date is None else "X-HMAC-SIGNED-HEADERS")
    lines = [method.upper(), parts.path or "/", parts.query, ACCESS_KEY, date]
    signed = ""
    for name in filter(None, (n.strip() for n in listed.split(";"))):
        value = _header(headers, name)
        if value is None:
            raise KeyError(name)
        signed += f"{name}:{value}\n"
    return "\n".join(lines) + "\n" + signed


def sign(token: str, text: str) -> str:
    """`base64(HMAC-SHA256(token, text))`."""
    digest = hmac.new(token.encode(), text.encode(), hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def signature_headers(token: str, url: str, date: str, nonce: str, method: str = "POST") -> dict[str, str]:
    """The six headers Vidu sends with a callback to `url`, signed with `token` (which is not among them)."""
    headers = {
        "Date": date,
        "x-request-nonce": nonce,
        "X-HMAC-SIGNED-HEADERS": ";".join(SIGNED_HEADERS),
        "X-HMAC-ALGORITHM": ALGORITHM,
        "X-HMAC-ACCESS-KEY": ACCESS_KEY,
    }
    headers["X-HMAC-SIGNATURE"] = sign(token, signing_string(method, url, headers))
    return headers


def verify(token: str, url: str, headers: Mapping[str, str], method: str = "POST") -> bool:
    """Whether `headers` carry a valid Vidu signature of a `method` request to `url` under `token`."""
    given = _header(headers, "X-HMAC-SIGNATURE")
    if given is None or (_header(headers, "X-HMAC-ALGORITHM") or "").lower() != ALGORITHM:
        return False
    try:
        expected = sign(token, signing_string(method, url, headers))
    except KeyError:
        return False
    return hmac.compare_digest(given.encode(), expected.encode())
