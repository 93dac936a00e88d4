"""Numbers under load, on PostgreSQL: case numbers run 1, 2, 3... per prefix and year with no gap and no
duplicate however many filers start cases at once, and a case's docket numbers likewise however many
filings the registry accepts at once."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import form_examples
import pdf_samples
import sqlalchemy as sa
from filing_testkit import API, Caller, World
from werkzeug.test import TestResponse

from filing.adapters import tables
from filing.service_layer import cases

T = TypeVar("T")


def in_parallel(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` ... ``work(n - 1)``, each on a thread of its own, released together."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def start_case_alone(
    world: World, who: Caller, case_type: str = "DCPI", plaintiff: str = "CHAN Tai Man"
) -> TestResponse:
    """POST /cases from a test client of its own, as a separate browser would send it."""
    form = getattr(form_examples, f"writ_{case_type.lower()}")(plaintiff)
    return world.app.test_client().post(
        f"{API}/cases", headers=world.headers(who), json={"case_type": case_type, "form": form}
    )


def created_numbers(responses: list[TestResponse]) -> list[str]:
    for response in responses:
        assert response.status_code == 201, response.get_data(as_text=True)
    return [case["case_number"] for r in responses for case in r.get_json()["cases"]]


def counter(world: World, prefix: str, year: int = 2026) -> int | None:
    with world.runtime.engine.connect() as conn:
        return conn.scalar(
            sa.select(tables.CaseNumberCounter.last_number).where(
                tables.CaseNumberCounter.prefix == prefix, tables.CaseNumberCounter.year == year
            )
        )


def test_fifty_cases_started_at_once_take_the_numbers_1_to_50(world: World) -> None:
    firm = world.firm("Chan & Co")
    filers = [world.caller("OU", firm) for _ in range(50)]

    responses = in_parallel(50, lambda i: start_case_alone(world, filers[i], plaintiff=f"PLAINTIFF {i}"))

    numbers = created_numbers(responses)
    assert sorted(numbers) == sorted(f"DCPI {n}/2026" for n in range(1, 51))
    assert counter(world, "DCPI") == 50
    assert world.count(tables.Case) == 50
    assert world.count(tables.Filing) == 50
    assert len(world.objects()) == 50
    assert world.outbox_types().count("filing.case.created") == 50
    # Each filer got the case it asked for, under the number it was told.
    for i, response in enumerate(responses):
        case = response.get_json()["cases"][0]
        assert case["parties"][0]["name"] == f"PLAINTIFF {i}"
        assert world.case_number(case["case_id"]) == case["case_number"]


def test_two_prefixes_started_at_once_keep_their_own_sequences(world: World) -> None:
    firm = world.firm("Chan & Co")
    filers = [world.caller("OU", firm) for _ in range(20)]

    responses = in_parallel(20, lambda i: start_case_alone(world, filers[i], "DCPI" if i % 2 else "DCCJ"))

    numbers = created_numbers(responses)
    assert sorted(n for n in numbers if n.startswith("DCPI ")) == sorted(f"DCPI {n}/2026" for n in range(1, 11))
    assert sorted(n for n in numbers if n.startswith("DCCJ ")) == sorted(f"DCCJ {n}/2026" for n in range(1, 11))
    assert (counter(world, "DCPI"), counter(world, "DCCJ")) == (10, 10)


def test_a_case_that_fails_after_taking_its_number_gives_the_number_back(world: World, monkeypatch) -> None:
    alice = world.caller("OU", world.firm("Chan & Co"))
    first = world.start_case(alice)
    assert first["case_number"] == "DCPI 1/2026"
    kept = world.objects()

    def broken_renderer(*args: Any, **kwargs: Any) -> bytes:
        raise RuntimeError("the renderer ran out of fonts")

    with monkeypatch.context() as patch:
        patch.setattr(cases, "render_originating", broken_renderer)
        assert start_case_alone(world, alice).status_code == 500

    # Failing after the originating document is stored: the stored document is taken out again.
    def broken_inspection(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("the inspector fell over")

    with monkeypatch.context() as patch:
        patch.setattr(cases, "inspect_pdf", broken_inspection)
        assert start_case_alone(world, alice).status_code == 500
    assert world.objects() == kept
    assert counter(world, "DCPI") == 1

    assert world.start_case(alice)["case_number"] == "DCPI 2/2026"
    assert counter(world, "DCPI") == 2
    assert world.count(tables.Case) == 2
    assert len(world.objects()) == 2
    assert world.outbox_types().count("filing.case.created") == 2


def test_a_case_failing_among_others_started_at_once_leaves_no_gap(world: World, monkeypatch) -> None:
    firm = world.firm("Chan & Co")
    filers = [world.caller("OU", firm) for _ in range(10)]
    render = cases.render_originating

    def render_unless_doomed(originating: Any, **kwargs: Any) -> bytes:
        if originating.parties[0].name == "DOOMED":
            raise RuntimeError("the renderer ran out of fonts")
        return render(originating, **kwargs)

    monkeypatch.setattr(cases, "render_originating", render_unless_doomed)
    responses = in_parallel(10, lambda i: start_case_alone(world, filers[i], plaintiff="DOOMED" if i == 4 else "OK"))

    assert responses[4].status_code == 500
    numbers = created_numbers(responses[:4] + responses[5:])
    assert sorted(numbers) == sorted(f"DCPI {n}/2026" for n in range(1, 10))
    assert counter(world, "DCPI") == 9
    assert len(world.objects()) == 9


def test_twenty_filings_accepted_at_once_take_consecutive_docket_numbers(world: World) -> None:
    alice = world.caller("OU", world.firm("Chan & Co"))
    registry = world.caller("registry_officer")
    case = world.start_case(alice)
    writ = case["filing"]
    world.pay(writ, world.order_for(writ))
    assert world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})["docket_number"] == 1
    letters = []
    for n in range(20):
        response = world.file(
            alice,
            {"case_id": case["case_id"], "title": f"Letter {n}", "lead": {"document_type": "letter"}},
            pdf_samples.pdf_bytes(1, f"Letter {n}"),
        )
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.get_json()["status"] == "received"
        letters.append(response.get_json()["filing_id"])

    def accept(i: int) -> TestResponse:
        return world.app.test_client().post(
            f"{API}/filings/{letters[i]}/accept", headers=world.headers(registry), json={}
        )

    responses = in_parallel(20, accept)

    for response in responses:
        assert response.status_code == 200, response.get_data(as_text=True)
    assert sorted(r.get_json()["docket_number"] for r in responses) == list(range(2, 22))
    docket = world.ok("GET", f"/cases/{case['case_id']}", alice)["docket"]
    assert [e["number"] for e in docket] == list(range(1, 22))
    assert {e["filing_id"] for e in docket[1:]} == set(letters)
    with world.runtime.engine.connect() as conn:
        assert conn.scalar(sa.select(tables.Case.last_document_number)) == 21
    assert world.outbox_types().count("filing.filing.accepted") == 21
