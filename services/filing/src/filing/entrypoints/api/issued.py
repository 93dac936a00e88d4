"""Court-issued documents: the registry issues them into a case; anyone checks a DRN."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import closed_object, parse_json, text, validate
from chassis.web.principal import current_principal
from filing.entrypoints import bodies
from filing.entrypoints.api.common import BASE, created, multipart
from filing.service_layer import drn_check, errors, issuing
from filing.service_layer.access import require_account, require_registry
from filing.service_layer.deps import Deps

_COMMON = {"title": text(300), "public_inspection": {"type": "boolean"}}
UPLOAD_METADATA = closed_object(["kind", "title"], {**_COMMON, "kind": {"enum": list(issuing.KINDS)}})
TEMPLATE = {
    "type": "object",
    "required": ["template"],
    "properties": {"template": {"enum": list(issuing.TEMPLATES)}},
}
TEMPLATES = {
    "sealed_originating": closed_object(["template"], {**_COMMON, "template": {"const": "sealed_originating"}}),
    "notice_of_hearing": closed_object(
        ["template", "hearing_at", "courtroom", "hearing_type"],
        {
            **_COMMON,
            "template": {"const": "notice_of_hearing"},
            "hearing_at": bodies.INSTANT,
            "courtroom": text(100),
            "hearing_type": text(200),
            "notes": text(2000, 0),
        },
    ),
    "order": closed_object(
        ["template", "order_text", "made_on"],
        {
            **_COMMON,
            "template": {"const": "order"},
            "order_text": text(20000),
            "judge": text(200),
            "made_on": bodies.DATE,
        },
    ),
}


def _template_body() -> dict[str, Any]:
    body = parse_json(request.get_data(cache=False) or b"{}", TEMPLATE)
    validate(body, TEMPLATES[body["template"]])
    if "hearing_at" in body:
        body["hearing_at"] = bodies.instant(body["hearing_at"], "hearing_at")
    if "made_on" in body:
        bodies.checked_dates(body, "made_on")
        body["made_on"] = date.fromisoformat(body["made_on"])
    return body


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/cases/<uuid:case_id>/issued-documents")
    def issue_document(case_id: object) -> tuple[Response, int]:
        principal = current_principal()
        require_registry(principal)
        if request.mimetype == "multipart/form-data":
            metadata, files = multipart(UPLOAD_METADATA)
            return created(201, issuing.issue_upload(deps, principal, str(case_id), metadata, files))
        if request.mimetype != "application/json":
            raise errors.unsupported_media_type(
                "Send multipart/form-data (a 'metadata' JSON part and the PDF 'file') to issue an uploaded "
                "document, or application/json naming a template."
            )
        return created(201, issuing.issue_from_template(deps, principal, str(case_id), _template_body()))

    @app.get(f"{BASE}/cases/<uuid:case_id>/issued-documents")
    def list_issued_documents(case_id: object) -> Response:
        principal = current_principal()
        require_account(principal)
        return jsonify(issuing.list_for_case(deps, principal, str(case_id)))

    @app.get(f"{BASE}/drn/<drn>")
    def check_drn(drn: str) -> Response:
        return jsonify(drn_check.check(deps, drn))

    @app.post(f"{BASE}/drn/<drn>")
    def compare_with_drn(drn: str) -> Response:
        drn_check.well_formed(drn)
        if request.mimetype != "multipart/form-data":
            raise errors.unsupported_media_type("Send multipart/form-data with the document to compare as 'file'.")
        upload = request.files.get("file")
        if upload is None:
            raise errors.invalid_field("file", "is required: the document to compare")
        return jsonify(drn_check.check(deps, drn, upload.stream))
