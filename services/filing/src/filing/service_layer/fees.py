"""A filing's fee: payments' order for it, its payment, and the filing cancelled if it never comes.

Payments owns the money; filing hears of it through events (``payments.order.*``) and moves the
filing on. A filing counts as received when both its documents and its fee are in (DOMAIN.md
section 5), at the registry's next open instant.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from chassis.money import hkd
from filing.adapters.tables import Case, Filing
from filing.service_layer import inbox, inspections
from filing.service_layer.calendar import deemed_receipt
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish
from filing.service_layer.filings import AWAITING_PAYMENT, CANCELLED, RECEIVED, announce_received, count

FILING = "filing"


def _filing_of(uow: UnitOfWork, envelope: Envelope) -> Filing | None:
    data = envelope.data
    if data["reference_type"] != FILING:
        return None
    return uow.session.scalar(sa.select(Filing).where(Filing.id == data["reference_id"]).with_for_update())


def order_created(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Payments has an order for the filing's fee: the filer is asked to pay it."""
    # An inspection's fee is the inspections module's business.
    if envelope.data["reference_type"] == inspections.INSPECTION:
        return inspections.order_created(deps, envelope, uow)
    filing = _filing_of(uow, envelope)
    if filing is None or filing.payment_order_id is not None:
        return
    data = envelope.data
    filing.payment_order_id = data["order_id"]
    filing.payment_amount_cents = data["amount_cents"]
    case = uow.session.get(Case, filing.case_id)
    assert case is not None
    if filing.status == AWAITING_PAYMENT:
        dollars = hkd(data["amount_cents"])
        inbox.post(
            uow.session,
            account_id=filing.submitted_by_account_id,
            kind="payment_request",
            subject=f"Pay {dollars} for filing {filing.reference}",
            body=(
                f'The fee for "{filing.title}" in {case.case_number} is {dollars}. The filing is received '
                "once the fee is paid"
                + (
                    f", and is cancelled if unpaid by {_local(deps, filing.payment_due_by)}."
                    if filing.payment_due_by
                    else "."
                )
            ),
            at=deps.now(),
            case_id=case.id,
            filing_id=filing.id,
            order_id=data["order_id"],
            amount_cents=data["amount_cents"],
            lines=data.get("lines", []),
        )


def order_paid(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The fee is in: the filing is received at the registry's next open instant."""
    if envelope.data["reference_type"] == inspections.INSPECTION:
        return inspections.order_paid(deps, envelope, uow)
    filing = _filing_of(uow, envelope)
    if filing is None or filing.status != AWAITING_PAYMENT:
        # A payment for a filing already cancelled is payments' to refund (it hears the cancellation).
        return
    data = envelope.data
    paid_at = datetime.fromisoformat(data["paid_at"].replace("Z", "+00:00"))
    filing.payment_order_id = data["order_id"]
    filing.payment_amount_cents = data["amount_cents"]
    filing.fee_paid_at = paid_at
    filing.deemed_received_at = deemed_receipt(deps, uow.session, max(filing.documents_in_at, paid_at))
    filing.status = RECEIVED
    filing.version += 1
    case = uow.session.get(Case, filing.case_id)
    assert case is not None
    announce_received(deps, uow, filing, case, caused_by=envelope)


def order_expired(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Payments gave up on the order: the filing is cancelled."""
    if envelope.data["reference_type"] == inspections.INSPECTION:
        return inspections.order_expired(deps, envelope, uow)
    filing = _filing_of(uow, envelope)
    if filing is not None and filing.status == AWAITING_PAYMENT:
        _cancel(deps, uow, filing, "order_expired", envelope)


def cancel_unpaid(deps: Deps) -> int:
    """Job: cancel the filings whose fee did not come in time."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        overdue = uow.session.scalars(
            sa.select(Filing)
            .where(Filing.status == AWAITING_PAYMENT, Filing.payment_due_by <= now)
            .order_by(Filing.payment_due_by)
            .limit(200)
            .with_for_update(skip_locked=True)
        ).all()
        for filing in overdue:
            _cancel(deps, uow, filing, "payment_timeout", None)
        uow.commit()
        return len(overdue)


def _cancel(deps: Deps, uow: UnitOfWork, filing: Filing, reason: str, caused_by: Envelope | None) -> None:
    now = deps.now()
    filing.status = CANCELLED
    filing.cancelled_reason = reason
    filing.version += 1
    case = uow.session.get(Case, filing.case_id)
    assert case is not None
    count(uow, case, filing, CANCELLED)
    publish(
        deps,
        uow,
        "filing.cancelled",
        filing.id,
        {
            "filing_id": filing.id,
            "reference": filing.reference,
            "case_id": case.id,
            "case_number": case.case_number,
            "cancelled_at": iso(now),
            "reason": reason,
            "payment_order_id": filing.payment_order_id,
            "aggregate_version": filing.version,
        },
        caused_by=caused_by,
    )
    inbox.post(
        uow.session,
        account_id=filing.submitted_by_account_id,
        kind="cancellation",
        subject=f"Filing {filing.reference} cancelled: fee not paid",
        body=f'"{filing.title}" in {case.case_number} was cancelled because its fee was not paid in time.',
        at=now,
        case_id=case.id,
        filing_id=filing.id,
        reason=reason,
    )


def _local(deps: Deps, at: datetime) -> str:
    return at.astimezone(deps.hours.zone).strftime("%d %B %Y %H:%M (Hong Kong time)")
