"""Identity's web process: ``gunicorn 'identity.entrypoints.http:create_app()'``."""

from __future__ import annotations

from flask import Flask

from chassis import logs
from chassis.service import Runtime
from identity.bootstrap import bootstrap


def create_app(runtime: Runtime | None = None) -> Flask:
    """Identity's Flask app."""
    runtime = runtime or bootstrap()
    logs.configure(runtime.description.name, runtime.settings.log_level)
    return runtime.web_app()
