"""The consumer: validates, de-duplicates, handles, commits, and only then acknowledges.

Outcomes for each message:
- ``ack``: handled, effects and inbox record committed, then acknowledged;
- ``duplicate``: already in the inbox; acknowledged, nothing done;
- ``retry``: the handler failed transiently; a copy goes to a delay queue that returns it later;
- ``dead_letter``: invalid (unparsable, schema violation, no handler), a :class:`PermanentError`,
  or the last attempt failed; a copy goes to the dead-letter queue with the reason.
The copy is published with a confirm before the original is acknowledged, so a crash in between
means a duplicate, never a loss. ``x-delivery-limit`` on the queue catches a message that keeps
killing the consumer before any of this can happen.
"""

from __future__ import annotations

import contextlib
import functools
import json
import logging
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from kombu import Connection, Consumer, Producer, Queue
from kombu.message import Message
from sqlalchemy.engine import Engine

from chassis import logs, metrics
from chassis.clock import Clock, SystemClock
from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from chassis.messaging.inbox import Inbox
from chassis.messaging.schemas import InvalidEvent, SchemaRegistry
from chassis.messaging.topology import ServiceTopology, declare

log = logging.getLogger(__name__)

ATTEMPT_HEADER = "x-icms-attempt"
ERROR_HEADER = "x-icms-error"

Handler = Callable[[Envelope, UnitOfWork], None]


class PermanentError(Exception):
    """Raised by a handler when trying again cannot help: the message goes to the DLQ at once."""


@dataclass(frozen=True)
class Outcome:
    """What became of one message, and why (for dead letters)."""

    kind: str  # ack | duplicate | retry | dead_letter
    reason: str = ""


@dataclass(frozen=True)
class Delivery:
    """One message as the broker handed it over."""

    queue: str
    body: bytes | str
    attempt: int = 1
    redelivered: bool = False


@dataclass
class _Readable:
    index: int
    delivery: Delivery
    envelope: Envelope
    handler: Handler


