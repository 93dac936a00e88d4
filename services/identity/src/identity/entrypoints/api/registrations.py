"""``/api/identity/v1/registrations``: applications, and the Help Centre's queue and decisions."""

from __future__ import annotations

from flask import Flask, Response, jsonify, request

from chassis.web.problems import FieldError
from chassis.web.queries import int_arg
from identity.domain import permissions
from identity.domain.roles import PENDING
from identity.entrypoints import bodies
from identity.entrypoints.api.common import account, caller
from identity.service_layer import errors, registrations
from identity.service_layer.authentication import actor_of
from identity.service_layer.deps import Deps

BASE = "/api/identity/v1/registrations"
STATUSES = (PENDING, "approved", "rejected")


def install(app: Flask, deps: Deps) -> None:
    @app.post(BASE)
    def submit_registration() -> tuple[Response, int]:
        if request.mimetype != "multipart/form-data" and not request.content_length:
            raise errors.invalid(
                [
                    FieldError(
                        "application",
                        "is required: send multipart/form-data with an 'application' JSON part and the documents",
                    )
                ]
            )
        if request.mimetype != "multipart/form-data":
            raise errors.unsupported_media_type(
                "Send multipart/form-data: an 'application' JSON part and the documents."
            )
        raw = request.form.get("application")
        if raw is None and "application" in request.files:
            raw = request.files["application"].read(64 * 1024).decode("utf-8", "replace")
        if raw is None:
            raise errors.invalid([FieldError("application", "is required: the application form as JSON")])
        application = bodies.parse_json(raw, bodies.APPLICATION, "application")
        uploads = [
            registrations.Upload(
                kind=field, filename=(upload.filename or "document").replace("\x00", ""), stream=upload.stream
            )
            for field, upload in request.files.items(multi=True)
            if field != "application"
        ]
        return jsonify(registrations.submit(deps, caller(), application, uploads)), 201

    def officer():  # type: ignore[no-untyped-def]
        me = account(deps)
        if not permissions.may_decide_registration(actor_of(me)):
            raise errors.forbidden("Only Help Centre officers handle registrations.")
        return me

    @app.get(BASE)
    def list_registrations() -> Response:
        officer()
        status = request.args.get("status", PENDING)
        if status not in STATUSES:
            raise errors.invalid_field("status", f"must be one of {', '.join(STATUSES)}")
        return jsonify(
            registrations.pending(deps, status, int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9))
        )

    @app.get(f"{BASE}/<uuid:registration_id>")
    def get_registration(registration_id: object) -> Response:
        officer()
        return jsonify(registrations.get(deps, str(registration_id)))

    @app.get(f"{BASE}/<uuid:registration_id>/documents/<uuid:document_id>")
    def get_registration_document(registration_id: object, document_id: object) -> Response:
        officer()
        doc = registrations.document(deps, str(registration_id), str(document_id))
        reader = deps.store.open(doc.object_key)
        response = Response(reader.iter_chunks(), mimetype=doc.media_type, direct_passthrough=True)
        response.headers["Content-Length"] = str(doc.size)
        response.headers["Content-Disposition"] = "attachment"
        response.call_on_close(reader.close)
        return response

    @app.post(f"{BASE}/<uuid:registration_id>/approve")
    def approve_registration(registration_id: object) -> Response:
        me = officer()
        bodies.json_body(bodies.DECISION)
        return jsonify(registrations.approve(deps, caller(), me, str(registration_id)))

    @app.post(f"{BASE}/<uuid:registration_id>/reject")
    def reject_registration(registration_id: object) -> Response:
        me = officer()
        body = bodies.json_body(bodies.REJECTION)
        return jsonify(registrations.reject(deps, caller(), me, str(registration_id), body["reason"]))
