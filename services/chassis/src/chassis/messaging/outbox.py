"""Writing events into the outbox, inside the caller's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.messaging.envelope import Envelope
from chassis.messaging.schemas import SchemaRegistry
from chassis.messaging.tables import partition_of


class Outbox:
    """Adds validated events to a service's outbox table; the relay publishes them later."""

    def __init__(self, table: sa.Table, registry: SchemaRegistry, exchange: str) -> None:
        self.table = table
        self._registry = registry
        self._exchange = exchange

    def add(self, session: Session, envelope: Envelope) -> None:
        """Validate ``envelope`` against its contract and insert it in ``session``'s transaction.

        Validation happens here, not in the relay, so a contract violation fails the business
        transaction that caused it instead of blocking the stream later.
        """
        body = envelope.to_dict()
        self._registry.validate(body)
        session.execute(
            self.table.insert().values(
                message_id=envelope.id,
                stream=envelope.subject,
                partition=partition_of(envelope.subject),
                exchange=self._exchange,
                routing_key=envelope.routing_key,
                payload=envelope.to_json(),
                created_at=envelope.time,
            )
        )
