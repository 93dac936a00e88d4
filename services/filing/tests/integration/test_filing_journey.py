"""A case from the form to the docket, a defendant's firm joining and filing with a fee, the inboxes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pdf_samples
from filing_testkit import World


def test_a_case_is_started_joined_defended_paid_received_and_accepted(world: World) -> None:
    plaintiff_firm, defendant_firm, third_firm = (world.firm(n) for n in ("Chan & Co", "Lee & Partners", "Other LLP"))
    alice = world.caller("OU", plaintiff_firm)
    bob = world.caller("OU", defendant_firm)
    carol = world.caller("OU", third_firm)
    registry = world.caller("registry_officer")

    case = world.start_case(alice, "DCPI")
    assert case["case_number"] == "DCPI 1/2026"
    writ = case["filing"]
    assert writ["status"] == "awaiting_payment"
    assert writ["fee_items"] == [{"code": "DC.WRIT", "quantity": 1}]
    plaintiff, defendant = case["parties"]
    assert plaintiff["representative"] == {"organisation_id": plaintiff_firm, "name": "Chan & Co"}
    assert defendant["representative"] is None

    world.pay(writ, world.order_for(writ))
    assert world.ok("GET", f"/filings/{writ['filing_id']}", alice)["status"] == "received"
    assert world.ok("GET", "/review-queue", registry)["total"] == 1
    accepted = world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})
    assert accepted["docket_number"] == 1

    # The defendant's firm is not on the case: it cannot see it, but may acknowledge service for the defendant.
    assert world.call("GET", f"/cases/{case['case_id']}", bob).status_code == 404
    ack = world.file(
        bob,
        {
            "case_id": case["case_id"],
            "title": "Acknowledgement of service",
            "lead": {"document_type": "acknowledgement_of_service"},
            "acting_for": defendant["party_id"],
        },
    )
    assert ack.status_code == 201, ack.get_data(as_text=True)
    assert ack.get_json()["status"] == "received"
    world.ok("POST", f"/filings/{ack.get_json()['filing_id']}/accept", registry, json={})
    on_record = world.ok("GET", f"/cases/{case['case_id']}", bob)
    assert on_record["parties"][1]["representative"]["organisation_id"] == defendant_firm

    # The defence with an exhibit, paid at 17:45 on Monday: received at 08:45 on Tuesday.
    defence = world.file(
        bob,
        {
            "case_id": case["case_id"],
            "title": "Defence of the defendant",
            "lead": {"document_type": "defence"},
            "connected": [{"document_type": "exhibit", "title": "Exhibit LSM-1"}],
            "on_behalf_of": [defendant["party_id"]],
        },
        pdf_samples.pdf_bytes(3, "Defence"),
        [pdf_samples.pdf_bytes(1, "Exhibit")],
    )
    assert defence.status_code == 201, defence.get_data(as_text=True)
    filed = defence.get_json()
    assert filed["status"] == "awaiting_payment"
    assert [d["role"] for d in filed["documents"]] == ["lead", "connected"]
    evening = datetime(2026, 11, 23, 9, 45, tzinfo=UTC)  # 17:45 in Hong Kong
    world.clock.advance(evening - world.clock.now())
    world.pay(filed, world.order_for(filed), at=evening)
    received = world.ok("GET", f"/filings/{filed['filing_id']}", bob)
    assert received["deemed_received_at"] == "2026-11-24T00:45:00Z"
    world.clock.advance(timedelta(hours=16))
    done = world.ok("POST", f"/filings/{filed['filing_id']}/accept", registry, json={})
    assert done["docket_number"] == 3

    docket = world.ok("GET", f"/cases/{case['case_id']}", alice)["docket"]
    assert [e["number"] for e in docket] == [1, 2, 3]
    assert [len(e["documents"]) for e in docket] == [1, 1, 2]

    alice_inbox = [m["kind"] for m in world.ok("GET", "/inbox", alice)["messages"]]
    bob_inbox = [m["kind"] for m in world.ok("GET", "/inbox", bob)["messages"]]
    assert sorted(alice_inbox) == ["acknowledgement", "payment_request", "review_outcome"]
    assert sorted(bob_inbox) == sorted(
        ["acknowledgement", "review_outcome", "acknowledgement", "payment_request", "review_outcome"]
    )
    assert world.ok("GET", "/inbox", carol)["messages"] == []
    assert world.call("GET", f"/cases/{case['case_id']}", carol).status_code == 404
    assert world.call("GET", f"/filings/{filed['filing_id']}", carol).status_code == 404
    assert world.ok("GET", "/cases", carol)["cases"] == []
    assert world.outbox_types().count("filing.filing.accepted") == 3
