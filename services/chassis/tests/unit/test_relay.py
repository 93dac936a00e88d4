"""The relay's ordering and failure rules, with a fake publisher standing in for the broker."""

import json
import threading
from collections.abc import Callable, Sequence

import pytest
import sqlalchemy as sa

from chassis.db import create_engine
from chassis.messaging.publisher import OutgoingMessage, PublishFailed
from chassis.messaging.relay import Relay
from chassis.messaging.tables import partition_of
from chassis.testing import probe
from chassis.testing.polling import wait_until


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.fail_next = 0

    def start(self, messages: Sequence[OutgoingMessage]) -> Callable[[], None]:
        failing = self.fail_next > 0
        self.fail_next -= failing

        def confirmed() -> None:
            if failing:
                raise PublishFailed("broker gone")
            self.sent.extend(messages)

        return confirmed

    def close(self) -> None:
        pass


@pytest.fixture
def engine(tmp_path):
    engine = create_engine(f"sqlite:///{tmp_path}/relay.db")
    probe.metadata.create_all(engine)
    yield engine
    engine.dispose()


def write(engine, *events) -> None:
    with engine.begin() as conn:
        for e in events:
            conn.execute(probe.outbox.insert().values(message_id=e.id, stream=e.subject, exchange="probe.events",
                                                      partition=partition_of(e.subject),
                                                      routing_key=e.routing_key, payload=e.to_json(),
                                                      created_at=e.time))  # fmt: skip


def relay(engine, publisher, batch_size=100, partition=(0, 1)) -> Relay:
    return Relay(engine, probe.outbox, publisher, service="probe", batch_size=batch_size,  # type: ignore[arg-type]
                 partition=partition)  # fmt: skip


def test_rows_go_out_in_id_order_and_are_marked_sent(engine) -> None:
    events = [probe.item_event(i, stream=f"s{i % 2}", version=i // 2 + 1) for i in range(10)]
    write(engine, *events)
    publisher = RecordingPublisher()
    assert relay(engine, publisher).relay_batch() == 10
    assert [m.message_id for m in publisher.sent] == [e.id for e in events]
    assert relay(engine, publisher).relay_batch() == 0


def test_a_failed_publish_leaves_every_row_pending_for_the_next_round(engine) -> None:
    write(engine, *[probe.item_event(i, version=i + 1) for i in range(5)])
    publisher = RecordingPublisher()
    publisher.fail_next = 1
    with pytest.raises(PublishFailed):
        relay(engine, publisher).relay_batch()
    assert relay(engine, publisher).relay_batch() == 5
    assert len(publisher.sent) == 5


def test_a_stream_stops_at_an_older_row_another_relay_holds(engine) -> None:
    a1, b1, a2, b2, a3 = (probe.item_event(i, stream=s, version=v) for i, (s, v) in
                          enumerate([("a", 1), ("b", 1), ("a", 2), ("b", 2), ("a", 3)]))  # fmt: skip
    write(engine, a1, b1, a2, b2, a3)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(probe.outbox).order_by(probe.outbox.c.id)).all()
        # As if another relay had locked a1: this relay claimed everything else.
        ready = relay(engine, RecordingPublisher())._in_stream_order(conn, rows[1:], frozenset())
    assert [r.message_id for r in ready] == [b1.id, b2.id]


def test_rows_of_the_batch_on_the_wire_do_not_hold_back_the_next_batch(engine) -> None:
    events = [probe.item_event(i, stream="a", version=i + 1) for i in range(4)]
    write(engine, *events)
    with engine.connect() as conn:
        rows = conn.execute(sa.select(probe.outbox).order_by(probe.outbox.c.id)).all()
        in_flight = frozenset(r.id for r in rows[:2])
        ready = relay(engine, RecordingPublisher())._in_stream_order(conn, rows[2:], in_flight)
    assert [r.message_id for r in ready] == [e.id for e in events[2:]]


def test_a_relay_batch_is_bounded(engine) -> None:
    write(engine, *[probe.item_event(i, stream=f"s{i}") for i in range(25)])
    publisher = RecordingPublisher()
    assert relay(engine, publisher, batch_size=10).relay_batch() == 10


def test_the_run_loop_drains_the_outbox_in_order_batch_by_batch(engine) -> None:
    events = [probe.item_event(i, stream=f"s{i % 3}", version=i // 3 + 1) for i in range(95)]
    write(engine, *events)
    publisher = RecordingPublisher()
    stop = threading.Event()
    worker = threading.Thread(target=relay(engine, publisher, batch_size=10).run, args=(stop,))
    worker.start()
    wait_until(lambda: len(publisher.sent) >= 95, timeout=10, what="all rows published")
    stop.set()
    worker.join(timeout=10)
    assert [m.message_id for m in publisher.sent] == [e.id for e in events]
    with engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(probe.outbox)).scalar_one() == 0


def test_relays_with_disjoint_partitions_split_the_outbox_and_never_share_a_stream(engine) -> None:
    events = [probe.item_event(i, stream=f"s{i % 20}", version=i // 20 + 1) for i in range(200)]
    write(engine, *events)
    first, second = RecordingPublisher(), RecordingPublisher()
    while relay(engine, first, partition=(0, 2)).relay_batch():
        pass
    while relay(engine, second, partition=(1, 2)).relay_batch():
        pass
    streams = [{json.loads(m.body)["subject"] for m in p.sent} for p in (first, second)]
    assert len(first.sent) + len(second.sent) == 200
    assert first.sent and second.sent
    assert not streams[0] & streams[1]
    order = {e.id: n for n, e in enumerate(events)}
    for publisher in (first, second):
        assert [order[m.message_id] for m in publisher.sent] == sorted(order[m.message_id] for m in publisher.sent)
