"""Numbers without gaps or duplicates: receipts per Hong Kong year, deposit accounts.

The counter row is updated inside the transaction that uses the number, so its lock orders
concurrent users and a transaction that fails rolls its number back with it.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.registry_calendar import OpeningHours
from payments.adapters.tables import Counter


def next_number(db: Session, series: str) -> int:
    """The next number of ``series``; the counter stays locked until the transaction ends."""
    while True:
        taken = db.execute(
            sa.update(Counter)
            .where(Counter.series == series)
            .values(last_number=Counter.last_number + 1)
            .returning(Counter.last_number)
        ).scalar_one_or_none()
        if taken is not None:
            return taken
        try:
            # The series' first number: a racer's insert fails on the primary key once the winner
            # commits, and it goes round again to take the next.
            with db.begin_nested():
                db.add(Counter(series=series, last_number=1))
            return 1
        except IntegrityError:
            continue


def receipt_number(db: Session, hours: OpeningHours, at: datetime) -> str:
    """``R2026-0000123``: numbered from 1 in each Hong Kong calendar year."""
    year = at.astimezone(hours.zone).year
    return f"R{year}-{next_number(db, f'receipt:{year}'):07d}"


def deposit_account_number(db: Session) -> str:
    """``DA000042``."""
    return f"DA{next_number(db, 'deposit_account'):06d}"
