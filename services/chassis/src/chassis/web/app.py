"""The Flask application every service starts from."""

from __future__ import annotations

import contextlib
import functools
import re
import time
import uuid
from collections.abc import Callable, Mapping
from typing import IO

from flask import Flask, Response, g, jsonify, request
from werkzeug.exceptions import ClientDisconnected

from chassis import logs, metrics
from chassis.web.problems import install_error_handlers

REQUEST_ID_HEADER = "X-Request-ID"
# A client-supplied id is kept only if it is short and plain, so it is safe in logs and headers.
_ACCEPTABLE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

ReadinessCheck = Callable[[], None]


def create_service_app(service: str, checks: Mapping[str, ReadinessCheck]) -> Flask:
    """A Flask app with request ids, JSON errors, metrics, ``/health/live`` and ``/health/ready``.

    ``checks`` maps a dependency's name (db, broker, storage) to a callable that raises if it cannot
    be reached; readiness is 200 only when every check passes.
    """
    app = Flask(service)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    install_error_handlers(app)
    _install_request_context(app, service)
    _install_health(app, service, checks)
    return app


def current_request_id() -> str:
    """The id of the request being handled."""
    return g.request_id


def _install_request_context(app: Flask, service: str) -> None:
    @app.before_request
    def _begin() -> None:
        incoming = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = incoming if _ACCEPTABLE_REQUEST_ID.match(incoming) else str(uuid.uuid4())
        g.started = time.perf_counter()
        g.log_context = logs.bound(request_id=g.request_id, correlation_id=g.request_id)
        g.log_context.__enter__()

    @app.after_request
    def _finish(response: Response) -> Response:
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "")
        # An answer given before the body was read (a refusal) leaves the body on a kept-alive connection;
        # gunicorn's gthread worker would then block a thread on that socket waiting for a next request,
        # and a few idle clients could stall the process. So the rest is read once the answer is sent.
        response.call_on_close(functools.partial(_drain, request.stream))
        route = request.url_rule.rule if request.url_rule is not None else "unmatched"
        metrics.http_requests.labels(service, request.method, route, str(response.status_code)).inc()
        if "started" in g:
            metrics.http_duration.labels(service, request.method, route).observe(time.perf_counter() - g.started)
        return response

    @app.teardown_request
    def _end(_exc: BaseException | None) -> None:
        context = g.pop("log_context", None)
        if context is not None:
            context.__exit__(None, None, None)


def _drain(stream: IO[bytes]) -> None:
    with contextlib.suppress(OSError, ClientDisconnected):
        while stream.read(64 * 1024):
            pass


def _install_health(app: Flask, service: str, checks: Mapping[str, ReadinessCheck]) -> None:
    @app.get("/health/live")
    def live() -> Response:
        return jsonify({"service": service, "status": "live"})

    @app.get("/health/ready")
    def ready() -> tuple[Response, int]:
        results: dict[str, dict[str, str]] = {}
        for name, check in checks.items():
            try:
                check()
                results[name] = {"status": "up"}
            except Exception as exc:  # a readiness probe reports every failure, whatever its kind
                results[name] = {"status": "down", "error": f"{type(exc).__name__}: {exc}"[:300]}
        healthy = all(r["status"] == "up" for r in results.values())
        body = {"service": service, "status": "ready" if healthy else "unready", "checks": results}
        return jsonify(body), 200 if healthy else 503

    @app.get("/metrics")
    def metrics_endpoint() -> Response:
        return Response(metrics.exposition(), mimetype="text/plain; version=0.0.4")
