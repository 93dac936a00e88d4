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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from kombu import Connection, Consumer, Producer, Queue
from kombu.message import Message

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


class MessageHandling:
    """Everything about one message except the broker: parse, validate, dedupe, handle, commit."""

    def __init__(
        self,
        *,
        service: str,
        handlers: Mapping[str, Handler],
        registry: SchemaRegistry,
        units_of_work: Callable[[], UnitOfWork],
        inbox: Inbox,
        crash_limit: int = 3,
        clock: Clock | None = None,
    ) -> None:
        self.service = service
        self._crash_limit = crash_limit
        self._handlers = handlers
        self._registry = registry
        self._units_of_work = units_of_work
        self._inbox = inbox
        self._clock = clock or SystemClock()

    def process(
        self, queue: str, body: bytes, attempt: int, max_attempts: int, redelivered: bool = False
    ) -> tuple[Outcome, str]:
        """Handle one delivery; returns its outcome and the event type (``invalid`` if unreadable).

        ``redelivered`` is the broker's flag for a message handed out before and never acknowledged,
        typically because the consumer died while holding it.
        """
        try:
            parsed: Any = json.loads(body)
            self._registry.validate(parsed)
        except (ValueError, InvalidEvent) as exc:
            # "invalid", not the claimed type: a metric label must not take arbitrary input.
            return Outcome("dead_letter", f"invalid message: {exc}"), "invalid"
        envelope = Envelope.from_dict(parsed)
        handler = self._handlers.get(envelope.routing_key)
        if handler is None:
            return Outcome("dead_letter", f"no handler for {envelope.routing_key}"), envelope.type
        metrics.event_lag.labels(self.service, queue, envelope.type).observe(
            max(0.0, (self._clock.now() - envelope.time).total_seconds())
        )
        started = time.perf_counter()
        with logs.bound(message_id=envelope.id, correlation_id=envelope.correlationid):
            try:
                with self._units_of_work() as uow:
                    if redelivered:
                        starts = self._inbox.count_start(uow.session.get_bind(), queue, envelope.id)
                        if starts > self._crash_limit:
                            reason = f"started {starts - 1} times without finishing: it may crash the consumer"
                            return Outcome("dead_letter", reason), envelope.type
                        self._inbox.forget_starts(uow.session, queue, envelope.id)
                    if not self._inbox.first_delivery(uow.session, queue, envelope.id):
                        return Outcome("duplicate"), envelope.type
                    handler(envelope, uow)
                    uow.commit()
            except PermanentError as exc:
                log.warning("handler refused %s for good: %s", envelope.type, exc)
                return Outcome("dead_letter", f"permanent failure: {exc}"), envelope.type
            except Exception as exc:
                log.exception("handler failed on %s (attempt %d of %d)", envelope.type, attempt, max_attempts)
                if attempt >= max_attempts:
                    return Outcome("dead_letter", f"failed {attempt} attempts, last: {exc!r}"), envelope.type
                return Outcome("retry", repr(exc)), envelope.type
            finally:
                metrics.handler_duration.labels(self.service, queue, envelope.type).observe(
                    time.perf_counter() - started
                )
        return Outcome("ack"), envelope.type


class MessageConsumer:
    """Consumes every queue of a service's topology until told to stop, reconnecting as needed."""

    def __init__(
        self,
        url: str,
        topology: ServiceTopology,
        handling: MessageHandling,
        *,
        prefetch: int = 20,
        reconnect_delay: float = 1.0,
    ) -> None:
        self._url = url
        self._topology = topology
        self._handling = handling
        self._prefetch = prefetch
        self._reconnect_delay = reconnect_delay
        self._producer: Producer | None = None

    def run(self, stop: threading.Event, declared: threading.Event | None = None) -> None:
        """Consume until ``stop`` is set; set ``declared`` once the topology exists on the broker."""
        while not stop.is_set():
            try:
                self._consume(stop, declared)
            except Exception as exc:  # connection and channel errors alike: reconnect after a pause
                log.warning("consumer connection lost (%s); reconnecting", exc)
                stop.wait(self._reconnect_delay)

    def _consume(self, stop: threading.Event, declared: threading.Event | None) -> None:
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
                    try:
                        conn.drain_events(timeout=1)
                    except TimeoutError:
                        conn.heartbeat_check()

    def _on_message(self, queue: str, message: Message) -> None:
        headers = message.headers or {}
        attempt = int(headers.get(ATTEMPT_HEADER, 1))
        outcome, event_type = self._handling.process(
            queue,
            message.body,
            attempt,
            self._topology.max_attempts,
            redelivered=bool(message.delivery_info.get("redelivered")),
        )
        if outcome.kind == "retry":
            delay = self._topology.retry_delay_ms(attempt)
            self._republish(message, "", self._topology.retry_queue(queue, delay), {ATTEMPT_HEADER: attempt + 1})
        elif outcome.kind == "dead_letter":
            log.error(
                "dead-lettering message %s from %s: %s", message.properties.get("message_id"), queue, outcome.reason
            )
            self._republish(
                message,
                self._topology.dead_letter_exchange,
                queue,
                {ATTEMPT_HEADER: attempt, ERROR_HEADER: outcome.reason[:1000]},
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
