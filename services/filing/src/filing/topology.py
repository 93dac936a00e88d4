"""Everything filing declares on the broker: its exchange ``filing.events``, its queue of identity's
events (organisations, case assignments) and its queue of payments' order and receipt events."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology, Subscription
from filing.config import SERVICE

IDENTITY_ROUTING_KEYS = ("identity.organisation.created.v1", "identity.case_assignment.changed.v1")
PAYMENTS_ROUTING_KEYS = (
    "payments.order.created.v1",
    "payments.order.paid.v1",
    "payments.order.expired.v1",
    "payments.receipt.issued.v1",
)


def topology() -> ServiceTopology:
    """Filing's exchange and subscriptions."""
    return ServiceTopology(
        SERVICE,
        subscriptions=(
            Subscription("identity", IDENTITY_ROUTING_KEYS),
            Subscription("payments", PAYMENTS_ROUTING_KEYS),
        ),
    )
