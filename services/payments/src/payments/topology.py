"""Everything payments declares on the broker: its exchange ``payments.events`` and its queue of
filing's events (filings waiting for fees, rejected or cancelled; registry closures; inspections
asked for)."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology, Subscription
from payments.config import SERVICE

FILING_ROUTING_KEYS = (
    "filing.filing.submitted.v1",
    "filing.filing.rejected.v1",
    "filing.filing.cancelled.v1",
    "filing.calendar.closure_declared.v1",
    "filing.inspection.requested.v1",
)


def topology() -> ServiceTopology:
    """Payments's exchange and subscriptions."""
    return ServiceTopology(SERVICE, subscriptions=(Subscription("filing", FILING_ROUTING_KEYS),))
