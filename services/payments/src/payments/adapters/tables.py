"""Payments's tables, mapped to the classes the service layer works with.

Money is integer cents in ``BigInteger`` columns. Balances are never stored: they are the sums of
ledger entries.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime
from chassis.idempotency import IdempotencyKeyColumns
from chassis.messaging.tables import add_messaging_tables

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)

Id = sa.String(36)
When = UtcDateTime()
Cents = sa.BigInteger()
#: The orders of a fine that block another order for it (open or failed ones may still be paid).
LIVE_FINE = "reference_type = 'fine' AND status IN ('open', 'failed', 'paid')"


class Base(DeclarativeBase):
    metadata = metadata


class PaymentOrder(Base):
    """What is owed for one thing (a filing's fee, an inspection, a search, a fine), and what became of it."""

    __tablename__ = "payment_orders"
    __table_args__ = (
        sa.Index("ix_payment_orders_reference", "reference_type", "reference_id"),
        sa.Index("ix_payment_orders_status_expires", "status", "expires_at"),
        sa.Index("ix_payment_orders_created", "created_at", "id"),
        # A fine is paid once: at most one order per fine reference that is still payable or paid.
        sa.Index(
            "ux_payment_orders_live_fine",
            "reference_id",
            unique=True,
            postgresql_where=sa.text(LIVE_FINE),
            sqlite_where=sa.text(LIVE_FINE),
        ),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    reference_type: Mapped[str] = mapped_column(sa.String(20))
    reference_id: Mapped[str] = mapped_column(sa.String(100))
    #: A short description of what is paid for, e.g. "Filing EF-20261123-7K4Q2M in DCPI 12/2026".
    description: Mapped[str] = mapped_column(sa.String(300))
    payer_account_id: Mapped[str | None] = mapped_column(Id, index=True)
    organisation_id: Mapped[str | None] = mapped_column(Id, index=True)
    court: Mapped[str] = mapped_column(sa.String(8))
    channel: Mapped[str] = mapped_column(sa.String(20))
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(When)
    expires_at: Mapped[datetime] = mapped_column(When)
    paid_at: Mapped[datetime | None] = mapped_column(When)
    deemed_paid_at: Mapped[datetime | None] = mapped_column(When)
    paid_by_payment_id: Mapped[str | None] = mapped_column(Id)
    method: Mapped[str | None] = mapped_column(sa.String(20))
    receipt_number: Mapped[str | None] = mapped_column(sa.String(20))
    failed_at: Mapped[datetime | None] = mapped_column(When)
    expired_at: Mapped[datetime | None] = mapped_column(When)
    refunded_at: Mapped[datetime | None] = mapped_column(When)
    refund_receipt_number: Mapped[str | None] = mapped_column(sa.String(20))
    refund_reason: Mapped[str | None] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column(sa.Integer)


class Payment(Base):
    """One attempt to pay: an order's fee, or money into a deposit account (opening or top-up).

    Deposit-account payments settle at once; card and PPS payments wait for the provider's webhook.
    """

    __tablename__ = "payments"
    __table_args__ = (
        sa.UniqueConstraint("provider", "provider_session_id"),
        sa.Index("ix_payments_status_started", "status", "started_at"),
    )

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    #: ``order`` (a fee), ``deposit_opening`` or ``deposit_top_up``.
    purpose: Mapped[str] = mapped_column(sa.String(20))
    order_id: Mapped[str | None] = mapped_column(Id, sa.ForeignKey("payment_orders.id"), index=True)
    deposit_account_id: Mapped[str | None] = mapped_column(Id, sa.ForeignKey("deposit_accounts.id"), index=True)
    method: Mapped[str] = mapped_column(sa.String(20))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3))
    #: ``pending`` → ``succeeded`` | ``declined`` | ``timed_out``; ``succeeded`` → ``refunded``.
    status: Mapped[str] = mapped_column(sa.String(20))
    payer_account_id: Mapped[str | None] = mapped_column(Id)
    provider: Mapped[str | None] = mapped_column(sa.String(20))
    provider_session_id: Mapped[str | None] = mapped_column(sa.String(64))
    provider_payment_ref: Mapped[str | None] = mapped_column(sa.String(64))
    redirect_url: Mapped[str | None] = mapped_column(sa.String(500))
    return_url: Mapped[str | None] = mapped_column(sa.String(500))
    failure_reason: Mapped[str | None] = mapped_column(sa.String(40))
    ledger_transaction_id: Mapped[str | None] = mapped_column(Id)
    started_at: Mapped[datetime] = mapped_column(When)
    completed_at: Mapped[datetime | None] = mapped_column(When)
    version: Mapped[int] = mapped_column(sa.Integer)


