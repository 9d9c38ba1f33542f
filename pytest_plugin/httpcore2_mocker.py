"""A respx `Mocker` for `httpx2` clients (the OpenAI SDK 3.x transport), which respx does not patch.

respx patches `httpcore`'s connection pools; `httpx2` sends through `httpcore2`, a separate
package. This mocker patches `httpcore2`'s pools the same way and registers itself under
the name `"httpcore2"`, so any respx router registered with it serves `httpx2` clients too.

Importing this module needs `httpcore2`; `VideoAPI` imports it only when `httpx2` is installed.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any, ClassVar

import httpcore2  # noqa: F401  # fail at import when httpx2's transport is missing
import httpx
from respx.mocks import HTTPCoreMocker

__all__ = ["HTTPCore2Mocker", "to_httpcore2_error"]


def _httpcore2() -> ModuleType:
    """`httpcore2` as imported now.

    respx keeps this mocker registered for the whole process, but a module can be imported
    afresh (pytester's in-process runs drop the modules a run imported): `httpx2` maps only
    the exception classes of the `httpcore2` it sees now, not of the one this module first saw.
    """
    return importlib.import_module("httpcore2")


def to_httpcore2_error(error: httpx.TransportError) -> Exception:
    """The `httpcore2` exception `httpx2` maps to the `httpx2` twin of `error` (e.g. `ReadError`)."""
    twin = getattr(_httpcore2(), type(error).__name__, None)
    if isinstance(twin, type) and issubclass(twin, Exception):
        return twin(str(error))
    return error


class HTTPCore2Mocker(HTTPCoreMocker):
    """Patches `httpcore2` pools: requests become `httpx.Request`s for respx, replies `httpcore2.Response`s.

    Transport errors raised by a route (`httpx.ReadError`, `httpx.ReadTimeout`…) are re-raised
    as their `httpcore2` twins, so an `httpx2` client sees `httpx2.ReadError` and so on.
    """

    name = "httpcore2"
    targets: ClassVar[list[str]] = [
        "httpcore2._sync.connection.HTTPConnection",
        "httpcore2._sync.connection_pool.ConnectionPool",
        "httpcore2._sync.http_proxy.HTTPProxy",
        "httpcore2._async.connection.AsyncHTTPConnection",
        "httpcore2._async.connection_pool.AsyncConnectionPool",
        "httpcore2._async.http_proxy.AsyncHTTPProxy",
    ]
    target_methods: ClassVar[list[str]] = ["handle_request", "handle_async_request"]

    @classmethod
    def _send_sync_request(cls, httpx_request: httpx.Request, **kwargs: Any) -> Any:
        try:
            return super()._send_sync_request(httpx_request, **kwargs)  # type: ignore[no-untyped-call]
        except httpx.TransportError as error:
            raise to_httpcore2_error(error) from error

    @classmethod
    async def _send_async_request(cls, httpx_request: httpx.Request, **kwargs: Any) -> Any:
        try:
            return await super()._send_async_request(httpx_request, **kwargs)  # type: ignore[no-untyped-call]
        except httpx.TransportError as error:
            raise to_httpcore2_error(error) from error

    @classmethod
    def from_sync_httpx_response(cls, httpx_response: httpx.Response, target: Any, **kwargs: Any) -> Any:
        """An `httpcore2.Response` carrying the mocked `httpx.Response`."""
        response: Any = _httpcore2().Response(
            status=httpx_response.status_code,
            headers=httpx_response.headers.raw,
            content=httpx_response.stream,
            extensions=httpx_response.extensions,
        )
        return response
