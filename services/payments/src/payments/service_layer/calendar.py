"""When a payment is deemed made: the registry calendar rule (``chassis.registry_calendar``), the same
hours and holidays as filing, and the closures filing declares (``filing.calendar.closure_declared``)."""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from chassis.registry_calendar import Closure as ClosedInterval
from chassis.registry_calendar import RegistryCalendar, hong_kong_general_holidays
from payments.adapters.tables import Closure
from payments.service_layer.deps import Deps

#: No deemed time lies further ahead than this (the longest run of holidays is days, not weeks).
HORIZON = timedelta(days=60)


def deemed_paid_at(deps: Deps, db: Session, at: datetime) -> datetime:
    """The first instant at or after ``at`` when the registry is open."""
    rows = db.scalars(sa.select(Closure).where(Closure.ends_at > at, Closure.starts_at < at + HORIZON)).all()
    closures = [ClosedInterval(r.starts_at, r.ends_at, r.reason) for r in rows]
    return RegistryCalendar(deps.hours, hong_kong_general_holidays(), closures).deemed_receipt(at)


def closure_declared(envelope: Envelope, uow: UnitOfWork) -> None:
    """Filing declared the registry closed: keep the interval (a redelivery finds it already kept)."""
    data = envelope.data
    if uow.session.get(Closure, data["closure_id"]) is None:
        uow.session.add(
            Closure(
                id=data["closure_id"],
                starts_at=datetime.fromisoformat(data["starts_at"]),
                ends_at=datetime.fromisoformat(data["ends_at"]),
                reason=data["reason"],
            )
        )
