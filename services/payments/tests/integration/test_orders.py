"""``/orders``: search orders for anyone, fine orders for the registry, reading and listing orders; and
``/ledger/trial-balance``."""

from __future__ import annotations

import re
import threading
import uuid
from datetime import timedelta
from typing import Any

from payments_testkit import World

from payments.adapters import tables

SEARCH = {"reference_type": "search", "court": "DC", "items": [{"code": "DC.SEARCH", "quantity": 3}]}
FINE = {"reference_type": "fine", "reference_id": "KCS 1234/2026", "code": "MC.FINE", "amount_cents": 150_000}


def _problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == f"urn:icms:problem:{kind}", body
    return body


def _made(world: World, who: Any, body: dict[str, Any]) -> dict[str, Any]:
    response = world.create_order(who, body)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _nothing_moved(world: World) -> None:
    assert world.count(tables.PaymentOrder) == 0
    assert world.count(tables.outbox) == 0
    assert world.count(tables.IdempotencyKey) == 0


# Search orders ------------------------------------------------------------------------------------------


def test_anyone_orders_a_search_priced_per_document_at_the_electronic_rate(payments_world: World) -> None:
    world = payments_world
    response = world.create_order(None, {**SEARCH, "subject": "DCCJ 1234/2026"})
    assert response.status_code == 201, response.get_data(as_text=True)
    order = response.get_json()
    assert re.fullmatch(r"SR-20261123-[0-9A-HJ-NP-Z]{8}", order["reference_id"])
    assert order["description"] == f"Search or inspection {order['reference_id']}: DCCJ 1234/2026"
    assert order["reference_type"] == "search"
    assert (order["court"], order["channel"], order["status"]) == ("DC", "electronic", "open")
    assert order["payer_account_id"] is None and order["organisation_id"] is None
    # HK$18 on paper; 80% is HK$14.40, rounded down to the dollar: HK$14 a document.
    (line,) = order["lines"]
    assert (line["code"], line["quantity"], line["unit_cents"], line["amount_cents"]) == ("DC.SEARCH", 3, 1400, 4200)
    assert order["amount_cents"] == 4200 and order["currency"] == "HKD"
    assert order["expires_at"] == "2026-11-24T02:00:00Z"
    (created,) = [e for e in world.validated_outbox() if e["type"] == "payments.order.created"]
    assert created["data"]["order_id"] == order["order_id"] and created["data"]["payer_account_id"] is None
    # Nobody's order: whoever holds its id reads it.
    assert world.ok("GET", f"/orders/{order['order_id']}") == order
    assert world.ok("GET", f"/orders/{order['order_id']}", world.caller("IU")) == order


def test_an_account_holders_search_order_is_its_own_and_its_firms(payments_world: World) -> None:
    world = payments_world
    firm = str(uuid.uuid4())
    user, colleague, outsider = world.caller("OU", firm), world.caller("PA", firm), world.caller("IU")
    order = world.ok("POST", "/orders", user, 201, json=SEARCH, headers={"Idempotency-Key": "search-1"})
    assert (order["payer_account_id"], order["organisation_id"]) == (user.id, firm)
    assert [o["order_id"] for o in world.ok("GET", "/orders", colleague)["orders"]] == [order["order_id"]]
    assert world.call("GET", f"/orders/{order['order_id']}", outsider).status_code == 404
    assert world.call("GET", f"/orders/{order['order_id']}").status_code == 404


def test_a_search_order_in_the_high_court_is_priced_by_its_schedule(payments_world: World) -> None:
    world = payments_world
    body = {"reference_type": "search", "court": "CFI", "items": [{"code": "HC.SEARCH", "quantity": 1}]}
    order = _made(world, None, body)
    # Revenue is booked by the schedule; the event names the court as filing does.
    assert (order["court"], order["amount_cents"]) == ("HC", 1400)
    (created,) = world.validated_outbox()
    assert created["data"]["court"] == "CFI"
    # The High Court's schedule is not a court whose records are searched: its levels are.
    body = _problem(world.create_order(None, {**body, "court": "HC"}), 422, "unknown-court")
    assert [e["field"] for e in body["errors"]] == ["court"]


