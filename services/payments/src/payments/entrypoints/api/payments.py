"""``/orders/{id}/payments``: paying an order, and what became of one attempt.

From the caller's organisation's deposit account the order is paid at once (201, with its receipt
number); by card or PPS the answer is 202 with the provider page's ``redirect_url``, and the order is
paid when the provider's webhook comes. An Idempotency-Key is required.
"""

from __future__ import annotations

from flask import Flask, Response, jsonify

from chassis.web.bodies import closed_object, json_body, text
from chassis.web.principal import current_principal
from payments.adapters.providers import CARD_BRANDS
from payments.entrypoints.api.common import BASE, answer, required_idempotency_key
from payments.service_layer import paying
from payments.service_layer.deps import Deps

PAYMENT = closed_object(
    ["method"],
    {"method": {"enum": list(paying.METHODS)}, "card_brand": {"enum": list(CARD_BRANDS)}, "return_url": text(500)},
)


def install(app: Flask, deps: Deps) -> None:
    @app.post(f"{BASE}/orders/<uuid:order_id>/payments")
    def pay_order(order_id: object) -> tuple[Response, int]:
        principal = current_principal()
        key = required_idempotency_key()
        body = json_body(PAYMENT)
        return answer(*paying.pay(deps, principal, str(order_id), body, key))

    @app.get(f"{BASE}/orders/<uuid:order_id>/payments/<uuid:payment_id>")
    def get_payment(order_id: object, payment_id: object) -> Response:
        return jsonify(paying.get_payment(deps, current_principal(), str(order_id), str(payment_id)))
