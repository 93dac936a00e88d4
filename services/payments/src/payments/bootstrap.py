"""The one place payments's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from payments import config
from payments.adapters import tables
from payments.topology import topology


def description() -> ServiceDescription:
    """Payments as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="payments",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers={},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire payments from ``settings`` (default: the environment)."""
    return Runtime(description(), settings or config.load(), clock)
