"""The registry calendar: opening hours (data), Hong Kong general holidays, declared closures.

The rule itself is the chassis's (``chassis.registry_calendar``), so payments deems a payment's time
exactly as filing deems a filing's.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.registry_calendar import Closure as ClosedInterval
from chassis.registry_calendar import RegistryCalendar, hong_kong_general_holidays
from chassis.web.principal import Principal
from filing.adapters.tables import Closure
from filing.service_layer import errors
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish

#: No deemed receipt lies further ahead than this (the longest run of holidays is days, not weeks).
HORIZON = timedelta(days=60)
CLOSURE_REASONS = ("typhoon_signal_8", "black_rainstorm", "direction", "other")
#: A closure is an afternoon or a few days, never months; a longer one is a typing mistake.
LONGEST_CLOSURE = timedelta(days=14)


def calendar_at(deps: Deps, db: Session, at: datetime) -> RegistryCalendar:
    """The calendar as it stands, with the closures that matter from ``at`` on."""
    rows = db.scalars(sa.select(Closure).where(Closure.ends_at > at, Closure.starts_at < at + HORIZON)).all()
    closures = [ClosedInterval(r.starts_at, r.ends_at, r.reason) for r in rows]
    return RegistryCalendar(deps.hours, hong_kong_general_holidays(), closures)


def deemed_receipt(deps: Deps, db: Session, at: datetime) -> datetime:
    """The first instant at or after ``at`` when the registry is open."""
    return calendar_at(deps, db, at).deemed_receipt(at)


def answer_deemed_receipt(deps: Deps, at: datetime) -> dict[str, Any]:
    """``GET /calendar/deemed-receipt``: when something arriving at ``at`` is deemed received, and why."""
    with deps.unit_of_work() as uow:
        calendar = calendar_at(deps, uow.session, at)
        deemed = calendar.deemed_receipt(at)
        return {
            "at": iso(at),
            "deemed_received_at": iso(deemed),
            "open": deemed == at,
            "closed_because": calendar.why_closed(at),
            "local_deemed_received_at": deemed.astimezone(deps.hours.zone).isoformat(),
        }


def closure_json(closure: Closure) -> dict[str, Any]:
    return {
        "closure_id": closure.id,
        "starts_at": iso(closure.starts_at),
        "ends_at": iso(closure.ends_at),
        "reason": closure.reason,
        "note": closure.note,
        "declared_at": iso(closure.declared_at),
    }


def list_closures(deps: Deps, start: datetime, end: datetime) -> dict[str, Any]:
    """Closures overlapping [start, end)."""
    with deps.unit_of_work() as uow:
        rows = uow.session.scalars(
            sa.select(Closure).where(Closure.ends_at > start, Closure.starts_at < end).order_by(Closure.starts_at)
        ).all()
        return {"closures": [closure_json(c) for c in rows]}


def declare_closure(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A registry officer declares the registry closed from ``starts_at`` to ``ends_at``."""
    require_registry(principal)
    starts, ends = body["starts_at"], body["ends_at"]
    if ends <= starts:
        raise errors.invalid_field("ends_at", "must be after starts_at")
    if ends - starts > LONGEST_CLOSURE:
        raise errors.invalid_field("ends_at", "a closure lasts at most 14 days; declare a longer one in parts")
    now = deps.now()
    with deps.unit_of_work() as uow:
        closure = Closure(
            id=str(uuid.uuid4()),
            starts_at=starts,
            ends_at=ends,
            reason=body["reason"],
            note=body.get("note", ""),
            declared_by_account_id=principal.subject,
            declared_at=now,
        )
        uow.session.add(closure)
        data = {**closure_json(closure), "declared_by_account_id": principal.subject, "aggregate_version": 1}
        del data["declared_at"]
        publish(deps, uow, "calendar.closure_declared", closure.id, data)
        answer = closure_json(closure)
        uow.commit()
        return answer
