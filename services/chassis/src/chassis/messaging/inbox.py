"""The inbox: which messages a consumer has already handled, recorded in the handler's transaction."""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from chassis.clock import Clock


class Inbox:
    """Records (consumer, message id) pairs so a redelivered message changes nothing twice.

    It also keeps a crash journal for redelivered messages: how often each was started without
    finishing. A message that kills the consumer every time is thereby told apart from the
    messages merely prefetched behind it, which the broker redelivers just as often but which were
    never started.
    """

    def __init__(self, table: sa.Table, clock: Clock) -> None:
        self.table = table
        self._attempts = table.metadata.tables["inbox_attempts"]
        self._clock = clock

    def count_starts(self, engine: Engine, consumer_and_ids: Sequence[tuple[str, str]]) -> list[int]:
        """Record, in a transaction of its own, that handling of these redelivered messages starts;
        returns how many times each has now been started."""
        a = self._attempts
        counts = []
        with engine.begin() as conn:
            for consumer, message_id in consumer_and_ids:
                key = (a.c.consumer == consumer) & (a.c.message_id == message_id)
                row = conn.execute(
                    sa.update(a).where(key).values(attempts=a.c.attempts + 1).returning(a.c.attempts)
                ).first()
                if row is None:
                    conn.execute(sa.insert(a).values(consumer=consumer, message_id=message_id, attempts=1))
                counts.append(1 if row is None else row.attempts)
        return counts

    def forget_starts(self, session: Session, consumer: str, message_id: str) -> None:
        """Clear the crash journal of a message whose handling is about to commit."""
        a = self._attempts
        session.execute(sa.delete(a).where((a.c.consumer == consumer) & (a.c.message_id == message_id)))

    def first_delivery(self, session: Session, consumer: str, message_id: str) -> bool:
        """Record the message in ``session``'s transaction; False if it was handled before.

        Because the record commits together with the handler's effects, a crash before the commit
        leaves neither, and the redelivered message is handled afresh.
        """
        dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
        statement = (
            dialect.insert(self.table)
            .values(consumer=consumer, message_id=message_id, received_at=self._clock.now())
            .on_conflict_do_nothing()
            # rowcount is unreliable through the ORM session (-1 with psycopg); RETURNING is not.
            .returning(self.table.c.message_id)
        )
        return session.execute(statement).first() is not None
