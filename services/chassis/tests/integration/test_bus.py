"""The outbox, relay, consumer and inbox against a real broker and real databases."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import threading
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from kombu import Connection, Exchange, Producer

from chassis.config import contracts_dir
from chassis.db import UnitOfWork
from chassis.messaging.consumer import ATTEMPT_HEADER, ERROR_HEADER
from chassis.messaging.dead_letters import list_dead_letters, replay_dead_letters
from chassis.messaging.envelope import Envelope
from chassis.messaging.publisher import ConfirmingPublisher
from chassis.messaging.relay import Relay
from chassis.messaging.schemas import InvalidEvent
from chassis.messaging.topology import Subscription
from chassis.service import Runtime, command_line
from chassis.testing import probe
from chassis.testing.polling import wait_until
from chassis.worker import run_worker


@pytest.fixture
def rt(database_url: str, amqp_url: str) -> Iterator[Runtime]:
    runtime = probe.runtime(database_url, amqp_url, contracts_dir())
    runtime.declare_topology()  # as `migrate` does before any process starts
    yield runtime
    runtime.engine.dispose()


@contextlib.contextmanager
def worker(rt: Runtime, *, relays: int = 1, partitioned: bool = False) -> Iterator[None]:
    """The probe's relay(s) and consumer running in threads of this process."""
    stop = threading.Event()

    def relay(k: int) -> Relay:
        return Relay(rt.engine, probe.outbox, ConfirmingPublisher(rt.settings.amqp_url), service="probe",
                     batch_size=100, partition=(k, relays) if partitioned else (0, 1))  # fmt: skip

    threads = [threading.Thread(target=run_worker, args=(relay(0), rt.consumer(), stop))]
    for k in range(1, relays):
        threads.append(threading.Thread(target=run_worker, args=(relay(k), None, stop)))
    for t in threads:
        t.start()
    try:
        yield
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=30)
            assert not t.is_alive(), "worker did not stop"


def effect_count(rt: Runtime) -> int:
    with rt.engine.connect() as conn:
        return conn.execute(sa.select(sa.func.count()).select_from(probe.effects)).scalar_one()


def effects(rt: Runtime) -> list[sa.Row]:
    with rt.engine.connect() as conn:
        return conn.execute(sa.select(probe.effects).order_by(probe.effects.c.id)).all()


def dead_letters(amqp_url: str, queue: str = "probe.probe.dlq") -> list[tuple[bytes, dict]]:
    """Drain the DLQ: (raw body, headers) of each dead-lettered message."""
    found = []
    with Connection(amqp_url) as conn:
        channel = conn.channel()
        while (message := channel.basic_get(queue=queue, no_ack=True)) is not None:
            body = message.body if isinstance(message.body, bytes) else message.body.encode()
            found.append((body, message.headers or {}))
    return found


def publish_raw(amqp_url: str, body: bytes, routing_key: str = "probe.item.recorded.v1") -> None:
    with Connection(amqp_url, transport_options={"confirm_publish": True}) as conn:
        Producer(conn.channel()).publish(
            body,
            exchange=Exchange("probe.events", type="topic", durable=True),
            routing_key=routing_key,
            content_type="application/cloudevents+json",
            content_encoding="utf-8",
            declare=[Exchange("probe.events", type="topic", durable=True)],
        )


def test_each_committed_event_takes_effect_exactly_once(rt: Runtime) -> None:
    probe.produce(rt, 300, streams=3)
    with worker(rt):
        wait_until(lambda: effect_count(rt) >= 300, timeout=30, what="300 effects")
    rows = effects(rt)
    assert len(rows) == 300
    assert sorted(r.item for r in rows) == list(range(300))
    with rt.engine.connect() as conn:
        pending = conn.execute(sa.select(sa.func.count()).select_from(probe.outbox)).scalar_one()
    assert pending == 0


