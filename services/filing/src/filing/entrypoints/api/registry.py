"""The registry's desk: the review queue, accepting and rejecting, paper filings, restriction orders."""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.bodies import closed_object, json_body
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.entrypoints import bodies
from filing.entrypoints.api.common import BASE, bool_arg, created, multipart
from filing.service_layer import restrictions, review, submissions
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps


def install(app: Flask, deps: Deps) -> None:
    @app.get(f"{BASE}/review-queue")
    def get_review_queue() -> Response:
        return jsonify(
            review.queue(deps, current_principal(), int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9))
        )

    @app.post(f"{BASE}/filings/<uuid:filing_id>/accept")
    def accept_filing(filing_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        json_body(closed_object([], {}))
        return jsonify(review.accept(deps, principal, str(filing_id)))

    @app.post(f"{BASE}/filings/<uuid:filing_id>/reject")
    def reject_filing(filing_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        return jsonify(review.reject(deps, principal, str(filing_id), json_body(bodies.REJECTION)))

    @app.post(f"{BASE}/paper-filings")
    def upload_paper_filing() -> tuple[Response, int]:
        principal = current_principal()
        require_registry(principal)
        metadata, files = multipart(bodies.filing_metadata(deps.catalogue, paper=True))
        metadata["received_at"] = bodies.instant(metadata["received_at"], "metadata.received_at")
        return created(201, submissions.paper(deps, principal, metadata, files))

    @app.get(f"{BASE}/restriction-orders")
    def list_restriction_orders() -> Response:
        return jsonify(restrictions.list_orders(deps, current_principal(), bool_arg("include_revoked")))

    @app.post(f"{BASE}/restriction-orders")
    def record_restriction_order() -> tuple[Response, int]:
        principal = current_principal()
        require_registry(principal)
        body = json_body(bodies.RESTRICTION_ORDER)
        bodies.checked_dates(body, "made_on", "expires_on")
        return created(201, restrictions.record(deps, principal, body))

    @app.post(f"{BASE}/restriction-orders/<uuid:order_id>/revoke")
    def revoke_restriction_order(order_id: object) -> Response:
        principal = current_principal()
        require_registry(principal)
        json_body(closed_object([], {}))
        return jsonify(restrictions.revoke(deps, principal, str(order_id)))
