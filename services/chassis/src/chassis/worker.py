"""The worker process: the outbox relay and the message consumer, side by side until signalled."""

from __future__ import annotations

import logging
import signal
import threading

from chassis.messaging.consumer import MessageConsumer
from chassis.messaging.relay import Relay

log = logging.getLogger(__name__)


def run_worker(relay: Relay, consumer: MessageConsumer | None, stop: threading.Event | None = None) -> None:
    """Run the relay in a thread and the consumer in this one until SIGTERM/SIGINT or ``stop``.

    The relay starts only once the consumer has declared its queues, so that events this service
    sends itself are never published before a queue is bound to receive them. If the relay dies
    the whole process stops, so the process manager restarts it rather than leaving a worker that
    consumes but never publishes.
    """
    stop = stop or threading.Event()
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    failed = threading.Event()
    declared = threading.Event()
    if consumer is None:
        declared.set()

    def relay_main() -> None:
        while not (declared.wait(0.1) or stop.is_set()):
            pass
        try:
            relay.run(stop)
        except Exception:
            log.exception("relay stopped unexpectedly")
            failed.set()
            stop.set()

    relay_thread = threading.Thread(target=relay_main, name="relay", daemon=True)
    relay_thread.start()
    log.info("worker started")
    if consumer is not None:
        consumer.run(stop, declared)
    else:
        stop.wait()
    relay_thread.join(timeout=15)
    log.info("worker stopped")
    if failed.is_set():
        raise SystemExit(1)
