"""The one place payments's processes are wired."""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial

from chassis.clock import Clock
from chassis.messaging.consumer import Handler
from chassis.registry_calendar import judiciary_opening_hours
from chassis.service import Runtime, ServiceDescription, ServiceSettings
from chassis.worker import Job
from payments import config
from payments.adapters import tables, webhook_delivery
from payments.adapters.sandbox import SandboxProvider
from payments.config import PaymentsSettings
from payments.domain.fees import default_schedule
from payments.service_layer import calendar, checkout, filing_events, orders, receipts
from payments.service_layer.deps import Deps
from payments.topology import topology


def description(handlers: dict[str, Handler] | None = None, jobs: Sequence[Job] = ()) -> ServiceDescription:
    """Payments as the chassis sees it: tables, topology, handlers, jobs."""
    return ServiceDescription(
        name=config.SERVICE,
        package="payments",
        metadata=tables.metadata,
        outbox_table=tables.outbox,
        inbox_table=tables.inbox,
        topology=topology(),
        handlers=handlers if handlers is not None else {},
        jobs=jobs,
    )


def bootstrap(settings: ServiceSettings | None = None, clock: Clock | None = None) -> Runtime:
    """Wire payments's runtime from ``settings`` (default: the environment), handlers and jobs included."""
    handlers: dict[str, Handler] = {}
    jobs: list[Job] = []
    runtime = Runtime(description(handlers, jobs), settings or config.load(), clock)
    deps = wire(runtime)
    handlers.update(
        {
            "filing.filing.submitted.v1": lambda envelope, uow: filing_events.filing_submitted(deps, envelope, uow),
            "filing.filing.rejected.v1": lambda envelope, uow: filing_events.filing_rejected(deps, envelope, uow),
            "filing.filing.cancelled.v1": lambda envelope, uow: filing_events.filing_cancelled(deps, envelope, uow),
            "filing.calendar.closure_declared.v1": calendar.closure_declared,
            "filing.inspection.requested.v1": lambda envelope, uow: filing_events.inspection_requested(
                deps, envelope, uow
            ),
        }
    )
    every = deps.settings.job_interval_seconds
    jobs.extend(
        [
            Job("expire-orders", every, lambda: orders.expire_due(deps)),
            Job("render-receipts", every, lambda: receipts.render_pending(deps)),
            Job("time-out-checkouts", every, lambda: checkout.time_out_pending(deps)),
            Job(
                "deliver-sandbox-webhooks",
                every,
                partial(checkout.deliver_sandbox_webhooks, deps, webhook_delivery.post),
            ),
        ]
    )
    return runtime


def wire(runtime: Runtime, settings: PaymentsSettings | None = None) -> Deps:
    """What payments's use cases need, on ``runtime``; payments's own settings from the environment."""
    settings = settings or config.load_payments(service=runtime.settings)
    return Deps(
        runtime=runtime,
        settings=settings,
        fees=default_schedule(),
        hours=judiciary_opening_hours(),
        provider=SandboxProvider(settings.public_url, settings.sandbox_secret),
    )
