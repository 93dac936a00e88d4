"""``/documents``: one document, filed or issued, by its id; its download link; sealing cases and documents."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import closed_object, json_body, text
from chassis.web.principal import current_principal
from filing.entrypoints.api.common import BASE, choice_arg
from filing.service_layer import documents, sealing
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps

#: The header an anonymous holder of a paid inspection presents its token in.
TOKEN_HEADER = "Inspection-Token"  # noqa: S105 (a header name, not a secret)
SEAL = closed_object(["reason"], {"reason": text(1000)})
UNSEAL = closed_object([], {"reason": text(1000)})


def inspection_token() -> str | None:
    """The presented inspection token; one too long to be ours is no token at all."""
    token = request.headers.get(TOKEN_HEADER)
    return token if token and len(token) <= 128 else None


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/documents/<uuid:document_id>")
    def get_document(document_id: object) -> Response:
        return jsonify(documents.get(deps, current_principal(), str(document_id), inspection_token()))

    @app.get(f"{BASE}/documents/<uuid:document_id>/download")
    def download_document(document_id: object) -> Response:
        copy = choice_arg("copy", (documents.ORIGINAL,))
        answer = documents.download(deps, current_principal(), str(document_id), inspection_token(), copy)
        response = jsonify(answer)
        # The URL is as good as the document while it lasts: no cache keeps it.
        response.headers["Cache-Control"] = "no-store"
        return response

    @app.post(f"{BASE}/cases/<uuid:case_id>/seal")
    def seal_case(case_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        body = json_body(SEAL)
        return jsonify(sealing.seal_case(deps, principal, str(case_id), body["reason"], sealed=True))

    @app.post(f"{BASE}/cases/<uuid:case_id>/unseal")
    def unseal_case(case_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        body = json_body(UNSEAL)
        return jsonify(sealing.seal_case(deps, principal, str(case_id), body.get("reason"), sealed=False))

    @app.post(f"{BASE}/documents/<uuid:document_id>/seal")
    def seal_document(document_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        body = json_body(SEAL)
        return jsonify(sealing.seal_document(deps, principal, str(document_id), body["reason"], sealed=True))

    @app.post(f"{BASE}/documents/<uuid:document_id>/unseal")
    def unseal_document(document_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        body = json_body(UNSEAL)
        return jsonify(sealing.seal_document(deps, principal, str(document_id), body.get("reason"), sealed=False))
