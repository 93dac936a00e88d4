"""Concurrency on PostgreSQL: many debits of one deposit account at once never take it below its minimum,
and the ledger balances; many requests with one Idempotency-Key charge once and are answered alike.

Each request runs on a thread of its own with a test client of its own, as separate browsers would, all
released together by a barrier.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from payments_testkit import Caller, World
from werkzeug.test import TestResponse

from payments.adapters import tables

T = TypeVar("T")
WRIT_E_FEE = 50_400
MINIMUM = 300_000


def in_parallel(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` ... ``work(n - 1)``, each on a thread of its own, released together."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait(timeout=60)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def firm(world: World, opening_cents: int) -> tuple[Caller, Caller, str]:
    organisation = world.organisation()
    admin, clerk = world.caller("PA", organisation), world.caller("OU", organisation)
    return admin, clerk, world.open_deposit_account(admin, opening_cents)["deposit_account_id"]


def answers(responses: list[TestResponse]) -> Counter[tuple[int, str]]:
    """How many responses had each status and problem type (or ``ok``)."""
    return Counter((r.status_code, r.get_json().get("type", "ok") if r.status_code >= 400 else "ok") for r in responses)


def assert_ledger_balances(world: World) -> None:
    assert world.unbalanced_transactions() == 0
    assert world.ledger_sum() == 0


def test_fifty_parallel_debits_never_take_the_account_below_its_minimum(payments_world: World) -> None:
    world = payments_world
    opening = MINIMUM + 20 * WRIT_E_FEE + WRIT_E_FEE // 2
    _, clerk, account_id = firm(world, opening)
    orders = [world.filing_submitted(clerk)["id"] for _ in range(50)]

    responses = in_parallel(50, lambda i: world.pay(clerk, orders[i], client=world.app.test_client()))

    successes = (opening - MINIMUM) // WRIT_E_FEE
    assert successes == 20
    assert answers(responses) == {
        (201, "ok"): successes,
        (409, "urn:icms:problem:insufficient-deposit"): 50 - successes,
    }
    balance = world.deposit_balance(account_id)
    assert balance == opening - successes * WRIT_E_FEE
    assert balance >= MINIMUM
    assert_ledger_balances(world)
    paid = [r.get_json() for r in responses if r.status_code == 201]
    assert sorted(world.order_row(o)["status"] for o in orders) == ["open"] * 30 + ["paid"] * 20
    assert world.count(tables.Payment) == 1 + successes  # the opening, and one per fee paid
    assert world.outbox_types().count("payments.order.paid") == successes
    # Every receipt got its own number, with no gap: the opening's is 1.
    numbers = sorted(int(body["receipt_number"].split("-")[1]) for body in paid)
    assert numbers == list(range(2, 2 + successes))
    assert world.account_balance("revenue:DC") == -successes * WRIT_E_FEE


def test_debits_racing_a_top_up_lose_nothing(payments_world: World) -> None:
    world = payments_world
    opening = MINIMUM + 5 * WRIT_E_FEE
    admin, clerk, account_id = firm(world, opening)
    orders = [world.filing_submitted(clerk)["id"] for _ in range(20)]
    top_up = world.ok(
        "POST",
        f"/deposit-accounts/{account_id}/top-ups",
        admin,
        202,
        json={"amount_cents": 10 * WRIT_E_FEE, "method": "card", "card_brand": "visa"},
        headers={"Idempotency-Key": "top-up"},
    )["payment"]
    assert world.choose(top_up["redirect_url"], "approve").status_code == 303
    [webhook] = [body for body in world.webhook_bodies() if top_up["payment_id"].encode() in body]

    def work(i: int) -> TestResponse:
        client = world.app.test_client()
        if i == 20:
            return world.send_webhook(webhook, client=client)
        return world.pay(clerk, orders[i], client=client)

    responses = in_parallel(21, work)

    assert responses[20].status_code == 200, responses[20].get_data(as_text=True)
    paid = sum(r.status_code == 201 for r in responses[:20])
    assert 5 <= paid <= 15
    assert world.deposit_balance(account_id) == opening + 10 * WRIT_E_FEE - paid * WRIT_E_FEE >= MINIMUM
    assert_ledger_balances(world)


def test_twenty_parallel_payments_with_one_key_charge_once_and_are_answered_alike(payments_world: World) -> None:
    world = payments_world
    opening = 500_000
    _, clerk, account_id = firm(world, opening)
    order = world.filing_submitted(clerk)["id"]
    before = world.money_trail()

    responses = in_parallel(20, lambda _: world.pay(clerk, order, key="pay-once", client=world.app.test_client()))

    assert {r.status_code for r in responses} == {201}
    bodies = [r.get_json() for r in responses]
    assert all(body == bodies[0] for body in bodies)
    assert world.deposit_balance(account_id) == opening - WRIT_E_FEE
    assert_ledger_balances(world)
    after = world.money_trail()
    assert {k: after[k] - before[k] for k in after} == {
        "ledger_transactions": 1,
        "ledger_entries": 2,
        "payments": 1,
        "receipts": 1,
        "deposit_accounts": 0,
        "idempotency_keys": 1,
        "sandbox_sessions": 0,
        "outbox": 1,  # payments.order.paid
    }


def test_twenty_parallel_card_payments_with_one_key_start_one_checkout(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("IU")
    order = world.filing_submitted(filer)["id"]
    body = {"method": "card", "card_brand": "visa"}

    responses = in_parallel(
        20, lambda _: world.pay(filer, order, body, key="card-once", client=world.app.test_client())
    )

    assert {r.status_code for r in responses} == {202}
    assert all(r.get_json() == responses[0].get_json() for r in responses)
    assert world.count(tables.Payment) == world.count(tables.SandboxSession) == 1


def test_twenty_parallel_top_ups_with_one_key_start_one_checkout(payments_world: World) -> None:
    world = payments_world
    admin, _, account_id = firm(world, MINIMUM)
    body: dict[str, Any] = {"amount_cents": 100_000, "method": "pps"}

    def top_up(_: int) -> TestResponse:
        headers = world.headers(admin, {"Idempotency-Key": "top-up-once"})
        return world.app.test_client().post(
            f"/api/payments/v1/deposit-accounts/{account_id}/top-ups", headers=headers, json=body
        )

    responses = in_parallel(20, top_up)

    assert {r.status_code for r in responses} == {202}
    assert all(r.get_json() == responses[0].get_json() for r in responses)
    assert world.count(tables.Payment) == 2  # the opening and this one top-up


def test_administrators_opening_at_once_make_one_account(payments_world: World) -> None:
    world = payments_world
    organisation = world.organisation()
    admins = [world.caller("PA" if i % 2 else "SA", organisation) for i in range(10)]

    def open_(i: int) -> TestResponse:
        headers = world.headers(admins[i], {"Idempotency-Key": f"open-{i}"})
        return world.app.test_client().post(
            "/api/payments/v1/deposit-accounts",
            headers=headers,
            json={"opening_amount_cents": MINIMUM, "method": "pps"},
        )

    responses = in_parallel(10, open_)

    assert answers(responses) == {(202, "ok"): 1, (409, "urn:icms:problem:payment-in-progress"): 9}
    assert world.count(tables.DepositAccount) == 1
    assert world.count(tables.Payment) == 1
