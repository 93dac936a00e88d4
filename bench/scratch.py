"""Infrastructure a benchmark run makes for itself and removes afterwards."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator

from chassis.testing.fixtures import RabbitMQ


@contextlib.contextmanager
def scratch_vhost() -> Iterator[str]:
    """A vhost of this run's own on the local broker, deleted afterwards."""
    broker = RabbitMQ("127.0.0.1", 5672, "guest", "guest", ["rabbitmqctl"])
    vhost = f"bench_{uuid.uuid4().hex[:8]}"
    broker.add_vhost(vhost)
    try:
        yield broker.url(vhost)
    finally:
        broker.delete_vhost(vhost)
