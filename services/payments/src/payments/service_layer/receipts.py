"""Receipts: numbered in the paying transaction; the PDF is rendered later by a worker job.

Rendering and storing a PDF is kept out of the request that takes the money, so a slow object store
never holds a payment open: ``render_pending`` stores ``receipts/<number>.pdf`` and only then announces
``payments.receipt.issued`` (filing puts the receipt in the payer's inbox). A receipt is read by its
payer, the organisation it was paid for (PA, SA, OU), and the registry; a receipt without either (a
member of the public's search or fine) by whoever names the order it paid, the capability the payer
held.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.web.principal import Principal
from payments.adapters.receipt_pdf import ReceiptDocument, ReceiptLine, render_receipt
from payments.adapters.tables import DepositAccount, Payment, PaymentOrder, Receipt
from payments.domain import access
from payments.service_layer import errors, numbers
from payments.service_layer.deps import Deps
from payments.service_layer.events import publish

PAYMENT, REFUND = "payment", "refund"
PENDING, RENDERED = "pending", "rendered"
PDF = "application/pdf"
NUMBER = re.compile(r"^R[0-9]{4}-[0-9]{7,}$")
_METHODS = {"pps": "PPS", "counter": "Registry counter"}
_BRANDS = {"visa": "Visa", "mastercard": "Mastercard", "unionpay": "UnionPay", "jcb": "JCB"}


def allocate(
    deps: Deps,
    db: Session,
    *,
    kind: str,
    amount_cents: int,
    method: str,
    description: str,
    at: datetime,
    lines: list[dict[str, Any]] | None = None,
    order_id: str | None = None,
    deposit_account_id: str | None = None,
    payment_id: str | None = None,
    payer_account_id: str | None = None,
    organisation_id: str | None = None,
    deemed_paid_at: datetime | None = None,
) -> Receipt:
    """A receipt with the next number, waiting for its PDF."""
    receipt = Receipt(
        number=numbers.receipt_number(db, deps.hours, at),
        kind=kind,
        order_id=order_id,
        deposit_account_id=deposit_account_id,
        payment_id=payment_id,
        payer_account_id=payer_account_id,
        organisation_id=organisation_id,
        amount_cents=amount_cents,
        currency="HKD",
        method=method,
        description=description[:300],
        lines=lines or [],
        issued_at=at,
        deemed_paid_at=deemed_paid_at,
        pdf_status=PENDING,
    )
    db.add(receipt)
    return receipt


def object_key(number: str) -> str:
    """Where a receipt's PDF is stored: one key per number, so rendering again overwrites, never duplicates."""
    return f"receipts/{number}.pdf"


def render_pending(deps: Deps, batch: int = 20) -> int:
    """Job: render and store the PDF of each receipt waiting for one, then announce it.

    One unit of work per receipt, its row locked while it is rendered, so two workers never announce
    one receipt twice; a failed upload leaves it pending for the next pass.
    """
    with deps.unit_of_work() as uow:
        waiting = uow.session.scalars(
            sa.select(Receipt.number)
            .where(Receipt.pdf_status == PENDING)
            .order_by(Receipt.issued_at, Receipt.number)
            .limit(batch)
        ).all()
    rendered = 0
    for number in waiting:
        with deps.unit_of_work() as uow:
            receipt = uow.session.scalar(
                sa.select(Receipt)
                .where(Receipt.number == number, Receipt.pdf_status == PENDING)
                .with_for_update(skip_locked=True)
            )
            if receipt is None:
                continue
            pdf = render_receipt(_document(deps, uow.session, receipt), deps.hours.zone)
            stored = deps.store.put_stream(io.BytesIO(pdf), key=object_key(number), content_type=PDF)
            receipt.object_key, receipt.sha256, receipt.size = stored.key, stored.sha256, stored.size
            receipt.pdf_status = RENDERED
            publish(
                deps,
                uow,
                "receipt.issued",
                receipt.number,
                {
                    "receipt_number": receipt.number,
                    "kind": receipt.kind,
                    "order_id": receipt.order_id,
                    "deposit_account_id": receipt.deposit_account_id,
                    "payer_account_id": receipt.payer_account_id,
                    "organisation_id": receipt.organisation_id,
                    "amount_cents": receipt.amount_cents,
                    "currency": receipt.currency,
                    "method": receipt.method,
                    "issued_at": iso(receipt.issued_at),
                    "document": {"key": stored.key, "sha256": stored.sha256, "size": stored.size, "media_type": PDF},
                    "aggregate_version": 1,
                },
            )
            uow.commit()
            rendered += 1
    return rendered


