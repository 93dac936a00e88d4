"""What the court sends back, through the gateway with every part a real process (``stack.py``): the
registry issues a sealed writ into a case both firms are on; it reaches both firms' inboxes under its
Document Reference Number; a member of the public, with no account, checks the DRN, pays the inspection
fee by card and downloads the public copy from a short-lived presigned URL; once the registry seals
the case the DRN check says nothing more and the member of the public's download stops.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
from stack import (
    EVENTS_TIMEOUT,
    FILING,
    PAYMENTS,
    Account,
    Stack,
    accept,
    firm,
    linked,
    pay_until_received,
    staff,
    start_case,
)

from chassis.testing.polling import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "filing" / "tests"))
import form_examples
import pdf_samples


def test_a_sealed_writ_reaches_both_firms_and_the_public_checks_pays_and_downloads_until_the_case_is_sealed(
    full_stack: Stack,
) -> None:
    stack = full_stack
    client = stack.client()
    public = httpx.Client(base_url=stack.gateway, timeout=60)
    registry = staff(stack, client, "registry_officer")
    help_centre = staff(stack, client, "help_centre_officer")
    plaintiff_firm = firm(client, help_centre, "Chan & Co")
    defendant_firm = firm(client, help_centre, "Lee & Partners")
    alice, bob = plaintiff_firm.users[0], defendant_firm.users[0]

    # A case both firms are on: the plaintiff's writ, paid and accepted; the defendant's acknowledgement.
    case = start_case(client, alice, form_examples.writ_dcpi())
    case_id, writ, defendant = case["case_id"], case["filing"], case["parties"][1]
    pay_until_received(client, writ["filing_id"], alice)
    accept(client, registry, writ["filing_id"])
    acknowledged = client.post(
        f"{FILING}/filings",
        headers=bob.headers,
        data={
            "metadata": json.dumps(
                {
                    "case_id": case_id,
                    "title": "Acknowledgement of service",
                    "lead": {"document_type": "acknowledgement_of_service"},
                    "acting_for": defendant["party_id"],
                }
            )
        },
        files={"lead": ("acknowledgement.pdf", pdf_samples.pdf_bytes(1, "Acknowledgement"), "application/pdf")},
    )
    assert acknowledged.status_code == 201, acknowledged.text
    accept(client, registry, acknowledged.json()["filing_id"])
    for who, on_record in ((alice, plaintiff_firm), (bob, defendant_firm)):
        assert wait_until(
            lambda on_record=on_record: linked(client, on_record, case_id),
            timeout=EVENTS_TIMEOUT,
            what="identity to link each firm's user",
        ) == [who.id]
        wait_until(
            lambda who=who: client.get(f"{FILING}/cases/{case_id}", headers=who.headers).status_code == 200,
            timeout=EVENTS_TIMEOUT,
            what="filing to let each firm's user in",
        )

    # The registry issues the sealed writ: the originating document under the court's seal and a DRN.
    issued = client.post(
        f"{FILING}/cases/{case_id}/issued-documents",
        json={"template": "sealed_originating"},
        headers=registry.headers,
    )
    assert issued.status_code == 201, issued.text
    writ_copy = issued.json()
    drn, document_id = writ_copy["drn"], writ_copy["document_id"]
    assert len(drn) == 12 and drn.isdigit() and writ_copy["public_inspection"] is True

    def issued_in_inbox(who: Account) -> list[str]:
        answer = client.get(f"{FILING}/inbox", headers=who.headers)
        assert answer.status_code == 200, answer.text
        return [m["details"].get("drn") for m in answer.json()["messages"] if m["kind"] == "issued_document"]

    assert issued_in_inbox(alice) == [drn]
    assert issued_in_inbox(bob) == [drn]

    # What a party downloads is what the DRN check vouches for.
    def download(headers: dict[str, str]) -> httpx.Response:
        return public.get(f"{FILING}/documents/{document_id}/download", headers=headers)

    party_copy = download(alice.headers)
    assert party_copy.status_code == 200, party_copy.text
    stamped = httpx.get(party_copy.json()["url"], timeout=60).content
    assert hashlib.sha256(stamped).hexdigest() == writ_copy["sha256"] == party_copy.json()["sha256"]

    # The public, with no login: the DRN is genuine; a slip of one digit is told apart from an unknown DRN.
    checked = public.get(f"{FILING}/drn/{drn}")
    assert checked.status_code == 200, checked.text
    details = checked.json()["details"]
    assert checked.json()["genuine"] is True
    assert (details["case_number"], details["sha256"]) == (case["case_number"], writ_copy["sha256"])
    slipped = drn[:5] + str((int(drn[5]) + 1) % 10) + drn[6:]
    assert public.get(f"{FILING}/drn/{slipped}").json()["type"].endswith("drn-mistyped")
    compared = public.post(f"{FILING}/drn/{drn}", files={"file": ("writ.pdf", stamped, "application/pdf")})
    assert compared.status_code == 200 and compared.json()["matches"] is True, compared.text

    # Nothing to download before the inspection fee is paid.
    assert download({}).status_code == 404
    asked = public.post(f"{FILING}/inspections", json={"drn": drn})
    assert asked.status_code == 201, asked.text
    inspection_id, token = asked.json()["inspection_id"], asked.json()["token"]
    holder = {"Inspection-Token": token}
    assert download(holder).status_code == 404

    def inspection() -> dict[str, Any]:
        answer = public.get(f"{FILING}/inspections/{inspection_id}", headers=holder)
        assert answer.status_code == 200, answer.text
        return answer.json()

    order_id = wait_until(
        lambda: inspection().get("order_id"), timeout=EVENTS_TIMEOUT, what="payments to make the inspection's order"
    )
    order = public.get(f"{PAYMENTS}/orders/{order_id}").json()
    fee = public.post(
        f"{PAYMENTS}/fee-quotes",
        json={"court": "DC", "items": [{"code": "DC.SEARCH", "quantity": 1}], "channel": "electronic"},
    ).json()
    # One document's inspection, at the electronic rate of the day (HK$14 inside the DC concession window).
    assert (order["reference_type"], order["amount_cents"]) == ("inspection", fee["total_cents"])
    paying = public.post(
        f"{PAYMENTS}/orders/{order_id}/payments",
        json={"method": "card", "card_brand": "visa"},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    assert paying.status_code == 202, paying.text
    page = public.get(paying.json()["payment"]["redirect_url"])
    assert page.status_code == 200
    assert public.post(paying.json()["payment"]["redirect_url"], data={"outcome": "approve"}).status_code == 303
    wait_until(
        lambda: inspection()["status"] == "granted", timeout=EVENTS_TIMEOUT, what="the paid inspection to be granted"
    )
    link = download(holder)
    assert link.status_code == 200, link.text
    public_copy = httpx.get(link.json()["url"], timeout=60)
    assert public_copy.status_code == 200
    assert hashlib.sha256(public_copy.content).hexdigest() == writ_copy["sha256"]

    # The registry seals the case: the DRN is still genuine but says nothing more, and the download stops.
    sealed = client.post(
        f"{FILING}/cases/{case_id}/seal", json={"reason": "Order of the court"}, headers=registry.headers
    )
    assert sealed.status_code == 200, sealed.text
    after = public.get(f"{FILING}/drn/{drn}")
    assert after.status_code == 200 and after.json()["genuine"] is True and after.json()["details"] is None
    assert case["case_number"] not in after.text and writ_copy["sha256"] not in after.text
    compared = public.post(f"{FILING}/drn/{drn}", files={"file": ("writ.pdf", stamped, "application/pdf")})
    assert compared.status_code == 200 and compared.json()["matches"] is None
    assert download(holder).status_code == 404
    assert public.get(f"{FILING}/documents/{document_id}", headers=holder).status_code == 404
    # The parties still read their own case's documents.
    assert download(bob.headers).status_code == 200