def test_a_search_order_names_search_items_of_a_schedule_only(payments_world: World) -> None:
    world = payments_world
    for items, status, kind, field in [
        ([{"code": "DC.WRIT", "quantity": 1}], 422, "not-a-search-item", "items.0.code"),
        (
            [{"code": "DC.SEARCH", "quantity": 1}, {"code": "HC.SEARCH", "quantity": 1}],
            422,
            "not-a-search-item",
            "items.1.code",
        ),
        ([{"code": "DC.SEARCH", "quantity": 0}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH", "quantity": 1000}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH", "quantity": -2}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH", "quantity": 2.5}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH", "quantity": 2.0}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH", "quantity": True}], 400, "invalid-request", "items.0.quantity"),
        ([{"code": "DC.SEARCH"}], 400, "invalid-request", "items.0"),
        ([], 400, "invalid-request", "items"),
    ]:
        body = _problem(world.create_order(None, {**SEARCH, "items": items}), status, kind)
        assert [e["field"] for e in body["errors"]] == [field], (items, body)
    _problem(world.create_order(None, {**SEARCH, "court": "XX"}), 422, "unknown-court")
    _problem(world.create_order(None, {**SEARCH, "surprise": 1}), 400, "invalid-request")
    _problem(world.create_order(None, {"reference_type": "filing"}), 400, "invalid-request")
    bad_json = world.call(
        "POST", "/orders", data=b"{", content_type="application/json", headers={"Idempotency-Key": "k"}
    )
    _problem(bad_json, 400, "invalid-request")
    _nothing_moved(world)


def test_post_orders_requires_an_idempotency_key(payments_world: World) -> None:
    world = payments_world
    body = _problem(world.call("POST", "/orders", json=SEARCH), 400, "idempotency-key-required")
    assert body["errors"] == [{"field": "Idempotency-Key", "message": "is required"}]
    _problem(world.create_order(None, SEARCH, key="not a key!"), 400, "invalid-request")
    _nothing_moved(world)


def test_a_retry_with_the_key_gets_the_first_answer_and_makes_nothing_new(payments_world: World) -> None:
    world = payments_world
    user = world.caller("IU")
    first = world.create_order(user, SEARCH, key="k-1")
    again = world.create_order(user, SEARCH, key="k-1")
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.get_json() == first.get_json()
    assert world.count(tables.PaymentOrder) == 1 and world.outbox_types() == ["payments.order.created"]
    # The same caller's key on another request is a mistake worth telling it about.
    _problem(world.create_order(user, {**SEARCH, "subject": "other"}, key="k-1"), 422, "idempotency-key-reused")
    # Another account's key is its own.
    assert world.create_order(world.caller("IU"), SEARCH, key="k-1").status_code == 201
    assert world.count(tables.PaymentOrder) == 2


def test_anonymous_keys_are_scoped_by_the_request_so_strangers_never_clash(payments_world: World) -> None:
    world = payments_world
    first = world.create_order(None, SEARCH, key="1")
    retry = world.create_order(None, SEARCH, key="1")
    assert retry.status_code == 201 and retry.get_json() == first.get_json()
    # A stranger who happens to pick the same key for another search gets an order of its own, not a 422.
    other = world.create_order(None, {**SEARCH, "subject": "HCA 9/2026"}, key="1")
    assert other.status_code == 201, other.get_data(as_text=True)
    assert other.get_json()["order_id"] != first.get_json()["order_id"]
    assert world.count(tables.PaymentOrder) == 2
    scopes = world.idempotency_scopes()
    assert len(set(scopes)) == 2 and all(re.fullmatch(r"anonymous:[0-9a-f]{26}", s) for s in scopes)


