"""Public inspection: anyone asks for a document open to inspection, payments' events move it on (order
made, paid: granted for ``inspection_hours``; expired), and the holder (account, or anonymous token
kept only as its SHA-256) downloads it until the time is up. Nothing else can be asked for, and asking
reveals nothing: a sealed, private or HCMA document is 404 exactly like one that does not exist."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import pdf_samples
import pytest
import sqlalchemy as sa
from filing_testkit import Caller, World

from filing.adapters import tables

NOT_FOUND = "urn:icms:problem:not-found"


@dataclass
class Scene:
    case_id: str
    case_number: str
    writ: str
    defence: str
    order: dict[str, Any]
    notice: dict[str, Any]
    registry: Caller


@pytest.fixture
def scene(world: World) -> Scene:
    iu, registry = world.caller("IU"), world.caller("registry_officer")
    started = world.start_case(iu, "DCPI")
    writ = started["filing"]
    world.pay(writ, world.order_for(writ))
    world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})
    metadata = {"case_id": started["case_id"], "title": "Letter", "lead": {"document_type": "letter"}}
    letter = world.file(iu, metadata, pdf_samples.pdf_bytes(1, "Letter")).get_json()
    world.ok("POST", f"/filings/{letter['filing_id']}/accept", registry, json={})
    return Scene(
        case_id=started["case_id"],
        case_number=started["case_number"],
        writ=writ["documents"][0]["document_id"],
        defence=letter["documents"][0]["document_id"],
        order=world.issued_document(started["case_id"], "order"),
        notice=world.issued_document(started["case_id"], "notice_of_hearing"),
        registry=registry,
    )


def published(world: World, event_type: str) -> list[dict[str, Any]]:
    with world.runtime.engine.connect() as conn:
        rows = conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id)).all()
    events = [json.loads(row[0]) for row in rows]
    for event in events:
        world.runtime.registry.validate(event)
    return [e for e in events if e["type"] == event_type]


def download(world: World, document_id: str, who: Caller | None = None, token: str | None = None) -> Any:
    headers = {"Inspection-Token": token} if token else None
    return world.call("GET", f"/documents/{document_id}/download", who, headers=headers)


def _at(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


# Anonymous, with a token ------------------------------------------------------------------------------


def test_an_anonymous_inspection_is_asked_for_paid_and_downloaded_with_its_token(world: World, scene: Scene) -> None:
    order_id = scene.order["document_id"]
    asked = world.request_inspection(order_id)
    token = asked["token"]
    assert asked["status"] == "awaiting_order" and token and len(token) >= 43
    assert asked["requested_by_account_id"] is None and asked["case_number"] == scene.case_number
    (requested,) = published(world, "filing.inspection.requested")
    assert requested["subject"] == asked["inspection_id"]
    assert requested["data"] == {
        "inspection_id": asked["inspection_id"],
        "document_id": order_id,
        "document_source": "issued",
        "case_id": scene.case_id,
        "case_number": scene.case_number,
        "court": "DC",
        "requested_by_account_id": None,
        "organisation_id": None,
        "requested_at": requested["data"]["requested_at"],
        "aggregate_version": 1,
    }
    path = f"/inspections/{asked['inspection_id']}"

    payment_order = world.inspection_order(asked)
    waiting = world.ok("GET", path, headers={"Inspection-Token": token})
    assert (waiting["status"], waiting["order_id"], waiting["amount_cents"]) == (
        "awaiting_payment",
        payment_order,
        1400,
    )
    assert waiting["token"] is None  # shown once, when it was made
    assert download(world, order_id, token=token).status_code == 404

    world.clock.advance(timedelta(minutes=3))
    world.pay_inspection(asked, payment_order)
    granted = world.ok("GET", path, headers={"Inspection-Token": token})
    assert granted["status"] == "granted"
    assert _at(granted["access_until"]) - _at(granted["paid_at"]) == timedelta(hours=24)
    (event,) = published(world, "filing.inspection.granted")
    assert event["data"]["access_until"] == granted["access_until"] and event["data"]["aggregate_version"] == 3

    answer = download(world, order_id, token=token)
    assert answer.status_code == 200, answer.get_data(as_text=True)
    assert answer.get_json()["sha256"] == hashlib.sha256(scene.order["stamped"]).hexdigest()
    assert world.ok("GET", f"/documents/{order_id}", headers={"Inspection-Token": token})["downloadable"] is True
    # Without the token, or with it for another document, nothing.
    assert download(world, order_id).status_code == 404
    assert download(world, scene.writ, token=token).status_code == 404


def test_the_token_is_kept_only_as_its_hash(world: World, scene: Scene) -> None:
    asked = world.request_inspection(scene.writ)
    with world.runtime.engine.connect() as conn:
        row = conn.execute(sa.select(tables.Inspection.__table__)).mappings().one()
    assert row["token_sha256"] == hashlib.sha256(asked["token"].encode()).hexdigest()
    assert asked["token"] not in json.dumps({k: str(v) for k, v in row.items()})
    assert all(asked["token"] not in json.dumps(e) for e in published(world, "filing.inspection.requested"))


def test_a_wrong_token_or_a_stranger_finds_no_inspection(world: World, scene: Scene) -> None:
    asked = world.request_inspection(scene.writ)
    path = f"/inspections/{asked['inspection_id']}"
    for who, headers in (
        (None, None),
        (None, {"Inspection-Token": "not-the-token"}),
        (None, {"Inspection-Token": "x" * 500}),
        (world.caller("OU", world.firm("Other LLP")), None),
    ):
        response = world.call("GET", path, who, headers=headers)
        assert (response.status_code, response.get_json()["type"]) == (404, NOT_FOUND)
    assert world.ok("GET", path, scene.registry)["inspection_id"] == asked["inspection_id"]


# An account -------------------------------------------------------------------------------------------


def test_an_accounts_inspection_needs_no_token_and_is_its_own(world: World, scene: Scene) -> None:
    reader = world.caller("OU", world.firm("Reader & Co"))
    asked = world.request_inspection(scene.writ, reader)
    assert asked["token"] is None and asked["requested_by_account_id"] == reader.id
    (requested,) = published(world, "filing.inspection.requested")
    assert requested["data"]["organisation_id"] == reader.principal.organisation
    # Asking again while it is pending gives the same inspection, not a second fee.
    again = world.call("POST", "/inspections", reader, json={"document_id": scene.writ})
    assert again.status_code == 200 and again.get_json()["inspection_id"] == asked["inspection_id"]
    assert len(published(world, "filing.inspection.requested")) == 1

    world.pay_inspection(asked, world.inspection_order(asked))
    assert download(world, scene.writ, reader).status_code == 200
    assert download(world, scene.writ, world.caller("OU", reader.principal.organisation)).status_code == 404
    mine = world.ok("GET", "/inspections", reader)["inspections"]
    assert [(i["inspection_id"], i["status"]) for i in mine] == [(asked["inspection_id"], "granted")]
    assert world.ok("GET", "/inspections", world.caller("IU"))["inspections"] == []
    assert world.call("GET", "/inspections").status_code == 401


def test_the_grant_ends_when_its_hours_are_up(world: World, scene: Scene) -> None:
    reader = world.caller("IU")
    asked = world.paid_inspection(scene.order["document_id"], reader)
    anonymous = world.paid_inspection(scene.order["document_id"])
    assert download(world, scene.order["document_id"], reader).status_code == 200
    world.clock.advance(timedelta(hours=24) - timedelta(seconds=1))
    assert download(world, scene.order["document_id"], token=anonymous["token"]).status_code == 200
    world.clock.advance(timedelta(seconds=1))
    assert download(world, scene.order["document_id"], reader).status_code == 404
    assert download(world, scene.order["document_id"], token=anonymous["token"]).status_code == 404
    assert world.ok("GET", f"/inspections/{asked['inspection_id']}", reader)["status"] == "ended"
    # Once it has ended, asking again starts a new inspection (and a new fee).
    assert world.request_inspection(scene.order["document_id"], reader)["inspection_id"] != asked["inspection_id"]


def test_an_expired_order_leaves_the_inspection_expired_and_a_late_payment_grants_nothing(
    world: World, scene: Scene
) -> None:
    asked = world.request_inspection(scene.writ)
    order_id = world.inspection_order(asked)
    world.deliver(
        world.event(
            "payments.order.expired",
            order_id,
            order_id=order_id,
            reference_type="inspection",
            reference_id=asked["inspection_id"],
            expired_at=world.clock.now().isoformat(),
            aggregate_version=2,
        )
    )
    path = f"/inspections/{asked['inspection_id']}"
    assert world.ok("GET", path, headers={"Inspection-Token": asked["token"]})["status"] == "expired"
    world.pay_inspection(asked, order_id)
    assert world.ok("GET", path, headers={"Inspection-Token": asked["token"]})["status"] == "expired"
    assert download(world, scene.writ, token=asked["token"]).status_code == 404
    assert published(world, "filing.inspection.granted") == []


def test_a_redelivered_payment_grants_once(world: World, scene: Scene) -> None:
    asked = world.request_inspection(scene.writ)
    order_id = world.inspection_order(asked)
    world.pay_inspection(asked, order_id)
    until = world.ok("GET", f"/inspections/{asked['inspection_id']}", headers={"Inspection-Token": asked["token"]})
    world.clock.advance(timedelta(hours=1))
    world.pay_inspection(asked, order_id)
    again = world.ok("GET", f"/inspections/{asked['inspection_id']}", headers={"Inspection-Token": asked["token"]})
    assert again["access_until"] == until["access_until"]
    assert len(published(world, "filing.inspection.granted")) == 1


# What cannot be inspected -----------------------------------------------------------------------------


def test_only_documents_open_to_inspection_can_be_asked_for_and_nothing_is_revealed(world: World, scene: Scene) -> None:
    hcma = world.case_without_efiling("HCMA", world.caller("IU"), originating_public=True)
    sealed_order = world.issued_document(scene.case_id, "order", title="Sealed order")
    world.ok("POST", f"/documents/{sealed_order['document_id']}/seal", scene.registry, json={"reason": "Order"})
    refused = {
        "a letter": scene.defence,
        "a notice of hearing": scene.notice["document_id"],
        "a sealed order": sealed_order["document_id"],
        "an HCMA originating document": hcma["document_id"],
        "nothing at all": "00000000-0000-4000-8000-000000000000",
    }
    answers = {}
    for what, document_id in refused.items():
        for who in (None, world.caller("OU", world.firm("Other LLP"))):
            response = world.call("POST", "/inspections", who, json={"document_id": document_id})
            assert response.status_code == 404, what
            body = response.get_json()
            answers.setdefault(what, body)
            assert body["type"] == NOT_FOUND
    # The same answer whatever the reason, so a 404 tells nobody a sealed or private document exists.
    assert len({(a["title"], a["detail"]) for a in answers.values()}) == 1
    assert world.count(tables.Inspection) == 0
    # A sealed case's documents, too.
    world.ok("POST", f"/cases/{scene.case_id}/seal", scene.registry, json={"reason": "Order"})
    assert world.call("POST", "/inspections", json={"document_id": scene.writ}).status_code == 404


def test_an_issued_document_may_be_asked_for_by_its_drn(world: World, scene: Scene) -> None:
    spaced = " ".join(scene.order["drn"][i : i + 4] for i in range(0, 12, 4))
    asked = world.ok("POST", "/inspections", json={"drn": spaced}, status=201)
    assert asked["document_id"] == scene.order["document_id"]
    assert world.call("POST", "/inspections", json={"drn": scene.notice["drn"]}).status_code == 404
    assert world.call("POST", "/inspections", json={"drn": "12345"}).status_code == 400
    both = {"drn": scene.order["drn"], "document_id": scene.order["document_id"]}
    for body in ({}, both, {"document_id": "nope"}, {"drn": 1}):
        assert world.call("POST", "/inspections", json=body).status_code == 400, body
