"""WSGI entry for production servers: `gunicorn 'mockserver.live.wsgi:app'`.

Configured from `VIDU_MOCK_*` variables (and `VIDU_MOCK_CONFIG`). With several worker
processes, set the same `VIDU_MOCK_SECRET` for all (gunicorn forks one app, so they
share it): task ids are signed, so any worker serves a task another created.
"""

from mockserver.config_sources import settings_from_sources
from mockserver.live.app import create_app

app = create_app(settings_from_sources())
