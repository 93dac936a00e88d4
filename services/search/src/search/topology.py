"""Everything search declares on the broker: its exchange ``search.events``, its queue of filing's
events (cases, public documents, sealing) and its queue of identity's case assignments."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology, Subscription
from search.config import SERVICE

FILING_ROUTING_KEYS = (
    "filing.case.updated.v1",
    "filing.case.sealed.v1",
    "filing.case.unsealed.v1",
    "filing.document.published.v1",
    "filing.document.sealed.v1",
)
IDENTITY_ROUTING_KEYS = ("identity.case_assignment.changed.v1",)


def topology() -> ServiceTopology:
    """Search's exchange and subscriptions."""
    return ServiceTopology(
        SERVICE,
        subscriptions=(
            Subscription("filing", FILING_ROUTING_KEYS),
            Subscription("identity", IDENTITY_ROUTING_KEYS),
        ),
    )
