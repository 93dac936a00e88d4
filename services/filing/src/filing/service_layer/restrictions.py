"""The registry's list of restriction orders, and the check every filing passes through."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.web.principal import Principal
from filing.adapters.tables import RestrictionOrder
from filing.domain.restrictions import in_force, name_key
from filing.service_layer import errors
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps

ACTIVE = "active"
REVOKED = "revoked"


def order_json(order: RestrictionOrder) -> dict[str, Any]:
    return {
        "order_id": order.id,
        "name": order.name,
        "account_id": order.account_id,
        "courts": order.courts,
        "order_reference": order.order_reference,
        "made_on": order.made_on,
        "expires_on": order.expires_on,
        "note": order.note,
        "status": order.status,
        "recorded_at": iso(order.recorded_at),
        "revoked_at": iso(order.revoked_at) if order.revoked_at else None,
    }


def check(deps: Deps, db: Session, *, court: str, names: list[str], account_id: str | None, at: datetime) -> None:
    """Refuse (403) a filing in ``court`` by ``account_id`` or for any of ``names`` that an order in force bars."""
    keys = {name_key(n) for n in names if n.strip()}
    matching = sa.or_(
        RestrictionOrder.name_key.in_(keys) if keys else sa.false(),
        RestrictionOrder.account_id == account_id if account_id else sa.false(),
    )
    today = at.astimezone(deps.hours.zone).date()
    for order in db.scalars(sa.select(RestrictionOrder).where(RestrictionOrder.status == ACTIVE, matching)):
        expires = date.fromisoformat(order.expires_on) if order.expires_on else None
        if in_force(date.fromisoformat(order.made_on), expires, order.courts, court, today):
            raise errors.restricted(
                f"A restriction order ({order.order_reference}) bars filings by or for {order.name} in this court "
                "without the leave of the court. Apply for leave, or contact the registry."
            )


def record(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """A registry officer records an order."""
    require_registry(principal)
    made_on = body["made_on"]
    expires_on = body.get("expires_on")
    if expires_on is not None and expires_on < made_on:
        raise errors.invalid_field("expires_on", "must not be before made_on")
    with deps.unit_of_work() as uow:
        order = RestrictionOrder(
            id=str(uuid.uuid4()),
            name=body["name"],
            name_key=name_key(body["name"]),
            account_id=body.get("account_id"),
            courts=sorted(set(body.get("courts", []))),
            order_reference=body["order_reference"],
            made_on=made_on,
            expires_on=expires_on,
            note=body.get("note", ""),
            status=ACTIVE,
            recorded_by_account_id=principal.subject,
            recorded_at=deps.now(),
            revoked_at=None,
        )
        if not order.name_key:
            raise errors.invalid_field("name", "must contain letters or digits")
        uow.session.add(order)
        answer = order_json(order)
        uow.commit()
        return answer


def list_orders(deps: Deps, principal: Principal, include_revoked: bool) -> dict[str, Any]:
    require_registry(principal)
    with deps.unit_of_work() as uow:
        query = sa.select(RestrictionOrder).order_by(RestrictionOrder.recorded_at.desc(), RestrictionOrder.id)
        if not include_revoked:
            query = query.where(RestrictionOrder.status == ACTIVE)
        return {"orders": [order_json(o) for o in uow.session.scalars(query)]}


def revoke(deps: Deps, principal: Principal, order_id: str) -> dict[str, Any]:
    require_registry(principal)
    with deps.unit_of_work() as uow:
        order = uow.session.get(RestrictionOrder, order_id)
        if order is None:
            raise errors.not_found("restriction order")
        if order.status == ACTIVE:
            order.status = REVOKED
            order.revoked_at = deps.now()
        answer = order_json(order)
        uow.commit()
        return answer
