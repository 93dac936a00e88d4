"""Everything identity declares on the broker: its exchange ``identity.events``; no subscriptions yet."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology
from identity.config import SERVICE


def topology() -> ServiceTopology:
    """Identity's exchange and subscriptions."""
    return ServiceTopology(SERVICE)
