"""The registry's side of filing: restriction orders, paper filings, review, closures, the jobs that
cancel unpaid filings and extract text, and what filers read back (cases, filings, inbox, documents)."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import timedelta
from typing import Any

import form_examples
import pdf_samples
import pytest
import sqlalchemy as sa
from filing_testkit import Caller, World
from werkzeug.test import TestResponse

from chassis.clock import iso
from filing.adapters import tables
from filing.service_layer import fees, review

RESTRICTED = "urn:icms:problem:restriction-order"


# Helpers --------------------------------------------------------------------------------------------


def letter(case_id: str, title: str = "Letter to the court", **more: Any) -> dict[str, Any]:
    return {"case_id": case_id, "title": title, "lead": {"document_type": "letter"}, **more}


def defence(case_id: str, party_id: str) -> dict[str, Any]:
    return {"case_id": case_id, "title": "Defence", "lead": {"document_type": "defence"}, "on_behalf_of": [party_id]}


def filed(world: World, who: Caller, metadata: dict[str, Any], *documents: bytes) -> dict[str, Any]:
    lead, *connected = documents or (pdf_samples.pdf_bytes(1, "Letter"),)
    response = world.file(who, metadata, lead, connected)
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def paper(world: World, who: Caller, metadata: dict[str, Any]) -> TestResponse:
    data = {"metadata": json.dumps(metadata), "lead": (io.BytesIO(pdf_samples.pdf_bytes(2, "Defence")), "d.pdf")}
    return world.call("POST", "/paper-filings", who, data=data, content_type="multipart/form-data")


def start(world: World, who: Caller, case_type: str, form: dict[str, Any]) -> TestResponse:
    return world.call("POST", "/cases", who, json={"case_type": case_type, "form": form})


def restriction_order(world: World, registry: Caller, **body: Any) -> dict[str, Any]:
    return world.ok(
        "POST",
        "/restriction-orders",
        registry,
        201,
        json={"order_reference": "HCMP 1234/2026", "made_on": "2026-11-20", **body},
    )


def document_rows(world: World, filing_id: str) -> list[Any]:
    with world.runtime.engine.connect() as conn:
        query = sa.select(tables.Document).where(tables.Document.filing_id == filing_id).order_by(tables.Document.seq)
        return list(conn.execute(query).all())


def stored_bytes(world: World, key: str) -> bytes:
    with world.deps.store.open(key) as reader:
        return reader.read()


@pytest.fixture
def registry(world: World) -> Caller:
    return world.caller("registry_officer")


@pytest.fixture
def clerk(world: World) -> Caller:
    """An organisation user of Chan & Co."""
    return world.caller("OU", world.firm("Chan & Co"))


# Restriction orders ---------------------------------------------------------------------------------


def test_a_filing_for_a_party_named_in_a_restriction_order_is_refused_and_nothing_is_stored(
    world: World, registry: Caller, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI", form_examples.writ_dcpi(plaintiff="Chan, Tai-man"))
    plaintiff, defendant = (p["party_id"] for p in case["parties"])
    order = restriction_order(world, registry, name="CHAN TAI MAN")
    assert order["status"] == "active" and order["courts"] == []
    filings, objects, messages = world.count(tables.Filing), world.objects(), world.count(tables.InboxMessage)

    refused = world.file(clerk, letter(case["case_id"], on_behalf_of=[plaintiff]))

    assert refused.status_code == 403
    assert refused.get_json()["type"] == RESTRICTED
    assert "HCMP 1234/2026" in refused.get_json()["detail"]
    assert world.count(tables.Filing) == filings
    assert world.count(tables.InboxMessage) == messages
    assert world.objects() == objects
    assert len(world.published("filing.filing.submitted")) == 1  # the writ's only
    # The order bars filings for the person it names, not everything in the case.
    assert world.file(clerk, letter(case["case_id"], on_behalf_of=[defendant])).status_code == 201


def test_a_case_brought_by_a_plaintiff_named_in_a_restriction_order_is_not_started(
    world: World, registry: Caller, clerk: Caller
) -> None:
    restriction_order(world, registry, name="chan tai-man")

    refused = start(world, clerk, "DCPI", form_examples.writ_dcpi(plaintiff="CHAN Tai Man"))

    assert refused.status_code == 403 and refused.get_json()["type"] == RESTRICTED
    assert world.count(tables.Case) == world.count(tables.Filing) == 0
    assert world.objects() == []
    # Being sued is not barred, and the refused case took no number.
    against = world.start_case(clerk, "DCPI", form_examples.writ_dcpi(plaintiff="LAM Ka Wai", defendant="Chan Tai Man"))
    assert against["case_number"] == "DCPI 1/2026"


def test_an_order_against_an_account_refuses_that_litigant_whatever_name_it_files_under(
    world: World, registry: Caller
) -> None:
    litigant, other = world.caller("IU"), world.caller("IU")
    own_case = world.start_case(litigant, "DCPI")
    restriction_order(world, registry, name="Vexatious Litigant", account_id=litigant.id)

    started = start(world, litigant, "DCCJ", form_examples.writ_dccj(plaintiff="Anyone Else Limited"))
    into_own_case = world.file(litigant, letter(own_case["case_id"]))

    assert started.status_code == into_own_case.status_code == 403
    assert started.get_json()["type"] == into_own_case.get_json()["type"] == RESTRICTED
    assert start(world, other, "DCCJ", form_examples.writ_dccj(plaintiff="Anyone Else Limited")).status_code == 201


@pytest.mark.parametrize(
    ("order", "binds"),
    [
        ({"courts": ["CFI", "CA"]}, False),
        ({"courts": ["DC"]}, True),
        ({"made_on": "2024-01-02", "expires_on": "2026-11-22"}, False),  # expired yesterday (Hong Kong)
        ({"made_on": "2024-01-02", "expires_on": "2026-11-23"}, True),  # its last day
        ({"made_on": "2026-11-24"}, False),  # made for tomorrow
    ],
    ids=["other-courts", "this-court", "expired", "last-day", "not-yet-made"],
)
def test_an_order_refuses_only_in_its_courts_and_while_it_is_in_force(
    world: World, registry: Caller, clerk: Caller, order: dict[str, Any], binds: bool
) -> None:
    restriction_order(world, registry, name="Chan Tai Man", **order)

    answer = start(world, clerk, "DCPI", form_examples.writ_dcpi(plaintiff="CHAN TAI MAN"))

    assert answer.status_code == (403 if binds else 201), answer.get_data(as_text=True)


def test_a_revoked_order_no_longer_refuses(world: World, registry: Caller, clerk: Caller) -> None:
    order = restriction_order(world, registry, name="Chan Tai Man")
    assert start(world, clerk, "DCPI", form_examples.writ_dcpi()).status_code == 403

    revoked = world.ok("POST", f"/restriction-orders/{order['order_id']}/revoke", registry, json={})

    assert revoked["status"] == "revoked" and revoked["revoked_at"] == iso(world.clock.now())
    assert world.ok("GET", "/restriction-orders", registry)["orders"] == []
    listed = world.ok("GET", "/restriction-orders?include_revoked=true", registry)["orders"]
    assert [o["order_id"] for o in listed] == [order["order_id"]]
    assert start(world, clerk, "DCPI", form_examples.writ_dcpi()).status_code == 201


# Paper filings --------------------------------------------------------------------------------------


def test_a_paper_filing_handed_in_on_a_saturday_is_received_on_monday_at_0845(
    world: World, registry: Caller, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI")
    defendant = case["parties"][1]["party_id"]
    messages = world.count(tables.InboxMessage)
    saturday = "2026-11-21T03:00:00Z"  # 11:00 in Hong Kong

    response = paper(world, registry, {**defence(case["case_id"], defendant), "received_at": saturday})

    assert response.status_code == 201, response.get_data(as_text=True)
    filing = response.get_json()
    assert (filing["status"], filing["channel"], filing["kind"]) == ("received", "paper", "paper")
    assert filing["documents_in_at"] == saturday
    assert filing["deemed_received_at"] == "2026-11-23T00:45:00Z"  # Monday 08:45 in Hong Kong
    assert filing["fee_items"] == [{"code": "DC.DEFENCE", "quantity": 1}]
    assert filing["payment"]["required"] is False
    assert world.count(tables.InboxMessage) == messages
    submitted = world.published("filing.filing.submitted")[-1]
    assert submitted["filing_id"] == filing["filing_id"]
    assert (submitted["channel"], submitted["kind"], submitted["awaiting_payment"]) == ("paper", "paper", False)
    assert submitted["fee_items"] == [{"code": "DC.DEFENCE", "quantity": 1}]
    assert world.published("filing.filing.received")[-1]["deemed_received_at"] == "2026-11-23T00:45:00Z"
    queued = world.ok("GET", "/review-queue", registry)["filings"]
    assert [f["filing_id"] for f in queued] == [filing["filing_id"]]


def test_a_paper_filing_cannot_be_received_in_the_future(world: World, registry: Caller, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    later = iso(world.clock.now() + timedelta(hours=1))

    response = paper(world, registry, {**letter(case["case_id"]), "received_at": later})

    assert response.status_code == 400
    assert response.get_json()["errors"][0]["field"] == "metadata.received_at"


# Review ---------------------------------------------------------------------------------------------


def _paid_defence(world: World, clerk: Caller) -> tuple[dict[str, Any], str]:
    case = world.start_case(clerk, "DCPI")
    filing = filed(
        world,
        clerk,
        {**defence(case["case_id"], case["parties"][0]["party_id"]), "connected": [{"document_type": "exhibit"}]},
        pdf_samples.pdf_bytes(2, "Defence"),
        pdf_samples.pdf_bytes(1, "Exhibit"),
    )
    order_id = world.order_for(filing)
    world.pay(filing, order_id)
    return filing, order_id


def test_a_rejection_reaches_the_filers_inbox_and_tells_payments_the_fee_was_paid(
    world: World, registry: Caller, clerk: Caller
) -> None:
    filing, order_id = _paid_defence(world, clerk)

    rejected = world.ok(
        "POST",
        f"/filings/{filing['filing_id']}/reject",
        registry,
        json={"reasons": ["unsigned", "incomplete"], "message": "Exhibit LSM-1 is missing."},
    )

    assert rejected["status"] == "rejected"
    assert rejected["rejection"] == {"reasons": ["unsigned", "incomplete"], "message": "Exhibit LSM-1 is missing."}
    outcome = next(m for m in world.ok("GET", "/inbox", clerk)["messages"] if m["kind"] == "review_outcome")
    assert outcome["filing_id"] == filing["filing_id"] and outcome["details"]["outcome"] == "rejected"
    assert outcome["details"]["reasons"] == ["unsigned", "incomplete"]
    assert "Exhibit LSM-1 is missing." in outcome["body"] and "refunded" in outcome["body"]
    (event,) = world.published("filing.filing.rejected")
    assert event["filing_id"] == filing["filing_id"]
    assert (event["fee_paid"], event["payment_order_id"]) == (True, order_id)
    assert event["reasons"] == ["unsigned", "incomplete"] and event["message"] == "Exhibit LSM-1 is missing."
    assert event["rejected_by_account_id"] == registry.id
    again = world.call("POST", f"/filings/{filing['filing_id']}/reject", registry, json={"reasons": ["other"]})
    assert again.status_code == 409 and again.get_json()["type"] == "urn:icms:problem:not-in-review"


def test_rejecting_a_filing_without_a_fee_tells_payments_nothing_was_paid(
    world: World, registry: Caller, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI")
    filing = filed(world, clerk, letter(case["case_id"]))

    world.ok("POST", f"/filings/{filing['filing_id']}/reject", registry, json={"reasons": ["wrong_case"]})

    (event,) = world.published("filing.filing.rejected")
    assert (event["fee_paid"], event["payment_order_id"], event["message"]) == (False, None, "")


def test_a_rejection_needs_reasons_from_the_list(world: World, registry: Caller, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    filing = filed(world, clerk, letter(case["case_id"]))

    response = world.call("POST", f"/filings/{filing['filing_id']}/reject", registry, json={"reasons": ["rude"]})

    assert response.status_code == 400
    assert world.ok("GET", f"/filings/{filing['filing_id']}", clerk)["status"] == "received"


def test_a_rejected_filing_is_copied_with_the_same_documents_and_its_fee_is_asked_again(
    world: World, registry: Caller, clerk: Caller
) -> None:
    original, _ = _paid_defence(world, clerk)
    world.ok("POST", f"/filings/{original['filing_id']}/reject", registry, json={"reasons": ["unsigned"]})

    copy = world.ok("POST", f"/filings/{original['filing_id']}/copy", clerk, 201, json={})

    assert copy["filing_id"] != original["filing_id"] and copy["reference"] != original["reference"]
    assert copy["copied_from_id"] == original["filing_id"]
    assert [d["sha256"] for d in copy["documents"]] == [d["sha256"] for d in original["documents"]]
    assert [d["role"] for d in copy["documents"]] == ["lead", "connected"]
    assert copy["status"] == "awaiting_payment" and copy["payment"]["required"] is True
    assert copy["fee_items"] == original["fee_items"] == [{"code": "DC.DEFENCE", "quantity": 1}]
    submitted = world.published("filing.filing.submitted")[-1]
    assert submitted["filing_id"] == copy["filing_id"] and submitted["awaiting_payment"] is True
    assert world.ok("GET", f"/filings/{original['filing_id']}", clerk)["status"] == "rejected"


def test_only_the_filer_copies_and_only_a_rejected_filing(world: World, registry: Caller, clerk: Caller) -> None:
    original, _ = _paid_defence(world, clerk)
    colleague = world.caller("OU", clerk.principal.organisation)
    case_id = original["case_id"]
    world.assign(case_id, clerk.principal.organisation or "", clerk, colleague)

    not_rejected = world.call("POST", f"/filings/{original['filing_id']}/copy", clerk, json={})
    assert not_rejected.status_code == 409 and not_rejected.get_json()["type"] == "urn:icms:problem:not-rejected"

    world.ok("POST", f"/filings/{original['filing_id']}/reject", registry, json={"reasons": ["unsigned"]})
    filings = world.count(tables.Filing)
    for someone_else in (colleague, world.caller("IU"), world.caller("OU", world.firm("Other LLP"))):
        refused = world.call("POST", f"/filings/{original['filing_id']}/copy", someone_else, json={})
        assert refused.status_code in (403, 404)
    assert world.count(tables.Filing) == filings


# Fees not paid --------------------------------------------------------------------------------------


def test_a_filing_whose_fee_is_not_paid_in_time_is_cancelled_and_a_late_payment_changes_nothing(
    world: World, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI")
    filing = filed(world, clerk, defence(case["case_id"], case["parties"][0]["party_id"]))
    order_id = world.order_for(filing)
    timeout = timedelta(minutes=world.deps.settings.payment_timeout_minutes)
    assert filing["payment"]["due_by"] == iso(world.clock.now() + timeout)

    world.clock.advance(timeout - timedelta(seconds=1))
    assert fees.cancel_unpaid(world.deps) == 0
    world.clock.advance(timedelta(seconds=1))
    # The case's writ was never paid either.
    assert fees.cancel_unpaid(world.deps) == 2

    assert world.ok("GET", f"/filings/{filing['filing_id']}", clerk)["status"] == "cancelled"
    assert world.ok("GET", f"/filings/{filing['filing_id']}", clerk)["cancelled_reason"] == "payment_timeout"
    cancellations = [m for m in world.ok("GET", "/inbox", clerk)["messages"] if m["kind"] == "cancellation"]
    assert filing["filing_id"] in [m["filing_id"] for m in cancellations]
    event = next(e for e in world.published("filing.filing.cancelled") if e["filing_id"] == filing["filing_id"])
    assert (event["reason"], event["payment_order_id"]) == ("payment_timeout", order_id)

    world.pay(filing, order_id)
    assert world.ok("GET", f"/filings/{filing['filing_id']}", clerk)["status"] == "cancelled"
    assert world.published("filing.filing.received") == []
    assert fees.cancel_unpaid(world.deps) == 0


def test_an_order_payments_lets_expire_cancels_its_filing(world: World, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    filing = filed(world, clerk, defence(case["case_id"], case["parties"][0]["party_id"]))
    order_id = world.order_for(filing)

    world.deliver(
        world.event(
            "payments.order.expired",
            order_id,
            order_id=order_id,
            reference_type="filing",
            reference_id=filing["filing_id"],
            expired_at=iso(world.clock.now()),
            aggregate_version=2,
        )
    )

    shown = world.ok("GET", f"/filings/{filing['filing_id']}", clerk)
    assert (shown["status"], shown["cancelled_reason"]) == ("cancelled", "order_expired")
    (event,) = world.published("filing.filing.cancelled")
    assert (event["filing_id"], event["reason"], event["payment_order_id"]) == (
        filing["filing_id"],
        "order_expired",
        order_id,
    )


# Closures -------------------------------------------------------------------------------------------


def test_a_filing_during_a_typhoon_closure_is_received_when_the_registry_reopens(
    world: World, registry: Caller, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI")
    typhoon = {
        "starts_at": "2026-11-23T01:00:00Z",  # 09:00 in Hong Kong
        "ends_at": "2026-11-23T07:10:00Z",  # 15:10
        "reason": "typhoon_signal_8",
        "note": "Typhoon signal No. 8",
    }

    closure = world.ok("POST", "/calendar/closures", registry, 201, json=typhoon)

    assert {k: closure[k] for k in typhoon} == typhoon
    (declared,) = world.published("filing.calendar.closure_declared")
    assert declared == {
        **typhoon,
        "closure_id": closure["closure_id"],
        "declared_by_account_id": registry.id,
        "aggregate_version": 1,
    }
    # It is 10:00, inside the closure.
    received = filed(world, clerk, letter(case["case_id"]))
    assert received["status"] == "received" and received["deemed_received_at"] == "2026-11-23T07:10:00Z"
    answer = world.ok("GET", "/calendar/deemed-receipt?at=2026-11-23T02:00:00Z")
    assert answer["deemed_received_at"] == "2026-11-23T07:10:00Z"
    assert answer["local_deemed_received_at"] == "2026-11-23T15:10:00+08:00"
    assert answer["open"] is False and answer["closed_because"] == "closure: typhoon_signal_8"
    listed = world.ok("GET", "/calendar/closures?from=2026-11-23T00:00:00Z&to=2026-11-24T00:00:00Z")["closures"]
    assert [c["closure_id"] for c in listed] == [closure["closure_id"]]


# Text extraction ------------------------------------------------------------------------------------


def test_accepted_documents_have_their_text_kept_beside_them(world: World, registry: Caller, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    filing = filed(
        world,
        clerk,
        letter(case["case_id"], connected=[{"document_type": "exhibit"}]),
        pdf_samples.pdf_bytes(2, "Letter of the plaintiff"),
        pdf_samples.pdf_bytes(1, "Exhibit CTM-1"),
    )
    assert review.extract_pending_text(world.deps) == 0  # nothing is accepted yet

    world.ok("POST", f"/filings/{filing['filing_id']}/accept", registry, json={})
    assert review.extract_pending_text(world.deps) == 2

    lead, exhibit = document_rows(world, filing["filing_id"])
    expected_text = {
        lead.id: ["Letter of the plaintiff page 1", "Letter of the plaintiff page 2"],
        exhibit.id: ["Exhibit CTM-1 page 1"],
    }
    for row in (lead, exhibit):
        assert row.text_status == "done" and row.text_key == f"{row.object_key}.txt"
        assert row.text_key in world.objects()
        text = stored_bytes(world, row.text_key)
        assert all(line in text.decode("utf-8") for line in expected_text[row.id])
        assert row.text_sha256 == hashlib.sha256(text).hexdigest()
    assert review.extract_pending_text(world.deps) == 0


# What filers read back ------------------------------------------------------------------------------


def test_the_case_list_filters_by_case_type_party_and_year_and_the_registry_sees_every_case(
    world: World, registry: Caller, clerk: Caller
) -> None:
    dcpi = world.start_case(clerk, "DCPI")
    world.clock.advance(timedelta(minutes=1))  # newest first needs cases apart in time
    dccj = world.start_case(clerk, "DCCJ")
    world.clock.advance(timedelta(minutes=1))
    hca = world.start_case(clerk, "HCA")
    someone_elses = world.start_case(world.caller("IU"), "DCPI", form_examples.writ_dcpi(plaintiff="LAM Ka Wai"))
    world.clock.advance(timedelta(days=42))  # Monday 4 January 2027, 10:00 in Hong Kong
    next_year = world.start_case(clerk, "DCPI", form_examples.writ_dcpi(plaintiff="HO Ka Yan"))
    assert (dcpi["case_number"], next_year["case_number"]) == ("DCPI 1/2026", "DCPI 1/2027")

    def numbers(query: str, who: Caller = clerk) -> list[str]:
        return [c["case_number"] for c in world.ok("GET", f"/cases{query}", who)["cases"]]

    assert numbers("") == ["DCPI 1/2027", hca["case_number"], dccj["case_number"], "DCPI 1/2026"]
    assert numbers("?case_type=dcpi") == ["DCPI 1/2027", "DCPI 1/2026"]
    assert numbers("?year=2026") == [hca["case_number"], dccj["case_number"], "DCPI 1/2026"]
    assert numbers("?case_type=DCPI&year=2027") == ["DCPI 1/2027"]
    assert numbers("?party=lee%20siu") == [dccj["case_number"]]  # the DCCJ's defendant, LEE Siu Ming
    assert numbers("?party=%25") == []  # a wildcard is a character like any other
    assert numbers("?party=lam%20ka%20wai") == []  # someone else's case
    assert numbers("?party=lam%20ka%20wai", registry) == [someone_elses["case_number"]]
    assert world.ok("GET", "/cases", registry)["total"] == 5
    assert world.ok("GET", "/cases?limit=2&offset=1", clerk)["cases"][0]["case_number"] == hca["case_number"]
    assert world.call("GET", "/cases?year=1900", clerk).status_code == 400


def test_a_filer_lists_its_own_filings(world: World, registry: Caller, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    letter_filed = filed(world, clerk, letter(case["case_id"]))
    litigant = world.caller("IU")
    own = world.start_case(litigant, "DCPI", form_examples.writ_dcpi(plaintiff="LAM Ka Wai"))

    mine = world.ok("GET", "/filings", clerk)["filings"]
    assert sorted(f["filing_id"] for f in mine) == sorted([case["filing"]["filing_id"], letter_filed["filing_id"]])
    received = world.ok("GET", "/filings?status=received", clerk)["filings"]
    assert [f["filing_id"] for f in received] == [letter_filed["filing_id"]]
    assert [f["filing_id"] for f in world.ok("GET", "/filings", litigant)["filings"]] == [own["filing"]["filing_id"]]
    assert len(world.ok("GET", "/filings", registry)["filings"]) == 3
    assert world.call("GET", "/filings?status=lost", clerk).status_code == 400


def test_inbox_messages_are_marked_read_and_unread(world: World, clerk: Caller) -> None:
    case = world.start_case(clerk, "DCPI")
    world.clock.advance(timedelta(minutes=1))
    world.order_for(case["filing"])

    inbox = world.ok("GET", "/inbox", clerk)
    assert [m["kind"] for m in inbox["messages"]] == ["payment_request", "acknowledgement"]
    assert (inbox["unread"], inbox["total"]) == (2, 2)
    acknowledgement = inbox["messages"][1]

    read = world.ok("POST", f"/inbox/{acknowledgement['message_id']}/read", clerk)
    assert read["read"] is True and read["read_at"] is not None
    assert world.ok("GET", "/inbox", clerk)["unread"] == 1
    unread_only = world.ok("GET", "/inbox?unread=true", clerk)
    assert [m["kind"] for m in unread_only["messages"]] == ["payment_request"] and unread_only["total"] == 1

    assert world.ok("POST", f"/inbox/{acknowledgement['message_id']}/unread", clerk)["read"] is False
    assert world.ok("GET", "/inbox", clerk)["unread"] == 2
    stranger = world.caller("OU", clerk.principal.organisation)
    assert world.call("POST", f"/inbox/{acknowledgement['message_id']}/read", stranger).status_code == 404
    assert world.ok("GET", "/inbox", clerk)["unread"] == 2


def test_a_document_downloads_as_the_exact_bytes_filed_to_the_filer_and_the_registry_only(
    world: World, registry: Caller, clerk: Caller
) -> None:
    case = world.start_case(clerk, "DCPI")
    content = pdf_samples.pdf_bytes(3, "Witness statement of CHAN Tai Man")
    filing = filed(world, clerk, letter(case["case_id"]), content)
    document = filing["documents"][0]
    path = f"/filings/{filing['filing_id']}/documents/{document['document_id']}/content"

    for reader in (clerk, registry):
        response = world.call("GET", path, reader)
        assert response.status_code == 200 and response.mimetype == "application/pdf"
        body = response.get_data()
        assert body == content
        assert hashlib.sha256(body).hexdigest() == document["sha256"] == response.headers["X-Content-SHA256"]
        assert int(response.headers["Content-Length"]) == len(content)
    assert world.call("GET", path, world.caller("IU")).status_code == 404
    # A document of another filing is not reached through this one.
    writ_document = case["filing"]["documents"][0]["document_id"]
    assert world.call(
        "GET", f"/filings/{filing['filing_id']}/documents/{writ_document}/content", clerk
    ).status_code == (404)


def test_a_bulk_small_claims_form_starts_one_case_per_claim_with_consecutive_numbers(
    world: World, clerk: Caller
) -> None:
    answer = world.ok(
        "POST", "/cases", clerk, 201, json={"case_type": "SCTC", "form": form_examples.sct_bulk_claims(5)}
    )

    cases = answer["cases"]
    assert [c["case_number"] for c in cases] == [f"SCTC {n}/2026" for n in range(1, 6)]
    assert [c["parties"][1]["name"] for c in cases] == [f"DEFENDANT {n}" for n in range(1, 6)]
    assert [c["amount_claimed_cents"] for c in cases] == [100_000 + n for n in range(1, 6)]
    assert all(c["parties"][0]["name"] == "Harbour Mobile Limited" for c in cases)
    assert all(c["filing"]["fee_items"] == [{"code": "SCT.CLAIM", "quantity": 1}] for c in cases)
    assert len({c["filing"]["filing_id"] for c in cases}) == 5
    assert world.count(tables.Case) == world.count(tables.Filing) == 5
    assert [e["case_number"] for e in world.published("filing.case.created")] == [c["case_number"] for c in cases]
