"""Receipts: numbered when the money moves, rendered and stored by the worker's job, announced as
``payments.receipt.issued``, and read back (JSON and PDF) by those who may see them and nobody else."""

from __future__ import annotations

import hashlib
import io
import uuid
from datetime import UTC, datetime
from typing import Any

from payments_testkit import Caller, World
from pypdf import PdfReader
from werkzeug.test import TestResponse

from payments.adapters import tables

WRIT_E_FEE = 50_400  # DC.WRIT, electronic, inside the District Court's window


def assert_problem(response: TestResponse, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == f"urn:icms:problem:{kind}" and problem["status"] == status
    return problem


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def move_to(world: World, at: datetime) -> None:
    world.clock.advance(at - world.clock.now())


def paid_filing_order(world: World, filer: Caller, method: str = "card", brand: str | None = "visa") -> dict[str, Any]:
    """A filing's fee order, paid through the sandbox provider's hosted page and webhook."""
    order = world.filing_submitted(filer)
    world.pay_by_provider(order["id"], method, brand)
    return world.order_row(order["id"])


def test_a_paid_order_gets_its_receipt_rendered_stored_and_announced_once(
    payments_world_on_each_database: World,
) -> None:
    world = payments_world_on_each_database
    filer = world.caller("OU", str(uuid.uuid4()))
    order = paid_filing_order(world, filer)
    number = order["receipt_number"]
    assert number == "R2026-0000001"

    pending = world.ok("GET", f"/receipts/{number}", filer)
    assert pending["pdf"] == {"status": "pending", "url": None, "sha256": None, "size": None}
    assert_problem(world.call("GET", f"/receipts/{number}/pdf", filer), 409, "receipt-pending")
    assert world.outbox_events("payments.receipt.issued") == []

    assert world.render_receipts() == 1

    row = world.receipt_row(number)
    stored = world.stored_object(f"receipts/{number}.pdf")
    assert row["pdf_status"] == "rendered" and row["object_key"] == f"receipts/{number}.pdf"
    assert row["sha256"] == hashlib.sha256(stored).hexdigest() and row["size"] == len(stored)
    [issued] = world.outbox_events("payments.receipt.issued")
    world.runtime.registry.validate(issued)
    assert issued["subject"] == number
    assert issued["data"] == {
        "receipt_number": number,
        "kind": "payment",
        "order_id": order["id"],
        "deposit_account_id": None,
        "payer_account_id": filer.id,
        "organisation_id": filer.principal.organisation,
        "amount_cents": WRIT_E_FEE,
        "currency": "HKD",
        "method": "card",
        "issued_at": issued["data"]["issued_at"],
        "document": {
            "key": f"receipts/{number}.pdf",
            "sha256": row["sha256"],
            "size": len(stored),
            "media_type": "application/pdf",
        },
        "aggregate_version": 1,
    }

    shown = world.ok("GET", f"/receipts/{number}", filer)
    assert shown["pdf"] == {
        "status": "rendered",
        "url": f"/api/payments/v1/receipts/{number}/pdf",
        "sha256": row["sha256"],
        "size": len(stored),
    }
    assert (shown["kind"], shown["order_id"], shown["amount_cents"], shown["method"]) == (
        "payment",
        order["id"],
        WRIT_E_FEE,
        "card",
    )
    assert shown["lines"][0]["code"] == "DC.WRIT" and shown["deemed_paid_at"] == shown["issued_at"]

    download = world.call("GET", f"/receipts/{number}/pdf", filer)
    assert download.status_code == 200 and download.mimetype == "application/pdf"
    assert download.data == stored
    assert download.headers["X-Content-SHA256"] == row["sha256"]
    assert download.headers["Content-Disposition"].startswith(f'attachment; filename="{number}.pdf"')
    text = pdf_text(download.data)
    assert f"No. {number}" in text and "OFFICIAL RECEIPT" in text and "DISTRICT COURT" in text
    assert "Visa card" in text and "HK$504.00" in text and "23 November 2026 10:00 (Hong Kong time)" in text

    # A second pass finds nothing to do: one PDF, one announcement.
    assert world.render_receipts() == 0
    assert len(world.outbox_events("payments.receipt.issued")) == 1


def test_a_payment_after_hours_is_dated_when_made_and_deemed_at_the_next_opening(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("OU", str(uuid.uuid4()))
    move_to(world, datetime(2026, 11, 27, 14, 30, tzinfo=UTC))  # Friday 22:30 in Hong Kong
    order = world.filing_submitted(filer)
    world.pay_by_provider(order["id"], "pps", None)
    number = world.order_row(order["id"])["receipt_number"]

    world.render_receipts()

    text = pdf_text(world.call("GET", f"/receipts/{number}/pdf", filer).data)
    assert "27 November 2026 22:30 (Hong Kong time)" in text
    assert "Deemed paid at" in text and "30 November 2026 08:45 (Hong Kong time)" in text  # Monday morning
    assert "PPS" in text


def test_a_refund_has_a_receipt_of_its_own_with_the_next_number(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("OU", str(uuid.uuid4()))
    order = paid_filing_order(world, filer, "card", "jcb")
    world.deliver(
        world.event(
            "filing.filing.rejected",
            order["reference_id"],
            filing_id=order["reference_id"],
            reference="EF-20261123-7K4Q2M",
            case_id=str(uuid.uuid4()),
            case_number="DCPI 12/2026",
            rejected_at="2026-11-23T03:00:00Z",
            rejected_by_account_id=world.caller("registry_officer").id,
            reasons=["wrong_court"],
            message="",
            fee_paid=True,
            payment_order_id=order["id"],
            aggregate_version=3,
        )
    )
    refunded = world.order_row(order["id"])
    assert (order["receipt_number"], refunded["refund_receipt_number"]) == ("R2026-0000001", "R2026-0000002")

    assert world.render_receipts() == 2

    kinds = {e["data"]["receipt_number"]: e["data"]["kind"] for e in world.outbox_events("payments.receipt.issued")}
    assert kinds == {"R2026-0000001": "payment", "R2026-0000002": "refund"}
    refund = world.ok("GET", "/receipts/R2026-0000002", filer)
    assert refund["kind"] == "refund" and refund["amount_cents"] == WRIT_E_FEE and refund["deemed_paid_at"] is None
    text = pdf_text(world.call("GET", "/receipts/R2026-0000002/pdf", filer).data)
    assert "REFUND RECEIPT" in text and "Refunded to" in text and "JCB card" in text and "TOTAL REFUNDED" in text


def test_receipt_numbers_start_again_in_each_hong_kong_year(payments_world: World) -> None:
    world = payments_world
    filer = world.caller("OU", str(uuid.uuid4()))
    move_to(world, datetime(2026, 12, 31, 8, 0, tzinfo=UTC))
    assert paid_filing_order(world, filer)["receipt_number"] == "R2026-0000001"
    move_to(world, datetime(2026, 12, 31, 16, 30, tzinfo=UTC))  # already 1 January 2027 in Hong Kong
    assert paid_filing_order(world, filer)["receipt_number"] == "R2027-0000001"
    assert paid_filing_order(world, filer)["receipt_number"] == "R2027-0000002"


def test_a_deposit_account_receipt_names_the_account_and_goes_to_the_organisation(payments_world: World) -> None:
    world = payments_world
    firm = str(uuid.uuid4())
    admin = world.caller("PA", firm)
    account_id, number = world.open_deposit_account_directly(firm, admin, "pps")

    world.render_receipts()

    [issued] = world.outbox_events("payments.receipt.issued")
    world.runtime.registry.validate(issued)
    assert issued["data"]["order_id"] is None and issued["data"]["deposit_account_id"] == account_id
    assert issued["data"]["amount_cents"] == 300_000 and issued["data"]["method"] == "pps"
    clerk = world.caller("OU", firm)
    text = pdf_text(world.call("GET", f"/receipts/{number}/pdf", clerk).data)
    assert "Deposit account" in text and "DA000001" in text and "HK$3,000.00" in text and "COURT" not in text


def test_who_may_read_a_receipt_and_its_pdf(payments_world: World) -> None:
    world = payments_world
    firm = str(uuid.uuid4())
    payer = world.caller("OU", firm)
    number = paid_filing_order(world, payer)["receipt_number"]
    world.render_receipts()
    callers: dict[str, tuple[Caller | None, bool]] = {
        "payer": (payer, True),
        "colleague OU": (world.caller("OU", firm), True),
        "colleague PA": (world.caller("PA", firm), True),
        "colleague SA": (world.caller("SA", firm), True),
        "registry officer": (world.caller("registry_officer"), True),
        "other firm's OU": (world.caller("OU", str(uuid.uuid4())), False),
        "individual user": (world.caller("IU"), False),
        "system admin": (world.caller("system_admin"), False),
        "anonymous": (None, False),
    }
    for who, (caller, sees) in callers.items():
        for path in (f"/receipts/{number}", f"/receipts/{number}/pdf"):
            response = world.call("GET", path, caller)
            if sees:
                assert response.status_code == 200, (who, path, response.get_data(as_text=True))
            else:
                # Exactly what a receipt that does not exist answers: its existence is not revealed.
                assert_problem(response, 404, "not-found")


def test_a_member_of_the_public_reads_the_receipt_of_the_order_they_paid_by_naming_it(payments_world: World) -> None:
    world = payments_world
    search = world.search_order_directly()
    world.pay_by_provider(search, "card", "unionpay")
    number = world.order_row(search)["receipt_number"]
    world.render_receipts()

    assert world.ok("GET", f"/receipts/{number}?order_id={search}")["payer_account_id"] is None
    download = world.call("GET", f"/receipts/{number}/pdf?order_id={search}")
    assert download.status_code == 200 and "Member of the public" in pdf_text(download.data)
    assert "UnionPay card" in pdf_text(download.data)
    assert_problem(world.call("GET", f"/receipts/{number}"), 404, "not-found")
    assert_problem(world.call("GET", f"/receipts/{number}?order_id={uuid.uuid4()}"), 404, "not-found")


def test_a_filing_orders_receipt_is_not_opened_by_naming_its_order(payments_world: World) -> None:
    world = payments_world
    order = paid_filing_order(world, world.caller("OU", str(uuid.uuid4())))
    number = order["receipt_number"]
    stranger = world.caller("OU", str(uuid.uuid4()))
    assert_problem(world.call("GET", f"/receipts/{number}?order_id={order['id']}", stranger), 404, "not-found")
    assert_problem(world.call("GET", f"/receipts/{number}?order_id={order['id']}"), 404, "not-found")


def test_an_unknown_or_malformed_receipt_number_is_not_found(payments_world: World) -> None:
    world = payments_world
    paid_filing_order(world, world.caller("OU", str(uuid.uuid4())))
    registry = world.caller("registry_officer")
    for number in ("R2026-9999999", "R2026-1", "r2026-0000001", "R2026-0000001.pdf", "x" * 300):
        assert_problem(world.call("GET", f"/receipts/{number}", registry), 404, "not-found")
        assert_problem(world.call("GET", f"/receipts/{number}/pdf", registry), 404, "not-found")


def test_a_malformed_order_id_is_a_bad_request_naming_the_field(payments_world: World) -> None:
    world = payments_world
    problem = assert_problem(world.call("GET", "/receipts/R2026-0000001?order_id=not-a-uuid"), 400, "invalid-request")
    assert problem["errors"] == [{"field": "order_id", "message": "must be a payment order's id (a UUID)"}]


def test_the_worker_renders_receipts_as_a_job(payments_world: World) -> None:
    jobs = {job.name: job for job in payments_world.runtime.description.jobs}
    filer = payments_world.caller("OU", str(uuid.uuid4()))
    paid_filing_order(payments_world, filer)
    assert jobs["render-receipts"].run() == 1
    assert payments_world.count(tables.Receipt) == 1
    assert payments_world.receipt_row("R2026-0000001")["pdf_status"] == "rendered"
