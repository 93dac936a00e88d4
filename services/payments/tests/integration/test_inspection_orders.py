"""Payments's side of public inspection: filing's ``filing.inspection.requested`` in, one order for the
court's search-or-inspection fee out (electronic rate, owed by the account that asked or by nobody),
announced as ``payments.order.created``, valid against its contract; never a second order."""

from __future__ import annotations

import uuid
from typing import Any

from payments_testkit import World

from chassis.clock import iso
from chassis.testing.service_world import Caller
from payments.adapters import tables


def _requested(
    world: World, who: Caller | None = None, *, court: str = "DC", case_number: str = "DCPI 12/2026", **more: Any
) -> str:
    inspection_id = more.pop("inspection_id", None) or str(uuid.uuid4())
    world.deliver(
        world.event(
            "filing.inspection.requested",
            inspection_id,
            inspection_id=inspection_id,
            document_id=str(uuid.uuid4()),
            document_source="issued",
            case_id=str(uuid.uuid4()),
            case_number=case_number,
            court=court,
            requested_by_account_id=who.id if who else None,
            organisation_id=who.principal.organisation if who else None,
            requested_at=iso(world.clock.now()),
            aggregate_version=1,
        )
    )
    return inspection_id


def _created(world: World) -> list[dict[str, Any]]:
    return [e for e in world.validated_outbox() if e["type"] == "payments.order.created"]


def test_an_anonymous_inspection_gets_an_order_for_one_search_fee_owed_by_nobody(payments_world: World) -> None:
    world = payments_world
    inspection_id = _requested(world)
    order = world.order_of("inspection", inspection_id)
    # HK$18 on paper; asked for online, inside the District Court's concession window: HK$14.
    assert [(line["code"], line["quantity"], line["amount_cents"]) for line in order["lines"]] == [
        ("DC.SEARCH", 1, 1_400)
    ]
    assert (order["amount_cents"], order["channel"], order["status"], order["court"]) == (
        1_400,
        "electronic",
        "open",
        "DC",
    )
    assert order["payer_account_id"] is None and order["organisation_id"] is None
    (created,) = _created(world)
    assert created["subject"] == order["id"]
    data = created["data"]
    assert (data["reference_type"], data["reference_id"], data["payer_account_id"]) == (
        "inspection",
        inspection_id,
        None,
    )
    assert data["amount_cents"] == 1_400 and data["court"] == "DC"


def test_an_accounts_inspection_is_owed_by_that_account_and_its_organisation(payments_world: World) -> None:
    world = payments_world
    reader = world.caller("OU", str(uuid.uuid4()))
    order = world.order_of("inspection", _requested(world, reader))
    assert (order["payer_account_id"], order["organisation_id"]) == (reader.id, reader.principal.organisation)
    # The payer sees its order through the API like any other.
    assert world.ok("GET", f"/orders/{order['id']}", reader)["reference_type"] == "inspection"


def test_a_high_court_document_is_priced_by_the_high_courts_schedule(payments_world: World) -> None:
    world = payments_world
    order = world.order_of("inspection", _requested(world, court="CFI", case_number="HCA 7/2026"))
    assert order["court"] == "HC" and [line["code"] for line in order["lines"]] == ["HC.SEARCH"]
    (created,) = _created(world)
    assert created["data"]["court"] == "CFI"


def test_a_redelivered_request_makes_no_second_order(payments_world: World) -> None:
    world = payments_world
    inspection_id = _requested(world)
    _requested(world, inspection_id=inspection_id)
    assert world.count(tables.PaymentOrder) == 1
    assert world.outbox_types() == ["payments.order.created"]
