"""Filing behind the gateway, every part a real process: identity's, filing's and payments' web
processes under gunicorn, their workers and the gateway (``stack.py``), on this test's own PostgreSQL
databases, RabbitMQ vhost and S3 buckets. Fees are paid by card on the sandbox provider's hosted page;
payments hears of it through the provider's signed webhook and tells filing.
"""

from __future__ import annotations

import hashlib
import json
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

import httpx
from stack import (
    EVENTS_TIMEOUT,
    FILING,
    IDENTITY,
    PAYMENTS,
    Account,
    Stack,
    accept,
    firm,
    linked,
    order_id_of,
    pay_by_card,
    pay_until_received,
    staff,
    start_case,
)

from chassis.registry_calendar import RegistryCalendar, hong_kong_general_holidays, judiciary_opening_hours
from chassis.testing.polling import wait_until

# The filing service's test helpers (valid forms, real PDFs) live beside its own tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "filing" / "tests"))
import form_examples
import pdf_samples


def registry_calendar() -> RegistryCalendar:
    """The registry's hours and Hong Kong's general holidays, no closures declared."""
    return RegistryCalendar(judiciary_opening_hours(), hong_kong_general_holidays(), [])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the journey ------------------------------------------------------------------------------------


def test_two_firms_file_pay_and_are_accepted_in_one_case_through_the_gateway_and_a_third_sees_nothing(
    full_stack: Stack,
) -> None:
    stack = full_stack
    client = stack.client()
    registry = staff(stack, client, "registry_officer")
    help_centre = staff(stack, client, "help_centre_officer")
    plaintiff_firm = firm(client, help_centre, "Chan & Co", users=2)
    defendant_firm = firm(client, help_centre, "Lee & Partners")
    other_firm = firm(client, help_centre, "Other LLP")
    alice, alan = plaintiff_firm.users
    bob, carol = defendant_firm.users[0], other_firm.users[0]

    def get(path: str, who: Account) -> httpx.Response:
        return client.get(f"{FILING}{path}", headers=who.headers)

    def filing_of(filing_id: str, who: Account) -> dict[str, Any]:
        answer = get(f"/filings/{filing_id}", who)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # The plaintiff's firm starts a personal injuries action from the form; the writ awaits its fee.
    case = start_case(client, alice, form_examples.writ_dcpi())
    case_id, writ = case["case_id"], case["filing"]
    plaintiff, defendant = case["parties"]
    assert plaintiff["representative"]["organisation_id"] == plaintiff_firm.organisation_id
    assert defendant["representative"] is None
    assert writ["status"] == "awaiting_payment"

    pay_until_received(client, writ["filing_id"], alice)
    queue = client.get(f"{FILING}/review-queue", headers=registry.headers).json()
    assert writ["filing_id"] in [f["filing_id"] for f in queue["filings"]]
    assert accept(client, registry, writ["filing_id"])["docket_number"] == 1

    # Identity heard of the case and linked the filer; a colleague the PA links gets in through filing.
    assert wait_until(
        lambda: linked(client, plaintiff_firm, case_id), timeout=EVENTS_TIMEOUT, what="identity to link the filer"
    ) == [alice.id]
    assert get(f"/cases/{case_id}", alan).status_code == 404
    linking = client.post(
        f"{IDENTITY}/organisations/{plaintiff_firm.organisation_id}/case-assignments",
        json={"case_id": case_id, "account_id": alan.id},
        headers=plaintiff_firm.pa.headers,
    )
    assert linking.status_code == 201, linking.text
    wait_until(
        lambda: get(f"/cases/{case_id}", alan).status_code == 200,
        timeout=EVENTS_TIMEOUT,
        what="filing to let in the user identity linked",
    )
    assert get(f"/cases/{case_id}", alice).status_code == 200

    # The defendant's firm is not on the case, but may acknowledge service for the defendant.
    assert get(f"/cases/{case_id}", bob).status_code == 404
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
    ack = acknowledged.json()
    assert ack["status"] == "received"
    assert accept(client, registry, ack["filing_id"])["docket_number"] == 2
    assert wait_until(
        lambda: linked(client, defendant_firm, case_id),
        timeout=EVENTS_TIMEOUT,
        what="identity to link the defendant firm's default user",
    ) == [bob.id]
    on_record = wait_until(
        lambda: (answer := get(f"/cases/{case_id}", bob)).status_code == 200 and answer.json(),
        timeout=EVENTS_TIMEOUT,
        what="the defendant's firm to see the case",
    )
    assert on_record["parties"][1]["representative"]["organisation_id"] == defendant_firm.organisation_id

    # The defence with an exhibit, through the gateway as one multipart body.
    defence_pdf, exhibit_pdf = pdf_samples.pdf_bytes(3, "Defence"), pdf_samples.pdf_bytes(1, "Exhibit LSM-1")
    submitted = client.post(
        f"{FILING}/filings",
        headers={**bob.headers, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "metadata": json.dumps(
                {
                    "case_id": case_id,
                    "title": "Defence of the defendant",
                    "lead": {"document_type": "defence"},
                    "connected": [{"document_type": "exhibit", "title": "Exhibit LSM-1"}],
                    "on_behalf_of": [defendant["party_id"]],
                }
            )
        },
        files=[
            ("lead", ("defence.pdf", defence_pdf, "application/pdf")),
            ("connected", ("exhibit.pdf", exhibit_pdf, "application/pdf")),
        ],
    )
    assert submitted.status_code == 201, submitted.text
    defence = submitted.json()
    assert defence["status"] == "awaiting_payment"
    assert [(d["role"], d["sha256"]) for d in defence["documents"]] == [
        ("lead", hashlib.sha256(defence_pdf).hexdigest()),
        ("connected", hashlib.sha256(exhibit_pdf).hexdigest()),
    ]

    order = order_id_of(client, defence["filing_id"], bob)
    pay_by_card(client, order, bob, brand="unionpay")
    received = wait_until(
        lambda: (found := filing_of(defence["filing_id"], bob))["status"] == "received" and found,
        timeout=EVENTS_TIMEOUT,
        what="the paid defence to be received",
    )
    # Received when both documents and fee are in, at the registry's first open instant from then.
    paid = client.get(f"{PAYMENTS}/orders/{order}", headers=bob.headers).json()
    assert (paid["status"], paid["method"]) == ("paid", "card")
    paid_at = instant(paid["paid_at"])
    complete = max(instant(defence["documents_in_at"]), paid_at)
    assert instant(received["deemed_received_at"]) == registry_calendar().deemed_receipt(complete)
    assert instant(received["payment"]["paid_at"]) == paid_at
    assert accept(client, registry, defence["filing_id"])["docket_number"] == 3

    docket = get(f"/cases/{case_id}", alice).json()["docket"]
    assert [(e["number"], len(e["documents"])) for e in docket] == [(1, 1), (2, 1), (3, 2)]
    exhibit = defence["documents"][1]
    content = get(f"/filings/{defence['filing_id']}/documents/{exhibit['document_id']}/content", alice)
    assert content.status_code == 200 and content.content == exhibit_pdf

    def inbox(who: Account) -> list[str]:
        answer = get("/inbox", who)
        assert answer.status_code == 200, answer.text
        return sorted(m["kind"] for m in answer.json()["messages"])

    # Each fee's receipt reaches the payer's inbox once payments has rendered it.
    expected = {
        "alice": ["acknowledgement", "payment_request", "receipt", "review_outcome"],
        "bob": ["acknowledgement", "acknowledgement", "payment_request", "receipt", "review_outcome", "review_outcome"],
    }
    wait_until(
        lambda: inbox(alice) == expected["alice"] and inbox(bob) == expected["bob"],
        timeout=EVENTS_TIMEOUT,
        what=f"the inboxes to hold {expected}",
    )
    assert inbox(alan) == []

    # A firm with nothing to do with the case cannot even tell it exists.
    assert get(f"/cases/{case_id}", carol).status_code == 404
    for filed in (writ, ack, defence):
        assert get(f"/filings/{filed['filing_id']}", carol).status_code == 404
    assert get(f"/filings/{defence['filing_id']}/documents/{exhibit['document_id']}/content", carol).status_code == 404
    assert get("/cases", carol).json()["cases"] == []
    assert get("/filings", carol).json()["filings"] == []
    assert inbox(carol) == []
    assert linked(client, other_firm, case_id) == []
