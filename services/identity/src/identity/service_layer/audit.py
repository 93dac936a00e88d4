"""The audit log: who did what, when, from where, and whether it worked."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from identity.adapters.tables import Account, AuditEntry
from identity.service_layer.deps import Caller


def record(
    session: Session,
    caller: Caller,
    at: datetime,
    action: str,
    *,
    actor: Account | None = None,
    outcome: str = "success",
    organisation_id: str | None = None,
    target: tuple[str, str] | None = None,
    detail: dict[str, Any] | None = None,
    username: str | None = None,
    actor_id: str | None = None,
) -> None:
    """Add an audit entry to the current transaction (so it lands with the change it describes)."""
    session.add(
        AuditEntry(
            at=at,
            actor_id=actor.id if actor else (actor_id or caller.subject),
            actor_username=actor.username if actor else username,
            organisation_id=organisation_id,
            action=action,
            outcome=outcome,
            target_type=target[0] if target else None,
            target_id=target[1] if target else None,
            client_ip=caller.client_ip,
            request_id=caller.request_id,
            detail=detail or {},
        )
    )


def as_json(entry: AuditEntry) -> dict[str, Any]:
    """An audit entry as the API shows it."""
    return {
        "id": entry.id,
        "at": entry.at.isoformat(),
        "actor_id": entry.actor_id,
        "actor_username": entry.actor_username,
        "organisation_id": entry.organisation_id,
        "action": entry.action,
        "outcome": entry.outcome,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "client_ip": entry.client_ip,
        "request_id": entry.request_id,
        "detail": entry.detail,
    }
