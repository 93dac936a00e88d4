"""``/cases``: starting a case from a form, and reading the cases the caller is on."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import json_body
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints import bodies
from filing.entrypoints.api.common import BASE, created, idempotency_key, text_arg
from filing.service_layer import cases
from filing.service_layer.access import require_account, require_filer
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/cases")
    def create_case() -> tuple[Response, int]:
        principal = current_principal()
        require_filer(principal)
        key = idempotency_key()
        body = json_body(bodies.NEW_CASE)
        return created(*cases.create(deps, principal, body, key))

    @app.get(f"{BASE}/cases")
    def list_cases() -> Response:
        filters: dict[str, object] = {}
        if (case_type := text_arg("case_type", 8)) is not None:
            filters["case_type"] = case_type.upper()
        if (party := text_arg("party", 100)) is not None:
            filters["party"] = party.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        if "year" in request.args:
            filters["year"] = int_arg("year", 0, 1990, 2100)
        return jsonify(
            cases.list_visible(
                deps, current_principal(), filters, int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9)
            )
        )

    @app.get(f"{BASE}/cases/<uuid:case_id>")
    def get_case(case_id: object) -> Response:
        principal = current_principal()
        require_account(principal)
        return jsonify(cases.get(deps, principal, str(case_id)))