class DepositAccount(Base):
    """An organisation's prepaid, non-interest-bearing account. Its row is locked while it is debited."""

    __tablename__ = "deposit_accounts"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    organisation_id: Mapped[str] = mapped_column(Id, unique=True)
    #: ``pending`` (opening payment not yet in) → ``open``.
    status: Mapped[str] = mapped_column(sa.String(20))
    minimum_balance_cents: Mapped[int] = mapped_column(Cents)
    #: Whether the balance is below the low-balance threshold, so the warning goes out once per crossing.
    low_balance: Mapped[bool] = mapped_column(sa.Boolean)
    requested_by_account_id: Mapped[str] = mapped_column(Id)
    requested_at: Mapped[datetime] = mapped_column(When)
    opened_at: Mapped[datetime | None] = mapped_column(When)
    version: Mapped[int] = mapped_column(sa.Integer)


class LedgerTransaction(Base):
    """One movement of money: its entries sum to zero."""

    __tablename__ = "ledger_transactions"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(30))
    memo: Mapped[str] = mapped_column(sa.String(300))
    order_id: Mapped[str | None] = mapped_column(Id, index=True)
    payment_id: Mapped[str | None] = mapped_column(Id, index=True)
    #: The transaction this one reverses (a refund), if any.
    reverses_id: Mapped[str | None] = mapped_column(Id, unique=True)
    posted_at: Mapped[datetime] = mapped_column(When)


class LedgerEntry(Base):
    """One side of a transaction: debit positive, credit negative, on one ledger account."""

    __tablename__ = "ledger_entries"
    __table_args__ = (sa.Index("ix_ledger_entries_account_seq", "account", "id"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    transaction_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("ledger_transactions.id"), index=True)
    #: e.g. ``deposit:<id>``, ``revenue:DC``, ``clearing:card``.
    account: Mapped[str] = mapped_column(sa.String(60))
    amount_cents: Mapped[int] = mapped_column(Cents)


class Receipt(Base):
    """A numbered receipt for a payment or a refund; its PDF is rendered outside the paying transaction."""

    __tablename__ = "receipts"

    number: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    order_id: Mapped[str | None] = mapped_column(Id, index=True)
    deposit_account_id: Mapped[str | None] = mapped_column(Id, index=True)
    payment_id: Mapped[str | None] = mapped_column(Id)
    payer_account_id: Mapped[str | None] = mapped_column(Id, index=True)
    organisation_id: Mapped[str | None] = mapped_column(Id, index=True)
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3))
    method: Mapped[str] = mapped_column(sa.String(20))
    description: Mapped[str] = mapped_column(sa.String(300))
    lines: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    issued_at: Mapped[datetime] = mapped_column(When)
    deemed_paid_at: Mapped[datetime | None] = mapped_column(When)
    #: ``pending`` until the PDF is stored, then ``rendered``.
    pdf_status: Mapped[str] = mapped_column(sa.String(20), index=True)
    object_key: Mapped[str | None] = mapped_column(sa.String(200))
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    size: Mapped[int | None] = mapped_column(sa.BigInteger)


class Counter(Base):
    """The last number given per series (receipts per year, deposit accounts); locked while the next is taken."""

    __tablename__ = "counters"

    series: Mapped[str] = mapped_column(sa.String(30), primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.Integer)


class ProviderEvent(Base):
    """A provider's webhook event already applied: a second delivery of it changes nothing."""

    __tablename__ = "provider_events"

    provider: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    payment_id: Mapped[str | None] = mapped_column(Id)
    received_at: Mapped[datetime] = mapped_column(When)


class SandboxSession(Base):
    """The sandbox provider's own record of a hosted-page session (a real provider keeps this at its end)."""

    __tablename__ = "sandbox_sessions"

    id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    payment_id: Mapped[str] = mapped_column(Id)
    method: Mapped[str] = mapped_column(sa.String(20))
    card_brand: Mapped[str | None] = mapped_column(sa.String(20))
    amount_cents: Mapped[int] = mapped_column(Cents)
    currency: Mapped[str] = mapped_column(sa.String(3))
    description: Mapped[str] = mapped_column(sa.String(300))
    return_url: Mapped[str | None] = mapped_column(sa.String(500))
    #: ``open`` → ``approved`` | ``declined`` | ``abandoned``; ``approved`` → ``refunded``.
    status: Mapped[str] = mapped_column(sa.String(20))
    created_at: Mapped[datetime] = mapped_column(When)
    decided_at: Mapped[datetime | None] = mapped_column(When)


class SandboxWebhook(Base):
    """A webhook the sandbox provider owes the service, delivered (and retried) by a worker job."""

    __tablename__ = "sandbox_webhooks"

    event_id: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(sa.String(64), index=True)
    body: Mapped[str] = mapped_column(sa.Text)
    attempts: Mapped[int] = mapped_column(sa.Integer)
    next_attempt_at: Mapped[datetime] = mapped_column(When, index=True)
    delivered_at: Mapped[datetime | None] = mapped_column(When)
    last_error: Mapped[str | None] = mapped_column(sa.String(300))


class Closure(Base):
    """A registry closure filing declared (``filing.calendar.closure_declared``): payments deem by it too."""

    __tablename__ = "closures"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(When, index=True)
    ends_at: Mapped[datetime] = mapped_column(When, index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))


class IdempotencyKey(IdempotencyKeyColumns, Base):
    """A POST's answer kept under the caller's Idempotency-Key, so a retry gets the same answer."""
