"""vidu-mock: a contract-faithful fake of the Vidu Q3 video-generation API.

- `mockserver.contract`: the pure core (validation, lifecycle, errors, the engine).
- `mockserver.live`: the live face (the Flask app, its HTTP server, `LiveServer`, network faults);
  `mockserver.live.wsgi:app` for gunicorn (`mockserver.wsgi:app` still works).
- `mockserver.config_sources`: `settings_from_sources()`, settings from the environment and a config file.
- `mockserver.openapi.document`: the OpenAPI document (build time; `tools/generate_openapi.py`).
- `mockserver.cli`: the `mockserver` command.

Nothing is imported here, so `import mockserver.contract` never loads Flask.
"""

__all__: list[str] = []
