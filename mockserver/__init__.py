"""vidu-mock: a contract-faithful fake of the Vidu Q3 video-generation API.

- `mockserver.contract`: the pure core (validation, lifecycle, errors, the engine).
- `mockserver.app`: `create_app(settings)`, the Flask face; `mockserver.wsgi:app` for gunicorn.
- `mockserver.live`: `LiveServer`, the app on a loopback port in a background thread.
- `mockserver.cli`: the `mockserver` command.

Nothing is imported here, so `import mockserver.contract` never loads Flask.
"""

__all__: list[str] = []
