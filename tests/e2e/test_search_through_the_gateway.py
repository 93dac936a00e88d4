"""Search behind the gateway, every part a real process (``stack.py``): a case a firm starts shows in
the public cause book with its docket as the registry accepts its filings, its writ's text is found
by anyone, the firm's user finds it among its own cases, and sealing takes it out of search.

It measures the eventual consistency too: the lag from an acceptance (the moment the registry's
accept call returns) to the docket entry showing in the cause book through the gateway, polled every
20 ms, over 20 acceptances. The numbers are printed (``pytest -s``) and recorded in search's README;
no bound is asserted on them beyond the events timeout, since CI machines are shared.
"""

from __future__ import annotations

import json
import math
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
from stack import EVENTS_TIMEOUT, FILING, Stack, accept, firm, pay_until_received, staff, start_case

from chassis.testing.polling import wait_until

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "filing" / "tests"))
import form_examples
import pdf_samples

SEARCH = "/api/search/v1"
ACCEPTANCES = 20
POLL_SECONDS = 0.02


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile: the smallest value that ``share`` of the values do not exceed
    (over 20 values, p99 is the largest)."""
    ordered = sorted(values)
    return ordered[max(math.ceil(share * len(ordered)), 1) - 1]


def lag_until(appears: Callable[[], bool]) -> float:
    """Seconds from now until ``appears()`` is true, polled every 20 ms."""
    started = time.monotonic()
    wait_until(appears, timeout=EVENTS_TIMEOUT, interval=POLL_SECONDS, what="the change to show in search")
    return time.monotonic() - started


def test_a_case_and_its_accepted_filings_show_in_search_through_the_gateway_with_the_lag_measured(
    full_stack: Stack,
) -> None:
    stack = full_stack
    client = stack.client()
    public = httpx.Client(base_url=stack.gateway, timeout=60)
    registry = staff(stack, client, "registry_officer")
    clerk = firm(client, staff(stack, client, "help_centre_officer"), "Chan & Co").users[0]

    case = start_case(client, clerk, form_examples.writ_dcpi(plaintiff="CHEUNG Wing Kei"))
    case_number, writ = case["case_number"], case["filing"]

    def entry() -> dict[str, Any] | None:
        answer = public.get(f"{SEARCH}/cause-book", params={"case_number": case_number.lower().replace(" ", "")})
        assert answer.status_code == 200, answer.text
        items = answer.json()["items"]
        return items[0] if items else None

    def docket_holds(number: int) -> bool:
        found = entry()
        return found is not None and number in [e["number"] for e in found["docket"]]

    # The writ, paid by card and accepted: docket entry 1.
    pay_until_received(client, writ["filing_id"], clerk)
    accept(client, registry, writ["filing_id"])
    lags = [lag_until(lambda: docket_holds(1))]

    # Letters to the court, each accepted in turn: docket entries 2, 3, ...
    for n in range(2, ACCEPTANCES + 1):
        filed = client.post(
            f"{FILING}/filings",
            headers=clerk.headers,
            data={
                "metadata": json.dumps(
                    {"case_id": case["case_id"], "title": f"Letter {n}", "lead": {"document_type": "letter"}}
                )
            },
            files={"lead": (f"letter-{n}.pdf", pdf_samples.pdf_bytes(1, f"Letter {n}"), "application/pdf")},
        )
        assert filed.status_code == 201, filed.text
        accept(client, registry, filed.json()["filing_id"])
        lags.append(lag_until(lambda n=n: docket_holds(n)))

    shown = entry()
    assert shown is not None
    assert [e["number"] for e in shown["docket"]] == list(range(1, ACCEPTANCES + 1))
    assert shown["parties"][0]["name"] == "CHEUNG Wing Kei"
    assert shown["parties"][0]["representative"] == "Chan & Co"
    report = {
        "acceptances": len(lags),
        "p50_ms": round(statistics.median(lags) * 1000),
        "p99_ms": round(percentile(lags, 0.99) * 1000),
        "max_ms": round(max(lags) * 1000),
        "mean_ms": round(statistics.fmean(lags) * 1000),
        "each_ms": [round(lag * 1000) for lag in lags],
    }
    print(f"\nsearch lag from acceptance to the cause book through the gateway: {json.dumps(report)}")

    # Anyone finds the writ by its words once filing has extracted and published its text.
    def writ_found() -> list[dict[str, Any]]:
        answer = public.get(f"{SEARCH}/documents", params={"q": f"unguarded scaffold {case_number}"})
        assert answer.status_code == 200, answer.text
        return answer.json()["items"]

    (hit,) = wait_until(writ_found, timeout=EVENTS_TIMEOUT, what="the writ's text in search")
    assert hit["case_number"] == case_number and hit["case_number_match"] is True
    assert "<mark>unguarded</mark>" in hit["snippet"]

    # The firm's user finds the case among its own; an anonymous caller has none.
    mine = wait_until(
        lambda: client.get(f"{SEARCH}/my-cases", headers=clerk.headers).json()["items"],
        timeout=EVENTS_TIMEOUT,
        what="identity's assignment of the firm's user",
    )
    assert [c["case_number"] for c in mine] == [case_number]
    assert public.get(f"{SEARCH}/my-cases").status_code == 401

    # Sealed: out of the cause book, the documents and my cases.
    sealed = client.post(
        f"{FILING}/cases/{case['case_id']}/seal", json={"reason": "Order of the court"}, headers=registry.headers
    )
    assert sealed.status_code == 200, sealed.text
    sealing_lag = lag_until(lambda: entry() is None)
    print(f"search lag from sealing to the case's removal: {round(sealing_lag * 1000)} ms")
    assert writ_found() == []
    assert client.get(f"{SEARCH}/my-cases", headers=clerk.headers).json()["items"] == []
