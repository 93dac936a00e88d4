"""The filing saga through the gateway, every service a real process (``stack.py``): a firm's deposit
account, opened by card on the sandbox provider's page, pays a writ's fee and the filing moves on; a
summons paid the same way is rejected by the registry and payments gives the fee back (the
compensating step), with its own receipt, and the ledger still balances.
"""

from __future__ import annotations

import json
import sys
import uuid
from datetime import datetime
from pathlib import Path
from typing import Any

from stack import EVENTS_TIMEOUT, FILING, PAYMENTS, Stack, firm, open_deposit_account, order_id_of, pay, staff

from chassis.registry_calendar import RegistryCalendar, hong_kong_general_holidays, judiciary_opening_hours
from chassis.testing.polling import wait_until

# The filing service's test helpers (valid forms, real PDFs) live beside its own tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "filing" / "tests"))
import form_examples
import pdf_samples

OPENING = 500_000  # HK$5,000
WRIT_E_FEE = 50_400  # DC.WRIT: HK$630 paper, 80 % inside the District Court's window = HK$504
SUMMONS_E_FEE = 25_200  # DC.SUMMONS: HK$315 paper, HK$252 electronic


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


def test_a_fee_paid_from_a_deposit_account_moves_the_filing_on_and_a_rejection_refunds_it(full_stack: Stack) -> None:
    stack = full_stack
    client = stack.client()
    registry = staff(stack, client, "registry_officer")
    help_centre = staff(stack, client, "help_centre_officer")
    wong = firm(client, help_centre, "Wong & Associates")
    clerk = wong.users[0]

    def filing(filing_id: str) -> dict[str, Any]:
        answer = client.get(f"{FILING}/filings/{filing_id}", headers=clerk.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def order(order_id: str) -> dict[str, Any]:
        answer = client.get(f"{PAYMENTS}/orders/{order_id}", headers=clerk.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def balance() -> int:
        answer = client.get(f"{PAYMENTS}/deposit-accounts/mine", headers=clerk.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["balance_cents"]

    account = open_deposit_account(client, wong, OPENING)
    assert (account["balance_cents"], account["minimum_balance_cents"]) == (OPENING, 300_000)

    # The writ: its fee is quoted by the schedule, paid from the deposit account at once.
    started = client.post(
        f"{FILING}/cases",
        json={"case_type": "DCPI", "form": form_examples.writ_dcpi()},
        headers={**clerk.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert started.status_code == 201, started.text
    case = started.json()["cases"][0]
    writ = case["filing"]
    assert writ["status"] == "awaiting_payment"
    writ_order = order_id_of(client, writ["filing_id"], clerk)
    assert order(writ_order)["amount_cents"] == WRIT_E_FEE
    paid = pay(client, writ_order, clerk, "deposit_account")
    assert paid.status_code == 201, paid.text
    assert paid.json()["order"]["status"] == "paid" and paid.json()["receipt_number"]
    assert balance() == OPENING - WRIT_E_FEE

    received = wait_until(
        lambda: (found := filing(writ["filing_id"]))["status"] == "received" and found,
        timeout=EVENTS_TIMEOUT,
        what="filing to hear the writ's fee is paid",
    )
    paid_at = instant(order(writ_order)["paid_at"])
    calendar = RegistryCalendar(judiciary_opening_hours(), hong_kong_general_holidays(), [])
    assert instant(received["deemed_received_at"]) == calendar.deemed_receipt(
        max(instant(writ["documents_in_at"]), paid_at)
    )
    accepted = client.post(f"{FILING}/filings/{writ['filing_id']}/accept", json={}, headers=registry.headers)
    assert accepted.status_code == 200, accepted.text

    # A summons, paid the same way, is rejected: the fee goes back to the deposit account.
    submitted = client.post(
        f"{FILING}/filings",
        headers={**clerk.headers, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "metadata": json.dumps(
                {"case_id": case["case_id"], "title": "Summons for directions", "lead": {"document_type": "summons"}}
            )
        },
        files={"lead": ("summons.pdf", pdf_samples.pdf_bytes(2, "Summons"), "application/pdf")},
    )
    assert submitted.status_code == 201, submitted.text
    summons = submitted.json()
    summons_order = order_id_of(client, summons["filing_id"], clerk)
    assert order(summons_order)["amount_cents"] == SUMMONS_E_FEE
    assert pay(client, summons_order, clerk, "deposit_account").status_code == 201
    assert balance() == OPENING - WRIT_E_FEE - SUMMONS_E_FEE
    wait_until(
        lambda: filing(summons["filing_id"])["status"] == "received",
        timeout=EVENTS_TIMEOUT,
        what="filing to hear the summons' fee is paid",
    )
    rejected = client.post(
        f"{FILING}/filings/{summons['filing_id']}/reject",
        json={"reasons": ["unsigned"], "message": "The summons is not signed."},
        headers=registry.headers,
    )
    assert rejected.status_code == 200, rejected.text

    refunded = wait_until(
        lambda: (found := order(summons_order))["status"] == "refunded" and found,
        timeout=EVENTS_TIMEOUT,
        what="payments to refund the rejected filing's fee",
    )
    assert refunded["refund_receipt_number"] and refunded["refund_receipt_number"] != refunded["receipt_number"]
    assert balance() == OPENING - WRIT_E_FEE
    assert order(writ_order)["status"] == "paid"

    # The writ's and the summons' receipts, and the refund's, reach the clerk's inbox; the opening's the PA's.
    def receipts(who: Any) -> list[str]:
        answer = client.get(f"{FILING}/inbox", headers=who.headers)
        assert answer.status_code == 200, answer.text
        return [m["subject"] for m in answer.json()["messages"] if m["kind"] == "receipt"]

    wait_until(lambda: len(receipts(clerk)) == 3, timeout=EVENTS_TIMEOUT, what="three receipts in the clerk's inbox")
    wait_until(lambda: len(receipts(wong.pa)) == 1, timeout=EVENTS_TIMEOUT, what="the opening receipt for the PA")
    assert any(refunded["refund_receipt_number"] in subject for subject in receipts(clerk))

    trial = client.get(f"{PAYMENTS}/ledger/trial-balance", headers=registry.headers)
    assert trial.status_code == 200, trial.text
    assert trial.json()["total_cents"] == 0
