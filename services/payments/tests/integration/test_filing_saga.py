"""Payments's side of the filing saga, at the service: filing's events in, orders, refunds and expiries
out, every event valid against its contract; the expiry job; deemed payment times by the calendar."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from payments_testkit import World
from sqlalchemy.exc import NoResultFound

from chassis.web.problems import Problem
from payments.adapters import tables
from payments.service_layer import orders


def _events(world: World, event_type: str) -> list[dict]:
    return [e for e in world.validated_outbox() if e["type"] == event_type]


def _check_payable(world: World, order_id: str) -> None:
    with world.deps.unit_of_work() as uow:
        order = uow.session.get(tables.PaymentOrder, order_id)
        assert order is not None
        orders.check_payable(order, world.clock.now())


# Submitted ----------------------------------------------------------------------------------------------


def test_a_filing_awaiting_its_fee_gets_one_order_with_the_quoted_lines(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("OU", str(uuid.uuid4()))
    order = world.filing_submitted(filer, [{"code": "DC.WRIT", "quantity": 1}, {"code": "DC.SUMMONS", "quantity": 2}])
    # Inside the District Court's window an e-filed item costs 80% of paper, rounded down to the dollar.
    writ, summons = (63_000 * 80 // 100) // 100 * 100, (31_500 * 80 // 100) // 100 * 100
    assert (writ, summons) == (50_400, 25_200)
    assert [(line["code"], line["quantity"], line["unit_cents"], line["amount_cents"]) for line in order["lines"]] == [
        ("DC.WRIT", 1, writ, writ),
        ("DC.SUMMONS", 2, summons, 2 * summons),
    ]
    assert (order["amount_cents"], order["status"], order["court"], order["channel"]) == (
        writ + 2 * summons,
        "open",
        "DC",
        "electronic",
    )
    assert (order["payer_account_id"], order["organisation_id"]) == (filer.id, filer.principal.organisation)
    (created,) = _events(world, "payments.order.created")
    assert created["subject"] == order["id"]
    assert created["data"]["reference_type"] == "filing" and created["data"]["reference_id"] == order["reference_id"]
    assert created["data"]["amount_cents"] == order["amount_cents"]
    assert created["data"]["lines"] == order["lines"]


def test_a_redelivered_submission_makes_no_second_order(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("IU")
    order = world.filing_submitted(filer)
    # Filing's event again (the consumer's inbox drops a redelivered envelope; this is the same fact anew).
    assert world.filing_submitted(filer, filing_id=order["reference_id"]) == order
    assert world.count(tables.PaymentOrder) == 1
    assert world.outbox_types() == ["payments.order.created"]


def test_a_filing_with_nothing_to_pay_makes_no_order(payments_world: World) -> None:
    world = payments_world
    with pytest.raises(NoResultFound):
        world.filing_submitted(world.caller("IU"), [])
    assert world.count(tables.PaymentOrder) == 0 and world.count(tables.outbox) == 0


def test_a_high_court_filing_is_charged_by_the_high_courts_schedule(payments_world: World) -> None:
    world = payments_world
    writ = [{"code": "HC.WRIT", "quantity": 1}]
    order = world.filing_submitted(world.caller("IU"), writ, court="CFI", case_type="HCA")
    # HK$1,045 on paper; 80% inside the High Court's window: HK$836.
    assert (order["court"], order["amount_cents"]) == ("HC", 83_600)
    (created,) = _events(world, "payments.order.created")
    assert created["data"]["court"] == "CFI"


# Rejected -----------------------------------------------------------------------------------------------


def test_a_paid_filing_rejected_gets_its_fee_back_with_a_refund_receipt(payments_world: World) -> None:
    world = payments_world
    order = world.filing_submitted(world.caller("IU"))
    payment_id = world.settle_directly(order["id"], "card")
    paid = world.order_row(order["id"])
    assert paid["status"] == "paid" and world.account_balance("revenue:DC") == -50_400
    assert world.account_balance("clearing:card") == 50_400
    world.clock.advance(timedelta(hours=1))

    world.filing_rejected(order["reference_id"], order["id"], fee_paid=True)

    refunded = world.order_row(order["id"])
    assert refunded["status"] == "refunded" and refunded["refund_reason"] == "filing_rejected"
    assert refunded["refund_receipt_number"] == "R2026-0000002" != paid["receipt_number"]
    assert world.account_balance("revenue:DC") == 0 and world.account_balance("clearing:card") == 0
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    assert world.transaction_kinds() == ["fee_payment", "refund"]
    assert world.payment(payment_id)["status"] == "refunded"
    session = world.sandbox_session(world.payment(payment_id)["provider_session_id"])
    assert session["status"] == "refunded"  # the card is paid back by the provider
    (event,) = _events(world, "payments.order.refunded")
    assert event["data"] == {
        "order_id": order["id"],
        "reference_type": "filing",
        "reference_id": order["reference_id"],
        "amount_cents": 50_400,
        "currency": "HKD",
        "method": "card",
        "refunded_at": "2026-11-23T03:00:00Z",
        "refund_receipt_number": "R2026-0000002",
        "reason": "filing_rejected",
        "aggregate_version": refunded["version"],
    }
    receipt = world.receipt_row("R2026-0000002")
    assert (receipt["kind"], receipt["amount_cents"], receipt["order_id"]) == ("refund", 50_400, order["id"])

    # Redelivered, the rejection refunds nothing more.
    world.filing_rejected(order["reference_id"], order["id"], fee_paid=True)
    assert world.transaction_kinds() == ["fee_payment", "refund"]
    assert len(_events(world, "payments.order.refunded")) == 1


def test_a_fee_paid_from_a_deposit_account_goes_back_into_it(payments_world: World) -> None:
    world = payments_world
    firm = world.organisation()
    admin, user = world.caller("PA", firm), world.caller("OU", firm)
    account = world.open_deposit_account(admin, 500_000)
    order = world.filing_submitted(user)
    assert world.pay(user, order["id"]).status_code == 201
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000 - 50_400

    world.filing_rejected(order["reference_id"], order["id"], fee_paid=True)

    assert world.order_row(order["id"])["status"] == "refunded"
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000
    assert world.account_balance("revenue:DC") == 0
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    (event,) = _events(world, "payments.order.refunded")
    assert event["data"]["method"] == "deposit_account"


def test_a_rejection_of_an_unpaid_filing_moves_nothing(payments_world: World) -> None:
    world = payments_world
    order = world.filing_submitted(world.caller("IU"))
    world.filing_rejected(order["reference_id"], order["id"], fee_paid=False)
    assert world.order_row(order["id"])["status"] == "open"
    assert world.outbox_types() == ["payments.order.created"]


# Cancelled ----------------------------------------------------------------------------------------------


def test_a_cancelled_filing_expires_its_open_order(payments_world: World) -> None:
    world = payments_world
    order = world.filing_submitted(world.caller("IU"))
    world.filing_cancelled(order["reference_id"], order["id"])
    expired = world.order_row(order["id"])
    assert expired["status"] == "expired" and expired["version"] == 2
    (event,) = _events(world, "payments.order.expired")
    assert event["data"]["order_id"] == order["id"] and event["data"]["expired_at"] == "2026-11-23T02:00:00Z"
    with pytest.raises(Problem) as refused:
        _check_payable(world, order["id"])
    assert refused.value.kind == "order-not-payable"
    world.filing_cancelled(order["reference_id"], order["id"])
    assert len(_events(world, "payments.order.expired")) == 1


def test_a_cancelled_filing_whose_fee_came_in_gets_it_back(payments_world: World) -> None:
    world = payments_world
    order = world.filing_submitted(world.caller("IU"))
    world.settle_directly(order["id"], "pps")
    world.filing_cancelled(order["reference_id"], order["id"])
    refunded = world.order_row(order["id"])
    assert (refunded["status"], refunded["refund_reason"]) == ("refunded", "filing_cancelled")
    assert world.account_balance("revenue:DC") == 0 and world.account_balance("clearing:pps") == 0
    assert world.ledger_sum() == 0
    (event,) = _events(world, "payments.order.refunded")
    assert (event["data"]["method"], event["data"]["reason"]) == ("pps", "filing_cancelled")
    assert event["data"]["refund_receipt_number"] == refunded["refund_receipt_number"]


# Expiry -------------------------------------------------------------------------------------------------


def test_an_overdue_order_cannot_be_paid_even_before_the_job_expires_it(payments_world: World) -> None:
    world = payments_world
    payer = world.caller("IU")
    order = world.filing_submitted(payer)
    other = world.filing_submitted(payer)
    world.clock.advance(timedelta(hours=23, minutes=59))
    _check_payable(world, order["id"])
    assert world.run_job("expire-orders") == 0

    world.clock.advance(timedelta(minutes=1))
    with pytest.raises(Problem) as refused:
        _check_payable(world, order["id"])
    assert (refused.value.status, refused.value.kind) == (409, "order-expired")
    paying = world.pay(payer, order["id"], {"method": "card", "card_brand": "visa"})
    assert paying.status_code == 409 and paying.get_json()["type"] == "urn:icms:problem:order-expired"
    assert world.order_row(order["id"])["status"] == "open"  # refused, and nothing moved

    assert world.run_job("expire-orders") == 2
    assert {world.order_row(o["id"])["status"] for o in (order, other)} == {"expired"}
    assert sorted(e["data"]["order_id"] for e in _events(world, "payments.order.expired")) == sorted(
        [order["id"], other["id"]]
    )
    assert world.run_job("expire-orders") == 0
    assert world.count(tables.LedgerEntry) == 0 and world.count(tables.Payment) == 0


# Deemed payment time ------------------------------------------------------------------------------------


def test_a_fee_paid_while_the_registry_is_closed_is_deemed_paid_when_it_reopens(payments_world: World) -> None:
    world = payments_world
    # Monday 23 November 2026, 10:00 in Hong Kong; a typhoon closes the registry from 09:30 to 14:30.
    closed = (datetime(2026, 11, 23, 1, 30, tzinfo=UTC), datetime(2026, 11, 23, 6, 30, tzinfo=UTC))
    closure = world.closure_declared(*closed)
    world.closure_declared(*closed, closure_id=closure)  # redelivered
    assert world.count(tables.Closure) == 1
    order = world.filing_submitted(world.caller("IU"))
    world.settle_directly(order["id"])
    paid = world.order_row(order["id"])
    assert paid["paid_at"] == datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    assert paid["deemed_paid_at"] == datetime(2026, 11, 23, 6, 30, tzinfo=UTC)
    (event,) = _events(world, "payments.order.paid")
    assert event["data"]["paid_at"] == "2026-11-23T02:00:00Z"
    assert event["data"]["deemed_paid_at"] == "2026-11-23T06:30:00Z"


def test_a_fee_paid_on_a_saturday_is_deemed_paid_at_mondays_opening(payments_world: World) -> None:
    world = payments_world
    # Saturday 28 November 2026, 11:00 in Hong Kong.
    world.clock.advance(datetime(2026, 11, 28, 3, 0, tzinfo=UTC) - world.clock.now())
    order = world.filing_submitted(world.caller("IU"))
    world.settle_directly(order["id"])
    # Monday 30 November 2026, 08:45 in Hong Kong.
    assert world.order_row(order["id"])["deemed_paid_at"] == datetime(2026, 11, 30, 0, 45, tzinfo=UTC)
    (event,) = _events(world, "payments.order.paid")
    assert event["data"]["deemed_paid_at"] == "2026-11-30T00:45:00Z"
