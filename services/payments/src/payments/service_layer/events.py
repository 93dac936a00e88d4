"""Payments's events as they leave through the outbox."""

from __future__ import annotations

from typing import Any

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope, new_event
from payments.config import SERVICE
from payments.service_layer.deps import Deps

SOURCE = f"/{SERVICE}"


def publish(
    deps: Deps, uow: UnitOfWork, event_type: str, subject: str, data: dict[str, Any], caused_by: Envelope | None = None
) -> None:
    """Queue ``payments.<event_type>`` about ``subject`` in the unit of work's outbox."""
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
