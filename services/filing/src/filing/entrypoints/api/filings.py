"""``/filings``: e-filing into a case, reading filings and their documents, copying a rejected one."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.storage import content_disposition
from chassis.web.bodies import json_body
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints import bodies
from filing.entrypoints.api.common import BASE, choice_arg, created, idempotency_key, multipart
from filing.service_layer import filings, submissions
from filing.service_layer.access import require_account, require_filer
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/filings")
    def submit_filing() -> tuple[Response, int]:
        principal = current_principal()
        require_filer(principal)
        key = idempotency_key()
        metadata, files = multipart(bodies.filing_metadata(deps.catalogue, paper=False))
        return created(*submissions.submit(deps, principal, metadata, files, key))

    @app.get(f"{BASE}/filings")
    def list_filings() -> Response:
        principal = current_principal()
        require_account(principal)
        status = choice_arg("status", filings.STATUSES)
        return jsonify(
            filings.list_mine(deps, principal, status, int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9))
        )

    @app.get(f"{BASE}/filings/<uuid:filing_id>")
    def get_filing(filing_id: object) -> Response:
        principal = current_principal()
        require_account(principal)
        return jsonify(filings.get(deps, principal, str(filing_id)))

    @app.get(f"{BASE}/filings/<uuid:filing_id>/documents/<uuid:document_id>/content")
    def get_filing_document(filing_id: object, document_id: object) -> Response:
        principal = current_principal()
        require_account(principal)
        document = filings.document(deps, principal, str(filing_id), str(document_id))
        reader = deps.store.open(document.object_key)
        response = Response(reader.iter_chunks(), mimetype=filings.PDF, direct_passthrough=True)
        response.headers["Content-Length"] = str(document.size)
        response.headers["Content-Disposition"] = content_disposition(document.filename)
        response.headers["X-Content-SHA256"] = document.sha256
        response.call_on_close(reader.close)
        return response

    @app.post(f"{BASE}/filings/<uuid:filing_id>/copy")
    def copy_filing(filing_id: object) -> tuple[Response, int]:
        principal = current_principal()
        require_filer(principal)
        changes = json_body(bodies.COPY)
        return created(201, submissions.copy(deps, principal, str(filing_id), changes))
