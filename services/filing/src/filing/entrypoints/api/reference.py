"""The court's reference data, open to all: case types, forms, document types, rejection reasons."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from filing.domain.forms import FORM_IDS, form_catalogue, form_schema
from filing.entrypoints.api.common import BASE
from filing.service_layer import errors
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    catalogue = deps.catalogue

    @app.get(f"{BASE}/case-types")
    def list_case_types() -> Response:
        return jsonify(
            {
                "courts": [{"code": code, "name": name} for code, name in catalogue.courts.items()],
                "case_types": [t.as_json() for t in catalogue.case_types.values()],
            }
        )

    @app.get(f"{BASE}/forms")
    def list_forms() -> Response:
        return jsonify({"forms": form_catalogue()})

    @app.get(f"{BASE}/forms/<form_id>")
    def get_form(form_id: str) -> Response:
        if form_id not in FORM_IDS:
            raise errors.not_found("form")
        return jsonify(form_schema(form_id))

    @app.get(f"{BASE}/document-types")
    def list_document_types() -> Response:
        return jsonify(
            {
                "document_types": [
                    {
                        "code": t.code,
                        "title": t.title,
                        "originating": t.originating,
                        "lead": t.lead,
                        "connected": t.connected,
                        "joins_record": t.joins_record,
                        "public_inspection": t.public_inspection,
                        "fee_code": t.fee_code,
                    }
                    for t in catalogue.document_types.values()
                ]
            }
        )

    @app.get(f"{BASE}/rejection-reasons")
    def list_rejection_reasons() -> Response:
        return jsonify({"rejection_reasons": [{"code": c, "title": t} for c, t in catalogue.rejection_reasons.items()]})
