"""``/export``: every case and every public document as filing's events carry them, for ``search rebuild``."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints.api.common import BASE
from filing.service_layer import export
from filing.service_layer.access import require_exporter
from filing.service_layer.deps import Deps

DEFAULT_LIMIT, MAX_LIMIT = 500, 1000


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/export/cases")
    def export_cases() -> Response:
        principal = current_principal()
        require_exporter(principal)
        after = export.after_id(request.args.get("after"))
        return jsonify(export.export_cases(deps, principal, after, int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)))

    @app.get(f"{BASE}/export/documents")
    def export_documents() -> Response:
        principal = current_principal()
        require_exporter(principal)
        after = export.after_id(request.args.get("after"))
        answer = jsonify(export.export_documents(deps, principal, after, int_arg("limit", DEFAULT_LIMIT, 1, MAX_LIMIT)))
        # The links in it are as good as the texts while they last: no cache keeps them.
        answer.headers["Cache-Control"] = "no-store"
        return answer
