"""The Flask face: `create_app(settings)` turns WSGI requests into engine calls.

All contract behaviour lives in `mockserver.contract`; this module only translates HTTP,
acts out injected delays and faults, and writes one log line per request.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from flask import Flask, Request
from werkzeug.http import HTTP_STATUS_CODES
from werkzeug.routing import MapAdapter
from werkzeug.wsgi import get_content_length, get_input_stream

from mockserver.contract.admin.guard import RequestGuard
from mockserver.contract.errors import ApiError
from mockserver.contract.messages import Incoming, Outgoing, error_reply
from mockserver.contract.routes.engine import ContractEngine
from mockserver.contract.routes.router import Router
from mockserver.contract.settings import Settings
from mockserver.dashboard import dashboard_reply
from mockserver.live.faults import FaultMiddleware, act_out_delay, mark_dropped
from mockserver.live.output import REQUEST_LOG, base_url, log_reply, reply_body, reply_headers
from mockserver.state.backends import open_state

__all__ = ["EXTENSION", "create_app", "engine_of", "shutdown_event", "REQUEST_LOG"]

EXTENSION = "vidu_mock"
# WSGI passes these two as CONTENT_TYPE/CONTENT_LENGTH; HTTP_ copies of them are ignored, as Werkzeug does.
_BODY_HEADERS_CGI = ("CONTENT_TYPE", "CONTENT_LENGTH")
_BODY_HEADERS = frozenset({"HTTP_CONTENT_TYPE", "HTTP_CONTENT_LENGTH"})


class _State:
    """Per-app state kept in `app.extensions` (never module globals)."""

    def __init__(self, engine: ContractEngine, bound_host: str) -> None:
        self.engine = engine
        guard = RequestGuard.for_server(bound_host, engine.settings.allow_host)
        self.router = Router(engine, page=dashboard_reply, guard=guard)
        self.stopping = threading.Event()
        # Werkzeug rebuilds `host_url` (IRI decoding and all) on every request; it depends
        # only on these environ values, and clients send the same few Host headers.
        self.host_urls: dict[tuple[Any, ...], str] = {}

    def host_url(self, current: Request) -> str:
        """`current.host_url`, remembered for up to 256 distinct scheme/host/root combinations."""
        environ = current.environ
        get = environ.get
        key = (get("wsgi.url_scheme"), get("HTTP_HOST"), get("SERVER_NAME"), get("SERVER_PORT"), get("SCRIPT_NAME"))
        url = self.host_urls.get(key)
        if url is None:
            url = _host_url(current)
            if len(self.host_urls) < 256:
                self.host_urls[key] = url
        return url


def _host_url(current: Request) -> str:
    """`current.host_url`, without importing the IDNA codec (a millisecond) for hosts that need none.

    Werkzeug turns the URL into an IRI: host lower-cased, port normalized, `xn--` labels
    decoded. Only the last needs the codec, so other hosts are normalized the same way here.
    """
    scheme = current.scheme
    try:
        parts = urlsplit(f"{scheme}://{current.host}/")
        hostname, port = parts.hostname or "", parts.port
    except ValueError:
        return current.host_url  # let Werkzeug decide what an unusable Host header gives
    if "xn--" in hostname:
        return current.host_url
    return base_url(scheme, hostname, port)  # Werkzeug's `host` has already left out the scheme's own port


def engine_of(app: Flask) -> ContractEngine:
    """The `ContractEngine` behind an app made by `create_app`."""
    state: _State = app.extensions[EXTENSION]
    return state.engine


def shutdown_event(app: Flask) -> threading.Event:
    """Set it when the server stops: injected delays and held `timeout` connections end at once."""
    state: _State = app.extensions[EXTENSION]
    return state.stopping


class _MockFlask(Flask):
    """Flask whose every request, any method and path, goes to the engine, which does its own routing.

    No URL rules and no URL matching: a rule cost a URL-builder compile per app (most of
    building one), matching cost every request time, and the engine answers unknown paths
    and methods itself, in the §3 shape.
    """

    def create_url_adapter(self, request: Request | None) -> MapAdapter | None:
        """No adapter for requests, so Flask skips URL matching; the app-context one is Flask's."""
        if request is not None:
            return None
        return super().create_url_adapter(request)

    def wsgi_app(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        """Answer through the engine, without Flask's request context or response object.

        The engine needs neither, and pushing the context, building the response and
        tearing both down cost three times the engine's own work on a create.
        """
        state: _State = self.extensions[EXTENSION]
        current = Request(environ)
        try:
            reply = _serve(state, current)
        except Exception:
            self.logger.exception("unexpected error")  # a bug of ours; the client still gets the §3 shape
            reply = error_reply(ApiError("internal_error"))
        return _respond(reply, environ, start_response)


# Given, so Flask does not look the package up on the import path for every app (the
# instance folder is never used).
_ROOT_PATH = os.path.dirname(os.path.abspath(__file__))


def create_app(
    settings: Settings | None = None, *, engine: ContractEngine | None = None, bound_host: str | None = None
) -> Flask:
    """A Flask app serving the fake API (and the `/__mock/` admin API) for `settings`.

    `bound_host` is the interface the server listens on, which decides the Host names it
    answers to (`RequestGuard`); by default `settings.host` (under gunicorn, `VIDU_MOCK_HOST`).
    """
    if engine is None:
        settings = settings or Settings()
        engine = ContractEngine(settings, state=open_state(settings))
    # No static folder: its route cost a millisecond per app and answered OPTIONS /static/... itself.
    app = _MockFlask(__name__, static_folder=None, root_path=_ROOT_PATH, instance_path=_ROOT_PATH)
    state = _State(engine, engine.settings.host if bound_host is None else bound_host)
    app.extensions[EXTENSION] = state
    app.wsgi_app = FaultMiddleware(  # type: ignore[method-assign]
        app.wsgi_app, state.stopping, lambda: engine.settings.timeout_fault_seconds
    )

    return app


def _incoming(state: _State, current: Request) -> Incoming:
    cap = state.engine.settings.max_body_bytes
    # What `current.content_length` and `current.stream` compute, each parsing the length once more.
    declared = get_content_length(current.environ)
    if declared is not None and declared > cap:
        body, size = b"", declared  # refuse without reading; the server drains or drops the rest
    else:
        # Flask's MAX_CONTENT_LENGTH is never set here: `cap` is the limit, read one byte past it.
        body = get_input_stream(current.environ).read(cap + 1)
        size = None
    return Incoming(
        method=current.method,
        path=current.path,
        headers=_headers(current.environ),
        body=body,
        base_url=state.host_url(current),
        remote_addr=current.remote_addr,
        declared_size=size,
        multiprocess=bool(current.environ.get("wsgi.multiprocess")),
        query=str(current.environ.get("QUERY_STRING", "")),
    )


def _headers(environ: dict[str, Any]) -> dict[str, str]:
    """The request's headers as Werkzeug's `EnvironHeaders` lists them, names lower-cased as the engine keys them."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key[:5] == "HTTP_" and key not in _BODY_HEADERS
    }
    for key in _BODY_HEADERS_CGI:
        value = environ.get(key)
        if value:
            headers[key.replace("_", "-").lower()] = value
    return headers


def _serve(state: _State, current: Request) -> Outgoing:
    started = time.perf_counter()
    try:
        incoming = _incoming(state, current)
    except Exception as error:
        # A body that cannot be read is the client's fault, so a 400: a broken chunked body
        # raises OSError under Werkzeug and a ParseException (not an OSError) under gunicorn.
        reply = error_reply(ApiError("invalid_json", f"The request body could not be read: {str(error)[:120]}."))
        log_reply(current.method, current.path, reply, started)
        return reply
    reply = state.router.handle(incoming)
    act_out_delay(reply, state.stopping)
    log_reply(current.method, current.path, reply, started)
    mark_dropped(reply, current.environ)  # acted out by FaultMiddleware
    return reply


def _respond(reply: Outgoing, environ: dict[str, Any], start_response: Any) -> list[bytes]:
    """Start the WSGI response for `reply`: the engine's headers, then the one length this face owns.

    Framing is the face's alone: a length (or date, or connection header) among the engine's
    would go out next to the one written here or by the server, and strict parsers (Node's
    undici, proxies) refuse an answer with two.
    """
    headers = reply_headers(reply)
    status, body = reply.status, reply_body(reply)
    if body is None:
        body = b""
    else:
        headers.append(("Content-Length", str(len(body))))
    if environ.get("REQUEST_METHOD") == "HEAD":
        body = b""
    start_response(f"{status} {HTTP_STATUS_CODES.get(status, 'UNKNOWN').upper()}", headers)
    return [body]
