"""What payments's endpoints share: the base path, the Idempotency-Key header, created answers."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify, request

from payments.service_layer import idempotency

BASE = "/api/payments/v1"


def required_idempotency_key() -> str:
    """The request's Idempotency-Key; 400 without one, as every request that moves money needs it."""
    return idempotency.required_key(request.headers.get("Idempotency-Key"))


def answer(status: int, body: dict[str, Any]) -> tuple[Response, int]:
    return jsonify(body), status
