"""Event bus benchmark: the outbox relay and consumer beside raw kombu, same broker, same run.

Measures, with 1 KB persistent messages on quorum queues:
1. raw kombu publishing without confirms (the baseline the relay is held to);
2. the relay draining a pre-filled outbox with publisher confirms (batched);
3. end to end: raw kombu publish+consume with ack, beside outbox -> relay -> consumer (inbox,
   handler and commit per message);
4. lag (consume time minus event time) while a producer writes 500 events/s into the outbox.
Results are printed and written into bench/README.md between the bus markers.

Usage: python bench/bus.py [--events 20000] [--lag-seconds 20] [--rate 500]
Needs RabbitMQ with rabbitmqctl on this machine, and PostgreSQL (ICMS_BENCH_DATABASE_URL or local).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime

import sqlalchemy as sa
from kombu import Connection, Consumer, Exchange, Producer, Queue
from readme_sections import write_section
from scratch import scratch_vhost

from chassis.config import contracts_dir
from chassis.service import Runtime
from chassis.testing import probe
from chassis.testing.infra import scratch_database

PADDING = "x" * 900  # brings each envelope to about 1 KB


def raw_kombu(url: str, events: int) -> dict[str, float]:
    """Publish ``events`` 1 KB messages without confirms, then publish+consume the same count."""
    exchange = Exchange("raw.events", type="topic", durable=True)
    queue = Queue("raw.bench", exchange, routing_key="#", durable=True, queue_arguments={"x-queue-type": "quorum"})
    body = json.dumps({"padding": PADDING, "n": 0}).encode()
    with Connection(url) as conn:
        channel = conn.channel()
        queue(channel).declare()
        producer = Producer(channel, exchange=exchange, auto_declare=False)
        started = time.perf_counter()
        for _ in range(events):
            producer.publish(body, routing_key="raw", delivery_mode=2, content_type="application/json", retry=False)
        publish_rate = events / (time.perf_counter() - started)
        # The client is done when its last write returns; the broker may still be taking them in.
        while queue(channel).queue_declare(passive=True).message_count < events:
            time.sleep(0.005)
        accepted_rate = events / (time.perf_counter() - started)
        queue(channel).purge()

        received = 0
        done = threading.Event()

        def on_message(message: object) -> None:
            nonlocal received
            message.ack()  # type: ignore[attr-defined]
            received += 1
            if received == events:
                done.set()

        consume_conn = Connection(url)
        consume_channel = consume_conn.channel()
        consume_channel.basic_qos(0, 20, False)
        started = time.perf_counter()
        with Consumer(consume_channel, queues=[queue], on_message=on_message, auto_declare=False):

            def drain() -> None:
                while not done.is_set():
                    with contextlib.suppress(TimeoutError):
                        consume_conn.drain_events(timeout=1)

            drainer = threading.Thread(target=drain)
            drainer.start()
            for _ in range(events):
                producer.publish(body, routing_key="raw", delivery_mode=2, content_type="application/json", retry=False)
            drainer.join()
        end_to_end_rate = events / (time.perf_counter() - started)
        consume_conn.release()
    return {
        "publish_unconfirmed": publish_rate,
        "publish_unconfirmed_accepted": accepted_rate,
        "publish_consume": end_to_end_rate,
    }


def fill_outbox(rt: Runtime, events: int, first: int = 0) -> None:
    probe.produce(rt, events, streams=50, first=first, padding=PADDING)
    with rt.engine.connect() as conn:
        conn.exec_driver_sql("ANALYZE outbox")  # as autovacuum would on a live table


def pending(rt: Runtime) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(probe.outbox)).scalar_one()


def effects(rt: Runtime) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(probe.effects)).scalar_one()


def relay_only(rt: Runtime, events: int) -> float:
    """Confirmed relay throughput: time to drain ``events`` pre-filled outbox rows."""
    fill_outbox(rt, events)
    stop = threading.Event()
    relay = threading.Thread(target=rt.relay().run, args=(stop,))
    started = time.perf_counter()
    relay.start()
    while pending(rt):
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    stop.set()
    relay.join()
    return events / elapsed


def partitioned_relays(rt: Runtime, db: str, url: str, events: int, relays: int) -> float:
    """``relays`` relay processes, each on its share of the outbox partitions, draining it together.

    The clock starts when all of them are up: the bench holds a lock on the outbox until every
    relay is waiting on it in its first claim.
    """
    fill_outbox(rt, events)
    with rt.engine.connect() as gate:
        transaction = gate.begin()
        gate.exec_driver_sql("LOCK TABLE outbox IN EXCLUSIVE MODE")
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "chassis.testing.probe", "relay"],
                env=probe.process_env(db, url, ICMS_RELAY_PARTITION=f"{k}/{relays}"),
                stderr=subprocess.DEVNULL,
            )
            for k in range(relays)
        ]
        waiting = sa.text("SELECT count(*) FROM pg_locks WHERE relation = 'outbox'::regclass AND NOT granted")
        with rt.engine.connect() as observer:
            while observer.execute(waiting).scalar_one() < relays:
                time.sleep(0.01)
        started = time.perf_counter()
        transaction.commit()
    while pending(rt):
        time.sleep(0.01)
    elapsed = time.perf_counter() - started
    for process in processes:
        process.terminate()
        process.wait(timeout=30)
    return events / elapsed


@contextlib.contextmanager
def worker_process(rt: Runtime, db: str, url: str) -> Iterator[None]:
    """The probe's worker (relay + consumer) in a process of its own, as services deploy it."""
    process = subprocess.Popen(
        [sys.executable, "-m", "chassis.testing.probe", "worker"],
        env=probe.process_env(db, url),
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        process.terminate()
        process.wait(timeout=30)


def outbox_end_to_end(rt: Runtime, db: str, url: str, events: int) -> float:
    """Relay + consumer: time from the worker's start until every pre-filled event has taken effect."""
    fill_outbox(rt, events)
    started = time.perf_counter()
    with worker_process(rt, db, url):
        while effects(rt) < events:
            time.sleep(0.05)
        elapsed = time.perf_counter() - started
    return events / elapsed


def lag_at_rate(rt: Runtime, db: str, url: str, rate: int, seconds: float) -> dict[str, float]:
    """Lag of each event (handled_at - event_time) while producing ``rate`` events/s."""
    with rt.engine.begin() as conn:
        conn.execute(probe.effects.delete())
    total = int(rate * seconds)
    per_tick = max(1, rate // 100)  # 100 small transactions a second, as a busy service would write
    with worker_process(rt, db, url):
        while pending(rt):  # the worker is up once it starts draining what is there
            time.sleep(0.05)
        probe.produce(rt, 1, first=10**8)
        while effects(rt) < 1:
            time.sleep(0.01)
        started = time.perf_counter()
        for tick, item in enumerate(range(0, total, per_tick)):
            probe.produce(rt, per_tick, streams=50, first=item, padding=PADDING)
            pause = started + (tick + 1) / 100 - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        achieved = total / (time.perf_counter() - started)
        deadline = time.monotonic() + 60
        while effects(rt) < total + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
    e = probe.effects
    with rt.engine.connect() as conn:
        lags = sorted(
            (handled - happened).total_seconds()
            for handled, happened in conn.execute(sa.select(e.c.handled_at, e.c.event_time).where(e.c.item < total))
        )
    return {
        "rate": achieved,
        "events": len(lags),
        "p50_ms": statistics.median(lags) * 1000,
        "p99_ms": lags[int(len(lags) * 0.99) - 1] * 1000,
        "max_ms": lags[-1] * 1000,
    }


def report(results: dict[str, object], args: argparse.Namespace) -> str:
    raw = results["raw"]
    relay_rate = results["relay_confirmed"]
    e2e = results["outbox_end_to_end"]
    two = results["two_relays"]
    lag = results["lag"]
    assert isinstance(raw, dict) and isinstance(lag, dict)
    ratio = relay_rate / raw["publish_unconfirmed"]  # type: ignore[operator]
    accepted_ratio = relay_rate / raw["publish_unconfirmed_accepted"]  # type: ignore[operator]
    e2e_ratio = e2e / raw["publish_consume"]  # type: ignore[operator]
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"{results['cpus']} CPUs), RabbitMQ quorum queues, PostgreSQL, {args.events:,} events of ~1 KB; "
        f"throughputs are medians of {args.repeats} interleaved runs.",
        "",
        "| measure | events/s | beside baseline |",
        "| --- | ---: | --- |",
        f"| raw kombu publish, no confirms: client's last write returned (baseline) "
        f"| {raw['publish_unconfirmed']:,.0f} | 1.00 |",
        f"| raw kombu publish, no confirms: broker holds all messages "
        f"| {raw['publish_unconfirmed_accepted']:,.0f} | 1.00 |",
        f"| one outbox relay: claim, publish with confirms, delete, commit | {relay_rate:,.0f} | "
        f"{ratio:.2f} x the client-side baseline, {accepted_ratio:.2f} x the broker-side one "
        f"(target >= 0.50: {'met' if ratio >= 0.5 else 'NOT met'} / {'met' if accepted_ratio >= 0.5 else 'NOT met'}) |",
        f"| two relay processes, partitions split 0/2 and 1/2 | {two:,.0f} | "
        f"{two / raw['publish_unconfirmed']:.2f} x the client-side baseline (target >= 0.50: "  # type: ignore[operator]
        f"{'met' if two / raw['publish_unconfirmed'] >= 0.5 else 'NOT met'}) |",  # type: ignore[operator]
        f"| raw kombu publish + consume with ack | {raw['publish_consume']:,.0f} | 1.00 |",
        f"| outbox -> relay -> consumer (inbox + handler + commit each) | {e2e:,.0f} | {e2e_ratio:.2f} x raw |",
        "",
        f"Lag at {lag['rate']:,.0f} events/s for {args.lag_seconds:.0f} s ({lag['events']:,} events): "
        f"p50 {lag['p50_ms']:.1f} ms, p99 {lag['p99_ms']:.1f} ms, max {lag['max_ms']:.1f} ms "
        f"(target p99 < 250 ms: {'met' if lag['p99_ms'] < 250 else 'NOT met'}).",
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--rate", type=int, default=500)
    parser.add_argument("--lag-seconds", type=float, default=20.0)
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; medians are reported")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()

    results: dict[str, object] = {"cpus": os.cpu_count()}
    raw_runs: list[dict[str, float]] = []
    relay_runs: list[float] = []
    for _ in range(args.repeats):
        # Interleaved, so that a slow moment of the machine hits both sides alike.
        with scratch_vhost() as raw_url:
            raw_runs.append(raw_kombu(raw_url, args.events))
        with scratch_vhost() as url, scratch_database(args.database_server) as db:
            rt = probe.runtime(db, url, contracts_dir())
            rt.declare_topology()
            relay_runs.append(relay_only(rt, args.events))
            rt.engine.dispose()
    results["raw"] = {key: statistics.median(run[key] for run in raw_runs) for key in raw_runs[0]}
    results["relay_confirmed"] = statistics.median(relay_runs)
    two_relays = []
    for _ in range(args.repeats):
        with scratch_vhost() as url, scratch_database(args.database_server) as db:
            rt = probe.runtime(db, url, contracts_dir())
            rt.declare_topology()
            two_relays.append(partitioned_relays(rt, db, url, args.events, relays=2))
            rt.engine.dispose()
    results["two_relays"] = statistics.median(two_relays)
    with scratch_vhost() as url, scratch_database(args.database_server) as db:
        rt = probe.runtime(db, url, contracts_dir())
        rt.declare_topology()
        results["outbox_end_to_end"] = outbox_end_to_end(rt, db, url, args.events)
        results["lag"] = lag_at_rate(rt, db, url, args.rate, args.lag_seconds)
        rt.engine.dispose()
    text = report(results, args)
    print(text)
    if not args.no_readme:
        write_section("bus", "Event bus (`bench/bus.py`)", text)


if __name__ == "__main__":
    main()
