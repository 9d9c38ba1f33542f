"""The OpenAPI `callbacks` object of Vidu's create operations (docs/callbacks.md), for the `vidu` document.

Build time only, like the rest of `mockserver.openapi`: the create operations of the vidu
dialect's document carry `"callbacks": create_callbacks(task_ref)`, where `task_ref` is the
`$ref` of the poll body's schema (a callback carries the GET Generation body).
"""

from __future__ import annotations

from typing import Any

from mockserver.contract.callbacks.faults import CALLBACK_STATES
from mockserver.contract.callbacks.outbox import MAX_ATTEMPTS, RETRY_BACKOFF_SECONDS
from mockserver.contract.callbacks.signing import ACCESS_KEY, ALGORITHM, SIGNED_HEADERS

__all__ = ["CALLBACK_NAME", "create_callbacks"]

CALLBACK_NAME = "taskStateChanged"
_EXAMPLE_DATE = "Tue, 06 May 2025 12:09:42 GMT"


def _header(name: str, description: str, example: str, schema: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "in": "header",
        "required": True,
        "description": description,
        "schema": schema or {"type": "string"},
        "example": example,
    }


def create_callbacks(task_ref: str) -> dict[str, Any]:
    """`{"taskStateChanged": {"{$request.body#/callback_url}": {"post": ...}}}` for a create operation."""
    retries = ", ".join(f"{s:g} s" for s in RETRY_BACKOFF_SECONDS)
    post = {
        "summary": "A task's state changed",
        "description": (
            f"Sent to the create body's `callback_url` on each state change ({', '.join(CALLBACK_STATES)}) with "
            "the task's poll body. Signed: `X-HMAC-SIGNATURE` is base64(HMAC-SHA256(token that created the task, "
            'METHOD + "\\n" + path + "\\n" + query + "\\n" + "vidu" + "\\n" + Date + "\\n" + one "Name:value\\n" '
            "per header listed in X-HMAC-SIGNED-HEADERS)). A success or failed delivery that is not answered "
            f"with a 2xx is tried {MAX_ATTEMPTS - 1} more times (the mock waits {retries} on its clock)."
        ),
        "operationId": "taskStateChanged",
        "parameters": [
            _header("Date", "When it was sent (GMT); signed.", _EXAMPLE_DATE),
            _header(
                "x-request-nonce",
                "Random per delivery, against replays; signed.",
                "123e4567-e89b-12d3-a456-426614174000",
            ),
            _header(
                "X-HMAC-SIGNED-HEADERS",
                "The signed headers, in order, separated by semicolons.",
                ";".join(SIGNED_HEADERS),
            ),
            _header(
                "X-HMAC-SIGNATURE",
                "base64(HMAC-SHA256(token, signing string)).",
                "INnatQoGaiFwPNg+DFnhTgTgGD7k+cwq4RegrQ3hRzI=",
            ),
            _header("X-HMAC-ALGORITHM", "The signature's algorithm.", ALGORITHM, {"const": ALGORITHM}),
            _header("X-HMAC-ACCESS-KEY", "The access key identifier.", ACCESS_KEY, {"const": ACCESS_KEY}),
        ],
        "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": task_ref}}}},
        "responses": {
            "2XX": {"description": "Taken: no more attempts."},
            "default": {"description": "Not taken: a success or failed delivery is tried again."},
        },
    }
    return {CALLBACK_NAME: {"{$request.body#/callback_url}": {"post": post}}}
