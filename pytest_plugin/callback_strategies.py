"""Strategies for Vidu's callback deliveries, to property-test a user's own receiver.

`callback_bodies()` draws bodies of the poll shape a callback carries; `callback_deliveries()`
draws whole deliveries (URL, headers, body bytes), signed with the token as Vidu signs them,
or tampered in one way a receiver must refuse (`tampered=True`), with the way named.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from mockserver.contract.callbacks.faults import CALLBACK_STATES
from mockserver.contract.callbacks.outbox import EXTRA_FIELD
from mockserver.contract.callbacks.signing import http_date, signature_headers

__all__ = ["TAMPERINGS", "CallbackDelivery", "callback_bodies", "callback_deliveries", "callback_urls"]

#: The ways `callback_deliveries(tampered=True)` breaks a delivery's signature, by name.
TAMPERINGS = (
    "signed with another token",
    "Date changed after signing",
    "nonce changed after signing",
    "signature missing",
    "signed for another path",
    "signed header dropped",
)
# Vidu's pages say 2025 onwards; any second in a few years' span.
_SECONDS = st.integers(1_735_689_600, 1_893_456_000)
_IDS = st.from_regex(r"\A[0-9]{6,19}\Z")
_TEXT = st.text(st.characters(codec="utf-8"), max_size=40)
_NONCES = st.uuids(version=4).map(str)


@dataclass(frozen=True, slots=True)
class CallbackDelivery:
    """One delivery to a receiver: POST `url` with `headers` and `body`; `tampering` names what was broken."""

    url: str
    headers: dict[str, str]
    body: bytes = field(repr=False)
    tampering: str | None = None

    @property
    def json(self) -> Any:
        """The body decoded."""
        return json.loads(self.body)


def callback_urls() -> st.SearchStrategy[str]:
    """`callback_url` values a receiver may be given: loopback http(s), a path, maybe a query."""
    segment = st.from_regex(r"\A[a-z0-9_-]{1,12}\Z")
    paths = st.lists(segment, max_size=3).map(lambda parts: "/" + "/".join(parts))
    queries = st.dictionaries(segment, segment, max_size=2).map(lambda q: "&".join(f"{k}={v}" for k, v in q.items()))
    return st.builds(
        lambda scheme, port, path, query: f"{scheme}://127.0.0.1:{port}{path}" + (f"?{query}" if query else ""),
        st.sampled_from(["http", "https"]),
        st.integers(1024, 65535),
        paths,
        queries,
    )


def callback_bodies(
    *, states: tuple[str, ...] = CALLBACK_STATES, extra_field: bool = False
) -> st.SearchStrategy[dict[str, Any]]:
    """Bodies of the poll shape (`id`, `state`, `err_code`, `credits`, `creations`…) in one of `states`.

    `extra_field=True` adds one field no page documents, as the mock's `extra_field` fault does.
    """
    unknown = [s for s in states if s not in CALLBACK_STATES]
    if unknown or not states:
        raise InvalidArgument(f"states must be some of {', '.join(CALLBACK_STATES)}, got {states!r}")

    def body(
        task_id: str, state: str, credits: int, payload: str, bgm: bool, off_peak: bool, reason: str
    ) -> dict[str, Any]:
        media = f"https://cdn.example.com/{task_id}"
        data: dict[str, Any] = {
            "id": task_id,
            "state": state,
            "err_code": reason if state == "failed" else "",
            "credits": credits,
            "payload": payload,
            "bgm": bgm,
            "off_peak": off_peak,
            "creations": [{"id": f"{task_id}-0", "url": f"{media}.mp4", "cover_url": f"{media}.jpg"}]
            if state == "success"
            else [],
        }
        if extra_field:
            data[EXTRA_FIELD[0]] = EXTRA_FIELD[1]
        return data

    reasons = st.sampled_from(
        ["CreationPolicyViolation", "AuditSubmitIllegal", "ImageDownloadFailure", "InternalServiceFailure"]
    )
    return st.builds(
        body, _IDS, st.sampled_from(states), st.integers(0, 10_000), _TEXT, st.booleans(), st.booleans(), reasons
    )


def _tamper(token: str, url: str, headers: dict[str, str], how: str) -> dict[str, str]:
    broken = dict(headers)
    if how == "signed with another token":
        broken["X-HMAC-SIGNATURE"] = signature_headers("x" + token, url, headers["Date"], headers["x-request-nonce"])[
            "X-HMAC-SIGNATURE"
        ]
    elif how == "Date changed after signing":
        broken["Date"] = headers["Date"].replace("GMT", "+0000") if headers["Date"].endswith("GMT") else "x"
    elif how == "nonce changed after signing":
        broken["x-request-nonce"] = headers["x-request-nonce"][::-1] + "0"
    elif how == "signature missing":
        del broken["X-HMAC-SIGNATURE"]
    elif how == "signed for another path":
        parts = urlsplit(url)
        other = urlunsplit((parts.scheme, parts.netloc, parts.path.rstrip("/") + "/elsewhere", parts.query, ""))
        broken["X-HMAC-SIGNATURE"] = signature_headers(token, other, headers["Date"], headers["x-request-nonce"])[
            "X-HMAC-SIGNATURE"
        ]
    else:  # "signed header dropped"
        del broken["x-request-nonce"]
    return broken


def callback_deliveries(
    token: str, *, url: str | None = None, tampered: bool | None = False, extra_field: bool | None = False
) -> st.SearchStrategy[CallbackDelivery]:
    """Deliveries signed with `token` as Vidu signs them (to `url`, or drawn loopback URLs).

    `tampered=True`: each breaks the signature in one of `TAMPERINGS` (named in `.tampering`);
    None: either. `extra_field=None`: bodies with and without an unknown field.
    """
    if not isinstance(token, str) or not token:
        raise InvalidArgument("token must be the non-empty token the receiver checks with")
    urls = st.just(url) if url is not None else callback_urls()
    tamperings: st.SearchStrategy[str | None] = (
        st.none()
        if tampered is False
        else st.sampled_from(TAMPERINGS)
        if tampered
        else st.one_of(st.none(), st.sampled_from(TAMPERINGS))
    )
    extras = st.booleans() if extra_field is None else st.just(bool(extra_field))
    bodies = extras.flatmap(lambda extra: callback_bodies(extra_field=extra))

    def delivery(target: str, body: dict[str, Any], seconds: int, nonce: str, how: str | None) -> CallbackDelivery:
        headers = {"Content-Type": "application/json", **signature_headers(token, target, http_date(seconds), nonce)}
        if how is not None:
            headers = _tamper(token, target, headers, how)
        return CallbackDelivery(target, headers, json.dumps(body).encode(), how)

    return st.builds(delivery, urls, bodies, _SECONDS, _NONCES, tamperings)