def test_a_backlog_on_the_first_of_several_queues_is_handled_without_waiting_for_another_message(
    rt: Runtime, amqp_url: str
) -> None:
    # The broker starts delivering the first queue's backlog while the next queue's consumer registers.
    topology = dataclasses.replace(
        rt.description.topology,
        subscriptions=(*rt.description.topology.subscriptions, Subscription("elsewhere", ("elsewhere.x.done.v1",))),
    )
    two_queues = Runtime(dataclasses.replace(rt.description, topology=topology), rt.settings)
    two_queues.declare_topology()
    for item in range(5):
        publish_raw(amqp_url, probe.item_event(item).to_json())
    with worker(two_queues):
        wait_until(lambda: effect_count(rt) == 5, timeout=10, what="the backlog's five effects")
    two_queues.engine.dispose()


def test_events_of_a_rolled_back_unit_of_work_are_never_stored(rt: Runtime) -> None:
    with rt.unit_of_work() as uow:
        uow.publish(probe.item_event(1))
        uow.rollback()
    with rt.unit_of_work() as uow:
        uow.publish(probe.item_event(2))
        # leaving the block without commit abandons the change
    with rt.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(probe.outbox)).scalar_one() == 0


def test_an_event_breaking_its_contract_fails_the_unit_of_work(rt: Runtime) -> None:
    bad = probe.item_event(-5)  # item must be >= 0
    with rt.unit_of_work() as uow, pytest.raises(InvalidEvent, match="item"):
        uow.publish(bad)
    with rt.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(probe.outbox)).scalar_one() == 0


def test_a_message_delivered_twice_takes_effect_once(rt: Runtime, amqp_url: str) -> None:
    body = probe.item_event(7).to_json()
    with worker(rt):
        publish_raw(amqp_url, body)
        publish_raw(amqp_url, body)
        probe.produce(rt, 1, first=8)  # a marker behind both copies
        wait_until(lambda: effect_count(rt) >= 2, timeout=20, what="marker effect")
    assert sorted(r.item for r in effects(rt)) == [7, 8]
    assert dead_letters(amqp_url) == []


def test_a_transient_failure_is_retried_after_a_delay_and_then_succeeds(rt: Runtime) -> None:
    probe.produce(rt, 1, behaviour="fail_then_ok")
    started = time.monotonic()
    with worker(rt):
        wait_until(lambda: effect_count(rt) == 1, timeout=20, what="effect after retry")
    assert time.monotonic() - started >= 0.2  # the first retry delay of the probe topology
    assert [r.item for r in effects(rt)] == [0]


def test_a_message_that_always_fails_is_dead_lettered_and_the_rest_keep_flowing(rt: Runtime, amqp_url: str) -> None:
    probe.produce(rt, 1, first=0, behaviour="fail")
    probe.produce(rt, 20, first=1)
    with worker(rt):
        wait_until(lambda: effect_count(rt) == 20, timeout=20, what="20 good effects")
        dead = wait_until(lambda: dead_letters(amqp_url), timeout=20, what="a dead letter")
    assert sorted(r.item for r in effects(rt)) == list(range(1, 21))
    assert len(dead) == 1
    body, headers = dead[0]
    assert json.loads(body)["data"]["item"] == 0
    assert headers[ATTEMPT_HEADER] == rt.description.topology.max_attempts
    assert "probe told to fail" in headers[ERROR_HEADER]


def test_a_permanent_error_is_dead_lettered_without_retries(rt: Runtime, amqp_url: str) -> None:
    probe.produce(rt, 1, behaviour="permanent")
    with worker(rt):
        dead = wait_until(lambda: dead_letters(amqp_url), timeout=20, what="a dead letter")
    assert dead[0][1][ATTEMPT_HEADER] == 1
    assert "permanent failure" in dead[0][1][ERROR_HEADER]
    assert effect_count(rt) == 0


