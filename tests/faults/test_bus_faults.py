"""The bus under faults: broker restarts, killed consumers, poison and invalid messages."""

from __future__ import annotations

import json
import subprocess
import threading

from kombu import Connection, Exchange, Producer

from chassis.messaging.consumer import ATTEMPT_HEADER, ERROR_HEADER
from chassis.service import Runtime
from chassis.testing import probe
from chassis.testing.polling import wait_until

from .conftest import WorkerProcess, effect_stats


def produce_steadily(rt: Runtime, total: int, per_batch: int, done: threading.Event) -> None:
    """Write ``total`` events in small transactions, as a busy service would."""
    for first in range(0, total, per_batch):
        probe.produce(rt, per_batch, streams=7, first=first)
    done.set()


def dlq(amqp_url: str) -> list[tuple[bytes, dict]]:
    found = []
    with Connection(amqp_url) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue="probe.probe.dlq", no_ack=True)) is not None:
            body = message.body if isinstance(message.body, bytes) else message.body.encode()
            found.append((body, message.headers or {}))
    return found


def test_a_broker_restart_mid_stream_loses_and_duplicates_nothing(
    probe_runtime: Runtime, worker_process: WorkerProcess, rabbitmqctl: str
) -> None:
    worker_process.start()
    produced = threading.Event()
    producer = threading.Thread(target=produce_steadily, args=(probe_runtime, 1000, 10, produced))
    producer.start()
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 200, timeout=60, what="200 effects before the outage")
    subprocess.run([rabbitmqctl, "stop_app"], check=True, capture_output=True, timeout=120)
    try:
        assert effect_stats(probe_runtime)[0] < 1000, "the outage must hit mid-stream"
    finally:
        subprocess.run([rabbitmqctl, "start_app"], check=True, capture_output=True, timeout=120)
    producer.join(timeout=120)
    assert produced.is_set()
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 1000, timeout=120, what="1000 effects after the outage")
    assert effect_stats(probe_runtime) == (1000, 1000)


def test_a_consumer_killed_mid_batch_resumes_without_loss_or_duplicate(
    probe_runtime: Runtime, worker_process: WorkerProcess
) -> None:
    probe.produce(probe_runtime, 1000, streams=5, sleep_ms=2)
    worker_process.start()
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 150, timeout=60, what="150 effects before the kill")
    worker_process.kill()
    killed_at = effect_stats(probe_runtime)[0]
    assert killed_at < 1000, "the kill must land mid-stream"
    worker_process.start()
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 1000, timeout=120, what="1000 effects after restart")
    assert effect_stats(probe_runtime) == (1000, 1000)


def test_a_message_that_always_fails_is_dead_lettered_and_the_rest_keep_flowing(
    probe_runtime: Runtime, worker_process: WorkerProcess, amqp_url: str
) -> None:
    probe.produce(probe_runtime, 1, behaviour="fail")
    probe.produce(probe_runtime, 100, first=1)
    worker_process.start()
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 100, timeout=60, what="the 100 good effects")
    dead: list[tuple[bytes, dict]] = []
    wait_until(lambda: dead.extend(dlq(amqp_url)) or dead, timeout=60, what="the poison message in the DLQ")
    assert len(dead) == 1
    body, headers = dead[0]
    assert json.loads(body)["data"]["item"] == 0
    assert headers[ATTEMPT_HEADER] == probe_runtime.description.topology.max_attempts
    assert effect_stats(probe_runtime) == (100, 100)


def test_an_invalid_event_goes_straight_to_the_dead_letter_queue(
    probe_runtime: Runtime, worker_process: WorkerProcess, amqp_url: str
) -> None:
    worker_process.start()
    invalid = probe.item_event(1).to_dict()
    invalid["data"]["item"] = "not a number"
    exchange = Exchange("probe.events", type="topic", durable=True)
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            json.dumps(invalid).encode(),
            exchange=exchange,
            routing_key="probe.item.recorded.v1",
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
        )
    probe.produce(probe_runtime, 10, first=2)
    wait_until(lambda: effect_stats(probe_runtime)[0] >= 10, timeout=60, what="the valid events behind it")
    dead: list[tuple[bytes, dict]] = []
    wait_until(lambda: dead.extend(dlq(amqp_url)) or dead, timeout=30, what="the invalid event in the DLQ")
    assert len(dead) == 1
    assert dead[0][1][ATTEMPT_HEADER] == 1
    assert "invalid message" in dead[0][1][ERROR_HEADER]
    assert effect_stats(probe_runtime) == (10, 10)


def restart_while_crashing(worker: WorkerProcess, rt: Runtime, good: int, max_crashes: int) -> int:
    """Restart the worker each time it dies until the good events are done; returns the crash count."""
    crashes = 0
    while effect_stats(rt)[0] < good:
        worker.start()
        assert worker.process is not None
        try:
            worker.process.wait(timeout=15)
            crashes += 1
        except subprocess.TimeoutExpired:
            break  # it stopped crashing: the poison message is gone
        assert crashes <= max_crashes, f"still crashing after {crashes} restarts"
    wait_until(lambda: effect_stats(rt)[0] >= good, timeout=60, what=f"the {good} good effects")
    return crashes


def test_a_message_that_keeps_killing_the_consumer_is_dead_lettered_and_the_rest_survive(
    probe_runtime: Runtime, worker_process: WorkerProcess, amqp_url: str
) -> None:
    probe.produce(probe_runtime, 1, behaviour="crash")
    probe.produce(probe_runtime, 20, first=1)
    crash_limit = probe_runtime.settings.consumer_crash_limit
    crashes = restart_while_crashing(worker_process, probe_runtime, 20, max_crashes=crash_limit + 2)
    dead: list[tuple[bytes, dict]] = []
    wait_until(lambda: dead.extend(dlq(amqp_url)) or dead, timeout=30, what="the poison message in the DLQ")
    assert [json.loads(body)["data"]["behaviour"] for body, _ in dead] == ["crash"]
    assert "may crash the consumer" in dead[0][1][ERROR_HEADER]
    assert crashes == crash_limit + 1  # the first delivery, then one per journalled redelivery
    assert effect_stats(probe_runtime) == (20, 20)


def test_the_broker_delivery_limit_is_the_last_backstop(
    probe_runtime: Runtime, worker_process: WorkerProcess, amqp_url: str
) -> None:
    # With the consumer's own crash journal out of the way, the queue's x-delivery-limit must act.
    worker_process.env.update(ICMS_CONSUMER_CRASH_LIMIT="1000", ICMS_CONSUMER_PREFETCH="1")
    probe.produce(probe_runtime, 1, behaviour="crash")
    probe.produce(probe_runtime, 5, first=1)
    limit = probe_runtime.description.topology.delivery_limit
    crashes = restart_while_crashing(worker_process, probe_runtime, 5, max_crashes=limit + 2)
    dead: list[tuple[bytes, dict]] = []
    wait_until(lambda: dead.extend(dlq(amqp_url)) or dead, timeout=30, what="the poison message in the DLQ")
    assert [json.loads(body)["data"]["behaviour"] for body, _ in dead] == ["crash"]
    assert dead[0][1]["x-death"][0]["reason"] == "delivery_limit"
    assert crashes >= limit
    assert effect_stats(probe_runtime) == (5, 5)
