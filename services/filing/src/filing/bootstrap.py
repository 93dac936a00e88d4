"""The one place filing's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from filing import config
from filing.adapters import tables
from filing.topology import topology


def description() -> ServiceDescription:
    """Filing as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="filing",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers={},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire filing from ``settings`` (default: the environment)."""
    return Runtime(description(), settings or config.load(), clock)
