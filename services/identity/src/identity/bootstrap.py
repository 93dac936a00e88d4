"""The one place identity's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from identity import config
from identity.adapters import tables
from identity.topology import topology


def description() -> ServiceDescription:
    """Identity as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="identity",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers={},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire identity from ``settings`` (default: the environment)."""
    return Runtime(description(), settings or config.load(), clock)
