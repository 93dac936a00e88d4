"""Filing's web process: ``gunicorn 'filing.entrypoints.http:create_app()'``."""

from __future__ import annotations

from flask import Flask

from chassis import logs
from chassis.service import Runtime
from filing.bootstrap import bootstrap, wire
from filing.entrypoints.api import (
    calendar,
    cases,
    cloud,
    documents,
    export,
    filings,
    inbox,
    inspections,
    issued,
    reference,
    registry,
)


def create_app(runtime: Runtime | None = None) -> Flask:
    """Filing's Flask app: the chassis's conventions plus filing's routes."""
    runtime = runtime or bootstrap()
    deps = wire(runtime)
    logs.configure(runtime.description.name, runtime.settings.log_level)
    app = runtime.web_app()
    # A body larger than every document at its limit is refused before it is read (413).
    app.config["MAX_CONTENT_LENGTH"] = deps.settings.max_request_bytes
    modules = (reference, calendar, cases, filings, registry, inbox, cloud, documents, inspections, issued, export)
    for module in modules:
        module.install(app, deps)
    return app
