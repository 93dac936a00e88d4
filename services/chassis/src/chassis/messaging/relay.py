"""The relay: moves committed outbox rows to the broker, in order, at least once.

Each round claims the oldest rows, publishes them with confirms, and deletes them in the same
transaction that claimed them. If publishing fails the transaction rolls back, the rows stay
pending and the relay backs off; a crash after publishing but before the commit re-sends the batch,
which consumers drop through their inbox. Nothing is ever dropped.

Two relays may run against one database. On PostgreSQL each claims with ``FOR UPDATE SKIP LOCKED``,
so they share the work; on SQLite the claim takes the database write lock, so they take turns.
Order within a stream (one aggregate) is kept across relays: a relay publishes a stream's rows only
up to the first older pending row of that stream that it does not hold itself.

Relays can also split the work: a relay given partition ``k`` of ``n`` claims only rows whose
stream falls in its share, so ``n`` relay processes publish side by side without ever holding
rows of one stream between them.

On PostgreSQL a relay claims its next batch while the current one is on the wire, so the database
and the broker work at once; the next batch goes out only after the current one is confirmed and
deleted, and is released unpublished if the current one fails.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine, Row

from chassis import metrics
from chassis.clock import Clock, SystemClock
from chassis.db import WRITE_LOCK
from chassis.messaging.publisher import ConfirmingPublisher, OutgoingMessage

log = logging.getLogger(__name__)


class Relay:
    """Publishes a service's outbox to the broker until told to stop."""

    def __init__(
        self,
        engine: Engine,
        outbox: sa.Table,
        publisher: ConfirmingPublisher,
        *,
        service: str,
        batch_size: int = 500,
        poll_interval: float = 0.05,
        max_backoff: float = 10.0,
        partition: tuple[int, int] = (0, 1),
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._table = outbox
        self._publisher = publisher
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._clock = clock or SystemClock()
        self._partition, self._partitions = partition
        # SQLite has one writer at a time: a second claim would wait for the first to commit.
        self._overlap = engine.dialect.name != "sqlite"

    def relay_batch(self) -> int:
        """Publish one batch of pending rows; returns how many were published (and so deleted)."""
        claim = self._claim()
        if not claim.rows:
            claim.abandon()
            return 0
        self._complete(claim, self._send(claim))
        return len(claim.rows)

    def _claim(self, in_flight: frozenset[int] = frozenset()) -> _Claim:
        """Lock the oldest rows and keep those that can go without overtaking their stream.

        ``in_flight`` is this relay's batch on the wire: it does not hold its streams back, because
        the new batch is published only once that one is confirmed.
        """
        t = self._table
        conn = self._engine.connect().execution_options(**{WRITE_LOCK: True})
        transaction = conn.begin()
        try:
            mine = sa.true() if self._partitions == 1 else t.c.partition % self._partitions == self._partition
            claimed = conn.execute(
                sa.select(t.c.id, t.c.stream, t.c.exchange, t.c.routing_key, t.c.message_id, t.c.payload)
                .where(mine)
                .order_by(t.c.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            ready = self._in_stream_order(conn, claimed, in_flight) if claimed else []
        except BaseException:
            transaction.rollback()
            conn.close()
            raise
        return _Claim(conn, transaction, t, ready)

    def _send(self, claim: _Claim) -> Callable[[], None]:
        """Start publishing a claimed batch; the result waits for its confirms."""
        try:
            return self._publisher.start(
                [OutgoingMessage(r.exchange, r.routing_key, r.message_id, r.payload) for r in claim.rows]
            )
        except BaseException:
            claim.abandon()
            raise

    def _complete(self, claim: _Claim, confirmed: Callable[[], None]) -> None:
        """Wait for a batch's confirms, then delete its rows; on failure leave them all pending."""
        by_type = Counter(_event_type(r.routing_key) for r in claim.rows)
        try:
            confirmed()
        except BaseException:
            claim.abandon()
            self._count(by_type, "failed")
            raise
        claim.finish()
        self._count(by_type, "published")

    def _count(self, by_type: Counter[str], outcome: str) -> None:
        for event_type, count in by_type.items():
            metrics.messages_published.labels(self._service, event_type, outcome).inc(count)

    def _in_stream_order(self, conn: sa.Connection, claimed: Sequence[Row], in_flight: frozenset[int]) -> list[Row]:
        """The claimed rows that can go now without overtaking an older row of their stream.

        A row must wait if its stream has an older pending row this relay does not hold: another
        relay holds it, or a late commit has just made it visible.
        """
        t = self._table
        ids = [r.id for r in claimed]
        oldest_foreign = dict(
            conn.execute(
                sa.select(t.c.stream, sa.func.min(t.c.id))
                .where(_one_of(conn, t.c.stream, sorted({r.stream for r in claimed})))
                .where(t.c.id <= max(ids))
                .where(sa.not_(_one_of(conn, t.c.id, [*ids, *in_flight])))
                .group_by(t.c.stream)
            ).all()
        )
        return [r for r in claimed if r.id < oldest_foreign.get(r.stream, r.id + 1)]

    def observe_backlog(self) -> None:
        """Update the pending-count and oldest-pending-age gauges."""
        t = self._table
        with self._engine.connect() as conn:
            count, oldest = conn.execute(sa.select(sa.func.count(), sa.func.min(t.c.created_at))).one()
        metrics.outbox_pending.labels(self._service).set(count)
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self._clock.now() - _aware(oldest)).total_seconds())
        metrics.outbox_oldest_age.labels(self._service).set(age)

    def run(self, stop: threading.Event, housekeeping_every: float = 5.0) -> None:
        """Relay until ``stop`` is set, backing off exponentially (with jitter) while publishing fails."""
        failures = 0
        next_housekeeping = 0.0
        claim: _Claim | None = None
        while not stop.is_set():
            try:
                if time.monotonic() >= next_housekeeping:
                    self.observe_backlog()
                    next_housekeeping = time.monotonic() + housekeeping_every
                claim = claim or self._claim()
                if not claim.rows:
                    claim.abandon()
                    claim = None
                    stop.wait(self._poll_interval)
                    continue
                claim = self._publish_overlapping_next(claim)
                failures = 0
                if claim is None:
                    stop.wait(self._poll_interval)
            except Exception as exc:
                claim = None
                failures += 1
                delay = min(self._max_backoff, 0.05 * 2**failures) * random.uniform(0.5, 1.0)
                log.warning("relay round failed (%s); retrying in %.2fs", exc, delay)
                stop.wait(delay)
        if claim is not None:
            claim.abandon()
        self._publisher.close()

    def _publish_overlapping_next(self, claim: _Claim) -> _Claim | None:
        """Publish ``claim``; while it is on the wire, claim the next batch if this one was full.

        Returns the next batch, already claimed, or None when the outbox has been drained.
        """
        confirmed = self._send(claim)
        full = len(claim.rows) == self._batch_size
        following = None
        try:
            if full and self._overlap:
                following = self._claim(frozenset(r.id for r in claim.rows))
        except BaseException:
            claim.abandon()
            raise
        try:
            self._complete(claim, confirmed)
        except BaseException:
            if following is not None:
                following.abandon()
            raise
        if following is None and full:
            return self._claim()
        return following


class _Claim:
    """Rows locked in an open transaction, to be deleted once published or released if not."""

    def __init__(self, conn: sa.Connection, transaction: sa.RootTransaction, table: sa.Table, rows: list[Row]):
        self._conn = conn
        self._transaction = transaction
        self._table = table
        self.rows = rows

    def finish(self) -> None:
        """Delete the published rows and commit."""
        try:
            ids = [r.id for r in self.rows]
            self._conn.execute(sa.delete(self._table).where(_one_of(self._conn, self._table.c.id, ids)))
            self._transaction.commit()
        finally:
            self._conn.close()

    def abandon(self) -> None:
        """Release the rows unpublished."""
        try:
            self._transaction.rollback()
        finally:
            self._conn.close()


def _one_of(conn: sa.Connection, column: sa.Column, values: list) -> sa.ColumnElement[bool]:
    # On PostgreSQL one array parameter instead of hundreds of expanded ones: compiling and sending
    # those cost more than the query itself.
    if conn.dialect.name == "postgresql":
        return column == sa.any_(sa.cast(sa.literal(values, type_=ARRAY(column.type)), ARRAY(column.type)))
    return column.in_(values)


def _event_type(routing_key: str) -> str:
    return routing_key.rsplit(".v", 1)[0]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
