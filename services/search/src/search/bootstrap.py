"""The one place search's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from search import config
from search.adapters import tables
from search.topology import topology


def description() -> ServiceDescription:
    """Search as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="search",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers={},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire search from ``settings`` (default: the environment)."""
    return Runtime(description(), settings or config.load(), clock)
