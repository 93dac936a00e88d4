"""The one place identity's processes are wired."""

from __future__ import annotations

from chassis.clock import Clock
from chassis.messaging.consumer import Handler
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from identity import config
from identity.adapters import tables
from identity.adapters.passwords import Passwords
from identity.config import IdentitySettings
from identity.service_layer import case_assignments
from identity.service_layer.deps import Deps
from identity.topology import CASE_ROUTING_KEYS, topology


def description(handlers: dict[str, Handler] | None = None) -> ServiceDescription:
    """Identity as the chassis sees it: tables, topology, handlers."""
    return ServiceDescription(
        name=config.SERVICE,
        package="identity",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers=handlers if handlers is not None else {},
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire identity's runtime from ``settings`` (default: the environment), handlers included."""
    handlers: dict[str, Handler] = {}
    runtime = Runtime(description(handlers), settings or config.load(), clock)
    deps = wire(runtime)
    for routing_key in CASE_ROUTING_KEYS:
        handlers[routing_key] = lambda envelope, uow: case_assignments.case_representation_changed(deps, envelope, uow)
    return runtime


def wire(runtime: Runtime, settings: IdentitySettings | None = None) -> Deps:
    """What identity's use cases need, on ``runtime``; identity's own settings from the environment."""
    settings = settings or config.load_identity(service=runtime.settings)
    return Deps(runtime=runtime, settings=settings, passwords=Passwords(settings.password_cost))
