"""The error shape every failure renders as (CONTRACT section 3)."""

from __future__ import annotations

from typing import Any

from mockserver.contract.data.catalogue import error_spec


class ApiError(Exception):
    """An error response: status, catalogue type and code, offending param, message."""

    def __init__(self, code: str, message: str | None = None, param: str | None = None) -> None:
        spec = error_spec(code)
        self.status = spec.status
        self.type = spec.type
        self.code = code
        self.param = param
        self.message = message or spec.message
        self.retry_after = spec.retry_after
        super().__init__(f"{self.status} {code}: {self.message}")

    def body(self) -> dict[str, Any]:
        """The JSON body: `{"error": {message, type, param, code}}`."""
        return {"error": {"message": self.message, "type": self.type, "param": self.param, "code": self.code}}

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ApiError) and self.body() == other.body() and self.status == other.status

    __hash__ = None  # type: ignore[assignment]  # mutable exception, compared by value
