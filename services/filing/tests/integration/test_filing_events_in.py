"""Identity's and payments' events as filing takes them in: who is assigned to a case, what a firm is
called, fees ordered and paid, receipts for the payer's inbox; through the real consumer a duplicate
changes nothing, and filing's own events leave through the relay."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from filing_testkit import Caller, World
from kombu import Connection, Exchange, Queue
from prometheus_client import REGISTRY

from chassis.clock import iso
from chassis.messaging.envelope import Envelope
from chassis.testing.polling import wait_until
from chassis.worker import run_worker
from filing.adapters import tables

CAUGHT = "test.filing-events"
WRIT_FEE = {"code": "DC.WRIT", "description": "Writ of summons", "quantity": 1, "unit_cents": 63_000,
            "amount_cents": 63_000}  # fmt: skip


def assignment(world: World, case_id: str, organisation: str, *accounts: Caller, version: int) -> Envelope:
    """Identity's whole set of ``organisation``'s users on the case, at ``version``."""
    return world.event(
        "identity.case_assignment.changed",
        f"{case_id}:{organisation}",
        case_id=case_id,
        case_number=world.case_number(case_id),
        organisation_id=organisation,
        account_ids=[a.id for a in accounts],
        added=[a.id for a in accounts],
        removed=[],
        changed_by=None,
        aggregate_version=version,
    )


def sees(world: World, who: Caller, case_id: str) -> bool:
    status = world.call("GET", f"/cases/{case_id}", who).status_code
    assert status in (200, 404)
    return status == 200


def letter(case_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "title": "Letter to the court", "lead": {"document_type": "letter"}}


# Delivered as the consumer would deliver them -------------------------------------------------------


def test_an_assignment_set_replaces_the_one_held_and_an_older_set_arriving_late_is_ignored(world: World) -> None:
    firm = world.firm("Chan & Co")
    filer, second, third = (world.caller("OU", firm) for _ in range(3))
    case_id = world.start_case(filer, "DCPI")["case_id"]
    assert sees(world, filer, case_id) and not sees(world, second, case_id)

    world.deliver(assignment(world, case_id, firm, second, version=1))
    assert not sees(world, filer, case_id), "the firm's set no longer holds the filer"
    assert sees(world, second, case_id)
    assert world.file(second, letter(case_id)).status_code == 201
    assert world.file(filer, letter(case_id)).status_code == 404

    world.deliver(assignment(world, case_id, firm, filer, third, version=3))
    world.deliver(assignment(world, case_id, firm, second, version=2))  # late: older than what is held

    assert [sees(world, c, case_id) for c in (filer, second, third)] == [True, False, True]
    assert world.file(second, letter(case_id)).status_code == 404


def test_another_firms_assignments_leave_this_firms_set_alone(world: World) -> None:
    firm, other_firm = world.firm("Chan & Co"), world.firm("Lee & Partners")
    ours, theirs = world.caller("OU", firm), world.caller("OU", other_firm)
    case_id = world.start_case(ours, "DCPI")["case_id"]

    world.deliver(assignment(world, case_id, other_firm, theirs, version=1))

    assert sees(world, ours, case_id) and sees(world, theirs, case_id)
    world.deliver(assignment(world, case_id, other_firm, version=2))
    assert sees(world, ours, case_id) and not sees(world, theirs, case_id)


def test_the_firm_identity_announces_is_named_on_the_record(world: World) -> None:
    firm = world.firm("Chan & Co")
    clerk = world.caller("OU", firm)

    case = world.start_case(clerk, "DCPI")

    plaintiff = case["parties"][0]
    assert plaintiff["representative"] == {"organisation_id": firm, "name": "Chan & Co"}
    # The same announcement again, or an older one, does not rename the firm.
    world.deliver(
        world.event(
            "identity.organisation.created",
            firm,
            organisation_id=firm,
            name="Chan and Company",
            organisation_type="law_firm",
            business_registration_number="61234567",
            aggregate_version=1,
        )
    )
    later = world.start_case(clerk, "DCCJ")
    assert later["parties"][0]["representative"]["name"] == "Chan & Co"


# Through the broker ---------------------------------------------------------------------------------


@pytest.fixture
def running(world: World) -> Iterator[World]:
    """Filing with its worker (relay, consumer, no jobs) running, and a queue catching filing's events."""
    with Connection(world.runtime.settings.amqp_url) as conn:
        Queue(
            CAUGHT,
            Exchange("filing.events", type="topic", durable=True),
            routing_key="filing.#",
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
        assert not worker.is_alive(), "the worker did not stop"


def publish(world: World, envelope: Envelope) -> None:
    """Publish ``envelope`` on its producer's exchange, as identity's or payments' relay would."""
    exchange = Exchange(f"{envelope.producer}.events", type="topic", durable=True)
    with Connection(world.runtime.settings.amqp_url) as conn:
        conn.Producer().publish(
            envelope.to_json(),
            exchange=exchange,
            routing_key=envelope.routing_key,
            content_type="application/json",
            message_id=envelope.id,
            delivery_mode=2,
            declare=[exchange],
        )


def caught(world: World) -> list[dict[str, Any]]:
    """Filing's events that reached the test's queue since the last look."""
    found = []
    with Connection(world.runtime.settings.amqp_url) as conn:
        queue = Queue(CAUGHT)(conn.default_channel)
        while (message := queue.get(no_ack=True)) is not None:
            found.append(json.loads(message.body))
    return found


def duplicates(queue: str, event_type: str) -> float:
    """How many ``event_type`` messages filing's consumer has acknowledged as already handled."""
    labels = {"service": "filing", "queue": queue, "type": event_type, "outcome": "duplicate"}
    return REGISTRY.get_sample_value("icms_messages_consumed_total", labels) or 0.0


def test_a_case_filed_leaves_through_the_relay_as_filing_case_created(running: World) -> None:
    world = running
    firm = world.firm("Chan & Co")

    case = world.start_case(world.caller("OU", firm), "DCPI")

    events: list[dict[str, Any]] = []
    wait_until(lambda: events.extend(caught(world)) or "filing.case.created" in [e["type"] for e in events])
    created = next(e for e in events if e["type"] == "filing.case.created")
    world.runtime.registry.validate(created)
    assert created["subject"] == case["case_id"]
    assert created["data"]["case_number"] == "DCPI 1/2026"
    assert created["data"]["parties"][0]["representative"] == {"organisation_id": firm, "name": "Chan & Co"}


def test_a_case_assignment_delivered_twice_through_the_broker_is_applied_once(running: World) -> None:
    world = running
    firm = world.firm("Chan & Co")
    filer, assigned = world.caller("OU", firm), world.caller("OU", firm)
    case_id = world.start_case(filer, "DCPI")["case_id"]
    changed = assignment(world, case_id, firm, assigned, version=1)
    before = duplicates("filing.identity", "identity.case_assignment.changed")

    publish(world, changed)
    publish(world, changed)

    wait_until(lambda: sees(world, assigned, case_id), timeout=30, what="the assigned OU sees the case")
    assert not sees(world, filer, case_id)
    wait_until(
        lambda: duplicates("filing.identity", "identity.case_assignment.changed") == before + 1,
        timeout=30,
        what="the second copy acknowledged as a duplicate",
    )


def test_payments_events_through_the_broker_ask_for_the_fee_once_and_receive_the_filing(running: World) -> None:
    world = running
    clerk = world.caller("OU", world.firm("Chan & Co"))
    writ = world.start_case(clerk, "DCPI")["filing"]
    order_id = "5f0c2d7e-3a41-4c59-9a7e-2f8b6c1d0e93"
    ordered = world.event(
        "payments.order.created",
        order_id,
        order_id=order_id,
        reference_type="filing",
        reference_id=writ["filing_id"],
        payer_account_id=clerk.id,
        court="DC",
        amount_cents=63_000,
        currency="HKD",
        lines=[WRIT_FEE],
        expires_at=iso(world.clock.now().replace(year=2027)),
        aggregate_version=1,
    )
    paid = world.event(
        "payments.order.paid",
        order_id,
        order_id=order_id,
        reference_type="filing",
        reference_id=writ["filing_id"],
        amount_cents=63_000,
        currency="HKD",
        method="deposit_account",
        paid_at=iso(world.clock.now()),
        deemed_paid_at=iso(world.clock.now()),
        receipt_number="R-2026-000001",
        aggregate_version=2,
    )
    before = duplicates("filing.payments", "payments.order.created")

    for envelope in (ordered, ordered, paid):
        publish(world, envelope)

    def status() -> str:
        return world.ok("GET", f"/filings/{writ['filing_id']}", clerk)["status"]

    wait_until(lambda: status() == "received", timeout=30, what="the filing received once paid")
    wait_until(lambda: duplicates("filing.payments", "payments.order.created") == before + 1, timeout=30)
    requests = [m for m in world.ok("GET", "/inbox", clerk)["messages"] if m["kind"] == "payment_request"]
    assert [m["details"]["order_id"] for m in requests] == [order_id]
    shown = world.ok("GET", f"/filings/{writ['filing_id']}", clerk)
    assert shown["payment"]["order_id"] == order_id and shown["payment"]["amount_cents"] == 63_000
    events: list[dict[str, Any]] = []
    wait_until(lambda: events.extend(caught(world)) or "filing.filing.received" in [e["type"] for e in events])
    received = next(e for e in events if e["type"] == "filing.filing.received")
    assert received["causationid"] == paid.id
    assert received["data"]["payment_order_id"] == order_id


# Receipts -------------------------------------------------------------------------------------------


def receipt_issued(
    world: World,
    number: str,
    payer: Caller | None,
    *,
    kind: str = "payment",
    order_id: str | None = None,
    deposit_account_id: str | None = None,
    method: str = "card",
    amount_cents: int = 63_000,
) -> Envelope:
    """Payments announcing a receipt it has rendered and stored."""
    return world.event(
        "payments.receipt.issued",
        number,
        receipt_number=number,
        kind=kind,
        order_id=order_id,
        deposit_account_id=deposit_account_id,
        payer_account_id=payer.id if payer else None,
        organisation_id=payer.principal.organisation if payer else None,
        amount_cents=amount_cents,
        currency="HKD",
        method=method,
        issued_at=iso(world.clock.now()),
        document={
            "key": f"receipts/{number}.pdf",
            "sha256": "3f" * 32,
            "size": 18_734,
            "media_type": "application/pdf",
        },
        aggregate_version=1,
    )


def receipts_of(world: World, who: Caller) -> list[dict[str, Any]]:
    return [m for m in world.ok("GET", "/inbox", who)["messages"] if m["kind"] == "receipt"]


def test_a_receipt_for_a_filings_fee_and_its_refund_reach_the_payers_inbox_naming_the_filing(world: World) -> None:
    clerk = world.caller("OU", world.firm("Chan & Co"))
    case = world.start_case(clerk, "DCPI")
    writ = case["filing"]
    order_id = world.order_for(writ)
    world.pay(writ, order_id)

    world.deliver(receipt_issued(world, "R2026-0000001", clerk, order_id=order_id))
    # The inbox lists newest first: the refund comes a minute later, so the order is the test's, not chance's.
    world.clock.advance(timedelta(minutes=1))
    world.deliver(receipt_issued(world, "R2026-0000002", clerk, kind="refund", order_id=order_id))

    refund, paid = receipts_of(world, clerk)
    assert paid["subject"] == f"Receipt R2026-0000001: HK$630.00 paid for filing {writ['reference']}"
    assert paid["body"] == (
        f'Your payment of HK$630.00 by card for "{writ["title"]}" in {case["case_number"]} is received. '
        "Receipt R2026-0000001 is ready to download."
    )
    assert (paid["case_id"], paid["filing_id"]) == (case["case_id"], writ["filing_id"])
    assert paid["details"] == {
        "receipt_number": "R2026-0000001",
        "receipt_kind": "payment",
        "order_id": order_id,
        "deposit_account_id": None,
        "amount_cents": 63_000,
        "method": "card",
        "pdf_path": "/api/payments/v1/receipts/R2026-0000001/pdf",
        "document": {
            "key": "receipts/R2026-0000001.pdf",
            "sha256": "3f" * 32,
            "size": 18_734,
            "media_type": "application/pdf",
        },
    }
    assert refund["subject"] == f"Refund receipt R2026-0000002: HK$630.00 for filing {writ['reference']}"
    assert "was refunded to the card it was paid with" in refund["body"]
    assert refund["details"]["receipt_kind"] == "refund"


def test_a_deposit_receipt_goes_to_its_payer_and_a_member_of_the_publics_to_nobody(world: World) -> None:
    firm = world.firm("Chan & Co")
    admin, colleague = world.caller("PA", firm), world.caller("OU", firm)

    world.deliver(
        receipt_issued(
            world,
            "R2026-0000003",
            admin,
            deposit_account_id="0f3a9c57-b2d8-4e61-9a05-7d4c1e8b6f32",
            method="pps",
            amount_cents=300_000,
        )
    )
    world.deliver(receipt_issued(world, "R2026-0000004", None, order_id="6a0d3b94-2f7e-4c18-a5b9-e41c8d7f2063"))

    [message] = receipts_of(world, admin)
    assert message["subject"] == "Receipt R2026-0000003: HK$3,000.00 paid"
    assert message["body"] == (
        "Your payment of HK$3,000.00 by PPS is received. Receipt R2026-0000003 is ready to download."
    )
    assert message["case_id"] is None and message["filing_id"] is None
    assert receipts_of(world, colleague) == []
    assert world.count(tables.InboxMessage) == 1


def test_a_receipt_delivered_twice_through_the_broker_reaches_the_inbox_once(running: World) -> None:
    world = running
    clerk = world.caller("OU", world.firm("Chan & Co"))
    issued = receipt_issued(world, "R2026-0000009", clerk, deposit_account_id="0f3a9c57-b2d8-4e61-9a05-7d4c1e8b6f32")
    before = duplicates("filing.payments", "payments.receipt.issued")

    publish(world, issued)
    publish(world, issued)

    wait_until(lambda: len(receipts_of(world, clerk)) == 1, timeout=30, what="the receipt in the payer's inbox")
    wait_until(
        lambda: duplicates("filing.payments", "payments.receipt.issued") == before + 1,
        timeout=30,
        what="the second copy acknowledged as a duplicate",
    )
    assert len(receipts_of(world, clerk)) == 1
