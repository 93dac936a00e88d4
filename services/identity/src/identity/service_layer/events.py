"""Identity's events as they leave through the outbox."""

from __future__ import annotations

from typing import Any

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from identity.adapters.tables import Account
from identity.service_layer.deps import Deps


def publish(
    deps: Deps, uow: UnitOfWork, event_type: str, subject: str, data: dict[str, Any], caused_by: Envelope | None = None
) -> None:
    """Queue ``identity.<event_type>`` about ``subject`` in the unit of work's outbox."""
    uow.publish(deps.runtime.event(event_type, subject, data, caused_by))


def account_event(deps: Deps, uow: UnitOfWork, event_type: str, account: Account, **data: Any) -> None:
    """An ``identity.account.*`` event carrying the account's id and version."""
    payload = {"account_id": account.id, **data, "aggregate_version": account.version}
    publish(deps, uow, f"account.{event_type}", account.id, payload)
