"""``/receipts``: a receipt and its PDF, for its payer, the organisation it was paid for and the registry.

A member of the public who paid a search or a fine without an account names the order it paid
(``?order_id=``), as they did to pay it. A receipt the caller may not see is a 404, like one that
does not exist; its PDF is a 409 until the worker has rendered it.
"""

from __future__ import annotations

import uuid

from flask import Flask, Response, jsonify, request

from chassis.storage import content_disposition
from chassis.web.principal import current_principal
from payments.entrypoints.api.common import BASE
from payments.service_layer import errors, receipts
from payments.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/receipts/<number>")
    def get_receipt(number: str) -> Response:
        return jsonify(receipts.get(deps, current_principal(), number, _order_id_arg()))

    @app.get(f"{BASE}/receipts/<number>/pdf")
    def get_receipt_pdf(number: str) -> Response:
        stored = receipts.pdf(deps, current_principal(), number, _order_id_arg())
        reader = deps.store.open(stored.key)
        response = Response(reader.iter_chunks(), mimetype=receipts.PDF, direct_passthrough=True)
        response.headers["Content-Length"] = str(stored.size)
        response.headers["Content-Disposition"] = content_disposition(f"{stored.number}.pdf")
        response.headers["X-Content-SHA256"] = stored.sha256
        response.call_on_close(reader.close)
        return response


def _order_id_arg() -> str | None:
    raw = request.args.get("order_id")
    if raw is None:
        return None
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        raise errors.invalid_field("order_id", "must be a payment order's id (a UUID)") from None
