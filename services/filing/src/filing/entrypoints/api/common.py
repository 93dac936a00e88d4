"""What filing's endpoints share: paging, query filters, the multipart parts of a filing."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from chassis.web.bodies import parse_json
from filing.service_layer import errors, idempotency
from filing.service_layer.uploads import Upload

BASE = "/api/filing/v1"


def text_arg(name: str, max_length: int = 64) -> str | None:
    value = request.args.get(name)
    if value is not None and (not 0 < len(value) <= max_length or "\x00" in value):
        raise errors.invalid_field(name, f"must be 1 to {max_length} characters of text")
    return value


def choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise errors.invalid_field(name, f"must be one of {', '.join(choices)}")
    return value


def bool_arg(name: str) -> bool:
    value = request.args.get(name, "false")
    if value not in ("true", "false"):
        raise errors.invalid_field(name, "must be true or false")
    return value == "true"


def idempotency_key() -> str | None:
    return idempotency.checked_key(request.headers.get("Idempotency-Key"))


def created(status: int, body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), status


def multipart(schema: dict[str, Any]) -> tuple[dict[str, Any], list[Upload]]:
    """A filing's parts: the ``metadata`` JSON (validated) and its files, in the order sent."""
    if request.mimetype != "multipart/form-data":
        raise errors.unsupported_media_type(
            "Send multipart/form-data: a 'metadata' JSON part, the 'lead' document and any 'connected' documents."
        )
    raw = request.form.get("metadata")
    if raw is None and "metadata" in request.files:
        raw = request.files["metadata"].read(256 * 1024).decode("utf-8", "replace")
    if raw is None:
        raise errors.invalid_field("metadata", "is required: the filing's metadata as JSON")
    metadata = parse_json(raw, schema, "metadata")
    files = [
        Upload(
            field=field, filename=(upload.filename or "document.pdf").replace("\x00", "")[:255], stream=upload.stream
        )
        for field, upload in request.files.items(multi=True)
        if field != "metadata"
    ]
    return metadata, files
