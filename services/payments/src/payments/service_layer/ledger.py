"""Posting to the ledger and reading balances off it (balances are sums of entries, never stored)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Session

from payments.adapters.tables import LedgerEntry, LedgerTransaction
from payments.domain import ledger


def post(
    db: Session,
    *,
    kind: str,
    memo: str,
    entries: Sequence[tuple[str, int]],
    at: datetime,
    order_id: str | None = None,
    payment_id: str | None = None,
    reverses_id: str | None = None,
) -> LedgerTransaction:
    """Record one balanced transaction in the caller's database transaction."""
    transaction = LedgerTransaction(
        id=str(uuid.uuid4()),
        kind=kind,
        memo=memo[:300],
        order_id=order_id,
        payment_id=payment_id,
        reverses_id=reverses_id,
        posted_at=at,
    )
    db.add(transaction)
    db.flush()
    db.add_all(
        LedgerEntry(transaction_id=transaction.id, account=account, amount_cents=amount)
        for account, amount in ledger.checked(entries)
    )
    return transaction


def reverse(db: Session, original_id: str, *, kind: str, memo: str, at: datetime) -> LedgerTransaction:
    """A transaction undoing ``original_id`` entry for entry (a refund); a second reversal is refused."""
    original = db.get(LedgerTransaction, original_id)
    assert original is not None, f"no ledger transaction {original_id}"
    entries = db.execute(
        sa.select(LedgerEntry.account, LedgerEntry.amount_cents)
        .where(LedgerEntry.transaction_id == original_id)
        .order_by(LedgerEntry.id)
    ).all()
    return post(
        db,
        kind=kind,
        memo=memo,
        entries=[(account, -amount) for account, amount in entries],
        at=at,
        order_id=original.order_id,
        payment_id=original.payment_id,
        reverses_id=original_id,
    )


def balance(db: Session, account: str) -> int:
    """The sum of ``account``'s entries (debits positive)."""
    return int(
        db.scalar(
            sa.select(sa.func.coalesce(sa.func.sum(LedgerEntry.amount_cents), 0)).where(LedgerEntry.account == account)
        )
        or 0
    )


def deposit_balance(db: Session, deposit_account_id: str) -> int:
    """What the court holds for the firm: the deposit account's credit balance."""
    return -balance(db, ledger.deposit(deposit_account_id))
