"""Filing names the fee items a filing owes; payments prices them. Each keeps its own data, so this
cross-service check keeps the two in step: every item filing can name is in payments' schedule from the
day its court takes e-filing, and both map courts to schedules alike."""

from __future__ import annotations

import json
from datetime import date, datetime, time
from importlib import resources
from typing import Any
from zoneinfo import ZoneInfo

from payments.domain.fees import SCHEDULE_COURT, default_schedule

HK = ZoneInfo("Asia/Hong_Kong")


def _filing_data(name: str) -> Any:
    return json.loads(resources.files("filing.data").joinpath(name).read_text("utf-8"))


def hk(day: str, at: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(at), HK)


def _filing_fee_items() -> set[tuple[str, str]]:
    """(fee item, e-filing date) for every fee filing can ask for: the originating fee of each case type
    started from a form, and each fee-bearing document type in the courts where such cases exist."""
    cases = _filing_data("case_types.json")
    documents = _filing_data("document_types.json")
    prefixes = documents["fee_prefixes"]
    started = [t for t in cases["case_types"] if t["form"]]
    wanted = {(f"{prefixes[t['court']]}.{t['fee_code']}", t["efiling_from"]) for t in started if t["fee_code"]}
    for document in documents["document_types"]:
        if document["fee_code"] and not document["originating"]:
            wanted |= {(f"{prefixes[t['court']]}.{document['fee_code']}", t["efiling_from"]) for t in started}
    return wanted


def test_every_fee_item_filing_can_name_is_in_the_schedule_from_the_day_its_court_takes_e_filing() -> None:
    wanted = _filing_fee_items()
    assert {"DC.WRIT", "HC.WRIT", "HC.APPEAL", "SCT.CLAIM", "DC.DEFENCE", "SCT.SUMMONS"} <= {c for c, _ in wanted}
    for code, efiling_from in wanted:
        court = code.split(".")[0]
        quote = default_schedule().quote(court, [(code, 1)], "electronic", hk(efiling_from, "00:00"))
        assert quote.total_cents > 0, code


def test_filing_and_payments_map_courts_to_schedules_alike() -> None:
    documents = _filing_data("document_types.json")
    assert documents["fee_prefixes"] == SCHEDULE_COURT
