"""Payment orders: what is owed, and the moves of its life.

``open`` → ``paid`` | ``failed`` | ``expired``; ``paid`` → ``refunded``. A failed order (its last card or
PPS attempt declined or timed out) may still be paid until it expires. Every move publishes its event
in the same transaction.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from payments.adapters.tables import Payment, PaymentOrder
from payments.domain import ledger as accounts
from payments.domain.fees import Quote
from payments.service_layer import errors, ledger, receipts
from payments.service_layer.calendar import deemed_paid_at
from payments.service_layer.deps import Deps
from payments.service_layer.events import publish

OPEN, PAID, FAILED, EXPIRED, REFUNDED = "open", "paid", "failed", "expired", "refunded"
PAYABLE = (OPEN, FAILED)
DEPOSIT_ACCOUNT = "deposit_account"
#: Payment statuses.
PENDING, SUCCEEDED, DECLINED, TIMED_OUT = "pending", "succeeded", "declined", "timed_out"


def lines_of(quote: Quote) -> list[dict[str, Any]]:
    """A quote's lines as an order keeps them (and as ``payments.order.created`` carries them)."""
    return [
        {
            "code": line.code,
            "description": line.description,
            "quantity": line.quantity,
            "unit_cents": line.unit_cents,
            "amount_cents": line.amount_cents,
        }
        for line in quote.lines
    ]


def create(
    deps: Deps,
    uow: UnitOfWork,
    *,
    reference_type: str,
    reference_id: str,
    description: str,
    court: str,
    channel: str,
    lines: list[dict[str, Any]],
    payer_account_id: str | None,
    organisation_id: str | None,
    named_court: str | None = None,
    caused_by: Envelope | None = None,
) -> PaymentOrder:
    """A new open order for ``lines``, announced as ``payments.order.created``.

    ``court`` is the fee schedule's (DC, HC, MC, SCT): revenue is booked by it. ``named_court`` is the
    court as filing names it (CFA, CA or CFI for the High Court's), which the released event carries;
    it may be left out where the two are the same.
    """
    now = deps.now()
    order = PaymentOrder(
        id=str(uuid.uuid4()),
        reference_type=reference_type,
        reference_id=reference_id,
        description=description[:300],
        payer_account_id=payer_account_id,
        organisation_id=organisation_id,
        court=court,
        channel=channel,
        amount_cents=sum(line["amount_cents"] for line in lines),
        currency="HKD",
        lines=lines,
        status=OPEN,
        created_at=now,
        expires_at=now + timedelta(minutes=deps.settings.order_ttl_minutes),
        version=1,
    )
    uow.session.add(order)
    publish(
        deps,
        uow,
        "order.created",
        order.id,
        {
            "order_id": order.id,
            "reference_type": reference_type,
            "reference_id": reference_id,
            "payer_account_id": payer_account_id,
            "court": named_court or court,
            "amount_cents": order.amount_cents,
            "currency": order.currency,
            "lines": lines,
            "expires_at": iso(order.expires_at),
            "aggregate_version": order.version,
        },
        caused_by=caused_by,
    )
    return order


def order_json(order: PaymentOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "reference_type": order.reference_type,
        "reference_id": order.reference_id,
        "description": order.description,
        "payer_account_id": order.payer_account_id,
        "organisation_id": order.organisation_id,
        "court": order.court,
        "channel": order.channel,
        "amount_cents": order.amount_cents,
        "currency": order.currency,
        "lines": order.lines,
        "status": order.status,
        "created_at": iso(order.created_at),
        "expires_at": iso(order.expires_at),
        "paid_at": iso(order.paid_at) if order.paid_at else None,
        "deemed_paid_at": iso(order.deemed_paid_at) if order.deemed_paid_at else None,
        "method": order.method,
        "receipt_number": order.receipt_number,
        "refunded_at": iso(order.refunded_at) if order.refunded_at else None,
        "refund_receipt_number": order.refund_receipt_number,
        "version": order.version,
    }


def locked(uow: UnitOfWork, order_id: str) -> PaymentOrder | None:
    """The order, its row locked until the transaction ends (payments of one order queue behind it)."""
    return uow.session.scalar(sa.select(PaymentOrder).where(PaymentOrder.id == order_id).with_for_update())


def check_payable(order: PaymentOrder, now: datetime) -> None:
    """409 unless the order can be paid now: open or failed, and not past its expiry."""
    if order.status not in PAYABLE:
        raise errors.order_not_payable(order.id, order.status)
    if now >= order.expires_at:
        raise errors.order_expired(order.id)


def is_payable(order: PaymentOrder, now: datetime) -> bool:
    return order.status in PAYABLE and now < order.expires_at


