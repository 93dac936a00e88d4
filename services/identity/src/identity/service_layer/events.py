"""Identity's events as they leave through the outbox."""

from __future__ import annotations

from typing import Any

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope, new_event
from identity.adapters.tables import Account
from identity.config import SERVICE
from identity.service_layer.deps import Deps

SOURCE = f"/{SERVICE}"


def publish(
    deps: Deps, uow: UnitOfWork, event_type: str, subject: str, data: dict[str, Any], caused_by: Envelope | None = None
) -> None:
    """Queue ``identity.<event_type>`` about ``subject`` in the unit of work's outbox."""
    uow.publish(
        new_event(
            f"{SERVICE}.{event_type}",
            data,
            source=SOURCE,
            subject=subject,
            clock=deps.runtime.clock,
            caused_by=caused_by,
        )
    )


def account_event(deps: Deps, uow: UnitOfWork, event_type: str, account: Account, **data: Any) -> None:
    """An ``identity.account.*`` event carrying the account's id and version."""
    payload = {"account_id": account.id, **data, "aggregate_version": account.version}
    publish(deps, uow, f"account.{event_type}", account.id, payload)
