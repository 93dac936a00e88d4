"""Filing's case events reach identity through RabbitMQ; case assignment changes leave through the outbox."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator

import pytest
from identity_testkit import API, World, case_event
from kombu import Connection, Exchange, Queue

from chassis.messaging.envelope import Envelope
from chassis.testing.polling import wait_until
from chassis.testing.skeleton import settings_for
from chassis.worker import run_worker
from identity.domain.roles import HELP_CENTRE_OFFICER


@pytest.fixture
def running(postgres_url, amqp_url, s3_settings, s3_bucket) -> Iterator[World]:
    """Identity with its worker (relay + consumer) running, and a queue catching identity's events."""
    world = World(settings_for("identity", postgres_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    with Connection(amqp_url) as conn:
        Queue(
            "test.identity-events",
            Exchange("identity.events", type="topic", durable=True),
            routing_key="identity.case_assignment.#",
            durable=False,
            auto_delete=False,
        )(conn.default_channel).declare()
    stop = threading.Event()
    worker = threading.Thread(target=run_worker, args=(world.runtime.relay(), world.runtime.consumer(), stop))
    worker.start()
    try:
        yield world
    finally:
        stop.set()
        worker.join(timeout=30)
        world.close()


def publish(amqp_url: str, envelope: Envelope) -> None:
    with Connection(amqp_url) as conn:
        conn.Producer().publish(
            envelope.to_json(),
            exchange=Exchange("filing.events", type="topic", durable=True),
            routing_key=envelope.routing_key,
            content_type="application/json",
            message_id=envelope.id,
            delivery_mode=2,
            declare=[Exchange("filing.events", type="topic", durable=True)],
        )


def assignment_events(amqp_url: str) -> list[dict]:
    found = []
    with Connection(amqp_url) as conn:
        queue = Queue("test.identity-events")(conn.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append(json.loads(message.body))
    return found


def test_a_case_filed_by_a_firm_reaches_identity_and_its_default_ou_is_linked(running: World, amqp_url: str) -> None:
    world = running
    officer = world.staff(HELP_CENTRE_OFFICER)
    pa, decided = world.approved("organisation", officer)
    org, hq = decided["account"]["organisation_id"], decided["account"]["branch_id"]
    clerk = world.member(pa, org, "OU", hq)
    assert (
        world.call(
            "PUT", f"{API}/organisations/{org}/default-users/{hq}", pa, json={"account_id": clerk.id}
        ).status_code
        == 200
    )
    other_org = str(uuid.uuid4())
    created = case_event("DCPI 1234/2026", [org, other_org], filed_by=pa.id)
    case_id = created.data["case_id"]
    publish(amqp_url, created)

    def linked() -> list[dict]:
        return world.call("GET", f"{API}/organisations/{org}/cases", pa).json["items"]

    wait_until(lambda: linked() and linked()[0]["account_ids"] == [clerk.id], timeout=30)
    assert linked()[0]["case_number"] == "DCPI 1234/2026"
    events = []
    wait_until(lambda: events.extend(assignment_events(amqp_url)) or events, timeout=30)
    assert events[0]["type"] == "identity.case_assignment.changed"
    assert events[0]["subject"] == f"{case_id}:{org}"
    assert events[0]["data"]["account_ids"] == [clerk.id] and events[0]["data"]["changed_by"] is None
    assert events[0]["causationid"] == created.id

    # A stale copy of the case (older version) changes nothing; a newer one without the firm unlinks it.
    publish(
        amqp_url,
        case_event(
            "DCPI 1234/2026", [other_org], case_id=case_id, version=1, event_type="filing.case.representation_changed"
        ),
    )
    publish(
        amqp_url,
        case_event(
            "DCPI 1234/2026", [other_org], case_id=case_id, version=3, event_type="filing.case.representation_changed"
        ),
    )
    wait_until(lambda: linked() == [], timeout=30)
    removed = []
    wait_until(lambda: removed.extend(assignment_events(amqp_url)) or removed, timeout=30)
    assert removed[-1]["data"]["removed"] == [clerk.id] and removed[-1]["data"]["account_ids"] == []
    assert removed[-1]["data"]["aggregate_version"] == 2
    # The firm can no longer link the case: it is not on record.
    relink = world.call(
        "POST", f"{API}/organisations/{org}/case-assignments", pa, json={"case_id": case_id, "account_id": clerk.id}
    )
    assert relink.status_code == 404


def test_assigning_and_unassigning_publishes_the_whole_set_each_time(running: World, amqp_url: str) -> None:
    world = running
    officer = world.staff(HELP_CENTRE_OFFICER)
    pa, decided = world.approved("organisation", officer)
    org, hq = decided["account"]["organisation_id"], decided["account"]["branch_id"]
    first, second = world.member(pa, org, "OU", hq), world.member(pa, org, "OU", hq)
    created = case_event("HCA 88/2026", [org])
    world.deliver(created)
    case_id = created.data["case_id"]
    for user in (first, second):
        answer = world.call(
            "POST", f"{API}/organisations/{org}/case-assignments", pa, json={"case_id": case_id, "account_id": user.id}
        )
        assert answer.status_code == 201
    # Linking again is harmless and publishes nothing new.
    assert (
        world.call(
            "POST", f"{API}/organisations/{org}/case-assignments", pa, json={"case_id": case_id, "account_id": first.id}
        ).status_code
        == 201
    )
    assert (
        world.call("DELETE", f"{API}/organisations/{org}/case-assignments/{case_id}/{first.id}", pa).status_code == 204
    )
    events: list[dict] = []
    wait_until(lambda: events.extend(assignment_events(amqp_url)) or len(events) >= 3, timeout=30)
    sets = [(e["data"]["aggregate_version"], e["data"]["account_ids"]) for e in events]
    assert sets == [(1, [first.id]), (2, sorted([first.id, second.id])), (3, [second.id])]
    listed = world.call("GET", f"{API}/organisations/{org}/case-assignments", pa).json["items"]
    assert [a["account_id"] for a in listed] == [second.id]
