"""What payments does when filing speaks: an order for a filing's fee, and the fee back when the filing
is rejected after payment or cancelled (the compensating steps of the filing saga); an order for the
fee of a public inspection someone asked filing for."""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from payments.adapters.tables import PaymentOrder
from payments.domain.fees import ELECTRONIC, schedule_court
from payments.service_layer import orders
from payments.service_layer.deps import Deps
from payments.service_layer.order_requests import SEARCH_ITEM

FILING = "filing"
INSPECTION = "inspection"


def _order_of_filing(uow: UnitOfWork, filing_id: str) -> PaymentOrder | None:
    # By reference, not by the order id in the event: filing may cancel before it has heard of the order.
    return uow.session.scalar(
        sa.select(PaymentOrder)
        .where(PaymentOrder.reference_type == FILING, PaymentOrder.reference_id == filing_id)
        .order_by(PaymentOrder.created_at.desc())
        .limit(1)
        .with_for_update()
    )


def filing_submitted(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """A filing waits for its fee: an order for it, priced by the schedule at the time of submission."""
    data = envelope.data
    if not data["awaiting_payment"] or not data["fee_items"]:
        return
    if _order_of_filing(uow, data["filing_id"]) is not None:
        return
    court = schedule_court(data["court"])
    quote = deps.fees.quote(
        court,
        [(item["code"], item["quantity"]) for item in data["fee_items"]],
        data["channel"],
        datetime.fromisoformat(data["submitted_at"]),
    )
    orders.create(
        deps,
        uow,
        reference_type=FILING,
        reference_id=data["filing_id"],
        description=f"Filing {data['reference']} in {data['case_number']}",
        court=court,
        named_court=data["court"],
        channel=data["channel"],
        lines=orders.lines_of(quote),
        payer_account_id=data["submitted_by_account_id"],
        organisation_id=data.get("organisation_id"),
        caused_by=envelope,
    )


def filing_rejected(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The registry rejected a paid filing: its fee goes back where it came from."""
    order = _order_of_filing(uow, envelope.data["filing_id"])
    if order is not None and order.status == orders.PAID:
        orders.refund(deps, uow, order, "filing_rejected", caused_by=envelope)


def filing_cancelled(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Filing gave up waiting: the order can no longer be paid, and a payment that came too late goes back."""
    order = _order_of_filing(uow, envelope.data["filing_id"])
    if order is None:
        return
    if order.status in orders.PAYABLE:
        orders.expire(deps, uow, order, caused_by=envelope)
    elif order.status == orders.PAID:
        orders.refund(deps, uow, order, "filing_cancelled", caused_by=envelope)


def inspection_requested(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Someone asked filing to inspect a document: an order for one search-or-inspection fee at the
    electronic rate (it is asked for online), owed by the account that asked or by nobody (whoever
    holds the order's id pays it). One order per inspection, however often the event comes."""
    data = envelope.data
    existing = uow.session.scalar(
        sa.select(PaymentOrder.id).where(
            PaymentOrder.reference_type == INSPECTION, PaymentOrder.reference_id == data["inspection_id"]
        )
    )
    if existing is not None:
        return
    court = schedule_court(data["court"])
    quote = deps.fees.quote(
        court, [(f"{court}.{SEARCH_ITEM}", 1)], ELECTRONIC, datetime.fromisoformat(data["requested_at"])
    )
    orders.create(
        deps,
        uow,
        reference_type=INSPECTION,
        reference_id=data["inspection_id"],
        description=f"Inspection of a document in {data['case_number']}",
        court=court,
        named_court=data["court"],
        channel=ELECTRONIC,
        lines=orders.lines_of(quote),
        payer_account_id=data["requested_by_account_id"],
        organisation_id=data["organisation_id"],
        caused_by=envelope,
    )
