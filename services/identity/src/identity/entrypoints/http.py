"""Identity's web process: ``gunicorn 'identity.entrypoints.http:create_app()'``."""

from __future__ import annotations

from flask import Flask

from chassis import logs
from chassis.service import Runtime
from identity.bootstrap import bootstrap, wire
from identity.entrypoints.api import keys, organisations, registrations, sessions


def create_app(runtime: Runtime | None = None) -> Flask:
    """Identity's Flask app: the chassis's conventions plus identity's routes."""
    runtime = runtime or bootstrap()
    deps = wire(runtime)
    logs.configure(runtime.description.name, runtime.settings.log_level)
    app = runtime.web_app()
    # Documents are at most 10 MB each and at most 10 of them; anything far larger is refused
    # before it is read.
    app.config["MAX_CONTENT_LENGTH"] = deps.settings.max_documents * deps.settings.max_document_bytes + 1024 * 1024
    for module in (keys, registrations, sessions, organisations):
        module.install(app, deps)
    return app
