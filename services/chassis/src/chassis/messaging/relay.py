"""The relay: moves committed outbox rows to the broker, in order, at least once.

Each round claims the oldest unpublished rows, publishes them with confirms, and marks them sent in
the same transaction that claimed them. If publishing fails the transaction rolls back, the rows stay
pending and the relay backs off; a crash after publishing but before the commit re-sends the batch,
which consumers drop through their inbox. Nothing is ever dropped.

Two relays may run against one database. On PostgreSQL each claims with ``FOR UPDATE SKIP LOCKED``,
so they share the work; on SQLite the claim takes the database write lock, so they take turns.
Order within a stream (one aggregate) is kept across relays: a relay publishes a stream's rows only
up to the first older pending row of that stream that it does not hold itself.
"""

from __future__ import annotations

import asyncio
import logging
import random
import threading
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
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
        retention: timedelta = timedelta(days=7),
        clock: Clock | None = None,
    ) -> None:
        self._engine = engine
        self._table = outbox
        self._publisher = publisher
        self._service = service
        self._batch_size = batch_size
        self._poll_interval = poll_interval
        self._max_backoff = max_backoff
        self._retention = retention
        self._clock = clock or SystemClock()

    async def relay_batch(self) -> int:
        """Publish one batch of pending rows; returns how many were published and marked sent."""
        t = self._table
        with self._engine.connect().execution_options(**{WRITE_LOCK: True}) as conn, conn.begin():
            claimed = conn.execute(
                sa.select(t.c.id, t.c.stream, t.c.exchange, t.c.routing_key, t.c.message_id, t.c.payload)
                .where(t.c.published_at.is_(None))
                .order_by(t.c.id)
                .limit(self._batch_size)
                .with_for_update(skip_locked=True)
            ).all()
            if not claimed:
                return 0
            ready = self._in_stream_order(conn, claimed)
            if not ready:
                return 0
            try:
                await self._publisher.publish(
                    [OutgoingMessage(r.exchange, r.routing_key, r.message_id, r.payload) for r in ready]
                )
            except Exception:
                for r in ready:
                    metrics.messages_published.labels(self._service, _event_type(r.routing_key), "failed").inc()
                raise
            conn.execute(sa.update(t).where(t.c.id.in_([r.id for r in ready])).values(published_at=self._clock.now()))
        for r in ready:
            metrics.messages_published.labels(self._service, _event_type(r.routing_key), "published").inc()
        return len(ready)

    def _in_stream_order(self, conn: sa.Connection, claimed: Sequence[Row]) -> list[Row]:
        """The claimed rows that can go now without overtaking an older row of their stream."""
        t = self._table
        mine = {r.id: r for r in claimed}
        older_pending = conn.execute(
            sa.select(t.c.id, t.c.stream)
            .where(t.c.published_at.is_(None))
            .where(t.c.stream.in_({r.stream for r in claimed}))
            .where(t.c.id <= max(mine))
            .order_by(t.c.id)
        ).all()
        blocked: set[str] = set()
        ready = []
        for row in older_pending:
            if row.stream in blocked:
                continue
            if row.id in mine:
                ready.append(mine[row.id])
            else:
                # Another relay holds (or a late commit just made visible) an older row of this stream.
                blocked.add(row.stream)
        return ready

    def observe_backlog(self) -> None:
        """Update the pending-count and oldest-pending-age gauges."""
        t = self._table
        with self._engine.connect() as conn:
            count, oldest = conn.execute(
                sa.select(sa.func.count(), sa.func.min(t.c.created_at)).where(t.c.published_at.is_(None))
            ).one()
        metrics.outbox_pending.labels(self._service).set(count)
        age = 0.0
        if oldest is not None:
            age = max(0.0, (self._clock.now() - _aware(oldest)).total_seconds())
        metrics.outbox_oldest_age.labels(self._service).set(age)

    def purge_published(self) -> int:
        """Delete rows published longer ago than the retention period; returns how many."""
        t = self._table
        cutoff = self._clock.now() - self._retention
        with self._engine.begin() as conn:
            return conn.execute(sa.delete(t).where(t.c.published_at < cutoff)).rowcount

    async def run(self, stop: threading.Event, housekeeping_every: float = 5.0) -> None:
        """Relay until ``stop`` is set, backing off exponentially (with jitter) while publishing fails."""
        failures = 0
        loop = asyncio.get_running_loop()
        next_housekeeping = 0.0
        while not stop.is_set():
            try:
                if loop.time() >= next_housekeeping:
                    self.observe_backlog()
                    self.purge_published()
                    next_housekeeping = loop.time() + housekeeping_every
                sent = await self.relay_batch()
                failures = 0
            except Exception as exc:
                failures += 1
                delay = min(self._max_backoff, 0.05 * 2**failures) * random.uniform(0.5, 1.0)
                log.warning("relay round failed (%s); retrying in %.2fs", exc, delay)
                await _sleep_unless(stop, delay)
                continue
            if sent < self._batch_size:
                await _sleep_unless(stop, self._poll_interval)
        await self._publisher.close()


async def _sleep_unless(stop: threading.Event, seconds: float) -> None:
    deadline = asyncio.get_running_loop().time() + seconds
    while not stop.is_set():
        remaining = deadline - asyncio.get_running_loop().time()
        if remaining <= 0:
            return
        await asyncio.sleep(min(remaining, 0.1))


def _event_type(routing_key: str) -> str:
    return routing_key.rsplit(".v", 1)[0]


def _aware(moment: datetime) -> datetime:
    # SQLite hands back naive datetimes for what was stored as UTC.
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
