"""The one place filing's processes are wired."""

from __future__ import annotations

from collections.abc import Sequence

from chassis.clock import Clock
from chassis.messaging.consumer import Handler
from chassis.registry_calendar import judiciary_opening_hours
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from chassis.worker import Job
from filing import config
from filing.adapters import tables
from filing.config import FilingSettings
from filing.domain.catalogue import catalogue
from filing.service_layer import cloud, fees, identity_events, receipts, review
from filing.service_layer.deps import Deps
from filing.topology import topology


def description(handlers: dict[str, Handler] | None = None, jobs: Sequence[Job] = ()) -> ServiceDescription:
    """Filing as the chassis sees it: tables, topology, handlers, jobs."""
    return ServiceDescription(
        name=config.SERVICE,
        package="filing",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers=handlers if handlers is not None else {},
        jobs=jobs,
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire filing's runtime from ``settings`` (default: the environment), handlers and jobs included."""
    handlers: dict[str, Handler] = {}
    jobs: list[Job] = []
    runtime = Runtime(description(handlers, jobs), settings or config.load(), clock)
    deps = wire(runtime)
    handlers.update(
        {
            "identity.organisation.created.v1": identity_events.organisation_created,
            "identity.case_assignment.changed.v1": identity_events.case_assignment_changed,
            "payments.order.created.v1": lambda envelope, uow: fees.order_created(deps, envelope, uow),
            "payments.order.paid.v1": lambda envelope, uow: fees.order_paid(deps, envelope, uow),
            "payments.order.expired.v1": lambda envelope, uow: fees.order_expired(deps, envelope, uow),
            "payments.receipt.issued.v1": lambda envelope, uow: receipts.receipt_issued(deps, envelope, uow),
        }
    )
    every = deps.settings.job_interval_seconds
    jobs.extend(
        [
            Job("cancel-unpaid-filings", every, lambda: fees.cancel_unpaid(deps)),
            Job("extract-document-text", every, lambda: review.extract_pending_text(deps)),
            Job("expire-cloud-uploads", every, lambda: cloud.expire_unused(deps)),
        ]
    )
    return runtime


def wire(runtime: Runtime, settings: FilingSettings | None = None) -> Deps:
    """What filing's use cases need, on ``runtime``; filing's own settings from the environment."""
    return Deps(
        runtime=runtime,
        settings=settings or config.load_filing(service=runtime.settings),
        catalogue=catalogue(),
        hours=judiciary_opening_hours(),
    )
