"""Paying an order: from the organisation's deposit account at once, or by card or PPS through the provider.

``POST /orders/{id}/payments`` needs an Idempotency-Key, kept under the caller's account (under the
order's id for an anonymous payer of a search or a fine). The order's row is locked before anything
else, so payments of one order queue behind each other: a racing request with the same key finds the
winner's answer once it gets the lock, and a different second payment finds the order paid.
"""

from __future__ import annotations

from typing import Any

from chassis.db import UnitOfWork
from chassis.web.principal import Principal
from payments.adapters.providers import METHODS as PROVIDER_METHODS
from payments.adapters.tables import Payment, PaymentOrder
from payments.domain import access
from payments.service_layer import checkout, deposit_accounts, errors, idempotency, orders
from payments.service_layer.deps import Deps
from payments.service_layer.idempotency import Answer, Replay

OPERATION = "order_payment"
CARD = "card"
#: How an order may be paid: a ``return_url`` is only for the provider's methods, and ignored otherwise.
METHODS = (orders.DEPOSIT_ACCOUNT, *PROVIDER_METHODS)


def pay(deps: Deps, principal: Principal, order_id: str, body: dict[str, Any], key: str) -> Answer:
    """Pay ``order_id`` by ``body["method"]``: 201 paid (deposit account) or 202 pending with a redirect."""
    method = body["method"]
    if method == CARD and "card_brand" not in body:
        raise errors.invalid_field("card_brand", "is required when paying by card")
    if method != CARD and "card_brand" in body:
        raise errors.invalid_field("card_brand", "is only for payments by card")
    if method == deposit_accounts.DEPOSIT_ACCOUNT and not principal.authenticated:
        raise errors.unauthenticated("Log in to pay from your organisation's deposit account.")
    scope = principal.subject or order_id
    print_ = idempotency.fingerprint(order_id, body)

    def act(uow: UnitOfWork) -> Answer | Replay:
        order = orders.locked(uow, order_id)
        if order is None or not access.may_see_order(principal, order.payer_account_id, order.organisation_id):
            raise errors.not_found("payment order")
        if not access.may_pay_order(principal, order.payer_account_id, order.organisation_id):
            raise errors.forbidden("The registry does not pay litigants' fees.")
        # A request with the same key that held the lock before this one has answered by now.
        earlier = idempotency.earlier(uow.session, scope, key, OPERATION, print_)
        if earlier is not None:
            return earlier
        orders.check_payable(order, deps.now())
        if method == deposit_accounts.DEPOSIT_ACCOUNT:
            payment, _ = deposit_accounts.pay_order(deps, uow, principal, order)
            return 201, _answer(uow, order, payment)
        payment = checkout.start(
            deps,
            uow,
            purpose=checkout.ORDER,
            method=method,
            card_brand=body.get("card_brand"),
            amount_cents=order.amount_cents,
            description=order.description,
            payer_account_id=principal.subject,
            return_url=body.get("return_url"),
            order_id=order.id,
        )
        return 202, _answer(uow, order, payment)

    return idempotency.once(deps, scope, key, OPERATION, print_, act)


def _answer(uow: UnitOfWork, order: PaymentOrder, payment: Payment) -> dict[str, Any]:
    return {
        "order": orders.order_json(order),
        "payment": deposit_accounts.payment_json(uow.session, payment),
        "receipt_number": order.receipt_number if order.paid_by_payment_id == payment.id else None,
    }


def get_payment(deps: Deps, principal: Principal, order_id: str, payment_id: str) -> dict[str, Any]:
    """One attempt at paying an order, for whoever may see the order; 404 otherwise."""
    with deps.unit_of_work() as uow:
        order = uow.session.get(PaymentOrder, order_id)
        payment = uow.session.get(Payment, payment_id)
        if (
            order is None
            or payment is None
            or payment.order_id != order.id
            or not access.may_see_order(principal, order.payer_account_id, order.organisation_id)
        ):
            raise errors.not_found("payment")
        return deposit_accounts.payment_json(uow.session, payment)