class MessageHandling:
    """Everything about messages except the broker: parse, validate, dedupe, handle, commit.

    A batch of deliveries is handled in one transaction, each message inside a savepoint of its own:
    a failing handler rolls back only its own effects, and one commit (one WAL flush) serves the
    whole batch. Handlers must not commit; the consumer does.
    """

    def __init__(
        self,
        *,
        service: str,
        handlers: Mapping[str, Handler],
        registry: SchemaRegistry,
        units_of_work: Callable[[], UnitOfWork],
        engine: Engine,
        inbox: Inbox,
        max_attempts: int,
        crash_limit: int = 3,
        clock: Clock | None = None,
    ) -> None:
        self.service = service
        self._handlers = handlers
        self._registry = registry
        self._units_of_work = units_of_work
        self._engine = engine
        self._inbox = inbox
        self._max_attempts = max_attempts
        self._crash_limit = crash_limit
        self._clock = clock or SystemClock()

    def process(self, deliveries: Sequence[Delivery]) -> list[tuple[Outcome, str]]:
        """Handle a batch; returns each delivery's outcome and event type (``invalid`` if unreadable)."""
        results: list[tuple[Outcome, str]] = [(Outcome("dead_letter"), "invalid")] * len(deliveries)
        readable: list[_Readable] = []
        for index, delivery in enumerate(deliveries):
            try:
                parsed: Any = json.loads(delivery.body)
                self._registry.validate(parsed)
            except (ValueError, InvalidEvent) as exc:
                # "invalid", not the claimed type: a metric label must not take arbitrary input.
                results[index] = (Outcome("dead_letter", f"invalid message: {exc}"), "invalid")
                continue
            envelope = Envelope.from_dict(parsed)
            handler = self._handlers.get(envelope.routing_key)
            if handler is None:
                results[index] = (Outcome("dead_letter", f"no handler for {envelope.routing_key}"), envelope.type)
                continue
            metrics.event_lag.labels(self.service, delivery.queue, envelope.type).observe(
                max(0.0, (self._clock.now() - envelope.time).total_seconds())
            )
            readable.append(_Readable(index, delivery, envelope, handler))
        if not any(r.delivery.redelivered for r in readable):
            if readable:
                self._handle_in_one_transaction(readable, results)
            return results
        # After a crash, one message per transaction: a crash now implicates only the message being
        # handled, not every message that happened to share its batch.
        for item in readable:
            if item.delivery.redelivered and self._started_too_often(item, results):
                continue
            self._handle_in_one_transaction([item], results)
        return results

    def _started_too_often(self, item: _Readable, results: list[tuple[Outcome, str]]) -> bool:
        """Journal the start of a redelivered message; dead-letter it if started too often already.

        The journal is written in a transaction of its own, so it survives the crash it detects.
        """
        (count,) = self._inbox.count_starts(self._engine, [(item.delivery.queue, item.envelope.id)])
        if count <= self._crash_limit:
            return False
        reason = f"started {count - 1} times without finishing: it may crash the consumer"
        results[item.index] = (Outcome("dead_letter", reason), item.envelope.type)
        return True

    def _handle_in_one_transaction(self, batch: list[_Readable], results: list[tuple[Outcome, str]]) -> None:
        committed: list[int] = []
        try:
            with self._units_of_work() as uow:
                for item in batch:
                    outcome = self._handle_one(uow, item)
                    results[item.index] = (outcome, item.envelope.type)
                    if outcome.kind == "ack":
                        committed.append(item.index)
                uow.commit()
        except Exception as exc:
            # The commit itself failed: nothing of the batch is stored, so each handled message is
            # retried like any transient failure.
            log.exception("committing a batch of %d messages failed", len(batch))
            for item in batch:
                if item.index in committed:
                    results[item.index] = (self._after_failure(item, exc), item.envelope.type)

    def _handle_one(self, uow: UnitOfWork, item: _Readable) -> Outcome:
        envelope, delivery = item.envelope, item.delivery
        started = time.perf_counter()
        with logs.bound(message_id=envelope.id, correlation_id=envelope.correlationid):
            savepoint = uow.begin_nested()
            try:
                if delivery.redelivered:
                    self._inbox.forget_starts(uow.session, delivery.queue, envelope.id)
                if not self._inbox.first_delivery(uow.session, delivery.queue, envelope.id):
                    savepoint.rollback()
                    return Outcome("duplicate")
                item.handler(envelope, uow)
                savepoint.commit()
            except PermanentError as exc:
                savepoint.rollback()
                log.warning("handler refused %s for good: %s", envelope.type, exc)
                return Outcome("dead_letter", f"permanent failure: {exc}")
            except Exception as exc:
                savepoint.rollback()
                log.exception("handler failed on %s (attempt %d of %d)", envelope.type, delivery.attempt,
                              self._max_attempts)  # fmt: skip
                return self._after_failure(item, exc)
            finally:
                metrics.handler_duration.labels(self.service, delivery.queue, envelope.type).observe(
                    time.perf_counter() - started
                )
        return Outcome("ack")

    def _after_failure(self, item: _Readable, exc: Exception) -> Outcome:
        if item.delivery.attempt >= self._max_attempts:
            return Outcome("dead_letter", f"failed {item.delivery.attempt} attempts, last: {exc!r}")
        return Outcome("retry", repr(exc))


