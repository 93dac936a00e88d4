"""Paying by card or PPS through the sandbox provider, as a payer and the provider would: the hosted page,
the signed webhook the delivery job sends, and everything that goes wrong between them (a decline, a payer
who walks away, a webhook twice or late, one tampered with, stale or for the wrong amount)."""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import Any, TypeVar

import pytest
from payments_testkit import World
from prometheus_client import REGISTRY
from werkzeug.test import TestResponse

from chassis.web.problems import Problem
from payments.adapters import tables
from payments.adapters.sandbox import SIGNATURE_HEADER, WEBHOOK_PATH, sign
from payments.service_layer import checkout, orders

T = TypeVar("T")
PORTAL = "https://portal.example/payments/done"
WRIT_E_FEE = 50400  # DC.WRIT, electronic, inside the District Court's window


def in_parallel(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` ... ``work(n - 1)``, each on a thread of its own, released together."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def assert_problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == f"urn:icms:problem:{kind}" and problem["status"] == status
    return problem


def an_order(world: World) -> dict[str, Any]:
    return world.filing_submitted(world.caller("OU", str(uuid.uuid4())))


def start_directly(world: World, order: dict[str, Any], **changes: Any) -> Any:
    """``checkout.start`` called as the paying use cases call it, for what their request bodies cannot say."""
    arguments: dict[str, Any] = {
        "purpose": checkout.ORDER,
        "method": "card",
        "card_brand": "visa",
        "amount_cents": order["amount_cents"],
        "description": order["description"],
        "payer_account_id": order["payer_account_id"],
        "return_url": PORTAL,
        "order_id": order["id"],
    }
    with world.deps.unit_of_work() as uow:
        locked = orders.locked(uow, order["id"])
        assert locked is not None
        payment = checkout.start(world.deps, uow, **(arguments | changes))
        uow.commit()
        return payment


def snapshot(world: World, order_id: str, payment_id: str) -> tuple[Any, ...]:
    """Everything a webhook could move: the books, the outbox, the order, the payment, the events heard."""
    return (
        world.count(tables.LedgerEntry),
        world.count(tables.Receipt),
        world.count(tables.ProviderEvent),
        world.outbox_types(),
        world.order_row(order_id),
        world.payment(payment_id),
    )


def counted(method: str, outcome: str) -> tuple[float, float]:
    labels = {"method": method, "outcome": outcome}
    return (
        REGISTRY.get_sample_value("icms_payments_total", labels) or 0.0,
        REGISTRY.get_sample_value("icms_payment_amount_cents_total", labels) or 0.0,
    )


# Approve ---------------------------------------------------------------------------------------------------


def test_a_card_payment_approved_on_the_hosted_page_pays_the_order_when_its_webhook_arrives(
    payments_world_on_each_database: World,
) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    before = counted("card", "succeeded")

    payment = world.start_checkout(order["id"], "card", "visa")
    assert payment["status"] == "pending" and payment["provider"] == "sandbox"
    assert payment["amount_cents"] == order["amount_cents"] == WRIT_E_FEE
    assert payment["redirect_url"] == (
        f"{world.deps.settings.public_url}/api/payments/v1/providers/sandbox/checkout/{payment['provider_session_id']}"
    )
    page = world.checkout_page(payment["redirect_url"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    html = page.get_data(as_text=True)
    assert "HK$504.00" in html and "Card: Visa" in html and order["description"] in html
    assert 'value="approve"' in html and 'value="decline"' in html and 'value="timeout"' in html

    chosen = world.choose(payment["redirect_url"], "approve")
    assert chosen.status_code == 303 and chosen.headers["Location"] == PORTAL
    # The payer is back, but the court knows nothing until the provider's signed word arrives.
    assert world.order_of("filing", order["reference_id"])["status"] == "open"
    assert world.count(tables.LedgerEntry) == 0

    assert world.deliver_webhooks() == 1
    paid = world.order_of("filing", order["reference_id"])
    assert (paid["status"], paid["method"], paid["paid_by_payment_id"]) == ("paid", "card", payment["id"])
    assert paid["receipt_number"].startswith("R2026-") and paid["deemed_paid_at"] is not None
    settled = world.payment(payment["id"])
    assert settled["status"] == "succeeded" and settled["provider_payment_ref"].startswith("pi_")
    assert world.account_balance("clearing:card") == WRIT_E_FEE
    assert world.account_balance("revenue:DC") == -WRIT_E_FEE
    assert world.ledger_sum() == 0 and world.unbalanced_transactions() == 0
    assert world.outbox_types() == ["payments.order.created", "payments.order.paid"]
    assert counted("card", "succeeded") == (before[0] + 1, before[1] + WRIT_E_FEE)

    assert world.deliver_webhooks() == 0  # delivered once, not again
    after = world.checkout_page(payment["redirect_url"]).get_data(as_text=True)
    assert "Payment approved" in after and "<form" not in after


@pytest.mark.parametrize(
    ("method", "brand", "label"),
    [
        ("card", "visa", "Card: Visa"),
        ("card", "mastercard", "Card: Mastercard"),
        ("card", "unionpay", "Card: UnionPay"),
        ("card", "jcb", "Card: JCB"),
        ("pps", None, "PPS (Payment by Phone Service)"),
    ],
)
def test_every_card_brand_and_pps_pays_into_its_own_clearing_account(
    payments_world: World, method: str, brand: str | None, label: str
) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"], method, brand)
    assert (payment["method"], payment["card_brand"]) == (method, brand)
    assert label in world.checkout_page(payment["redirect_url"]).get_data(as_text=True)
    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    assert world.deliver_webhooks() == 1

    paid = world.order_of("filing", order["reference_id"])
    assert (paid["status"], paid["method"]) == ("paid", method)
    assert world.account_balance(f"clearing:{method}") == WRIT_E_FEE
    with world.deps.unit_of_work() as uow:
        receipt = uow.session.get(tables.Receipt, paid["receipt_number"])
        assert receipt is not None and (receipt.method, receipt.amount_cents) == (method, WRIT_E_FEE)


@pytest.mark.parametrize(
    ("method", "brand", "field"),
    [
        ("card", None, "card_brand"),
        ("card", "amex", "card_brand"),
        ("pps", "visa", "card_brand"),
        ("cash", None, "method"),
        ("deposit_account", None, "method"),
    ],
)
def test_a_checkout_needs_a_provider_method_and_a_brand_for_cards_only(
    payments_world: World, method: str, brand: str | None, field: str
) -> None:
    world = payments_world
    order = an_order(world)
    with pytest.raises(Problem) as raised:
        start_directly(world, order, method=method, card_brand=brand)
    assert (raised.value.status, raised.value.errors[0].field) == (400, field)
    assert world.count(tables.Payment) == 0 and world.count(tables.SandboxSession) == 0


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,hi", "/relative/path", "https://", "ftp://portal.example/x"]
)
def test_only_a_web_address_is_a_return_url(payments_world: World, url: str) -> None:
    world = payments_world
    order = an_order(world)
    response = world.pay(world.payer_of(order["id"]), order["id"], world.provider_payment("pps", None, url))
    problem = assert_problem(response, 400, "invalid-request")
    assert [e["field"] for e in problem["errors"]] == ["return_url"]
    assert world.count(tables.Payment) == 0 and world.count(tables.SandboxSession) == 0


# Decline and time-out ----------------------------------------------------------------------------------------


def test_a_declined_card_fails_the_order_moves_no_money_and_the_order_may_be_paid_again(
    payments_world_on_each_database: World,
) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    before = counted("card", "declined")
    payment = world.start_checkout(order["id"], "card", "mastercard")
    assert world.choose(payment["redirect_url"], "decline").headers["Location"] == PORTAL
    assert world.deliver_webhooks() == 1

    declined = world.payment(payment["id"])
    assert (declined["status"], declined["failure_reason"]) == ("declined", "declined")
    failed = world.order_of("filing", order["reference_id"])
    assert failed["status"] == "failed" and failed["receipt_number"] is None
    assert world.count(tables.LedgerEntry) == 0 and world.count(tables.Receipt) == 0
    assert world.outbox_types() == ["payments.order.created", "payments.order.failed"]
    event = world.outbox_events("payments.order.failed")[0]["data"]
    assert (event["payment_id"], event["method"], event["reason"]) == (payment["id"], "card", "declined")
    assert counted("card", "declined") == (before[0] + 1, before[1] + WRIT_E_FEE)
    assert "Payment declined" in world.checkout_page(payment["redirect_url"]).get_data(as_text=True)

    again = world.pay_by_provider(order["id"], "pps", None)
    assert again["status"] == "succeeded"
    assert world.order_of("filing", order["reference_id"])["status"] == "paid"


def test_a_payer_who_walks_away_times_out_after_the_provider_timeout(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    before = counted("pps", "timed_out")
    payment = world.start_checkout(order["id"], "pps", None)
    assert world.choose(payment["redirect_url"], "timeout").status_code == 303
    assert world.deliver_webhooks() == 0  # walking away tells nobody anything

    world.clock.advance(timedelta(minutes=29, seconds=59))
    assert checkout.time_out_pending(world.deps) == 0
    world.clock.advance(timedelta(seconds=1))
    assert checkout.time_out_pending(world.deps) == 1
    assert checkout.time_out_pending(world.deps) == 0

    timed_out = world.payment(payment["id"])
    assert (timed_out["status"], timed_out["failure_reason"]) == ("timed_out", "timed_out")
    assert world.order_of("filing", order["reference_id"])["status"] == "failed"
    assert world.outbox_events("payments.order.failed")[0]["data"]["reason"] == "timed_out"
    assert world.count(tables.LedgerEntry) == 0
    assert counted("pps", "timed_out") == (before[0] + 1, before[1] + WRIT_E_FEE)
    assert "not completed" in world.checkout_page(payment["redirect_url"]).get_data(as_text=True)


def test_one_attempt_at_a_time_waits_for_the_provider_until_the_timeout(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    first = world.start_checkout(order["id"])
    again = world.pay(world.payer_of(order["id"]), order["id"], {"method": "pps"})
    problem = assert_problem(again, 409, "payment-in-progress")
    assert (problem["order_id"], problem["payment_id"]) == (order["id"], first["id"])
    assert world.count(tables.Payment) == 1

    world.clock.advance(timedelta(minutes=30))
    second = world.start_checkout(order["id"], "pps", None)
    assert second["status"] == "pending" and world.payment(first["id"])["status"] == "pending"


def test_an_approval_after_the_timeout_still_pays_the_order_it_was_for(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    payment = world.start_checkout(order["id"], "card", "jcb")
    world.clock.advance(timedelta(minutes=31))
    assert checkout.time_out_pending(world.deps) == 1
    assert world.order_of("filing", order["reference_id"])["status"] == "failed"

    # The payer was slow, not gone: the session is still open at the provider.
    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    assert world.deliver_webhooks() == 1

    late = world.payment(payment["id"])
    assert (late["status"], late["failure_reason"]) == ("succeeded", None)
    paid = world.order_of("filing", order["reference_id"])
    assert (paid["status"], paid["paid_by_payment_id"]) == ("paid", payment["id"])
    assert world.outbox_types() == ["payments.order.created", "payments.order.failed", "payments.order.paid"]
    assert world.account_balance("clearing:card") == WRIT_E_FEE and world.ledger_sum() == 0


def test_an_approval_after_the_order_expired_goes_straight_back_to_the_payer(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"], "card", "unionpay")
    world.clock.advance(timedelta(days=1, minutes=1))
    assert checkout.time_out_pending(world.deps) == 1
    assert orders.expire_due(world.deps) == 1
    before = counted("card", "refunded")

    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    assert world.deliver_webhooks() == 1

    returned = world.payment(payment["id"])
    assert (returned["status"], returned["failure_reason"]) == ("refunded", "order_not_payable")
    assert world.order_of("filing", order["reference_id"])["status"] == "expired"
    # Recorded as it happened (in, then out), so nothing is left owing either way.
    assert world.transaction_kinds() == ["unapplied_payment", "refund"]
    assert world.account_balance("clearing:card") == 0 and world.account_balance("unapplied:card") == 0
    assert world.account_balance("revenue:DC") == 0 and world.ledger_sum() == 0
    assert world.sandbox_session(payment["provider_session_id"])["status"] == "refunded"
    assert "payments.order.paid" not in world.outbox_types()
    assert counted("card", "refunded") == (before[0] + 1, before[1] + WRIT_E_FEE)


def test_a_second_approved_attempt_at_a_paid_order_is_returned_not_taken_twice(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    slow = world.start_checkout(order["id"], "card", "visa")
    world.clock.advance(timedelta(minutes=31))
    assert checkout.time_out_pending(world.deps) == 1
    quick = world.pay_by_provider(order["id"], "pps", None)
    assert quick["status"] == "succeeded"

    assert world.choose(slow["redirect_url"], "approve").status_code == 303
    assert world.deliver_webhooks() == 1

    assert world.payment(slow["id"])["status"] == "refunded"
    paid = world.order_of("filing", order["reference_id"])
    assert (paid["status"], paid["paid_by_payment_id"], paid["method"]) == ("paid", quick["id"], "pps")
    assert world.account_balance("clearing:pps") == WRIT_E_FEE and world.account_balance("clearing:card") == 0
    assert world.account_balance("revenue:DC") == -WRIT_E_FEE and world.ledger_sum() == 0
    assert world.outbox_types().count("payments.order.paid") == 1 and world.count(tables.Receipt) == 1


def test_a_decline_after_the_timeout_changes_nothing(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"])
    world.clock.advance(timedelta(minutes=31))
    assert checkout.time_out_pending(world.deps) == 1
    assert world.choose(payment["redirect_url"], "decline").status_code == 303
    before = world.outbox_types()

    assert world.deliver_webhooks() == 1
    assert world.payment(payment["id"])["status"] == "timed_out"
    assert world.outbox_types() == before


# The same webhook twice ----------------------------------------------------------------------------------------


def test_a_webhook_delivered_twice_pays_once(payments_world_on_each_database: World) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    payment = world.pay_by_provider(order["id"])
    [body] = world.webhook_bodies()
    paid = snapshot(world, order["id"], payment["id"])

    again = world.send_webhook(body)
    assert again.status_code == 200 and again.get_json() == {"status": "duplicate"}
    world.clock.advance(timedelta(minutes=2))
    assert world.send_webhook(body).get_json() == {"status": "duplicate"}
    assert snapshot(world, order["id"], payment["id"]) == paid
    assert world.outbox_types().count("payments.order.paid") == 1 and world.count(tables.Receipt) == 1


@pytest.mark.parametrize("senders", [2, 5])
def test_one_webhook_delivered_at_once_from_several_threads_pays_once(
    payments_world_on_each_database: World, senders: int
) -> None:
    world = payments_world_on_each_database
    order = an_order(world)
    payment = world.start_checkout(order["id"])
    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    [body] = world.webhook_bodies()

    responses = in_parallel(senders, lambda _: world.send_webhook(body, client=world.app.test_client()))

    assert [r.status_code for r in responses] == [200] * senders, [r.get_data(as_text=True) for r in responses]
    assert sorted(r.get_json()["status"] for r in responses) == ["applied"] + ["duplicate"] * (senders - 1)
    assert world.order_of("filing", order["reference_id"])["status"] == "paid"
    assert world.count(tables.LedgerTransaction) == 1 and world.count(tables.Receipt) == 1
    assert world.count(tables.ProviderEvent) == 1
    assert world.outbox_types().count("payments.order.paid") == 1
    assert world.account_balance("clearing:card") == WRIT_E_FEE and world.ledger_sum() == 0
    assert world.deliver_webhooks() == 1  # the provider's own delivery is a duplicate by now, and answered 200


# Webhooks that cannot be trusted or do not fit: a problem, and nothing moves -------------------------------


def approved_but_undelivered(world: World) -> tuple[dict[str, Any], dict[str, Any], bytes]:
    order = an_order(world)
    payment = world.start_checkout(order["id"])
    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    [body] = world.webhook_bodies()
    return order, payment, body


def post_raw(world: World, body: bytes, signature: str | None) -> TestResponse:
    headers = {"Content-Type": "application/json"} | ({SIGNATURE_HEADER: signature} if signature is not None else {})
    return world.client.post("/api/payments/v1/providers/sandbox/webhook", data=body, headers=headers)


def tampered(body: bytes, **changes: Any) -> bytes:
    return json.dumps(json.loads(body) | changes, separators=(",", ":")).encode()


def flipped(signature: str) -> str:
    """``signature`` with its last hex digit changed."""
    return signature[:-1] + ("1" if signature.endswith("0") else "0")


@pytest.mark.parametrize(
    "forge",
    [
        pytest.param(
            lambda body, secret, t: (tampered(body, amount_cents=1), sign(secret, body, t)), id="body-changed"
        ),
        pytest.param(lambda body, secret, t: (body, sign("x" * 64, body, t)), id="wrong-secret"),
        pytest.param(lambda body, secret, t: (body, flipped(sign(secret, body, t))), id="one-digit-off"),
        pytest.param(lambda body, secret, t: (body, None), id="no-signature"),
        pytest.param(lambda body, secret, t: (body, "v1=" + sign(secret, body, t).split("v1=")[1]), id="no-timestamp"),
        pytest.param(lambda body, secret, t: (body, "t=soon,v1=abc"), id="malformed"),
        pytest.param(lambda body, secret, t: (body, sign(secret, body, t).split(",")[0]), id="no-digest"),
    ],
)
def test_a_webhook_whose_signature_does_not_hold_is_refused_and_moves_nothing(
    payments_world_on_each_database: World, forge: Callable[..., tuple[bytes, str | None]]
) -> None:
    world = payments_world_on_each_database
    order, payment, body = approved_but_undelivered(world)
    before = snapshot(world, order["id"], payment["id"])
    forged, signature = forge(body, world.deps.settings.sandbox_secret, world.clock.now())

    assert_problem(post_raw(world, forged, signature), 401, "bad-webhook-signature")
    assert snapshot(world, order["id"], payment["id"]) == before
    assert world.order_row(order["id"])["status"] == "open"
    assert world.count(tables.LedgerEntry) == 0 and world.outbox_types() == ["payments.order.created"]


@pytest.mark.parametrize("skew", [timedelta(seconds=-301), timedelta(minutes=-30), timedelta(seconds=301)])
def test_a_webhook_signed_too_long_ago_or_ahead_is_refused(payments_world: World, skew: timedelta) -> None:
    world = payments_world
    order, payment, body = approved_but_undelivered(world)
    before = snapshot(world, order["id"], payment["id"])

    problem = assert_problem(world.send_webhook(body, at=world.clock.now() + skew), 401, "bad-webhook-signature")
    assert "300 seconds" in problem["detail"]
    assert snapshot(world, order["id"], payment["id"]) == before
    # Inside the tolerance, the same body is good.
    assert world.send_webhook(body, at=world.clock.now() - timedelta(seconds=299)).get_json() == {"status": "applied"}


@pytest.mark.parametrize(
    "changes",
    [
        pytest.param({"amount_cents": WRIT_E_FEE - 1}, id="less"),
        pytest.param({"amount_cents": WRIT_E_FEE * 2}, id="more"),
        pytest.param({"currency": "USD"}, id="currency"),
        pytest.param({"payment_id": "00000000-0000-4000-8000-000000000000"}, id="unknown-payment"),
        pytest.param({"session_id": "cs_someone_elses"}, id="other-session"),
        pytest.param({"outcome": "maybe"}, id="unknown-outcome"),
    ],
)
def test_a_well_signed_webhook_that_does_not_fit_its_payment_is_refused_and_moves_nothing(
    payments_world_on_each_database: World, changes: dict[str, Any]
) -> None:
    world = payments_world_on_each_database
    order, payment, body = approved_but_undelivered(world)
    before = snapshot(world, order["id"], payment["id"])

    assert_problem(world.send_webhook(tampered(body, **changes)), 422, "webhook-not-applicable")
    assert snapshot(world, order["id"], payment["id"]) == before
    assert world.order_of("filing", order["reference_id"])["status"] == "open"
    assert world.count(tables.LedgerEntry) == 0 and world.outbox_types() == ["payments.order.created"]
    # The genuine webhook still applies afterwards: the refusal left no trace.
    assert world.send_webhook(body).get_json() == {"status": "applied"}


def test_a_webhook_that_is_not_a_provider_event_is_refused(payments_world: World) -> None:
    world = payments_world
    for body in (b"not json", b"{}", b'{"id": "evt_1"}'):
        assert_problem(world.send_webhook(body), 401, "bad-webhook-signature")
    big = b'{"pad": "' + b"x" * 70_000 + b'"}'
    assert_problem(world.send_webhook(big), 413, "payload-too-large")
    assert world.count(tables.ProviderEvent) == 0


# The hosted page ---------------------------------------------------------------------------------------------


def test_the_hosted_page_escapes_everything_it_shows(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    hostile = '<script>alert("paid")</script> & <img src=x onerror=alert(1)>'
    back = 'https://portal.example/done?next="><script>alert(2)</script>'
    payment = start_directly(world, order, description=hostile, return_url=back)
    page = world.checkout_page(payment.redirect_url or "")
    html = page.get_data(as_text=True)
    assert "<script" not in html and "<img" not in html
    assert "&lt;script&gt;alert(&quot;paid&quot;)&lt;/script&gt; &amp; &lt;img src=x onerror=alert(1)&gt;" in html
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    assert page.headers["X-Frame-Options"] == "DENY" and page.headers["Cache-Control"] == "no-store"

    # The redirect's Location is URL-encoded, so the payer's browser gets no markup there either.
    location = world.choose(payment.redirect_url or "", "approve").headers["Location"]
    assert location == "https://portal.example/done?next=%22%3E%3Cscript%3Ealert(2)%3C/script%3E"
    decided = world.checkout_page(payment.redirect_url or "").get_data(as_text=True)
    assert "<script" not in decided and 'href="https://portal.example/done?next=&quot;&gt;&lt;script&gt;' in decided


def test_without_a_return_url_the_payer_lands_on_the_page_that_says_what_happened(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"], return_url=None)
    chosen = world.choose(payment["redirect_url"], "decline")
    assert chosen.status_code == 303
    assert chosen.headers["Location"] == payment["redirect_url"].removeprefix(world.deps.settings.public_url)
    assert "Payment declined" in world.checkout_page(payment["redirect_url"]).get_data(as_text=True)


def test_a_checkout_is_decided_once_and_unknown_ones_are_not_found(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"])
    url = payment["redirect_url"]
    assert_problem(world.choose(url, "maybe"), 400, "invalid-request")
    assert_problem(world.client.post(url.removeprefix(world.deps.settings.public_url)), 400, "invalid-request")
    assert world.choose(url, "approve").status_code == 303
    problem = assert_problem(world.choose(url, "decline"), 409, "checkout-closed")
    assert problem["session_status"] == "approved"
    assert len(world.webhook_bodies()) == 1

    base = "/api/payments/v1/providers/sandbox/checkout"
    for unknown in ("cs_nothing_here", "not-a-session", "cs_" + "a" * 70):
        assert_problem(world.client.get(f"{base}/{unknown}"), 404, "not-found")
        assert_problem(world.client.post(f"{base}/{unknown}", data={"outcome": "approve"}), 404, "not-found")


# Money into a deposit account --------------------------------------------------------------------------------


def request_opening(world: World, admin: Any, amount_cents: int = 300_000) -> dict[str, Any]:
    return world.ok(
        "POST",
        "/deposit-accounts",
        admin,
        202,
        json={"opening_amount_cents": amount_cents, "method": "card", "card_brand": "mastercard"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )


def test_a_declined_opening_payment_leaves_the_account_pending_and_a_new_one_opens_it(
    payments_world_on_each_database: World,
) -> None:
    world = payments_world_on_each_database
    admin = world.caller("PA", world.organisation())
    first = request_opening(world, admin)
    account_id = first["deposit_account"]["deposit_account_id"]
    assert world.choose(first["payment"]["redirect_url"], "decline").status_code == 303
    assert world.deliver_webhooks() == 1

    declined = world.payment(first["payment"]["payment_id"])
    assert (declined["status"], declined["failure_reason"]) == ("declined", "declined")
    assert world.ok("GET", f"/deposit-accounts/{account_id}", admin)["status"] == "pending"
    assert world.count(tables.LedgerEntry) == 0 and world.outbox_types() == []

    second = request_opening(world, admin, 350_000)
    world.approve(second["payment"]["redirect_url"])
    account = world.ok("GET", f"/deposit-accounts/{account_id}", admin)
    assert (account["status"], account["balance_cents"]) == ("open", 350_000)
    assert world.account_balance("clearing:card") == 350_000 and world.ledger_sum() == 0
    assert world.outbox_types() == ["payments.deposit_account.opened"]


def test_a_top_up_that_timed_out_is_still_credited_when_it_arrives_and_only_once(payments_world: World) -> None:
    world = payments_world
    admin = world.caller("SA", world.organisation())
    account_id = world.open_deposit_account(admin)["deposit_account_id"]
    started = world.ok(
        "POST",
        f"/deposit-accounts/{account_id}/top-ups",
        admin,
        202,
        json={"amount_cents": 120_000, "method": "pps"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    payment_id = started["payment"]["payment_id"]
    world.clock.advance(timedelta(minutes=30))
    assert checkout.time_out_pending(world.deps) == 1
    timed_out = world.payment(payment_id)
    assert (timed_out["status"], timed_out["failure_reason"]) == ("timed_out", "timed_out")
    assert world.deposit_balance(account_id) == 300_000

    world.approve(started["payment"]["redirect_url"])
    assert world.payment(payment_id)["status"] == "succeeded"
    assert world.deposit_balance(account_id) == 420_000
    [_, body] = world.webhook_bodies()
    assert world.send_webhook(body).get_json() == {"status": "duplicate"}
    assert world.deposit_balance(account_id) == 420_000 and world.ledger_sum() == 0
    assert world.outbox_types().count("payments.deposit_account.topped_up") == 1


# Delivery ---------------------------------------------------------------------------------------------------


def test_an_undelivered_webhook_is_retried_with_backoff_until_it_gets_through(payments_world: World) -> None:
    world = payments_world
    order = an_order(world)
    payment = world.start_checkout(order["id"])
    assert world.choose(payment["redirect_url"], "approve").status_code == 303
    answers: list[int | OSError] = [503, ConnectionRefusedError("refused")]
    sent: list[tuple[str, bytes, dict[str, str]]] = []

    def flaky(url: str, body: bytes, headers: Any) -> int:
        sent.append((url, body, dict(headers)))
        if answers:
            answer = answers.pop(0)
            if isinstance(answer, OSError):
                raise answer
            return answer
        return world.post_webhook(url, body, headers)

    assert checkout.deliver_sandbox_webhooks(world.deps, flaky) == 0
    assert world.webhook_row()["last_error"] == "HTTP 503" and world.webhook_row()["attempts"] == 1
    assert checkout.deliver_sandbox_webhooks(world.deps, flaky) == 0  # not due for 30 seconds
    world.clock.advance(timedelta(seconds=30))
    assert checkout.deliver_sandbox_webhooks(world.deps, flaky) == 0
    assert world.webhook_row()["last_error"].startswith("ConnectionRefusedError")
    world.clock.advance(timedelta(seconds=59))
    assert checkout.deliver_sandbox_webhooks(world.deps, flaky) == 0  # 60 seconds after the second failure
    world.clock.advance(timedelta(seconds=1))
    assert checkout.deliver_sandbox_webhooks(world.deps, flaky) == 1

    row = world.webhook_row()
    assert row["attempts"] == 3 and row["delivered_at"] is not None and row["last_error"] is None
    assert world.order_of("filing", order["reference_id"])["status"] == "paid"
    assert {url for url, _, _ in sent} == {world.deps.settings.public_url + WEBHOOK_PATH}
    # Each attempt is signed when it is sent, so a late retry is not refused as stale.
    assert len({headers[SIGNATURE_HEADER] for _, _, headers in sent}) == 3


def test_the_backoff_doubles_to_an_hour() -> None:
    assert [checkout.backoff(n).total_seconds() for n in (1, 2, 3, 7, 8, 40)] == [30, 60, 120, 1920, 3600, 3600]
