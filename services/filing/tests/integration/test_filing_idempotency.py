"""Idempotency-Key: a filing or a new case sent again with its key, even many times at once, is made
once and answered the same every time; the key sent with a different request is refused."""

from __future__ import annotations

import io
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import form_examples
import pdf_samples
from filing_testkit import API, Caller, World
from werkzeug.test import TestResponse

from filing.adapters import tables

T = TypeVar("T")
LEAD = pdf_samples.pdf_bytes(2, "Witness statement of CHAN Tai Man")
EXHIBIT = pdf_samples.pdf_bytes(1, "Exhibit CTM-1")


def in_parallel(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` ... ``work(n - 1)``, each on a thread of its own, released together."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def stored(world: World) -> dict[str, Any]:
    """What a request could have left behind."""
    counted = (tables.Case, tables.Party, tables.Filing, tables.Document, tables.InboxMessage, tables.IdempotencyKey)
    return {
        **{table.__tablename__: world.count(table) for table in counted},
        "objects": sorted(world.objects()),
        "events": sorted(world.outbox_types()),
    }


def grown(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    """How much each count grew, and the events added."""
    events = list(after["events"])
    for event in before["events"]:
        events.remove(event)
    return {
        **{k: after[k] - before[k] for k in before if k not in ("objects", "events")},
        "objects": len(after["objects"]) - len(before["objects"]),
        "events": sorted(events),
    }


def assert_key_reused(response: TestResponse) -> None:
    assert response.status_code == 422, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    assert response.get_json()["type"] == "urn:icms:problem:idempotency-key-reused"


def witness_statement(case_id: str, title: str = "Witness statement of CHAN Tai Man") -> dict[str, Any]:
    return {
        "case_id": case_id,
        "title": title,
        "lead": {"document_type": "witness_statement"},
        "connected": [{"document_type": "exhibit", "title": "Exhibit CTM-1"}],
    }


def file_alone(world: World, who: Caller, metadata: dict[str, Any], key: str) -> TestResponse:
    """POST /filings from a test client of its own, as a separate browser would send it."""
    return world.app.test_client().post(
        f"{API}/filings",
        headers=world.headers(who, {"Idempotency-Key": key}),
        data={
            "metadata": json.dumps(metadata),
            "lead": (io.BytesIO(LEAD), "statement.pdf"),
            "connected": [(io.BytesIO(EXHIBIT), "exhibit.pdf")],
        },
        content_type="multipart/form-data",
    )


def start_case_alone(world: World, who: Caller, form: dict[str, Any], key: str) -> TestResponse:
    return world.app.test_client().post(
        f"{API}/cases", headers=world.headers(who, {"Idempotency-Key": key}), json={"case_type": "DCPI", "form": form}
    )


def filer_with_case(world: World) -> tuple[Caller, dict[str, Any]]:
    alice = world.caller("OU", world.firm("Chan & Co"))
    return alice, world.start_case(alice)


# Filings ----------------------------------------------------------------------------------------------------


def test_a_filing_sent_twice_with_one_key_is_filed_once_and_answered_alike(world: World) -> None:
    alice, case = filer_with_case(world)
    before = stored(world)

    first = world.file(alice, witness_statement(case["case_id"]), LEAD, [EXHIBIT], key="stmt-ctm-1")
    again = world.file(alice, witness_statement(case["case_id"]), LEAD, [EXHIBIT], key="stmt-ctm-1")

    assert first.status_code == again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert grown(before, stored(world)) == {
        "cases": 0,
        "parties": 0,
        "filings": 1,
        "documents": 2,
        "inbox_messages": 1,
        "idempotency_keys": 1,
        "objects": 2,
        "events": ["filing.filing.received", "filing.filing.submitted"],
    }
    # The key is the filer's own: without it, the same documents make a second filing.
    other = world.file(alice, witness_statement(case["case_id"]), LEAD, [EXHIBIT])
    assert other.status_code == 201
    assert other.get_json()["filing_id"] != first.get_json()["filing_id"]


def test_ten_identical_filings_sent_at_once_with_one_key_make_one_filing(world: World) -> None:
    alice, case = filer_with_case(world)
    before = stored(world)

    responses = in_parallel(10, lambda _: file_alone(world, alice, witness_statement(case["case_id"]), "stmt-ctm-1"))

    assert [r.status_code for r in responses] == [201] * 10, [r.get_data(as_text=True) for r in responses]
    answers = [r.get_json() for r in responses]
    assert all(a == answers[0] for a in answers)
    assert len({a["filing_id"] for a in answers}) == 1
    assert grown(before, stored(world)) == {
        "cases": 0,
        "parties": 0,
        "filings": 1,
        "documents": 2,
        "inbox_messages": 1,
        "idempotency_keys": 1,
        "objects": 2,
        "events": ["filing.filing.received", "filing.filing.submitted"],
    }


def test_a_key_sent_again_with_a_different_filing_is_refused_and_nothing_is_kept(world: World) -> None:
    alice, case = filer_with_case(world)
    assert world.file(alice, witness_statement(case["case_id"]), LEAD, [EXHIBIT], key="stmt-1").status_code == 201
    before = stored(world)

    assert_key_reused(
        world.file(alice, witness_statement(case["case_id"], "Another title"), LEAD, [EXHIBIT], key="stmt-1")
    )
    other_exhibit = pdf_samples.pdf_bytes(1, "Exhibit CTM-2")
    assert_key_reused(world.file(alice, witness_statement(case["case_id"]), LEAD, [other_exhibit], key="stmt-1"))

    assert stored(world) == before


# Cases ------------------------------------------------------------------------------------------------------


def test_a_case_started_twice_with_one_key_is_started_once_and_answered_alike(world: World) -> None:
    alice = world.caller("OU", world.firm("Chan & Co"))
    form = form_examples.writ_dcpi()

    first = start_case_alone(world, alice, form, "writ-chan-1")
    again = start_case_alone(world, alice, form, "writ-chan-1")

    assert first.status_code == again.status_code == 201, again.get_data(as_text=True)
    assert again.get_json() == first.get_json()
    assert first.get_json()["cases"][0]["case_number"] == "DCPI 1/2026"
    assert world.count(tables.Case) == 1
    assert world.count(tables.Filing) == 1
    assert len(world.objects()) == 1
    assert world.outbox_types().count("filing.case.created") == 1
    assert world.outbox_types().count("filing.filing.submitted") == 1
    # The next case, with a key of its own, takes the next number: the retry used none up.
    assert start_case_alone(world, alice, form, "writ-chan-2").get_json()["cases"][0]["case_number"] == "DCPI 2/2026"


def test_ten_identical_cases_sent_at_once_with_one_key_make_one_case(world: World) -> None:
    alice = world.caller("OU", world.firm("Chan & Co"))
    form = form_examples.writ_dcpi()

    responses = in_parallel(10, lambda _: start_case_alone(world, alice, form, "writ-chan-1"))

    assert [r.status_code for r in responses] == [201] * 10, [r.get_data(as_text=True) for r in responses]
    answers = [r.get_json() for r in responses]
    assert all(a == answers[0] for a in answers)
    assert answers[0]["cases"][0]["case_number"] == "DCPI 1/2026"
    assert world.count(tables.Case) == 1
    assert world.count(tables.Filing) == 1
    assert len(world.objects()) == 1
    assert world.outbox_types().count("filing.case.created") == 1
    assert start_case_alone(world, alice, form, "writ-chan-2").get_json()["cases"][0]["case_number"] == "DCPI 2/2026"


def test_a_key_sent_again_with_a_different_case_or_for_a_filing_is_refused_and_nothing_is_kept(world: World) -> None:
    alice = world.caller("OU", world.firm("Chan & Co"))
    case = start_case_alone(world, alice, form_examples.writ_dcpi(), "writ-chan-1").get_json()["cases"][0]
    before = stored(world)

    assert_key_reused(start_case_alone(world, alice, form_examples.writ_dcpi("LEE Siu Ming"), "writ-chan-1"))
    assert_key_reused(world.file(alice, witness_statement(case["case_id"]), LEAD, [EXHIBIT], key="writ-chan-1"))

    assert stored(world) == before
