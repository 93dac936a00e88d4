"""The inbox: which messages a consumer has already handled, recorded in the handler's transaction."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chassis.clock import Clock


class Inbox:
    """Records (consumer, message id) pairs so a redelivered message changes nothing twice."""

    def __init__(self, table: sa.Table, clock: Clock) -> None:
        self.table = table
        self._clock = clock

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
