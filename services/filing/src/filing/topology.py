"""Everything filing declares on the broker: its exchange ``filing.events``; no subscriptions yet."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology
from filing.config import SERVICE


def topology() -> ServiceTopology:
    """Filing's exchange and subscriptions."""
    return ServiceTopology(SERVICE)
