"""Payments' receipts in the payer's inbox: payments renders and stores each receipt, then says so
(``payments.receipt.issued``); filing, which keeps the inboxes, tells the payer where to fetch it.

A receipt for a filing's fee names the filing and its case. A member of the public who paid without
an account has no inbox, so their receipt is not posted anywhere. The consumer's inbox table drops a
redelivered event, so each receipt is posted once.
"""

from __future__ import annotations

import sqlalchemy as sa

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from chassis.money import hkd
from filing.adapters.tables import Case, Filing
from filing.service_layer import inbox
from filing.service_layer.deps import Deps

#: Where payments serves a receipt's PDF (contracts/openapi/payments.yaml).
PDF_PATH = "/api/payments/v1/receipts/{number}/pdf"
_HOW = {
    "deposit_account": "from your organisation's deposit account",
    "card": "by card",
    "pps": "by PPS",
    "counter": "at the registry counter",
}
_BACK_TO = {
    "deposit_account": "to your organisation's deposit account",
    "card": "to the card it was paid with",
    "pps": "to the PPS account it was paid from",
    "counter": "at the registry counter",
}


def receipt_issued(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """A receipt is ready: a message in the payer's inbox, naming the filing it paid for, if any."""
    data = envelope.data
    if data["payer_account_id"] is None:
        return
    number, amount = data["receipt_number"], hkd(data["amount_cents"])
    filing = (
        uow.session.scalar(sa.select(Filing).where(Filing.payment_order_id == data["order_id"]))
        if data["order_id"]
        else None
    )
    what = paid_for = ""
    case_id = filing_id = None
    if filing is not None:
        case = uow.session.get(Case, filing.case_id)
        assert case is not None
        what, paid_for = f" for filing {filing.reference}", f' for "{filing.title}" in {case.case_number}'
        case_id, filing_id = case.id, filing.id
    if data["kind"] == "refund":
        subject = f"Refund receipt {number}: {amount}{what}"
        body = f"{amount}{' paid' + paid_for if paid_for else ''} was refunded {_BACK_TO[data['method']]}."
    else:
        subject = f"Receipt {number}: {amount} paid{what}"
        body = f"Your payment of {amount} {_HOW[data['method']]}{paid_for} is received."
    inbox.post(
        uow.session,
        account_id=data["payer_account_id"],
        kind="receipt",
        subject=subject,
        body=f"{body} Receipt {number} is ready to download.",
        at=deps.now(),
        case_id=case_id,
        filing_id=filing_id,
        receipt_number=number,
        receipt_kind=data["kind"],
        order_id=data["order_id"],
        deposit_account_id=data["deposit_account_id"],
        amount_cents=data["amount_cents"],
        method=data["method"],
        pdf_path=PDF_PATH.format(number=number),
        document=data["document"],
    )