class MessageConsumer:
    """Consumes every queue of a service's topology until told to stop, reconnecting as needed."""

    def __init__(
        self,
        url: str,
        topology: ServiceTopology,
        handling: MessageHandling,
        *,
        prefetch: int = 50,
        reconnect_delay: float = 1.0,
    ) -> None:
        self._url = url
        self._topology = topology
        self._handling = handling
        self._prefetch = prefetch
        self._reconnect_delay = reconnect_delay
        self._producer: Producer | None = None
        self._arrived: list[tuple[str, Message]] = []

    def run(self, stop: threading.Event, declared: threading.Event | None = None) -> None:
        """Consume until ``stop`` is set; set ``declared`` once the topology exists on the broker."""
        while not stop.is_set():
            try:
                self._consume(stop, declared)
            except Exception as exc:  # connection and channel errors alike: reconnect after a pause
                log.warning("consumer connection lost (%s); reconnecting", exc)
                stop.wait(self._reconnect_delay)

    def _consume(self, stop: threading.Event, declared: threading.Event | None) -> None:
        # Messages of a lost connection cannot be acknowledged; the broker redelivers them.
        self._arrived = []
        # Confirms on the channel make the retry and dead-letter copies safe to ack after.
        with Connection(self._url, heartbeat=30, transport_options={"confirm_publish": True}) as conn:
            conn.ensure_connection(max_retries=1)
            channel = conn.channel()
            declare(self._topology, channel)
            if declared is not None:
                declared.set()
            channel.basic_qos(0, self._prefetch, False)
            self._producer = Producer(channel, auto_declare=False)
            with contextlib.ExitStack() as consumers:
                for name in self._topology.queues:
                    consumers.enter_context(
                        Consumer(
                            channel,
                            queues=[Queue(name, channel=channel, no_declare=True)],
                            # A message back from a delay queue keeps its original routing key, so
                            # the queue it came from is bound here rather than read off the message.
                            on_message=functools.partial(self._on_message, name),
                            auto_declare=False,
                        )
                    )
                while not stop.is_set():
                    # Deliveries can arrive while the later queues' consumers are still registering; they
                    # are waiting already, so they are handled now rather than when the next one comes.
                    if not self._arrived:
                        try:
                            conn.drain_events(timeout=1)
                        except TimeoutError:
                            conn.heartbeat_check()
                            continue
                    # Take whatever else has already arrived, so one transaction serves them all.
                    with contextlib.suppress(TimeoutError):
                        while len(self._arrived) < self._prefetch:
                            conn.drain_events(timeout=0.001)
                    self._handle_arrived()

    def _on_message(self, queue: str, message: Message) -> None:
        self._arrived.append((queue, message))

    def _handle_arrived(self) -> None:
        arrived, self._arrived = self._arrived, []
        deliveries = [
            Delivery(
                queue,
                message.body,
                int((message.headers or {}).get(ATTEMPT_HEADER, 1)),
                bool(message.delivery_info.get("redelivered")),
            )
            for queue, message in arrived
        ]
        outcomes = self._handling.process(deliveries)
        for (queue, message), delivery, (outcome, event_type) in zip(arrived, deliveries, outcomes, strict=True):
            if outcome.kind == "retry":
                delay = self._topology.retry_delay_ms(delivery.attempt)
                retry_queue = self._topology.retry_queue(queue, delay)
                self._republish(message, "", retry_queue, {ATTEMPT_HEADER: delivery.attempt + 1})
            elif outcome.kind == "dead_letter":
                log.error("dead-lettering message %s from %s: %s", message.properties.get("message_id"), queue,
                          outcome.reason)  # fmt: skip
                self._republish(
                    message,
                    self._topology.dead_letter_exchange,
                    queue,
                    {ATTEMPT_HEADER: delivery.attempt, ERROR_HEADER: outcome.reason[:1000]},
                )
            message.ack()
            metrics.messages_consumed.labels(self._handling.service, queue, event_type, outcome.kind).inc()

    def _republish(self, message: Message, exchange: str, routing_key: str, extra_headers: dict[str, Any]) -> None:
        assert self._producer is not None
        self._producer.publish(
            message.body,
            exchange=exchange,
            routing_key=routing_key,
            headers={**(message.headers or {}), **extra_headers},
            content_type=message.content_type,
            content_encoding=message.content_encoding or "utf-8",
            message_id=message.properties.get("message_id"),
            delivery_mode=2,
            retry=False,
        )