@pytest.mark.parametrize(
    "body",
    [
        b"not json at all",
        json.dumps({"specversion": "1.0", "id": "x"}).encode(),
        probe.item_event(3).to_json().replace(b'"item":3', b'"item":"three"'),
    ],
    ids=["unparsable", "bad-envelope", "bad-data"],
)
def test_an_invalid_message_goes_straight_to_the_dead_letter_queue(rt: Runtime, amqp_url: str, body: bytes) -> None:
    with worker(rt):
        publish_raw(amqp_url, b"")  # an empty body is invalid too; it must not stop the consumer
        publish_raw(amqp_url, body)
        probe.produce(rt, 1, first=50)
        wait_until(lambda: effect_count(rt) == 1, timeout=20, what="the valid event behind")
        dead: list[tuple[bytes, dict]] = []
        wait_until(lambda: dead.extend(dead_letters(amqp_url)) or len(dead) == 2, timeout=20, what="two dead letters")
    assert sorted(b for b, _ in dead) == sorted([b"", body])
    assert all(headers[ATTEMPT_HEADER] == 1 for _, headers in dead)
    assert all("invalid message" in headers[ERROR_HEADER] for _, headers in dead)


@pytest.mark.parametrize("partitioned", [False, True], ids=["shared", "partitioned"])
def test_two_relays_share_the_outbox_without_reordering_a_stream(rt: Runtime, partitioned: bool) -> None:
    probe.produce(rt, 2000, streams=10)
    with worker(rt, relays=2, partitioned=partitioned):
        wait_until(lambda: effect_count(rt) >= 2000, timeout=60, what="2000 effects")
    rows = effects(rt)
    assert len(rows) == 2000
    by_stream: dict[str, list[int]] = {}
    for row in rows:
        by_stream.setdefault(row.stream, []).append(row.version)
    assert len(by_stream) == 10
    for stream, versions in by_stream.items():
        assert versions == sorted(versions), f"stream {stream} delivered out of order"
        assert versions == list(range(1, 201))


def test_an_operator_sees_why_a_message_was_dead_lettered_and_replays_it_once_fixed(rt: Runtime, amqp_url: str) -> None:
    probe.produce(rt, 1, behaviour="permanent")
    topology = rt.description.topology
    with worker(rt):
        wait_until(lambda: list_dead_letters(amqp_url, topology), timeout=20, what="a dead letter")
    letters = list_dead_letters(amqp_url, topology)
    assert len(letters) == 1, "listing leaves the dead letters where they are"
    assert (letters[0].queue, letters[0].event_type, letters[0].attempts) == ("probe.probe", probe.EVENT, 1)
    assert "permanent failure" in letters[0].error

    def fixed_handler(event: Envelope, uow: UnitOfWork) -> None:
        probe.record_effect(dataclasses.replace(event, data={**event.data, "behaviour": "ok"}), uow)

    rt.description.handlers[f"{probe.EVENT}.v1"] = fixed_handler  # type: ignore[index]
    assert replay_dead_letters(amqp_url, topology) == 1
    with worker(rt):
        wait_until(lambda: effect_count(rt) == 1, timeout=20, what="the replayed message's effect")
    assert list_dead_letters(amqp_url, topology) == []


def test_the_dead_letters_command_lists_refuses_unknown_queues_and_replays(
    rt: Runtime, amqp_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    probe.produce(rt, 1, behaviour="permanent")
    with worker(rt):
        wait_until(lambda: list_dead_letters(amqp_url, rt.description.topology), timeout=20, what="a dead letter")
    command_line(lambda: rt, ["dead-letters"])
    listed = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(d["queue"], d["attempts"]) for d in listed] == [("probe.probe", 1)]
    assert "permanent failure" in listed[0]["error"]
    with pytest.raises(SystemExit, match="nope is not a queue of probe"):
        command_line(lambda: rt, ["dead-letters", "--queue", "nope"])
    command_line(lambda: rt, ["dead-letters", "--replay"])
    assert capsys.readouterr().out.strip() == "replayed 1 dead letter(s)"
