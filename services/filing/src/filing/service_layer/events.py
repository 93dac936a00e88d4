"""Filing's events as they leave through the outbox."""

from __future__ import annotations

from typing import Any

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from filing.service_layer.deps import Deps


def publish(
    deps: Deps, uow: UnitOfWork, event_type: str, subject: str, data: dict[str, Any], caused_by: Envelope | None = None
) -> None:
    """Queue ``filing.<event_type>`` about ``subject`` in the unit of work's outbox."""
    uow.publish(deps.runtime.event(event_type, subject, data, caused_by))
