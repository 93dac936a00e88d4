"""Publishing with publisher confirms, a whole batch in flight at once.

Waiting for each confirm before the next publish caps a quorum queue at about a thousand messages
a second on these machines; putting the whole batch on the wire and then waiting for its confirms
costs one round-trip per batch instead (DESIGN.md section 3). pika's SelectConnection does this with
the least work per message of the Python clients measured (bench/README.md), so one I/O thread owns
the connection and :meth:`ConfirmingPublisher.publish` hands it batches.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import pika
from pika.channel import Channel
from pika.frame import Method
from pika.spec import Basic

from chassis.messaging.envelope import CONTENT_TYPE

log = logging.getLogger(__name__)
PERSISTENT = 2


@dataclass(frozen=True)
class OutgoingMessage:
    """One message to publish: where it goes and its serialised envelope."""

    exchange: str
    routing_key: str
    message_id: str
    body: bytes


class PublishFailed(RuntimeError):
    """The broker refused a message, the connection dropped, or confirms did not arrive in time."""


@dataclass
class _Batch:
    size: int
    first_tag: int = 0
    confirmed: int = 0
    error: str = ""
    done: threading.Event = field(default_factory=threading.Event)


class _Link:
    """One connection and its confirm-mode channel, driven by its own I/O thread."""

    def __init__(self, url: str, connect_timeout: float) -> None:
        self.ready = threading.Event()
        self.failure = ""
        self._channel: Channel | None = None
        self._declared: set[str] = set()
        self._next_tag = 1
        self._batch: _Batch | None = None
        self._acked_upto = 0
        self._acked_singly: set[int] = set()
        params = pika.URLParameters(url)
        params.socket_timeout = connect_timeout
        params.blocked_connection_timeout = 30
        self.connection = pika.SelectConnection(
            params,
            on_open_callback=lambda conn: conn.channel(on_open_callback=self._on_channel),
            on_open_error_callback=lambda _conn, exc: self._fail(f"cannot connect: {exc}"),
            on_close_callback=lambda _conn, reason: self._fail(f"connection closed: {reason}"),
        )
        self.thread = threading.Thread(target=self.connection.ioloop.start, name="amqp-publisher", daemon=True)
        self.thread.start()

    # Everything below runs in the I/O thread.

    def _on_channel(self, channel: Channel) -> None:
        self._channel = channel
        channel.add_on_close_callback(lambda _ch, reason: self._fail(f"channel closed: {reason}"))
        channel.confirm_delivery(self._on_confirm, callback=lambda _frame: self.ready.set())

    def _fail(self, reason: str) -> None:
        self.failure = self.failure or reason
        self.ready.set()
        if self._batch is not None:
            self._batch.error = reason
            self._batch.done.set()
        if self.connection.is_closed:
            self.connection.ioloop.stop()

    def send(self, messages: Sequence[OutgoingMessage], batch: _Batch) -> None:
        assert self._channel is not None
        missing = sorted({m.exchange for m in messages} - self._declared)
        if missing:
            # Declaring is idempotent and done once per connection, so a producer never publishes
            # into an exchange that does not exist yet.
            def declared(_frame: Method, name: str = missing[0]) -> None:
                self._declared.add(name)
                self.send(messages, batch)

            self._channel.exchange_declare(missing[0], exchange_type="topic", durable=True, callback=declared)
            return
        batch.first_tag = self._next_tag
        self._batch = batch
        for m in messages:
            self._channel.basic_publish(
                m.exchange,
                m.routing_key,
                m.body,
                pika.BasicProperties(content_type=CONTENT_TYPE, message_id=m.message_id, delivery_mode=PERSISTENT),
            )
        self._next_tag += len(messages)
        self._settle()

    def _on_confirm(self, frame: Method) -> None:
        method = frame.method
        if isinstance(method, Basic.Nack):
            if self._batch is not None:
                self._batch.error = "the broker refused (nacked) a message"
                self._batch.done.set()
            return
        if method.multiple:
            self._acked_upto = max(self._acked_upto, method.delivery_tag)
        else:
            self._acked_singly.add(method.delivery_tag)
        self._settle()

    def _settle(self) -> None:
        batch = self._batch
        if batch is None:
            return
        while True:
            tag = batch.first_tag + batch.confirmed
            if tag > self._acked_upto and tag not in self._acked_singly:
                break
            self._acked_singly.discard(tag)
            batch.confirmed += 1
            if batch.confirmed == batch.size:
                self._batch = None
                batch.done.set()
                return

    def close(self) -> None:
        def shut() -> None:
            if self.connection.is_open:
                self.connection.close()
            elif self.connection.is_closed:
                self.connection.ioloop.stop()

        try:
            self.connection.ioloop.add_callback_threadsafe(shut)
        except Exception:  # the loop has already stopped: nothing left to close
            log.debug("publisher loop already stopped", exc_info=True)
        self.thread.join(timeout=5)


class ConfirmingPublisher:
    """Publishes batches and returns only when every message of the batch is confirmed."""

    def __init__(self, url: str, *, confirm_timeout: float = 10.0, connect_timeout: float = 5.0) -> None:
        self._url = url
        self._confirm_timeout = confirm_timeout
        self._connect_timeout = connect_timeout
        self._link: _Link | None = None

    def start(self, messages: Sequence[OutgoingMessage]) -> Callable[[], None]:
        """Put ``messages`` (persistent) on the wire and return at once; calling the result waits for
        every confirm and raises :class:`PublishFailed` if any is missing or negative.

        On failure some messages may have reached the broker: the caller publishes the batch again
        and consumers drop the duplicates through their inbox.
        """
        if not messages:
            return lambda: None
        link = self._connected()
        batch = _Batch(len(messages))
        link.connection.ioloop.add_callback_threadsafe(lambda: link.send(messages, batch))

        def wait() -> None:
            if not batch.done.wait(self._confirm_timeout):
                batch.error = f"no confirms within {self._confirm_timeout}s"
            if batch.error:
                self.close()
                raise PublishFailed(batch.error)

        return wait

    def close(self) -> None:
        """Drop the connection; the next publish opens a new one."""
        link, self._link = self._link, None
        if link is not None:
            link.close()

    def _connected(self) -> _Link:
        if self._link is not None and not self._link.failure:
            return self._link
        self.close()
        link = _Link(self._url, self._connect_timeout)
        if not link.ready.wait(self._connect_timeout + 1) or link.failure:
            reason = link.failure or "timed out opening the channel"
            link.close()
            raise PublishFailed(reason)
        self._link = link
        return link
