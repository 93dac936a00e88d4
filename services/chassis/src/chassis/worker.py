"""The worker process: the outbox relay, the message consumer and the service's periodic jobs,
side by side until signalled."""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from chassis.messaging.consumer import MessageConsumer
from chassis.messaging.relay import Relay

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """Work a service does on a timer rather than on a message, e.g. cancelling what waited too long.

    ``run`` does one pass and returns how many items it handled; it must be safe to run again at any
    time (a crash mid-pass leaves the rest for the next pass).
    """

    name: str
    every_seconds: float
    run: Callable[[], int]


def _run_job(job: Job, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            handled = job.run()
            if handled:
                log.info("job %s handled %d item(s)", job.name, handled)
        except Exception:
            # A failed pass is retried on the next tick; a job never takes the worker down.
            log.exception("job %s failed", job.name)
        stop.wait(job.every_seconds)


def run_worker(
    relay: Relay,
    consumer: MessageConsumer | None,
    stop: threading.Event | None = None,
    jobs: Sequence[Job] = (),
) -> None:
    """Run the relay and each job in threads and the consumer in this one until SIGTERM/SIGINT or ``stop``.

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
    job_threads = [threading.Thread(target=_run_job, args=(job, stop), name=job.name, daemon=True) for job in jobs]
    for thread in job_threads:
        thread.start()
    log.info("worker started")
    if consumer is not None:
        consumer.run(stop, declared)
    else:
        stop.wait()
    relay_thread.join(timeout=15)
    for thread in job_threads:
        thread.join(timeout=15)
    log.info("worker stopped")
    if failed.is_set():
        raise SystemExit(1)
