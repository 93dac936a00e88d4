"""Deposit accounts: opened with at least HK$3,000 through the provider, topped up the same way, a
statement with a running balance, the low-balance warning once per crossing, and bad amounts that move
nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from payments_testkit import Caller, World
from werkzeug.test import TestResponse

from chassis.clock import iso
from payments.adapters import tables
from payments.service_layer import checkout

WRIT_E_FEE = 50_400
CAP = 1_000_000_000


def problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:icms:problem:{kind}", body
    return body


def request_opening(world: World, admin: Caller, body: Any, key: str = "open-1") -> TestResponse:
    return world.call("POST", "/deposit-accounts", admin, json=body, headers={"Idempotency-Key": key})


def request_top_up(world: World, admin: Caller, account_id: str, body: Any, key: str = "top-up-1") -> TestResponse:
    return world.call(
        "POST", f"/deposit-accounts/{account_id}/top-ups", admin, json=body, headers={"Idempotency-Key": key}
    )


def firm(world: World) -> tuple[Caller, Caller]:
    organisation = world.organisation()
    return world.caller("PA", organisation), world.caller("OU", organisation)


def test_a_firm_opens_its_account_pays_from_it_and_reads_its_statement_on_each_database(
    payments_world_on_each_database: World,
) -> None:
    world = payments_world_on_each_database
    admin, clerk = firm(world)
    account = world.open_deposit_account(admin, 400_000, "card", "visa")
    order = world.filing_submitted(clerk)

    paid = world.pay(clerk, order["id"], key="pay-1")
    again = world.pay(clerk, order["id"], key="pay-1")

    assert paid.status_code == again.status_code == 201, paid.get_data(as_text=True)
    assert again.get_json() == paid.get_json()
    problem(world.pay(clerk, world.filing_submitted(clerk)["id"]), 409, "insufficient-deposit")
    statement = world.statement(admin, account["deposit_account_id"])
    assert [(e["kind"], e["balance_cents"]) for e in statement["entries"]] == [
        ("deposit_opening", 400_000),
        ("fee_payment", 400_000 - WRIT_E_FEE),
    ]
    assert world.ok("GET", "/deposit-accounts/mine", clerk)["balance_cents"] == 400_000 - WRIT_E_FEE
    assert len(world.outbox_events("payments.deposit_account.low_balance")) == 1
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0


# Opening --------------------------------------------------------------------------------------------------


def test_an_account_opens_when_its_opening_payment_arrives(payments_world: World) -> None:
    world = payments_world
    admin, clerk = firm(world)

    response = request_opening(
        world, admin, {"opening_amount_cents": 450_000, "method": "card", "card_brand": "mastercard"}
    )

    assert response.status_code == 202, response.get_data(as_text=True)
    started = response.get_json()
    account, payment = started["deposit_account"], started["payment"]
    assert account["status"] == "pending" and account["balance_cents"] == 0 and account["available_cents"] == 0
    assert account["number"].startswith("DA") and account["organisation_id"] == admin.principal.organisation
    assert (payment["purpose"], payment["status"], payment["amount_cents"]) == ("deposit_opening", "pending", 450_000)
    assert payment["deposit_account_id"] == account["deposit_account_id"] and payment["redirect_url"]
    assert world.ok("GET", "/deposit-accounts/mine", clerk)["status"] == "pending"
    assert world.ledger_sum() == 0 and world.count(tables.LedgerEntry) == 0

    world.approve(payment["redirect_url"])

    opened = world.ok("GET", "/deposit-accounts/mine", clerk)
    assert opened == account | {
        "status": "open",
        "balance_cents": 450_000,
        "available_cents": 150_000,
        "opened_at": iso(world.clock.now()),
        "version": 2,
    }
    assert opened["minimum_balance_cents"] == 300_000 and opened["low_balance_threshold_cents"] == 400_000
    assert world.account_balance("clearing:card") == 450_000
    assert world.account_balance(f"deposit:{account['deposit_account_id']}") == -450_000
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    [event] = world.outbox_events("payments.deposit_account.opened")
    assert event["subject"] == account["deposit_account_id"]
    assert event["data"] == {
        "deposit_account_id": account["deposit_account_id"],
        "organisation_id": admin.principal.organisation,
        "number": account["number"],
        "opening_balance_cents": 450_000,
        "minimum_balance_cents": 300_000,
        "opened_at": iso(world.clock.now()),
        "aggregate_version": 2,
    }
    receipt = world.receipt_row(world.payment_receipt(payment["payment_id"]))
    assert (receipt["kind"], receipt["amount_cents"], receipt["method"]) == ("payment", 450_000, "card")
    assert receipt["deposit_account_id"] == account["deposit_account_id"]
    assert receipt["organisation_id"] == admin.principal.organisation and receipt["payer_account_id"] == admin.id


def test_an_opening_below_hk3000_is_refused_and_moves_nothing(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    before = world.money_trail()

    body = problem(
        request_opening(world, admin, {"opening_amount_cents": 299_999, "method": "pps"}), 400, "invalid-request"
    )

    assert body["errors"][0]["field"] == "opening_amount_cents"
    assert world.money_trail() == before


def test_an_organisation_has_one_account(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account = world.open_deposit_account(admin)
    colleague = world.caller("SA", admin.principal.organisation)
    before = world.money_trail()

    body = problem(
        request_opening(world, colleague, {"opening_amount_cents": 300_000, "method": "pps"}),
        409,
        "deposit-account-exists",
    )

    assert body["deposit_account_id"] == account["deposit_account_id"] and body["number"] == account["number"]
    assert world.money_trail() == before


def test_one_opening_payment_waits_at_a_time_and_a_declined_one_may_be_tried_again(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    first = request_opening(world, admin, {"opening_amount_cents": 300_000, "method": "pps"}).get_json()
    before = world.money_trail()

    waiting = problem(
        request_opening(world, admin, {"opening_amount_cents": 400_000, "method": "pps"}, key="open-2"),
        409,
        "payment-in-progress",
    )
    assert waiting["payment_id"] == first["payment"]["payment_id"]
    assert world.money_trail() == before

    assert world.choose(first["payment"]["redirect_url"], "decline").status_code == 303
    assert world.deliver_webhooks() == 1
    assert world.ok("GET", "/deposit-accounts/mine", admin)["status"] == "pending"
    assert world.outbox_events("payments.deposit_account.opened") == []

    second = request_opening(world, admin, {"opening_amount_cents": 400_000, "method": "pps"}, key="open-2")
    assert second.status_code == 202
    assert second.get_json()["deposit_account"]["deposit_account_id"] == first["deposit_account"]["deposit_account_id"]
    world.approve(second.get_json()["payment"]["redirect_url"])
    assert world.ok("GET", "/deposit-accounts/mine", admin)["balance_cents"] == 400_000


def test_an_opening_paid_after_its_time_out_and_after_another_is_credited_as_a_top_up(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    slow = request_opening(world, admin, {"opening_amount_cents": 300_000, "method": "pps"}).get_json()["payment"]
    world.clock.advance(timedelta(minutes=world.deps.settings.provider_timeout_minutes + 1))
    assert checkout.time_out_pending(world.deps) == 1
    account = world.open_deposit_account(admin, 350_000)

    world.approve(slow["redirect_url"])

    assert world.ok("GET", "/deposit-accounts/mine", admin)["balance_cents"] == 650_000
    assert len(world.outbox_events("payments.deposit_account.opened")) == 1
    [topped_up] = world.outbox_events("payments.deposit_account.topped_up")
    assert topped_up["data"]["amount_cents"] == 300_000 and topped_up["data"]["balance_cents"] == 650_000
    assert world.payment(slow["payment_id"])["status"] == "succeeded"
    assert world.ledger_sum() == 0 and account["status"] == "open"


def test_the_same_opening_key_answers_alike(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    body = {"opening_amount_cents": 300_000, "method": "pps"}

    first, again = request_opening(world, admin, body), request_opening(world, admin, body)

    assert first.status_code == again.status_code == 202
    assert first.get_json() == again.get_json()
    assert world.count(tables.Payment) == 1
    problem(request_opening(world, admin, body | {"opening_amount_cents": 300_001}), 422, "idempotency-key-reused")


# Top-ups ---------------------------------------------------------------------------------------------------


def test_a_top_up_adds_its_amount_with_a_receipt_and_an_event(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account = world.open_deposit_account(admin)
    account_id = account["deposit_account_id"]

    started = request_top_up(world, admin, account_id, {"amount_cents": 1, "method": "card", "card_brand": "unionpay"})
    assert started.status_code == 202, started.get_data(as_text=True)
    payment = started.get_json()["payment"]
    assert (payment["purpose"], payment["amount_cents"], payment["card_brand"]) == ("deposit_top_up", 1, "unionpay")
    assert world.ok("GET", f"/deposit-accounts/{account_id}", admin)["balance_cents"] == 300_000
    world.approve(payment["redirect_url"])

    after = world.ok("GET", f"/deposit-accounts/{account_id}", admin)
    assert after["balance_cents"] == 300_001 and after["version"] == 3
    [event] = world.outbox_events("payments.deposit_account.topped_up")
    receipt = world.payment_receipt(payment["payment_id"])
    assert event["data"] == {
        "deposit_account_id": account_id,
        "organisation_id": admin.principal.organisation,
        "amount_cents": 1,
        "balance_cents": 300_001,
        "method": "card",
        "topped_up_at": iso(world.clock.now()),
        "receipt_number": receipt,
        "aggregate_version": 3,
    }
    assert world.receipt_row(receipt)["deposit_account_id"] == account_id
    # The cap itself is accepted.
    assert (
        request_top_up(world, admin, account_id, {"amount_cents": CAP, "method": "pps"}, key="big").status_code == 202
    )


def test_a_pending_account_cannot_be_topped_up(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account = request_opening(world, admin, {"opening_amount_cents": 300_000, "method": "pps"}).get_json()
    before = world.money_trail()

    problem(
        request_top_up(
            world, admin, account["deposit_account"]["deposit_account_id"], {"amount_cents": 100, "method": "pps"}
        ),
        409,
        "deposit-account-not-open",
    )

    assert world.money_trail() == before


BAD_AMOUNTS = [-1, 0, -300_000, 12.5, 300_000.5, 300_000.0, "300000", None, True, [300_000], CAP + 1, 10**30]


def test_bad_amounts_are_400s_naming_the_field_and_move_nothing(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account_id = world.open_deposit_account(admin)["deposit_account_id"]
    newcomer, _ = firm(world)
    before = world.money_trail()

    for amount in BAD_AMOUNTS:
        opening = request_opening(world, newcomer, {"opening_amount_cents": amount, "method": "pps"})
        body = problem(opening, 400, "invalid-request")
        assert [e["field"] for e in body["errors"]] == ["opening_amount_cents"], (amount, body)
        top_up = request_top_up(world, admin, account_id, {"amount_cents": amount, "method": "pps"})
        body = problem(top_up, 400, "invalid-request")
        assert [e["field"] for e in body["errors"]] == ["amount_cents"], (amount, body)

    assert world.money_trail() == before


BAD_METHODS: list[tuple[dict[str, Any], str]] = [
    ({"method": "cash"}, "method"),
    ({"method": "deposit_account"}, "method"),
    ({"method": None}, "method"),
    ({}, ""),
    ({"method": "card"}, "card_brand"),
    ({"method": "card", "card_brand": "amex"}, "card_brand"),
    ({"method": "pps", "card_brand": "visa"}, "card_brand"),
    ({"method": "pps", "return_url": "ftp://files.example/"}, "return_url"),
    ({"method": "pps", "interest": True}, ""),
]


def test_unknown_methods_and_brands_are_400s_naming_the_field_and_move_nothing(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account_id = world.open_deposit_account(admin)["deposit_account_id"]
    newcomer, _ = firm(world)
    before = world.money_trail()

    for extra, field in BAD_METHODS:
        for response in (
            request_top_up(world, admin, account_id, {"amount_cents": 1000} | extra),
            request_opening(world, newcomer, {"opening_amount_cents": 300_000} | extra),
        ):
            body = problem(response, 400, "invalid-request")
            assert field in [e["field"] for e in body["errors"]], (extra, body)

    assert world.money_trail() == before


def test_money_posts_need_an_idempotency_key_and_json(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account_id = world.open_deposit_account(admin)["deposit_account_id"]
    before = world.money_trail()

    problem(
        world.call("POST", "/deposit-accounts", admin, json={"opening_amount_cents": 300_000, "method": "pps"}),
        400,
        "idempotency-key-required",
    )
    problem(
        world.call("POST", f"/deposit-accounts/{account_id}/top-ups", admin, json={"amount_cents": 1, "method": "pps"}),
        400,
        "idempotency-key-required",
    )
    problem(
        world.call(
            "POST",
            f"/deposit-accounts/{account_id}/top-ups",
            admin,
            data="amount_cents=1",
            headers={"Idempotency-Key": "k"},
            content_type="application/x-www-form-urlencoded",
        ),
        415,
        "unsupported-media-type",
    )
    problem(
        world.call(
            "POST",
            f"/deposit-accounts/{account_id}/top-ups",
            admin,
            data="{nope",
            headers={"Idempotency-Key": "k"},
            content_type="application/json",
        ),
        400,
        "invalid-request",
    )

    assert world.money_trail() == before


# Statement ---------------------------------------------------------------------------------------------------


def test_the_statement_lists_every_movement_oldest_first_with_a_running_balance(payments_world: World) -> None:
    world = payments_world
    admin, clerk = firm(world)
    account = world.open_deposit_account(admin, 500_000)
    account_id = account["deposit_account_id"]
    opening_receipt = world.statement(admin, account_id)["entries"][0]["receipt_number"]
    world.clock.advance(timedelta(days=1))
    paid = world.pay(clerk, world.filing_submitted(clerk)["id"]).get_json()
    world.clock.advance(timedelta(days=1))
    world.top_up(admin, account_id, 120_000)
    world.clock.advance(timedelta(days=1))
    world.deliver(
        world.event(
            "filing.filing.rejected",
            paid["order"]["reference_id"],
            **rejected(paid["order"]["reference_id"], paid["order"]["order_id"], iso(world.clock.now())),
        )
    )
    refund_receipt = world.order_row(paid["order"]["order_id"])["refund_receipt_number"]
    top_up_receipt = world.outbox_events("payments.deposit_account.topped_up")[0]["data"]["receipt_number"]

    statement = world.statement(admin, account_id)

    start = world.clock.now() - timedelta(days=3)
    assert [{k: e[k] for k in e if k != "entry_id"} for e in statement["entries"]] == [
        {
            "date": iso(start),
            "kind": "deposit_opening",
            "description": f"Opening deposit, deposit account {account['number']}",
            "order_id": None,
            "receipt_number": opening_receipt,
            "debit_cents": 0,
            "credit_cents": 500_000,
            "balance_cents": 500_000,
        },
        {
            "date": iso(start + timedelta(days=1)),
            "kind": "fee_payment",
            "description": paid["order"]["description"],
            "order_id": paid["order"]["order_id"],
            "receipt_number": paid["receipt_number"],
            "debit_cents": WRIT_E_FEE,
            "credit_cents": 0,
            "balance_cents": 500_000 - WRIT_E_FEE,
        },
        {
            "date": iso(start + timedelta(days=2)),
            "kind": "deposit_top_up",
            "description": f"Top-up, deposit account {account['number']}",
            "order_id": None,
            "receipt_number": top_up_receipt,
            "debit_cents": 0,
            "credit_cents": 120_000,
            "balance_cents": 620_000 - WRIT_E_FEE,
        },
        {
            "date": iso(start + timedelta(days=3)),
            "kind": "refund",
            "description": f"Refund: {paid['order']['description']}",
            "order_id": paid["order"]["order_id"],
            "receipt_number": refund_receipt,
            "debit_cents": 0,
            "credit_cents": WRIT_E_FEE,
            "balance_cents": 620_000,
        },
    ]
    assert statement["opening_balance_cents"] == 0
    assert statement["closing_balance_cents"] == statement["balance_cents"] == 620_000
    assert statement["total"] == 4 and statement["number"] == account["number"]
    assert world.deposit_balance(account_id) == 620_000

    # Pages carry the balance across: each starts where the one before ended.
    first = world.statement(admin, account_id, limit=2)
    second = world.statement(admin, account_id, limit=2, offset=2)
    assert first["entries"] + second["entries"] == statement["entries"]
    assert second["opening_balance_cents"] == first["closing_balance_cents"] == 500_000 - WRIT_E_FEE
    beyond = world.statement(admin, account_id, offset=10)
    assert beyond["entries"] == [] and beyond["opening_balance_cents"] == beyond["closing_balance_cents"] == 620_000

    # A period of Hong Kong days: the fee's and the top-up's days only, starting from the day before's balance.
    fee_day = (start + timedelta(days=1)).date().isoformat()
    top_up_day = (start + timedelta(days=2)).date().isoformat()
    period = world.statement(admin, account_id, **{"from": fee_day, "to": top_up_day})
    assert [e["kind"] for e in period["entries"]] == ["fee_payment", "deposit_top_up"]
    assert period["opening_balance_cents"] == 500_000 and period["closing_balance_cents"] == 620_000 - WRIT_E_FEE
    assert period["total"] == 2 and (period["from"], period["to"]) == (fee_day, top_up_day)
    empty = world.statement(admin, account_id, **{"to": "2026-01-01"})
    assert empty["entries"] == [] and empty["opening_balance_cents"] == 0


BAD_QUERIES = [
    ("limit=0", "limit"),
    ("limit=501", "limit"),
    ("limit=ten", "limit"),
    ("offset=-1", "offset"),
    ("from=2026-13-01", "from"),
    ("from=23/11/2026", "from"),
    ("to=2026-11-23T00:00:00Z", "to"),
    ("from=2026-11-24&to=2026-11-23", "to"),
]


def test_bad_statement_queries_are_400s_naming_the_parameter(payments_world: World) -> None:
    world = payments_world
    admin, _ = firm(world)
    account_id = world.open_deposit_account(admin)["deposit_account_id"]

    for query, field in BAD_QUERIES:
        response = world.call("GET", f"/deposit-accounts/{account_id}/statement?{query}", admin)
        assert problem(response, 400, "invalid-request")["errors"][0]["field"] == field, query


# Low balance ---------------------------------------------------------------------------------------------------


def test_the_low_balance_warning_goes_out_once_per_crossing(payments_world: World) -> None:
    world = payments_world
    admin, clerk = firm(world)
    account_id = world.open_deposit_account(admin, 500_000)["deposit_account_id"]

    def pay_a_writ() -> int:
        assert world.pay(clerk, world.filing_submitted(clerk)["id"]).status_code == 201
        return len(world.outbox_events("payments.deposit_account.low_balance"))

    assert pay_a_writ() == 0  # 449,600: above the 400,000 threshold
    assert pay_a_writ() == 1  # 399,200: below it
    assert pay_a_writ() == 1  # 348,800: still below, no second warning
    assert world.ok("GET", f"/deposit-accounts/{account_id}", clerk)["low_balance"] is True
    world.top_up(admin, account_id, 100_000)  # 448,800: back above
    assert world.ok("GET", f"/deposit-accounts/{account_id}", clerk)["low_balance"] is False
    assert pay_a_writ() == 2  # 398,400: below again

    first, second = (e["data"] for e in world.outbox_events("payments.deposit_account.low_balance"))
    assert first | {"at": None, "aggregate_version": None} == {
        "deposit_account_id": account_id,
        "organisation_id": admin.principal.organisation,
        "balance_cents": 500_000 - 2 * WRIT_E_FEE,
        "minimum_balance_cents": 300_000,
        "threshold_cents": 400_000,
        "at": None,
        "aggregate_version": None,
    }
    assert second["balance_cents"] == 448_800 - WRIT_E_FEE
    assert second["aggregate_version"] > first["aggregate_version"]


def rejected(filing_id: str, order_id: str, at: str) -> dict[str, Any]:
    """``filing.filing.rejected`` data for ``filing_id``."""
    return {
        "filing_id": filing_id,
        "reference": "EF-20261123-AAAAAA",
        "case_id": "6d1e1f5c-3c35-4c8e-9b37-0d3f1a5e2b10",
        "case_number": "DCPI 12/2026",
        "rejected_at": at,
        "rejected_by_account_id": "0b7c1d2e-3f40-4a5b-8c6d-7e8f90a1b2c3",
        "reasons": ["unsigned"],
        "message": "",
        "payment_order_id": order_id,
        "fee_paid": True,
        "aggregate_version": 3,
    }
