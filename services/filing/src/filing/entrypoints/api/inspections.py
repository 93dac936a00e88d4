"""``/inspections``: anyone asks to inspect a document open to public inspection; the asker reads it back."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.bodies import ID, closed_object, json_body, text
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints.api.common import BASE, created
from filing.entrypoints.api.documents import inspection_token
from filing.service_layer import errors, inspections
from filing.service_layer.access import require_account
from filing.service_layer.deps import Deps

REQUEST = closed_object([], {"document_id": ID, "drn": text(20)})


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/inspections")
    def request_inspection() -> tuple[Response, int]:
        body = json_body(REQUEST)
        if len(body) != 1:
            raise errors.invalid_field("document_id", "give exactly one of document_id and drn")
        return created(*inspections.request(deps, current_principal(), body))

    @app.get(f"{BASE}/inspections")
    def list_inspections() -> Response:
        principal = current_principal()
        require_account(principal)
        limit, offset = int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9)
        return jsonify(inspections.list_mine(deps, principal, limit, offset))

    @app.get(f"{BASE}/inspections/<uuid:inspection_id>")
    def get_inspection(inspection_id: object) -> Response:
        return jsonify(inspections.get(deps, current_principal(), str(inspection_id), inspection_token()))
