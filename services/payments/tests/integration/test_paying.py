"""Paying an order (``POST /orders/{id}/payments``): from the deposit account at once, by card or PPS through
the provider's page; the Idempotency-Key; expired, paid and other people's orders; bad input that moves
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from payments_testkit import API, Caller, World
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

from chassis.clock import iso
from payments.adapters import tables

WRIT_E_FEE = 50_400


def problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:icms:problem:{kind}", body
    return body


def counted(outcome: str, metric: str = "icms_payments_total") -> float:
    """What the payments counters say of deposit-account payments with ``outcome`` so far."""
    return REGISTRY.get_sample_value(metric, {"method": "deposit_account", "outcome": outcome}) or 0.0


def firm_with_deposit(world: World, opening_cents: int = 500_000) -> tuple[Caller, Caller, dict[str, Any]]:
    """A firm's administrator and organisation user, and its open deposit account."""
    organisation = world.organisation()
    admin, clerk = world.caller("PA", organisation), world.caller("OU", organisation)
    return admin, clerk, world.open_deposit_account(admin, opening_cents)


# From the deposit account --------------------------------------------------------------------------------


def test_a_fee_paid_from_the_deposit_account_is_paid_at_once_with_its_receipt(payments_world: World) -> None:
    world = payments_world
    _, clerk, account = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    counted_before = counted("succeeded"), counted("succeeded", "icms_payment_amount_cents_total")

    response = world.pay(clerk, order["id"], key="pay-writ-1")

    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["order"]["status"] == "paid"
    assert body["order"]["method"] == "deposit_account"
    assert body["order"]["deemed_paid_at"] == iso(world.clock.now())
    assert body["payment"] | {"payment_id": None} == {
        "payment_id": None,
        "purpose": "order",
        "order_id": order["id"],
        "deposit_account_id": account["deposit_account_id"],
        "method": "deposit_account",
        "card_brand": None,
        "amount_cents": WRIT_E_FEE,
        "currency": "HKD",
        "status": "succeeded",
        "failure_reason": None,
        "redirect_url": None,
        "receipt_number": body["receipt_number"],
        "started_at": iso(world.clock.now()),
        "completed_at": iso(world.clock.now()),
        "version": 2,
    }
    assert body["receipt_number"] == body["order"]["receipt_number"]
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000 - WRIT_E_FEE
    assert world.account_balance("revenue:DC") == -WRIT_E_FEE
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    paid = world.outbox_events("payments.order.paid")
    assert [e["data"]["method"] for e in paid] == ["deposit_account"]
    assert paid[0]["data"]["receipt_number"] == body["receipt_number"]
    assert world.receipt_row(body["receipt_number"])["deposit_account_id"] is None
    assert world.receipt_row(body["receipt_number"])["payment_id"] == body["payment"]["payment_id"]

    seen = world.ok("GET", f"/orders/{order['id']}/payments/{body['payment']['payment_id']}", clerk)
    assert seen == body["payment"]
    assert counted("succeeded") == counted_before[0] + 1
    assert counted("succeeded", "icms_payment_amount_cents_total") == counted_before[1] + WRIT_E_FEE


def test_the_same_key_again_answers_alike_and_pays_once(payments_world: World) -> None:
    world = payments_world
    _, clerk, account = firm_with_deposit(world)
    order = world.filing_submitted(clerk)

    first = world.pay(clerk, order["id"], key="k-1")
    world.clock.advance(timedelta(minutes=5))
    again = world.pay(clerk, order["id"], key="k-1")

    assert first.status_code == again.status_code == 201
    assert again.get_json() == first.get_json()
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000 - WRIT_E_FEE
    assert world.outbox_types().count("payments.order.paid") == 1


