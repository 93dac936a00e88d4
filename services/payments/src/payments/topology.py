"""Everything payments declares on the broker: its exchange ``payments.events``; no subscriptions yet."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology
from payments.config import SERVICE


def topology() -> ServiceTopology:
    """Payments's exchange and subscriptions."""
    return ServiceTopology(SERVICE)
