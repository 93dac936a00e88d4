from datetime import UTC, datetime

from chassis import logs
from chassis.clock import FixedClock
from chassis.messaging.envelope import Envelope, new_event

AT = datetime(2026, 11, 23, 1, 2, 3, tzinfo=UTC)


def test_routing_key_carries_the_major_version() -> None:
    event = new_event("filing.document.accepted", {"aggregate_version": 1}, source="/filing", subject="c1",
                      dataversion="2.3", clock=FixedClock(AT))  # fmt: skip
    assert event.routing_key == "filing.document.accepted.v2"
    assert event.producer == "filing"


def test_an_envelope_survives_the_wire_unchanged() -> None:
    event = new_event("filing.case.created", {"aggregate_version": 3, "n": "DCPI 1/2026"}, source="/filing",
                      subject="case-1", clock=FixedClock(AT))  # fmt: skip
    body = event.to_dict()
    assert body["time"] == "2026-11-23T01:02:03Z"
    assert body["specversion"] == "1.0"
    assert Envelope.from_dict(body) == event


def test_correlation_follows_the_request_and_causation_the_cause() -> None:
    with logs.bound(correlation_id="req-123"):
        first = new_event("a.b.happened", {"aggregate_version": 1}, source="/a", subject="s")
    assert first.correlationid == "req-123"
    second = new_event("a.b.followed", {"aggregate_version": 2}, source="/a", subject="s", caused_by=first)
    assert second.correlationid == "req-123"
    assert second.causationid == first.id
    assert "correlationid" not in new_event("a.b.c", {"aggregate_version": 1}, source="/a", subject="s").to_dict()
