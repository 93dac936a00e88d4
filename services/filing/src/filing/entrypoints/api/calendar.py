"""``/calendar``: when something is deemed received, and the registry's declared closures."""

from __future__ import annotations

from datetime import timedelta

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import json_body
from chassis.web.principal import current_principal
from filing.entrypoints import bodies
from filing.entrypoints.api.common import BASE, created
from filing.service_layer import calendar, errors
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/calendar/deemed-receipt")
    def get_deemed_receipt() -> Response:
        raw = request.args.get("at")
        # An empty ``at`` is refused like an empty ``from``; only a missing one means now.
        at = bodies.instant(raw, "at") if raw is not None else deps.now()
        return jsonify(calendar.answer_deemed_receipt(deps, at))

    @app.get(f"{BASE}/calendar/closures")
    def list_closures() -> Response:
        now = deps.now()
        start = bodies.instant(request.args["from"], "from") if "from" in request.args else now - timedelta(days=30)
        end = bodies.instant(request.args["to"], "to") if "to" in request.args else now + timedelta(days=30)
        if end <= start or end - start > timedelta(days=366):
            raise errors.invalid_field("to", "must be after 'from' and at most a year later")
        return jsonify(calendar.list_closures(deps, start, end))

    @app.post(f"{BASE}/calendar/closures")
    def declare_closure() -> tuple[Response, int]:
        principal = current_principal()
        require_registry(principal)
        body = json_body(bodies.CLOSURE)
        body["starts_at"] = bodies.instant(body["starts_at"], "starts_at")
        body["ends_at"] = bodies.instant(body["ends_at"], "ends_at")
        return created(201, calendar.declare_closure(deps, principal, body))
