"""Case numbers ``PREFIX N/YYYY``: N runs from 1 per prefix and year, without gaps or duplicates.

The counter row is updated inside the transaction that creates the case, so the row lock orders
concurrent creations and a creation that fails rolls its number back with it: no gap.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from filing.adapters.tables import CaseNumberCounter


def case_number(prefix: str, number: int, year: int) -> str:
    """The number as the court writes it, e.g. ``DCPI 1234/2026``."""
    return f"{prefix} {number}/{year}"


def allocate(db: Session, prefix: str, year: int) -> int:
    """The next number of ``prefix`` in ``year``; the counter stays locked until the transaction ends."""
    while True:
        taken = db.execute(
            sa.update(CaseNumberCounter)
            .where(CaseNumberCounter.prefix == prefix, CaseNumberCounter.year == year)
            .values(last_number=CaseNumberCounter.last_number + 1)
            .returning(CaseNumberCounter.last_number)
        ).scalar_one_or_none()
        if taken is not None:
            return taken
        try:
            # The year's first case: whoever inserts the counter takes 1; a racer's insert fails on
            # the primary key once the winner commits, and it goes round again to take 2.
            with db.begin_nested():
                db.add(CaseNumberCounter(prefix=prefix, year=year, last_number=1))
            return 1
        except IntegrityError:
            continue