def settle(
    deps: Deps,
    uow: UnitOfWork,
    order: PaymentOrder,
    payment: Payment,
    source_account: str,
    *,
    caused_by: Envelope | None = None,
) -> None:
    """``payment`` paid ``order`` (locked, payable): the ledger, the receipt, the order, the event.

    ``source_account`` is where the money came from: the firm's deposit account or a provider's clearing.
    """
    now = deps.now()
    transaction = ledger.post(
        uow.session,
        kind="fee_payment",
        memo=order.description,
        entries=accounts.transfer(source_account, accounts.revenue(order.court), order.amount_cents),
        at=now,
        order_id=order.id,
        payment_id=payment.id,
    )
    # Debit the source, credit revenue: for a deposit account (a liability) the debit lowers what is held.
    payment.ledger_transaction_id = transaction.id
    payment.status = SUCCEEDED
    payment.completed_at = now
    payment.version += 1
    deemed = deemed_paid_at(deps, uow.session, now)
    receipt = receipts.allocate(
        deps,
        uow.session,
        kind=receipts.PAYMENT,
        amount_cents=order.amount_cents,
        method=payment.method,
        description=order.description,
        at=now,
        lines=order.lines,
        order_id=order.id,
        payment_id=payment.id,
        payer_account_id=payment.payer_account_id or order.payer_account_id,
        organisation_id=order.organisation_id,
        deemed_paid_at=deemed,
    )
    order.status = PAID
    order.paid_at = now
    order.deemed_paid_at = deemed
    order.paid_by_payment_id = payment.id
    order.method = payment.method
    order.receipt_number = receipt.number
    order.version += 1
    publish(
        deps,
        uow,
        "order.paid",
        order.id,
        {
            "order_id": order.id,
            "reference_type": order.reference_type,
            "reference_id": order.reference_id,
            "amount_cents": order.amount_cents,
            "currency": order.currency,
            "method": payment.method,
            "paid_at": iso(now),
            "deemed_paid_at": iso(deemed),
            "receipt_number": receipt.number,
            "aggregate_version": order.version,
        },
        caused_by=caused_by,
    )


def fail(deps: Deps, uow: UnitOfWork, order: PaymentOrder, payment: Payment, reason: str) -> None:
    """``payment`` of ``order`` was declined or timed out: the order is failed (still payable until it expires)."""
    now = deps.now()
    payment.status = DECLINED if reason == "declined" else TIMED_OUT
    payment.failure_reason = reason
    payment.completed_at = now
    payment.version += 1
    if order.status not in PAYABLE:
        return
    order.status = FAILED
    order.failed_at = now
    order.version += 1
    publish(
        deps,
        uow,
        "order.failed",
        order.id,
        {
            "order_id": order.id,
            "reference_type": order.reference_type,
            "reference_id": order.reference_id,
            "payment_id": payment.id,
            "method": payment.method,
            "reason": reason,
            "failed_at": iso(now),
            "aggregate_version": order.version,
        },
    )


def expire(deps: Deps, uow: UnitOfWork, order: PaymentOrder, caused_by: Envelope | None = None) -> None:
    """The order can no longer be paid."""
    now = deps.now()
    order.status = EXPIRED
    order.expired_at = now
    order.version += 1
    publish(
        deps,
        uow,
        "order.expired",
        order.id,
        {
            "order_id": order.id,
            "reference_type": order.reference_type,
            "reference_id": order.reference_id,
            "expired_at": iso(now),
            "aggregate_version": order.version,
        },
        caused_by=caused_by,
    )


def expire_due(deps: Deps) -> int:
    """Job: expire the unpaid orders past their time."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        due = uow.session.scalars(
            sa.select(PaymentOrder)
            .where(PaymentOrder.status.in_(PAYABLE), PaymentOrder.expires_at <= now)
            .order_by(PaymentOrder.expires_at)
            .limit(200)
            .with_for_update(skip_locked=True)
        ).all()
        for order in due:
            expire(deps, uow, order)
        uow.commit()
        return len(due)


def refund(deps: Deps, uow: UnitOfWork, order: PaymentOrder, reason: str, caused_by: Envelope | None = None) -> None:
    """Give a paid order's money back where it came from, with its own receipt (compensation)."""
    now = deps.now()
    payment = uow.session.get(Payment, order.paid_by_payment_id)
    assert payment is not None and payment.ledger_transaction_id is not None
    return_payment(deps, uow, payment, memo=f"Refund: {order.description}")
    receipt = receipts.allocate(
        deps,
        uow.session,
        kind=receipts.REFUND,
        amount_cents=order.amount_cents,
        method=payment.method,
        description=f"Refund: {order.description}",
        at=now,
        lines=order.lines,
        order_id=order.id,
        payment_id=payment.id,
        payer_account_id=payment.payer_account_id or order.payer_account_id,
        organisation_id=order.organisation_id,
    )
    order.status = REFUNDED
    order.refunded_at = now
    order.refund_receipt_number = receipt.number
    order.refund_reason = reason
    order.version += 1
    publish(
        deps,
        uow,
        "order.refunded",
        order.id,
        {
            "order_id": order.id,
            "reference_type": order.reference_type,
            "reference_id": order.reference_id,
            "amount_cents": order.amount_cents,
            "currency": order.currency,
            "method": payment.method,
            "refunded_at": iso(now),
            "refund_receipt_number": receipt.number,
            "reason": reason,
            "aggregate_version": order.version,
        },
        caused_by=caused_by,
    )


def return_payment(deps: Deps, uow: UnitOfWork, payment: Payment, memo: str) -> None:
    """Reverse a succeeded payment's ledger transaction, and have the provider pay a card or PPS payer back."""
    now = deps.now()
    assert payment.ledger_transaction_id is not None
    ledger.reverse(uow.session, payment.ledger_transaction_id, kind="refund", memo=memo, at=now)
    if payment.method != DEPOSIT_ACCOUNT and payment.provider_session_id is not None:
        deps.provider.refund(uow.session, payment.provider_session_id, payment.amount_cents, now)
    payment.status = REFUNDED
    payment.version += 1