def test_parallel_requests_with_one_key_make_one_order_and_get_one_answer(payments_world: World) -> None:
    world = payments_world
    user = world.caller("IU")
    answers: list[tuple[int, dict[str, Any]]] = []
    lock = threading.Lock()

    def post() -> None:
        client = world.app.test_client()
        response = client.post(
            "/api/payments/v1/orders", json=SEARCH, headers=world.headers(user, {"Idempotency-Key": "same"})
        )
        with lock:
            answers.append((response.status_code, response.get_json()))

    threads = [threading.Thread(target=post) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert {status for status, _ in answers} == {201}
    assert len({body["order_id"] for _, body in answers}) == 1
    assert world.count(tables.PaymentOrder) == 1
    assert world.outbox_types() == ["payments.order.created"]


# Fine orders --------------------------------------------------------------------------------------------


def test_the_registry_orders_a_fine_by_its_reference_with_the_amount_imposed(payments_world: World) -> None:
    world = payments_world
    officer = world.caller("registry_officer")
    body = {**FINE, "reference_id": "  kcs   1234/2026 ", "description": "Imposed at Kowloon City on 20 November 2026"}
    order = world.ok("POST", "/orders", officer, 201, json=body, headers={"Idempotency-Key": "fine-1"})
    assert (order["reference_type"], order["reference_id"]) == ("fine", "KCS 1234/2026")
    assert order["description"] == "Fine KCS 1234/2026: Imposed at Kowloon City on 20 November 2026"
    assert (order["court"], order["amount_cents"], order["payer_account_id"]) == ("MC", 150_000, None)
    assert order["lines"] == [
        {
            "code": "MC.FINE",
            "description": "Payment of a fine imposed by a magistrate",
            "quantity": 1,
            "unit_cents": 150_000,
            "amount_cents": 150_000,
        }
    ]
    world.validated_outbox()
    # The person fined pays it knowing the order's id from the notice, with or without an account.
    assert world.ok("GET", f"/orders/{order['order_id']}")["status"] == "open"


def test_only_the_registry_orders_fines(payments_world: World) -> None:
    world = payments_world
    _problem(world.create_order(None, FINE), 401, "unauthenticated")
    for role in ("IU", "OU", "PA", "SA", "system_admin"):
        _problem(world.create_order(world.caller(role, str(uuid.uuid4())), FINE), 403, "forbidden")
    _nothing_moved(world)


def test_a_fine_order_needs_a_whole_positive_amount_a_fine_item_and_a_notice_number(payments_world: World) -> None:
    world = payments_world
    officer = world.caller("registry_officer")
    for amount in (0, -500, 1500.5, 1500.0, "1500", True, None, 10**12):
        body = _problem(world.create_order(officer, {**FINE, "amount_cents": amount}), 400, "invalid-request")
        assert [e["field"] for e in body["errors"]] == ["amount_cents"], amount
    for reference in ("!", "ab", "KCS 1234/2026;", "-KCS1", "x" * 41):
        body = _problem(world.create_order(officer, {**FINE, "reference_id": reference}), 400, "invalid-request")
        assert [e["field"] for e in body["errors"]] == ["reference_id"], reference
    body = _problem(world.create_order(officer, {**FINE, "code": "DC.WRIT"}), 422, "not-a-fine-item")
    assert [e["field"] for e in body["errors"]] == ["code"]
    body = _problem(world.create_order(officer, {**FINE, "code": "MC.PARKING"}), 422, "unknown-fee-item")
    assert [e["field"] for e in body["errors"]] == ["code"]
    _problem(
        world.create_order(officer, {k: v for k, v in FINE.items() if k != "amount_cents"}), 400, "invalid-request"
    )
    _nothing_moved(world)


def test_a_fine_is_ordered_once_while_its_order_is_open_or_paid(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    officer = world.caller("registry_officer")
    first = world.ok("POST", "/orders", officer, 201, json=FINE, headers={"Idempotency-Key": "f-1"})
    again = _problem(
        world.create_order(officer, {**FINE, "reference_id": "kcs 1234/2026"}), 409, "fine-already-ordered"
    )
    assert (again["order_id"], again["order_status"]) == (first["order_id"], "open")
    world.settle_directly(first["order_id"])
    again = _problem(world.create_order(officer, {**FINE, "amount_cents": 1}), 409, "fine-already-ordered")
    assert (again["order_id"], again["order_status"]) == (first["order_id"], "paid")
    # The first request's key still answers as it did.
    assert world.ok("POST", "/orders", officer, 201, json=FINE, headers={"Idempotency-Key": "f-1"}) == first
    # Another fine is another matter.
    _made(world, officer, {**FINE, "reference_id": "KCS 1235/2026"})
    assert world.count(tables.PaymentOrder) == 2


def test_a_fine_whose_order_expired_unpaid_can_be_ordered_again(payments_world: World) -> None:
    world = payments_world
    officer = world.caller("registry_officer")
    first = world.ok("POST", "/orders", officer, 201, json=FINE, headers={"Idempotency-Key": "f-1"})
    world.clock.advance(timedelta(days=1, seconds=1))
    assert world.run_job("expire-orders") == 1
    second = world.ok("POST", "/orders", officer, 201, json=FINE, headers={"Idempotency-Key": "f-2"})
    assert second["order_id"] != first["order_id"]
    listed = world.ok("GET", "/orders?reference_type=fine&reference_id=kcs%201234/2026", officer)["orders"]
    assert [(o["order_id"], o["status"]) for o in listed] == [
        (second["order_id"], "open"),
        (first["order_id"], "expired"),
    ]


def test_racing_fine_orders_for_one_reference_make_one(payments_world: World) -> None:
    world = payments_world
    officers = [world.caller("registry_officer") for _ in range(8)]
    statuses: list[int] = []
    lock = threading.Lock()

    def post(officer: Any) -> None:
        response = world.app.test_client().post(
            "/api/payments/v1/orders", json=FINE, headers=world.headers(officer, {"Idempotency-Key": "race"})
        )
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=post, args=(officer,)) for officer in officers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(statuses) == [201] + [409] * 7
    assert world.count(tables.PaymentOrder) == 1 and world.count(tables.IdempotencyKey) == 1


# Reading and listing ------------------------------------------------------------------------------------


def test_an_order_is_404_to_those_who_may_not_see_it_and_when_it_does_not_exist(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("IU")
    order = world.filing_submitted(filer)
    assert world.ok("GET", f"/orders/{order['id']}", filer)["order_id"] == order["id"]
    for who in (world.caller("IU"), world.caller("OU", str(uuid.uuid4())), None):
        _problem(world.call("GET", f"/orders/{order['id']}", who), 404, "not-found")
    _problem(world.call("GET", f"/orders/{uuid.uuid4()}", filer), 404, "not-found")
    _problem(world.call("GET", "/orders/not-an-id", filer), 404, "not-found")


def test_the_list_is_the_callers_and_its_firms_newest_first_and_the_registry_sees_all(payments_world: World) -> None:
    world = payments_world
    firm = str(uuid.uuid4())
    ou, colleague, other_firm, iu = (
        world.caller("OU", firm),
        world.caller("OU", firm),
        world.caller("OU", str(uuid.uuid4())),
        world.caller("IU"),
    )
    made = []
    for who in (ou, colleague, other_firm, iu):
        made.append(world.filing_submitted(who)["id"])
        world.clock.advance(timedelta(seconds=1))
    search = _made(world, None, SEARCH)["order_id"]

    def ids(who: Any, query: str = "") -> list[str]:
        return [o["order_id"] for o in world.ok("GET", f"/orders{query}", who)["orders"]]

    assert ids(ou) == ids(colleague) == [made[1], made[0]]
    assert ids(other_firm) == [made[2]]
    assert ids(iu) == [made[3]]
    assert ids(world.caller("system_admin")) == []
    registry = world.caller("registry_officer")
    assert ids(registry) == [search, made[3], made[2], made[1], made[0]]
    assert ids(registry, "?reference_type=search") == [search]
    assert ids(registry, f"?reference_type=filing&reference_id={made[2]}") == []  # a filing's reference is its id
    world.settle_directly(made[1])
    assert ids(registry, "?status=paid") == [made[1]]
    assert ids(ou, "?status=open") == [made[0]]
    _problem(world.call("GET", "/orders"), 401, "unauthenticated")
    for query in ("?status=lost", "?reference_type=parking", "?limit=0", "?limit=201", "?cursor=%00", "?cursor=bm9wZQ"):
        _problem(world.call("GET", f"/orders{query}", registry), 400, "invalid-request")


def test_the_list_pages_by_cursor_and_new_orders_shift_nothing(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    registry = world.caller("registry_officer")
    made = [_made(world, None, SEARCH)["order_id"] for _ in range(5)]
    # Several orders share an instant (the clock stands still): the id breaks the tie.
    world.clock.advance(timedelta(seconds=1))
    made += [_made(world, None, SEARCH)["order_id"] for _ in range(2)]
    seen: list[str] = []
    page = world.ok("GET", "/orders?limit=3", registry)
    seen += [o["order_id"] for o in page["orders"]]
    world.clock.advance(timedelta(seconds=1))
    _made(world, None, SEARCH)  # arrives while the client pages: newer, so before the pages still to read
    while page["next_cursor"] is not None:
        page = world.ok("GET", f"/orders?limit=3&cursor={page['next_cursor']}", registry)
        seen += [o["order_id"] for o in page["orders"]]
    assert sorted(seen) == sorted(made) and len(seen) == 7
    assert seen[:2] == sorted(made[5:], reverse=True) and seen[2:] == sorted(made[:5], reverse=True)


# The trial balance --------------------------------------------------------------------------------------


def test_the_trial_balance_sums_every_account_and_totals_zero(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    registry = world.caller("registry_officer")
    empty = world.ok("GET", "/ledger/trial-balance", registry)
    assert (empty["accounts"], empty["total_cents"], empty["balanced"]) == ([], 0, True)
    filer = world.caller("IU")
    paid = world.filing_submitted(filer)  # DC.WRIT electronic: HK$504
    world.settle_directly(paid["id"], "card")
    fine = _made(world, registry, FINE)
    world.settle_directly(fine["order_id"], "pps")
    refunded = world.filing_submitted(filer)
    world.settle_directly(refunded["id"], "card")
    world.filing_rejected(refunded["reference_id"], refunded["id"], fee_paid=True)

    report = world.ok("GET", "/ledger/trial-balance", world.caller("system_admin"))
    assert report["accounts"] == [
        {
            "account": "clearing:card",
            "kind": "clearing",
            "debit_cents": 100_800,
            "credit_cents": 50_400,
            "balance_cents": 50_400,
            "entries": 3,
        },
        {
            "account": "clearing:pps",
            "kind": "clearing",
            "debit_cents": 150_000,
            "credit_cents": 0,
            "balance_cents": 150_000,
            "entries": 1,
        },
        {
            "account": "revenue:DC",
            "kind": "revenue",
            "debit_cents": 50_400,
            "credit_cents": 100_800,
            "balance_cents": -50_400,
            "entries": 3,
        },
        {
            "account": "revenue:MC",
            "kind": "revenue",
            "debit_cents": 0,
            "credit_cents": 150_000,
            "balance_cents": -150_000,
            "entries": 1,
        },
    ]
    assert (report["debit_total_cents"], report["credit_total_cents"], report["total_cents"]) == (301_200, 301_200, 0)
    assert report["balanced"] is True and report["currency"] == "HKD" and report["at"] == "2026-11-23T02:00:00Z"
    assert report["counts"] == {"accounts": 4, "transactions": 4, "entries": 8, "unbalanced_transactions": 0}
    assert world.ledger_sum() == 0


def test_the_trial_balance_is_for_the_registry_and_system_administrators(payments_world: World) -> None:
    world = payments_world
    _problem(world.call("GET", "/ledger/trial-balance"), 401, "unauthenticated")
    for role in ("IU", "OU", "PA", "SA"):
        _problem(world.call("GET", "/ledger/trial-balance", world.caller(role, str(uuid.uuid4()))), 403, "forbidden")
    for role in ("registry_officer", "system_admin"):
        assert world.ok("GET", "/ledger/trial-balance", world.caller(role))["balanced"] is True
