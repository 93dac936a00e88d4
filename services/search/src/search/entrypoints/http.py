"""Search's web process: ``gunicorn 'search.entrypoints.http:create_app()'``."""

from __future__ import annotations

from flask import Flask

from chassis import logs
from chassis.service import Runtime
from search.bootstrap import bootstrap, wire
from search.entrypoints import api


def create_app(runtime: Runtime | None = None) -> Flask:
    """Search's Flask app: the chassis's conventions plus search's three searches."""
    runtime = runtime or bootstrap()
    logs.configure(runtime.description.name, runtime.settings.log_level)
    app = runtime.web_app()
    api.install(app, wire(runtime))
    return app
