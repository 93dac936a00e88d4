"""Exchanges, queues and bindings, derived from one convention so every service names them alike.

- each producer publishes to one durable topic exchange ``<producer>.events``;
- each consumer has one quorum queue per producer it listens to, ``<consumer>.<producer>``, bound
  by routing key ``<type>.v<major>``;
- failures: delay queues ``<queue>.retry.<ms>ms`` that dead-letter back to the queue when their TTL
  expires, and a dead-letter exchange ``<consumer>.dlx`` routing to ``<queue>.dlq``;
- ``x-delivery-limit`` dead-letters a message redelivered too often (a consumer that keeps crashing
  on it) even though no handler ever said so.
"""

from __future__ import annotations

from dataclasses import dataclass

from kombu import Exchange, Queue, binding
from kombu.transport.pyamqp import Channel

QUORUM = {"x-queue-type": "quorum"}


@dataclass(frozen=True)
class Subscription:
    """The events (routing keys ``<type>.v<major>``) a service takes from one producer."""

    producer: str
    routing_keys: tuple[str, ...]


@dataclass(frozen=True)
class ServiceTopology:
    """Everything a service declares on the broker: its own exchange and its subscriptions."""

    service: str
    subscriptions: tuple[Subscription, ...] = ()
    retry_delays_ms: tuple[int, ...] = (1_000, 10_000, 60_000)
    delivery_limit: int = 10

    @property
    def exchange(self) -> str:
        """The topic exchange this service publishes its events to."""
        return exchange_of(self.service)

    @property
    def dead_letter_exchange(self) -> str:
        return f"{self.service}.dlx"

    def queue(self, producer: str) -> str:
        """The queue holding this service's subscription to ``producer``."""
        return f"{self.service}.{producer}"

    @property
    def queues(self) -> list[str]:
        return [self.queue(s.producer) for s in self.subscriptions]

    @staticmethod
    def dead_letter_queue(queue: str) -> str:
        return f"{queue}.dlq"

    @staticmethod
    def retry_queue(queue: str, delay_ms: int) -> str:
        return f"{queue}.retry.{delay_ms}ms"

    def retry_delay_ms(self, failed_attempt: int) -> int:
        """How long to wait after the ``failed_attempt``-th (1-based) failure before trying again."""
        return self.retry_delays_ms[min(failed_attempt, len(self.retry_delays_ms)) - 1]

    @property
    def max_attempts(self) -> int:
        """Attempts before a failing message is dead-lettered: one, plus one per retry delay."""
        return len(self.retry_delays_ms) + 1


def exchange_of(producer: str) -> str:
    """The name of ``producer``'s event exchange."""
    return f"{producer}.events"


def declare(topology: ServiceTopology, channel: Channel) -> None:
    """Declare (idempotently) every exchange, queue and binding of ``topology`` on ``channel``."""
    Exchange(topology.exchange, type="topic", durable=True, channel=channel).declare()
    dlx = Exchange(topology.dead_letter_exchange, type="direct", durable=True, channel=channel)
    dlx.declare()
    for subscription in topology.subscriptions:
        source = Exchange(exchange_of(subscription.producer), type="topic", durable=True, channel=channel)
        source.declare()
        name = topology.queue(subscription.producer)
        Queue(
            name,
            bindings=[binding(source, routing_key=key) for key in subscription.routing_keys],
            durable=True,
            queue_arguments={
                **QUORUM,
                "x-dead-letter-exchange": topology.dead_letter_exchange,
                "x-dead-letter-routing-key": name,
                "x-delivery-limit": topology.delivery_limit,
            },
            channel=channel,
        ).declare()
        Queue(
            topology.dead_letter_queue(name),
            exchange=dlx,
            routing_key=name,
            durable=True,
            queue_arguments=QUORUM,
            channel=channel,
        ).declare()
        for delay in topology.retry_delays_ms:
            # Declared without a binding: the consumer publishes to it through the default exchange.
            Queue(
                topology.retry_queue(name, delay),
                durable=True,
                queue_arguments={
                    **QUORUM,
                    "x-message-ttl": delay,
                    "x-dead-letter-exchange": "",
                    "x-dead-letter-routing-key": name,
                },
                channel=channel,
            ).declare()
