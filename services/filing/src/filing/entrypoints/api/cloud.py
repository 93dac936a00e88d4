"""``/cloud``: an organisation's Judiciary Cloud: uploads in parts straight to S3, usage, quotas."""

from __future__ import annotations

import re

from flask import Flask, Response, jsonify

from chassis.web.bodies import ID, closed_object, json_body, text
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from filing.domain import cloud as rules
from filing.entrypoints.api.common import BASE, choice_arg, created, text_arg
from filing.service_layer import cloud, errors
from filing.service_layer.deps import Deps

START = closed_object(
    ["filename", "size", "sha256"],
    {
        "filename": text(255),
        # Bounded here only by what a number can say; the configured maximum is checked by the use case (413).
        "size": {"type": "integer", "minimum": 1, "maximum": 2**53},
        "sha256": {"type": "string", "pattern": "^[0-9a-fA-F]{64}$"},
    },
)
PART_URLS = closed_object(
    ["part_numbers"],
    {
        "part_numbers": {
            "type": "array",
            "minItems": 1,
            "maxItems": 1000,
            "uniqueItems": True,
            "items": {"type": "integer", "minimum": 1, "maximum": rules.MAX_PARTS},
        }
    },
)
QUOTA = closed_object(["quota_bytes"], {"quota_bytes": {"type": ["integer", "null"], "minimum": 0, "maximum": 2**53}})


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/cloud/uploads")
    def start_cloud_upload() -> tuple[Response, int]:
        principal = current_principal()
        cloud.require_uploader(deps, principal)
        body = json_body(START)
        return created(201, cloud.start(deps, principal, body))

    @app.post(f"{BASE}/cloud/uploads/<uuid:upload_id>/part-urls")
    def cloud_part_urls(upload_id: object) -> Response:
        principal = current_principal()
        cloud.require_uploader(deps, principal)
        body = json_body(PART_URLS)
        return jsonify(cloud.part_urls(deps, principal, str(upload_id), body["part_numbers"]))

    @app.post(f"{BASE}/cloud/uploads/<uuid:upload_id>/complete")
    def complete_cloud_upload(upload_id: object) -> Response:
        return jsonify(cloud.complete(deps, current_principal(), str(upload_id)))

    @app.get(f"{BASE}/cloud/uploads")
    def list_cloud_uploads() -> Response:
        principal = current_principal()
        status = choice_arg("status", rules.LISTED)
        return jsonify(
            cloud.list_uploads(deps, principal, status, int_arg("limit", 50, 1, 200), int_arg("offset", 0, 0, 10**9))
        )

    @app.get(f"{BASE}/cloud/uploads/<uuid:upload_id>")
    def get_cloud_upload(upload_id: object) -> Response:
        return jsonify(cloud.get(deps, current_principal(), str(upload_id)))

    @app.delete(f"{BASE}/cloud/uploads/<uuid:upload_id>")
    def delete_cloud_upload(upload_id: object) -> Response:
        cloud.delete(deps, current_principal(), str(upload_id))
        return Response(status=204)

    @app.get(f"{BASE}/cloud/usage")
    def cloud_usage() -> Response:
        organisation_id = text_arg("organisation_id", 36)
        if organisation_id is not None and not _is_id(organisation_id):
            raise errors.invalid_field("organisation_id", "must be an organisation's id")
        return jsonify(cloud.usage(deps, current_principal(), organisation_id))

    @app.put(f"{BASE}/cloud/quotas/<uuid:organisation_id>")
    def set_cloud_quota(organisation_id: object) -> Response:
        principal = current_principal()
        body = json_body(QUOTA)
        return jsonify(cloud.set_quota(deps, principal, str(organisation_id), body["quota_bytes"]))


def _is_id(value: str) -> bool:
    return re.fullmatch(ID["pattern"], value) is not None
