"""The relay's ordering and failure rules, with a fake publisher standing in for the broker."""

import threading
from collections.abc import Sequence

import pytest
import sqlalchemy as sa

from chassis.db import create_engine
from chassis.messaging.publisher import OutgoingMessage, PublishFailed
from chassis.messaging.relay import Relay
from chassis.testing import probe
from chassis.testing.polling import wait_until


class RecordingPublisher:
    def __init__(self) -> None:
        self.sent: list[OutgoingMessage] = []
        self.fail_next = 0

    def publish(self, messages: Sequence[OutgoingMessage]) -> None:
        if self.fail_next:
            self.fail_next -= 1
            raise PublishFailed("broker gone")
        self.sent.extend(messages)

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
                                                      routing_key=e.routing_key, payload=e.to_json(),
                                                      created_at=e.time))  # fmt: skip


def relay(engine, publisher, batch_size=100) -> Relay:
    return Relay(engine, probe.outbox, publisher, service="probe", batch_size=batch_size)  # type: ignore[arg-type]


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
        ready = relay(engine, RecordingPublisher())._in_stream_order(conn, rows[1:])
    assert [r.message_id for r in ready] == [b1.id, b2.id]


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
