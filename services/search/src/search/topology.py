"""Everything search declares on the broker: its exchange ``search.events``; no subscriptions yet."""

from __future__ import annotations

from chassis.messaging.topology import ServiceTopology
from search.config import SERVICE


def topology() -> ServiceTopology:
    """Search's exchange and subscriptions."""
    return ServiceTopology(SERVICE)
