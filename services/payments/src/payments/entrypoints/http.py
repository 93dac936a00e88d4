"""Payments's web process: ``gunicorn 'payments.entrypoints.http:create_app()'``."""

from __future__ import annotations

from flask import Flask

from chassis import logs
from chassis.service import Runtime
from payments.bootstrap import bootstrap, wire
from payments.entrypoints.api import deposit_accounts, fees, ledger, orders, payments, providers, receipts


def create_app(runtime: Runtime | None = None) -> Flask:
    """Payments's Flask app: the chassis's conventions plus payments's routes."""
    runtime = runtime or bootstrap()
    deps = wire(runtime)
    logs.configure(runtime.description.name, runtime.settings.log_level)
    app = runtime.web_app()
    for module in (fees, orders, ledger, providers, receipts, deposit_accounts, payments):
        module.install(app, deps)
    return app
