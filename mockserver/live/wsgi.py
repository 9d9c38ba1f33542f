"""WSGI entry for production servers: `gunicorn 'mockserver.live.wsgi:app'`.

Configured from `VIDU_MOCK_*` variables (and `VIDU_MOCK_CONFIG`). With several worker
processes, set the same `VIDU_MOCK_SECRET` for all (gunicorn forks one app, so they
share it): task ids are signed, so any worker serves a task another created.

The app cannot see gunicorn's `--bind`, so the Host names it answers to follow
`VIDU_MOCK_HOST` as the `mockserver` command's `--host` does: by default (127.0.0.1) only
loopback names; set `VIDU_MOCK_ALLOW_HOST` to the names clients use (a container or
service alias), or `VIDU_MOCK_HOST` to the interface gunicorn binds.
"""

from mockserver.config_sources import settings_from_sources
from mockserver.live.app import create_app

app = create_app(settings_from_sources())
