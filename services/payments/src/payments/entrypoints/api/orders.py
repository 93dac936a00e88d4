"""``/orders``: asking for a search or fine order, and reading the orders the caller may see.

``POST /orders`` needs an Idempotency-Key. A search order is anyone's to ask for, anonymous callers
included; a fine order is the registry's. A body of the wrong shape is a 400 naming each bad field; a
well-shaped one the fee schedule cannot price (unknown court or item, an item that is not a search or
not a fine) is a 422 naming the field.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, jsonify, request

from chassis.web.bodies import closed_object, json_body, text, validate
from chassis.web.principal import current_principal
from chassis.web.queries import int_arg
from payments.domain.fees import FeeError
from payments.entrypoints.api.common import BASE, answer, required_idempotency_key
from payments.entrypoints.api.fees import not_quotable
from payments.service_layer import errors, order_requests
from payments.service_layer.deps import Deps

#: Orders' lines carry at most 999 of an item (``payments.order.created``).
MAX_DOCUMENTS = 999
KIND = {
    "type": "object",
    "required": ["reference_type"],
    "properties": {"reference_type": {"enum": [order_requests.SEARCH, order_requests.FINE]}},
}
#: Court and item codes are checked against the schedule, not here, so an unknown one is a 422 naming it.
SEARCH_ORDER = closed_object(
    ["reference_type", "court", "items"],
    {
        "reference_type": {"const": order_requests.SEARCH},
        "court": text(8),
        "items": {
            "type": "array",
            "minItems": 1,
            "maxItems": 20,
            "items": closed_object(
                ["code", "quantity"],
                {"code": text(40), "quantity": {"type": "integer", "minimum": 1, "maximum": MAX_DOCUMENTS}},
            ),
        },
        "subject": text(200),
    },
)
FINE_ORDER = closed_object(
    ["reference_type", "reference_id", "code", "amount_cents"],
    {
        "reference_type": {"const": order_requests.FINE},
        "reference_id": text(60),
        "code": text(40),
        "amount_cents": {"type": "integer", "minimum": 1, "maximum": order_requests.MAX_FINE_CENTS},
        "description": text(200),
    },
)


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/orders")
    def create_order() -> tuple[Response, int]:
        principal = current_principal()
        key = required_idempotency_key()
        body = _order_body()
        try:
            return answer(*order_requests.create(deps, principal, body, key))
        except FeeError as exc:
            raise not_quotable(exc) from None

    @app.get(f"{BASE}/orders")
    def list_orders() -> Response:
        return jsonify(
            order_requests.list_orders(
                deps,
                current_principal(),
                status=_choice_arg("status", order_requests.STATUSES),
                reference_type=_choice_arg("reference_type", order_requests.REFERENCE_TYPES),
                reference_id=_text_arg("reference_id", 100),
                limit=int_arg("limit", 50, 1, 200),
                cursor=_text_arg("cursor", 200),
            )
        )

    @app.get(f"{BASE}/orders/<uuid:order_id>")
    def get_order(order_id: object) -> Response:
        return jsonify(order_requests.get(deps, current_principal(), str(order_id)))


def _order_body() -> dict[str, Any]:
    """The body, checked against the schema of the kind of order it asks for."""
    body = json_body(KIND)
    return validate(body, SEARCH_ORDER if body["reference_type"] == order_requests.SEARCH else FINE_ORDER)


def _choice_arg(name: str, choices: tuple[str, ...]) -> str | None:
    value = request.args.get(name)
    if value is not None and value not in choices:
        raise errors.invalid_field(name, f"must be one of {', '.join(choices)}")
    return value


def _text_arg(name: str, max_length: int) -> str | None:
    value = request.args.get(name)
    if value is not None and (not 0 < len(value) <= max_length or "\x00" in value):
        raise errors.invalid_field(name, f"must be 1 to {max_length} characters of text")
    return value
