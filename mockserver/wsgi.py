"""Kept so that `gunicorn 'mockserver.wsgi:app'` in existing scripts still works; see `mockserver.live.wsgi`."""

from mockserver.live.wsgi import app

__all__ = ["app"]
