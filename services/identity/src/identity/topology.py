"""Everything identity declares on the broker: its exchange ``identity.events`` and its queue of
filing's case events (which organisations are on record in which case)."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology, Subscription
from identity.config import SERVICE

CASE_ROUTING_KEYS = ("filing.case.created.v1", "filing.case.representation_changed.v1")


def topology() -> ServiceTopology:
    """Identity's exchange and subscriptions."""
    return ServiceTopology(SERVICE, subscriptions=(Subscription("filing", CASE_ROUTING_KEYS),))