def test_the_same_key_for_another_order_or_method_is_refused(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    order, other = world.filing_submitted(clerk), world.filing_submitted(clerk)
    assert world.pay(clerk, order["id"], key="k-1").status_code == 201
    before = world.money_trail()

    problem(world.pay(clerk, other["id"], key="k-1"), 422, "idempotency-key-reused")
    problem(world.pay(clerk, order["id"], {"method": "pps"}, key="k-1"), 422, "idempotency-key-reused")

    assert world.money_trail() == before
    assert world.order_row(other["id"])["status"] == "open"


def test_a_debit_that_would_go_below_the_minimum_is_refused_and_moves_nothing(payments_world: World) -> None:
    world = payments_world
    _, clerk, account = firm_with_deposit(world, 300_000 + WRIT_E_FEE - 1)
    order = world.filing_submitted(clerk)
    before = world.money_trail()
    refused = counted("insufficient")

    body = problem(world.pay(clerk, order["id"]), 409, "insufficient-deposit")

    assert body["balance_cents"] == 300_000 + WRIT_E_FEE - 1
    assert body["minimum_balance_cents"] == 300_000
    assert body["amount_cents"] == WRIT_E_FEE
    assert world.money_trail() == before
    assert world.order_row(order["id"])["status"] == "open"
    assert counted("insufficient") == refused + 1
    # Exactly down to the minimum is allowed.
    world.top_up(world.caller("SA", account["organisation_id"]), account["deposit_account_id"], 1)
    assert world.pay(clerk, order["id"]).status_code == 201
    assert world.deposit_balance(account["deposit_account_id"]) == 300_000


def test_without_an_open_deposit_account_there_is_nothing_to_pay_from(payments_world: World) -> None:
    world = payments_world
    litigant = world.caller("IU")
    clerk = world.caller("OU", world.organisation())
    pending_admin = world.caller("PA", world.organisation())
    world.ok(
        "POST",
        "/deposit-accounts",
        pending_admin,
        202,
        json={"opening_amount_cents": 300_000, "method": "pps"},
        headers={"Idempotency-Key": "open-1"},
    )
    before = world.money_trail()

    for who in (litigant, clerk, pending_admin):
        problem(world.pay(who, world.filing_submitted(who)["id"]), 409, "no-deposit-account")

    trail = world.money_trail()
    assert trail.pop("outbox") == before.pop("outbox") + 3  # the three orders' payments.order.created
    assert trail == before


def test_a_firm_pays_from_its_own_account_not_the_filers_nor_anothers(payments_world: World) -> None:
    world = payments_world
    _, clerk, ours = firm_with_deposit(world)
    _, _, theirs = firm_with_deposit(world)
    colleague = world.caller("PA", ours["organisation_id"])
    order = world.filing_submitted(clerk)

    # Any account of the organisation may pay the organisation's order, from the organisation's account.
    assert world.pay(colleague, order["id"]).status_code == 201
    assert world.deposit_balance(ours["deposit_account_id"]) == 500_000 - WRIT_E_FEE
    assert world.deposit_balance(theirs["deposit_account_id"]) == 500_000


def test_orders_of_others_are_not_found_and_the_registry_does_not_pay(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    _, outsider, _ = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    before = world.money_trail()

    problem(world.pay(outsider, order["id"]), 404, "not-found")
    problem(world.pay(world.caller("IU"), order["id"], {"method": "pps"}), 404, "not-found")
    problem(world.pay(None, order["id"], {"method": "pps"}), 404, "not-found")
    problem(world.pay(world.caller("registry_officer"), order["id"], {"method": "pps"}), 403, "forbidden")
    problem(world.pay(None, order["id"]), 401, "unauthenticated")
    problem(world.pay(clerk, "00000000-0000-4000-8000-000000000000"), 404, "not-found")

    assert world.money_trail() == before


# Expired and paid orders --------------------------------------------------------------------------------


def test_an_order_past_its_expiry_cannot_be_paid_even_before_the_job_has_run(payments_world: World) -> None:
    world = payments_world
    _, clerk, account = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    world.clock.advance(timedelta(minutes=world.deps.settings.order_ttl_minutes))
    before = world.money_trail()

    for method in ({"method": "deposit_account"}, {"method": "card", "card_brand": "visa"}, {"method": "pps"}):
        body = problem(world.pay(clerk, order["id"], method), 409, "order-expired")
        assert body["order_id"] == order["id"]

    assert world.money_trail() == before
    assert world.order_row(order["id"])["status"] == "open"
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000


def test_a_paid_order_is_not_paid_again(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    assert world.pay(clerk, order["id"]).status_code == 201
    before = world.money_trail()

    body = problem(world.pay(clerk, order["id"]), 409, "order-not-payable")

    assert body["order_status"] == "paid"
    assert world.money_trail() == before


# By card and PPS -----------------------------------------------------------------------------------------


def test_card_and_pps_answer_202_with_the_providers_page_then_pay_on_its_webhook(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("IU")
    for method, brand in (
        ("card", "visa"),
        ("card", "mastercard"),
        ("card", "unionpay"),
        ("card", "jcb"),
        ("pps", None),
    ):
        order = world.filing_submitted(filer)
        body: dict[str, Any] = {"method": method, "return_url": "https://portal.example/paid"}
        if brand:
            body["card_brand"] = brand
        entries = world.count(tables.LedgerEntry)

        response = world.pay(filer, order["id"], body)

        assert response.status_code == 202, response.get_data(as_text=True)
        started = response.get_json()
        payment = started["payment"]
        assert started["order"]["status"] == "open" and started["receipt_number"] is None
        assert (payment["status"], payment["method"], payment["card_brand"]) == ("pending", method, brand)
        assert payment["redirect_url"].startswith(f"{world.deps.settings.public_url}{API}/providers/sandbox/checkout/")
        assert world.sandbox_session(payment["redirect_url"].rsplit("/", 1)[1])["return_url"] == body["return_url"]
        assert world.count(tables.LedgerEntry) == entries

        world.approve(payment["redirect_url"])

        paid = world.ok("GET", f"/orders/{order['id']}/payments/{payment['payment_id']}", filer)
        assert paid["status"] == "succeeded" and paid["redirect_url"] is None and paid["receipt_number"]
        assert world.order_row(order["id"])["status"] == "paid"
    assert world.account_balance("clearing:card") == 4 * WRIT_E_FEE
    assert world.account_balance("clearing:pps") == WRIT_E_FEE


def test_a_second_card_attempt_while_the_first_waits_is_refused(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("IU")
    order = world.filing_submitted(filer)
    first = world.pay(filer, order["id"], {"method": "pps"})
    assert first.status_code == 202
    before = world.money_trail()

    body = problem(world.pay(filer, order["id"], {"method": "card", "card_brand": "visa"}), 409, "payment-in-progress")

    assert body["payment_id"] == first.get_json()["payment"]["payment_id"]
    assert world.money_trail() == before


def test_an_order_whose_card_was_declined_may_be_paid_from_the_deposit_account(payments_world: World) -> None:
    world = payments_world
    _, clerk, account = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    declined = world.pay(clerk, order["id"], {"method": "card", "card_brand": "jcb"}).get_json()["payment"]
    assert world.choose(declined["redirect_url"], "decline").status_code == 303
    assert world.deliver_webhooks() == 1
    assert world.order_row(order["id"])["status"] == "failed"

    assert world.pay(clerk, order["id"]).status_code == 201

    assert world.order_row(order["id"])["status"] == "paid"
    assert world.deposit_balance(account["deposit_account_id"]) == 500_000 - WRIT_E_FEE
    again = world.ok("GET", f"/orders/{order['id']}/payments/{declined['payment_id']}", clerk)
    assert again["status"] == "declined" and again["failure_reason"] == "declined"


def test_anyone_with_a_search_orders_id_pays_it_and_their_key_is_kept_under_the_order(payments_world: World) -> None:
    world = payments_world
    order_id = world.search_order_directly()

    first = world.pay(None, order_id, {"method": "pps"}, key="public-1")
    again = world.pay(None, order_id, {"method": "pps"}, key="public-1")

    assert first.status_code == again.status_code == 202
    assert again.get_json() == first.get_json()
    assert world.count(tables.Payment) == 1
    assert world.idempotency_scopes() == [order_id]
    problem(world.pay(None, order_id), 401, "unauthenticated")


def test_a_payment_is_seen_only_by_those_who_see_its_order(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    payment = world.pay(clerk, order["id"]).get_json()["payment"]
    path = f"/orders/{order['id']}/payments/{payment['payment_id']}"

    assert world.ok("GET", path, world.caller("registry_officer"))["payment_id"] == payment["payment_id"]
    assert world.ok("GET", path, world.caller("SA", order["organisation_id"]))["status"] == "succeeded"
    for outsider in (world.caller("OU", world.organisation()), world.caller("IU"), None):
        problem(world.call("GET", path, outsider), 404, "not-found")
    other = world.filing_submitted(clerk)
    problem(world.call("GET", f"/orders/{other['id']}/payments/{payment['payment_id']}", clerk), 404, "not-found")


# Bad input ------------------------------------------------------------------------------------------------


BAD_BODIES: list[tuple[Any, str]] = [
    ({}, ""),
    ({"method": "cash"}, "method"),
    ({"method": ""}, "method"),
    ({"method": 5}, "method"),
    ({"method": None}, "method"),
    ({"method": "card"}, "card_brand"),
    ({"method": "card", "card_brand": "amex"}, "card_brand"),
    ({"method": "card", "card_brand": "VISA"}, "card_brand"),
    ({"method": "pps", "card_brand": "visa"}, "card_brand"),
    ({"method": "deposit_account", "card_brand": "visa"}, "card_brand"),
    ({"method": "deposit_account", "amount_cents": 1}, ""),
    ({"method": "card", "card_brand": "visa", "return_url": "javascript:alert(1)"}, "return_url"),
    ({"method": "pps", "return_url": "https://x.example/" + "a" * 500}, "return_url"),
    ({"method": "pps", "return_url": ""}, "return_url"),
    ([], ""),
    ("deposit_account", ""),
]


def test_bad_payment_bodies_are_400s_naming_the_field_and_move_nothing(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    before = world.money_trail()

    for body, field in BAD_BODIES:
        found = problem(world.pay(clerk, order["id"], body), 400, "invalid-request")
        assert field in [error["field"] for error in found["errors"]], (body, found)

    assert world.money_trail() == before
    assert world.order_row(order["id"])["status"] == "open"


def test_a_body_that_is_not_json_and_a_missing_or_bad_key_are_refused(payments_world: World) -> None:
    world = payments_world
    _, clerk, _ = firm_with_deposit(world)
    order = world.filing_submitted(clerk)
    before = world.money_trail()
    path = f"{API}/orders/{order['id']}/payments"

    not_json = world.client.post(
        path, headers=world.headers(clerk, {"Idempotency-Key": "k"}), data="{", content_type="application/json"
    )
    problem(not_json, 400, "invalid-request")
    as_form = world.client.post(path, headers=world.headers(clerk, {"Idempotency-Key": "k"}), data={"method": "pps"})
    problem(as_form, 415, "unsupported-media-type")
    no_key = world.client.post(path, headers=world.headers(clerk), json={"method": "deposit_account"})
    problem(no_key, 400, "idempotency-key-required")
    bad_key = world.client.post(path, headers=world.headers(clerk, {"Idempotency-Key": "a b"}), json={"method": "pps"})
    assert problem(bad_key, 400, "invalid-request")["errors"][0]["field"] == "Idempotency-Key"
    problem(world.pay(clerk, "not-a-uuid"), 404, "not-found")

    assert world.money_trail() == before