def receipt_json(receipt: Receipt) -> dict[str, Any]:
    rendered = receipt.pdf_status == RENDERED
    return {
        "receipt_number": receipt.number,
        "kind": receipt.kind,
        "order_id": receipt.order_id,
        "deposit_account_id": receipt.deposit_account_id,
        "payment_id": receipt.payment_id,
        "payer_account_id": receipt.payer_account_id,
        "organisation_id": receipt.organisation_id,
        "amount_cents": receipt.amount_cents,
        "currency": receipt.currency,
        "method": receipt.method,
        "description": receipt.description,
        "lines": receipt.lines,
        "issued_at": iso(receipt.issued_at),
        "deemed_paid_at": iso(receipt.deemed_paid_at) if receipt.deemed_paid_at else None,
        "pdf": {
            "status": receipt.pdf_status,
            "url": f"/api/payments/v1/receipts/{receipt.number}/pdf" if rendered else None,
            "sha256": receipt.sha256 if rendered else None,
            "size": receipt.size if rendered else None,
        },
    }


@dataclass(frozen=True)
class StoredPdf:
    number: str
    key: str
    sha256: str
    size: int


def get(deps: Deps, principal: Principal, number: str, order_id: str | None = None) -> dict[str, Any]:
    """The receipt ``number`` if the caller may see it; 404 otherwise (its existence is not revealed)."""
    with deps.unit_of_work() as uow:
        return receipt_json(_visible(uow.session, principal, number, order_id))


def pdf(deps: Deps, principal: Principal, number: str, order_id: str | None = None) -> StoredPdf:
    """Where the receipt's PDF is stored; 409 while the worker has not rendered it yet."""
    with deps.unit_of_work() as uow:
        receipt = _visible(uow.session, principal, number, order_id)
        if receipt.pdf_status != RENDERED or receipt.object_key is None:
            raise errors.receipt_pending(number)
        assert receipt.sha256 is not None and receipt.size is not None
        return StoredPdf(receipt.number, receipt.object_key, receipt.sha256, receipt.size)


def _visible(db: Session, principal: Principal, number: str, order_id: str | None) -> Receipt:
    receipt = db.get(Receipt, number) if NUMBER.match(number) else None
    if receipt is None or not _may_see(db, principal, receipt, order_id):
        raise errors.not_found("receipt")
    return receipt


def _may_see(db: Session, principal: Principal, receipt: Receipt, order_id: str | None) -> bool:
    if access.may_see_receipt(principal, receipt.payer_account_id, receipt.organisation_id):
        return True
    if order_id is None or order_id != receipt.order_id:
        return False
    order = db.get(PaymentOrder, order_id)
    # Only an order with no payer and no organisation is open to whoever holds its id.
    return order is not None and order.payer_account_id is None and order.organisation_id is None


def _document(deps: Deps, db: Session, receipt: Receipt) -> ReceiptDocument:
    """What the PDF prints, in words: the court, the payer, the method, the lines."""
    order = db.get(PaymentOrder, receipt.order_id) if receipt.order_id else None
    payment = db.get(Payment, receipt.payment_id) if receipt.payment_id else None
    deposit_id = receipt.deposit_account_id or (payment.deposit_account_id if payment else None)
    account = db.get(DepositAccount, deposit_id) if deposit_id else None
    court = None
    if order is not None and order.court in deps.fees.schedules:
        schedule = deps.fees.schedules[order.court]
        court = (schedule.name, schedule.name_zh)
    lines = [
        ReceiptLine(line["description"], line["quantity"], line["unit_cents"], line["amount_cents"], line["code"])
        for line in receipt.lines
    ]
    # Money paid into a deposit account has no fee lines: the one line is the deposit itself.
    lines = lines or [ReceiptLine(receipt.description, 1, receipt.amount_cents, receipt.amount_cents)]
    if order is not None:
        reference = ("Payment order", order.id)
    else:
        assert account is not None, f"receipt {receipt.number} is for neither an order nor a deposit account"
        reference = ("Deposit account", account.number)
    return ReceiptDocument(
        number=receipt.number,
        kind=receipt.kind,
        issued_at=receipt.issued_at,
        deemed_paid_at=receipt.deemed_paid_at,
        court=court,
        payer=f"Account {receipt.payer_account_id}" if receipt.payer_account_id else "Member of the public",
        method=method_label(receipt.method, payment.card_brand if payment else None, account),
        description=receipt.description,
        lines=lines,
        amount_cents=receipt.amount_cents,
        reference=reference,
    )


def method_label(method: str, card_brand: str | None, account: DepositAccount | None) -> str:
    """``Visa card``, ``PPS``, ``Deposit account DA000042``."""
    if method == "card":
        return f"{_BRANDS.get(card_brand or '', 'Credit')} card"
    if method == "deposit_account":
        return f"Deposit account {account.number}" if account is not None else "Deposit account"
    return _METHODS[method]
