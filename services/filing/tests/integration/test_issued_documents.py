"""Court-issued documents: issued by the registry (uploaded or from a template) under a DRN, stamped,
kept twice, delivered to both sides' inboxes; and the public DRN check."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pdf_samples
import pytest
import sqlalchemy as sa
from filing_testkit import World
from pypdf import PdfReader

from chassis.clock import iso
from chassis.testing.service_world import Caller
from filing.adapters import tables
from filing.domain.drn import new_drn, printed
from filing.service_layer import issuing, review

ISSUED_EVENT = "filing.document.issued"
PROBLEM = "urn:icms:problem:"


@dataclass
class Case:
    """A DCPI case with a firm on the record for each side, its writ accepted."""

    id: str
    number: str
    plaintiff_ou: Caller
    defendant_ou: Caller
    registry: Caller
    writ_sha256: str


@pytest.fixture
def case(world: World) -> Case:
    plaintiff_firm, defendant_firm = world.firm("Chan & Co"), world.firm("Lee & Partners")
    alice, bob = world.caller("OU", plaintiff_firm), world.caller("OU", defendant_firm)
    registry = world.caller("registry_officer")
    started = world.start_case(alice, "DCPI")
    writ = started["filing"]
    world.pay(writ, world.order_for(writ))
    world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})
    defendant = started["parties"][1]["party_id"]
    ack = world.file(
        bob,
        {
            "case_id": started["case_id"],
            "title": "Acknowledgement of service",
            "lead": {"document_type": "acknowledgement_of_service"},
            "acting_for": defendant,
        },
    )
    assert ack.status_code == 201, ack.get_data(as_text=True)
    world.ok("POST", f"/filings/{ack.get_json()['filing_id']}/accept", registry, json={})
    return Case(started["case_id"], started["case_number"], alice, bob, registry, writ["documents"][0]["sha256"])


def issued_events(world: World) -> list[dict[str, Any]]:
    with world.runtime.engine.connect() as conn:
        payloads = [json.loads(r[0]) for r in conn.execute(sa.select(tables.outbox.c.payload))]
    return [p["data"] for p in payloads if p["type"] == ISSUED_EVENT]


def inbox_of(world: World, who: Caller) -> list[dict[str, Any]]:
    return [m for m in world.ok("GET", "/inbox", who)["messages"] if m["kind"] == "issued_document"]


def content(world: World, key: str) -> bytes:
    with world.deps.store.open(key) as reader:
        return b"".join(reader.iter_chunks())


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def seal(world: World, table: Any, row_id: str) -> None:
    """Test setup: seal a case or an issued document directly (sealing has its own endpoints and tests)."""
    with world.runtime.engine.begin() as conn:
        conn.execute(sa.update(table).where(table.id == row_id).values(sealed=True))


# Issuing ---------------------------------------------------------------------------------------------


def test_an_uploaded_judgment_is_stamped_kept_twice_announced_and_delivered_to_both_sides(
    world: World, case: Case
) -> None:
    judgment = pdf_samples.pdf_bytes(3, "Judgment of the court")
    before = set(world.objects())

    response = world.issue_call(case.registry, case.id, {"kind": "judgment", "title": "Judgment"}, judgment)

    assert response.status_code == 201, response.get_data(as_text=True)
    issued = response.get_json()
    assert issued["document_source"] == "issued" and issued["kind"] == "judgment" and issued["title"] == "Judgment"
    assert (issued["case_id"], issued["case_number"], issued["pages"]) == (case.id, case.number, 3)
    assert issued["public_inspection"] is True and issued["sealed"] is False
    assert issued["issued_at"] == iso(world.clock.now()) and issued["issued_by_account_id"] == case.registry.id
    key = f"cases/{case.id}/issued/{issued['document_id']}"
    assert set(world.objects()) - before == {key, f"{key}-stamped"}
    original, stamped = content(world, key), content(world, f"{key}-stamped")
    assert original == judgment
    assert (issued["original_sha256"], issued["original_size"]) == (sha256(judgment), len(judgment))
    assert (issued["sha256"], issued["size"]) == (sha256(stamped), len(stamped))
    first_page = PdfReader(io.BytesIO(stamped)).pages[0].extract_text()
    assert f"DRN {printed(issued['drn'])}" in first_page and "Judgment of the court page 1" in first_page

    (event,) = issued_events(world)
    assert event["issued_document_id"] == issued["document_id"] and event["drn"] == issued["drn"]
    assert event["document"] == {
        "key": f"{key}-stamped",
        "sha256": issued["sha256"],
        "size": issued["size"],
        "media_type": "application/pdf",
    }
    assert (event["court"], event["case_type"], event["aggregate_version"]) == ("DC", "DCPI", 1)
    assert sorted(event["recipients"]) == sorted([case.plaintiff_ou.id, case.defendant_ou.id])
    for side in (case.plaintiff_ou, case.defendant_ou):
        (message,) = inbox_of(world, side)
        assert message["case_id"] == case.id and message["details"]["document_id"] == issued["document_id"]
        assert printed(issued["drn"]) in message["body"]
    assert inbox_of(world, world.caller("OU", world.firm("Other LLP"))) == []


def test_delivery_goes_to_every_assigned_ou_of_the_firm_on_record_and_to_a_litigant_in_person(world: World) -> None:
    firm = world.firm("Chan & Co")
    litigant, alice, alice_colleague = world.caller("IU"), world.caller("OU", firm), world.caller("OU", firm)
    registry = world.caller("registry_officer")
    started = world.start_case(litigant, "DCPI")
    defendant = started["parties"][1]["party_id"]
    ack = world.file(
        alice,
        {
            "case_id": started["case_id"],
            "title": "Notice of acting",
            "lead": {"document_type": "acknowledgement_of_service"},
            "acting_for": defendant,
        },
    )
    world.ok("POST", f"/filings/{ack.get_json()['filing_id']}/accept", registry, json={})
    world.assign(started["case_id"], firm, alice, alice_colleague)

    issued = world.issue(registry, started["case_id"])

    for who in (litigant, alice, alice_colleague):
        assert [m["details"]["document_id"] for m in inbox_of(world, who)] == [issued["document_id"]]
    assert sorted(issued_events(world)[0]["recipients"]) == sorted([litigant.id, alice.id, alice_colleague.id])


@pytest.mark.parametrize(
    ("body", "kind", "public", "says"),
    [
        ({"template": "sealed_originating"}, "sealed_originating", True, "SEALED"),
        (
            {
                "template": "notice_of_hearing",
                "hearing_at": "2027-01-14T01:30:00Z",
                "courtroom": "Court 23",
                "hearing_type": "a case management conference",
            },
            "notice_of_hearing",
            False,
            "09:30 on 14 January 2027",
        ),
        (
            {
                "template": "order",
                "order_text": "The action be stayed.",
                "judge": "His Honour Judge Lam",
                "made_on": "2026-11-23",
            },
            "order",
            True,
            "The action be stayed.",
        ),
    ],
    ids=["sealed-originating", "notice-of-hearing", "order"],
)
def test_each_template_is_rendered_stamped_and_issued(
    world: World, case: Case, body: dict[str, Any], kind: str, public: bool, says: str
) -> None:
    issued = world.issue(case.registry, case.id, body)

    assert (issued["kind"], issued["public_inspection"]) == (kind, public)
    assert issued["issued_at"] == iso(world.clock.now())
    key = f"cases/{case.id}/issued/{issued['document_id']}"
    text = " ".join(PdfReader(io.BytesIO(content(world, f"{key}-stamped"))).pages[0].extract_text().split())
    assert says in text and f"DRN {printed(issued['drn'])}" in text and case.number in text
    if kind == "sealed_originating":
        # The original is the writ as filed; the seal and the DRN are on the stamped copy only.
        assert issued["original_sha256"] == case.writ_sha256
        assert issued["details"]["template"] == "sealed_originating"
    assert len(issued_events(world)) == 1 and len(inbox_of(world, case.defendant_ou)) == 1


def test_a_document_in_a_case_type_closed_to_inspection_is_never_public(world: World) -> None:
    registry, litigant = world.caller("registry_officer"), world.caller("IU")
    hcma = world.case_without_efiling("HCMA", litigant)

    issued = world.issue(registry, hcma["case_id"], public_inspection=True)

    assert issued["public_inspection"] is False
    assert issued_events(world)[0]["public_inspection"] is False


def test_the_writ_cannot_be_sealed_before_the_registry_accepts_it(world: World) -> None:
    registry, alice = world.caller("registry_officer"), world.caller("OU", world.firm("Chan & Co"))
    started = world.start_case(alice, "DCPI")

    response = world.call(
        "POST", f"/cases/{started['case_id']}/issued-documents", registry, json={"template": "sealed_originating"}
    )

    assert response.status_code == 409 and response.get_json()["type"] == PROBLEM + "originating-not-accepted"
    assert world.count(tables.IssuedDocument) == 0


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (None, 401),
        ("IU", 403),
        ("OU", 403),
        ("PA", 403),
        ("SA", 403),
        ("help_centre_officer", 403),
        ("registry_officer", 201),
    ],
)
def test_only_a_registry_officer_issues(world: World, case: Case, role: str | None, status: int) -> None:
    who = world.caller(role, world.firm("Chan & Co") if role in ("OU", "PA", "SA") else None) if role else None

    uploaded = world.issue_call(who, case.id, {"kind": "order", "title": "Order"})
    from_template = world.call(
        "POST",
        f"/cases/{case.id}/issued-documents",
        who,
        json={"template": "order", "order_text": "x", "made_on": "2026-11-23"},
    )

    assert (uploaded.status_code, from_template.status_code) == (status, status), uploaded.get_data(as_text=True)
    assert world.count(tables.IssuedDocument) == (2 if status == 201 else 0)


@pytest.fixture
def unchanged(world: World, case: Case) -> Iterator[None]:
    """What a refused request must leave exactly as it was."""
    counts = lambda: (  # noqa: E731
        world.count(tables.IssuedDocument),
        world.count(tables.InboxMessage),
        world.count(tables.outbox),
        sorted(world.objects()),
    )
    before = counts()
    yield
    assert counts() == before


def _upload(metadata: Any, content: bytes | None = None, field: str = "file") -> dict[str, Any]:
    data: dict[str, Any] = {}
    if metadata is not None:
        data["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
    data[field] = (io.BytesIO(content if content is not None else pdf_samples.pdf_bytes(1)), "x.pdf")
    return {"data": data, "content_type": "multipart/form-data"}


ORDER = {"template": "order", "order_text": "The action be stayed.", "made_on": "2026-11-23"}
HEARING = {
    "template": "notice_of_hearing",
    "hearing_at": "2027-01-14T01:30:00Z",
    "courtroom": "1",
    "hearing_type": "trial",
}


@pytest.mark.parametrize(
    ("request_kw", "status", "problem"),
    [
        (_upload({"kind": "order", "title": "Order"}, b"GIF89a not a pdf"), 415, "not-a-pdf"),
        (_upload({"kind": "order", "title": "Order"}, pdf_samples.truncated_pdf()), 422, "damaged-pdf"),
        (_upload({"kind": "order", "title": "Order"}, pdf_samples.encrypted_pdf()), 422, "encrypted-pdf"),
        (_upload(None), 400, "invalid-request"),
        (_upload({"kind": "order"}), 400, "invalid-request"),
        (_upload({"kind": "verdict", "title": "Order"}), 400, "invalid-request"),
        (_upload("{not json"), 400, "invalid-request"),
        (_upload({"kind": "order", "title": "Order"}, field="lead"), 400, "invalid-request"),
        ({"json": {"template": "affidavit"}}, 400, "invalid-request"),
        ({"json": {"order_text": "x", "made_on": "2026-11-23"}}, 400, "invalid-request"),
        ({"json": {**ORDER, "made_on": "2026-02-30"}}, 400, "invalid-request"),
        ({"json": {**ORDER, "made_on": "2026-11-24"}}, 400, "invalid-request"),
        ({"json": {**ORDER, "hearing_at": "2027-01-14T01:30:00Z"}}, 400, "invalid-request"),
        ({"json": {**HEARING, "hearing_at": "14 January 2027"}}, 400, "invalid-request"),
        ({"json": {**HEARING, "hearing_at": "2027-01-14T09:30:00"}}, 400, "invalid-request"),
        ({"json": {**HEARING, "hearing_at": "2026-11-20T01:30:00Z"}}, 400, "invalid-request"),
        ({"json": {k: v for k, v in HEARING.items() if k != "courtroom"}}, 400, "invalid-request"),
        ({"data": "template=order", "content_type": "text/plain"}, 415, "unsupported-media-type"),
    ],
    ids=[
        "not-a-pdf",
        "truncated-pdf",
        "encrypted-pdf",
        "no-metadata",
        "no-title",
        "unknown-kind",
        "metadata-not-json",
        "file-in-wrong-part",
        "unknown-template",
        "no-template",
        "impossible-order-date",
        "order-made-tomorrow",
        "field-of-another-template",
        "hearing-date-not-iso",
        "hearing-without-offset",
        "hearing-in-the-past",
        "hearing-without-courtroom",
        "plain-text",
    ],
)
def test_bad_input_is_refused_and_changes_nothing(
    world: World, case: Case, unchanged: None, request_kw: dict[str, Any], status: int, problem: str
) -> None:
    response = world.call("POST", f"/cases/{case.id}/issued-documents", case.registry, **request_kw)

    assert response.status_code == status, response.get_data(as_text=True)
    assert response.get_json()["type"] == PROBLEM + problem


def test_an_unknown_case_is_404_and_changes_nothing(world: World, case: Case, unchanged: None) -> None:
    missing = "00000000-0000-4000-8000-000000000000"

    uploaded = world.issue_call(case.registry, missing, {"kind": "order", "title": "Order"})
    from_template = world.call("POST", f"/cases/{missing}/issued-documents", case.registry, json=ORDER)

    assert uploaded.status_code == from_template.status_code == 404


def test_a_failed_transaction_leaves_no_objects_behind(
    world: World, case: Case, unchanged: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: Any, **kwargs: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(issuing.inbox, "post", broken)

    assert world.issue_call(case.registry, case.id, {"kind": "order", "title": "Order"}).status_code == 500


def test_a_drn_already_taken_is_drawn_again(world: World, case: Case, monkeypatch: pytest.MonkeyPatch) -> None:
    first = world.issue(case.registry, case.id)
    fresh = new_drn()
    draws = iter([first["drn"], first["drn"], fresh])
    monkeypatch.setattr(issuing, "new_drn", lambda: next(draws))

    second = world.issue(case.registry, case.id)

    assert second["drn"] == fresh
    key = f"cases/{case.id}/issued/{second['document_id']}-stamped"
    assert f"DRN {printed(fresh)}" in PdfReader(io.BytesIO(content(world, key))).pages[0].extract_text()
    issued_keys = [k for k in world.objects() if "/issued/" in k]
    assert len(issued_keys) == 4 and world.count(tables.IssuedDocument) == 2


def test_those_who_see_the_case_list_its_issued_documents(world: World, case: Case) -> None:
    order = world.issue(case.registry, case.id, ORDER)
    world.clock.advance(timedelta(minutes=1))
    judgment = world.issue(case.registry, case.id)

    for who in (case.plaintiff_ou, case.defendant_ou, case.registry):
        listed = world.ok("GET", f"/cases/{case.id}/issued-documents", who)["issued_documents"]
        assert [d["document_id"] for d in listed] == [order["document_id"], judgment["document_id"]]
    for outsider in (world.caller("OU", world.firm("Other LLP")), world.caller("IU")):
        assert world.call("GET", f"/cases/{case.id}/issued-documents", outsider).status_code == 404
    assert world.call("GET", f"/cases/{case.id}/issued-documents").status_code == 401


def test_the_text_of_public_issued_documents_is_extracted_for_search(world: World, case: Case) -> None:
    public = world.issue(case.registry, case.id, ORDER)
    private = world.issue(case.registry, case.id, HEARING)

    review.extract_pending_text(world.deps)

    with world.runtime.engine.connect() as conn:
        rows = {r.id: r for r in conn.execute(sa.select(tables.IssuedDocument))}
    done, untouched = rows[public["document_id"]], rows[private["document_id"]]
    assert (done.text_status, untouched.text_status) == ("done", "none")
    assert done.text_key == f"{done.stamped_key}.txt"
    text = content(world, done.text_key).decode("utf-8")
    assert "The action be stayed." in text and printed(public["drn"]) in text
    assert done.text_sha256 == sha256(text.encode("utf-8"))


# The DRN check ---------------------------------------------------------------------------------------


def test_a_genuine_drn_shows_the_documents_details_to_anyone(world: World, case: Case) -> None:
    issued = world.issue(case.registry, case.id, ORDER)
    drn = issued["drn"]

    for written in (drn, printed(drn), f"{drn[:4]}-{drn[4:8]}-{drn[8:]}"):
        answer = world.ok("GET", f"/drn/{written}")
        assert answer == {
            "drn": drn,
            "genuine": True,
            "details": {
                "case_number": case.number,
                "court": "DC",
                "court_name": "District Court",
                "title": "Order",
                "kind": "order",
                "issued_at": issued["issued_at"],
                "sha256": issued["sha256"],
            },
        }


def test_a_mistyped_drn_is_told_apart_from_an_unknown_or_malformed_one(world: World, case: Case) -> None:
    drn = world.issue(case.registry, case.id)["drn"]
    swapped = next(drn[:i] + drn[i + 1] + drn[i] + drn[i + 2 :] for i in range(11) if drn[i] != drn[i + 1])
    unknown = new_drn()

    mistyped, missing, malformed = (world.call("GET", f"/drn/{d}") for d in (swapped, unknown, "12345"))

    assert (mistyped.status_code, mistyped.get_json()["type"]) == (422, PROBLEM + "drn-mistyped")
    assert (missing.status_code, missing.get_json()["type"]) == (404, PROBLEM + "drn-unknown")
    assert (malformed.status_code, malformed.get_json()["type"]) == (400, PROBLEM + "invalid-drn")
    posted = world.call("POST", f"/drn/{swapped}", **_upload(None))
    assert posted.status_code == 422


def test_a_file_is_compared_with_the_stamped_copy_and_the_original(world: World, case: Case) -> None:
    judgment = pdf_samples.pdf_bytes(2, "Judgment")
    issued = world.issue_call(case.registry, case.id, {"kind": "judgment", "title": "Judgment"}, judgment).get_json()
    stamped = content(world, f"cases/{case.id}/issued/{issued['document_id']}-stamped")

    def compare(file: bytes) -> dict[str, Any]:
        return world.ok("POST", f"/drn/{issued['drn']}", **_upload(None, file))

    assert compare(stamped)["matches"] is True
    assert compare(judgment)["matches"] is True
    assert compare(stamped[:-10] + b"\n%%EOF\n\n\n")["matches"] is False
    assert compare(stamped)["details"]["sha256"] == issued["sha256"]
    assert world.call("POST", f"/drn/{issued['drn']}", data={}, content_type="multipart/form-data").status_code == 400
    assert world.call("POST", f"/drn/{issued['drn']}", json={}).status_code == 415


@pytest.mark.parametrize("sealed", ["case", "document"])
def test_a_sealed_document_or_case_reveals_only_that_the_drn_is_genuine(world: World, case: Case, sealed: str) -> None:
    judgment = pdf_samples.pdf_bytes(2, "Judgment")
    issued = world.issue_call(case.registry, case.id, {"kind": "judgment", "title": "Judgment"}, judgment).get_json()
    if sealed == "case":
        seal(world, tables.Case, case.id)
    else:
        seal(world, tables.IssuedDocument, issued["document_id"])

    checked = world.ok("GET", f"/drn/{issued['drn']}")
    compared = world.ok("POST", f"/drn/{issued['drn']}", **_upload(None, judgment))

    assert checked == {"drn": issued["drn"], "genuine": True, "details": None}
    assert compared == {"drn": issued["drn"], "genuine": True, "details": None, "matches": None}
