"""The gateway's WSGI app. gunicorn runs ``gateway.entrypoints.http:create_app()``."""

from __future__ import annotations

import math

from flask import Flask, Response, jsonify

from chassis import logs
from chassis.web.app import create_service_app, current_request_id
from chassis.web.problems import Problem
from gateway import config
from gateway.bootstrap import Gateway, bootstrap
from gateway.health import SERVICE

METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
#: Seconds clients and caches may keep the gateway's copy of identity's keys.
JWKS_MAX_AGE = 300


def create_app(settings: config.Settings | None = None) -> Flask:
    """The gateway app: ``/api/<service>/...`` proxied, identity's keys, the chassis's health and metrics."""
    settings = settings or config.load()
    logs.configure(SERVICE, settings.log_level)
    gateway = bootstrap(settings)
    app = create_service_app(SERVICE, checks={})
    app.extensions["icms_gateway"] = gateway
    _install_readiness(app, gateway)
    _install_jwks(app, gateway)
    _install_routes(app, gateway)
    return app


def _install_readiness(app: Flask, gateway: Gateway) -> None:
    # The chassis runs checks one after another and reports only up/down; the gateway asks all
    # upstreams at once and includes their own checks, so it replaces the chassis's view function
    # (same route, same {"service", "status", "checks"} shape, same metrics label).
    if "ready" not in app.view_functions:
        raise RuntimeError("chassis app has no 'ready' endpoint to replace")

    def ready() -> tuple[Response, int]:
        body, status = gateway.health.report(current_request_id())
        return jsonify(body), status

    app.view_functions["ready"] = ready


def _install_jwks(app: Flask, gateway: Gateway) -> None:
    # Clients and other verifiers fetch identity's public keys through the one public door.
    @app.get("/.well-known/jwks.json")
    def jwks() -> Response:
        document = gateway.keys.document()
        if document is None:
            raise Problem(
                503,
                "keys-unavailable",
                "Keys unavailable",
                "Identity's signing keys could not be fetched yet; try again shortly.",
                headers={"Retry-After": str(math.ceil(gateway.settings.jwks_min_refresh))},
            )
        response = jsonify(document)
        response.headers["Cache-Control"] = f"public, max-age={JWKS_MAX_AGE}"
        return response


def _install_routes(app: Flask, gateway: Gateway) -> None:
    # One rule per service, so the metrics' route label tells the services apart.
    for service in gateway.proxy.services:

        def view(path: str = "", service: str = service) -> Response:
            return gateway.proxy.forward(service)

        for rule in (f"/api/{service}", f"/api/{service}/", f"/api/{service}/<path:path>"):
            app.add_url_rule(
                rule, f"proxy_{service}", view, methods=METHODS, provide_automatic_options=False, strict_slashes=False
            )

    def unknown_service(service: str, path: str = "") -> Response:
        raise Problem(404, "unknown-service", "Unknown service", f"There is no service called {service!r}.")

    for rule in ("/api/<service>", "/api/<service>/", "/api/<service>/<path:path>"):
        app.add_url_rule(rule, "unknown_service", unknown_service, methods=METHODS, provide_automatic_options=False)
