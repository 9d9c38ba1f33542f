"""The live face: the mock served over HTTP on a socket.

- `app`: `create_app(settings)`, the Flask/WSGI face over the core's `Router`.
- `wsgi`: `app` for production servers (`gunicorn 'mockserver.live.wsgi:app'`).
- `server`: `LiveServer`, the one way to serve the app on a port (CLI, fixtures, benches).
- `event_server`, `connection`, `request_reader`, `exchange`: the HTTP server under it (one event
  loop; llhttp, through `httptools`, reads the requests).
- `idle_spin`: the command's loop polls a moment after each answer, so the next request finds it awake.
- `faults`: network faults (reset, empty, malformed, timeout) acted out on the socket.
- `log_text`: the console log's escaping.
"""

from mockserver.live.server import LiveServer

__all__ = ["LiveServer"]
