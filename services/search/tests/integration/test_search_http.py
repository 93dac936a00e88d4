"""The three searches over HTTP, on SQLite and on PostgreSQL: the cause book and the documents for
anyone, my cases for a logged-in caller; query parameters into queries, bad ones into one 400
problem+json naming each; and nothing sealed, excluded or not open to inspection in any answer,
whatever is asked. The read models are fed by search's own handlers, as the consumer would."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from search_testkit import fullwidth
from search_world import World, case_data, new_id, party

CHAN = party("CHAN Tai Man", name_zh="陳大文", firm=(new_id(), "Chan, Lau & Wong Solicitors"))
WING_FAT = party("Wing Fat Construction Company Limited", "defendant")
NEGLIGENCE = (
    "The defendant was negligent. The scaffolding collapsed on 3 March 2025 because the defendant failed "
    "to inspect it; the plaintiff's injuries were caused by that breach of duty."
)


def problem(world: World, path: str, who=None, **params: Any) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = world.call("GET", path, who, query_string=params)
    assert response.status_code == 400, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["type"] == "urn:icms:problem:invalid-request"
    return {error["field"]: error["message"] for error in body["errors"]}


@pytest.fixture
def court(world: World) -> World:
    """A court's worth of cases and public documents, delivered as filing would publish them."""
    filed = datetime(2026, 3, 2, 1, 30, tzinfo=UTC)
    cases = [
        case_data("DCPI 1234/2026", CHAN, WING_FAT, filed_at=filed),
        case_data("DCPI 1235/2026", party("LEE Siu Lung", name_zh="李小龍"), filed_at=filed + timedelta(days=1)),
        case_data(
            "HCA 5/2026",
            party("WONG Ka Ho"),
            party("Li Holdings Limited", "defendant"),
            court="CFI",
            filed_at=filed + timedelta(days=2),
        ),
        case_data("DCPI 8/2025", party("CHAN Tai Man"), filed_at=datetime(2025, 6, 1, 2, 0, tzinfo=UTC)),
    ]
    for data in cases:
        world.deliver(world.case_updated(data))
    world.deliver(world.document_published(cases[0], NEGLIGENCE, title="Judgment on liability", dated=date(2026, 5, 4)))
    world.deliver(
        world.document_published(
            cases[2], "Order for directions. Costs in the cause.", title="Order", kind="order", dated=date(2026, 4, 1)
        )
    )
    world.cases = cases  # type: ignore[attr-defined]
    return world


def test_the_cause_book_by_case_number_party_court_type_year_and_dates(court: World) -> None:
    def numbers(**params: Any) -> list[str]:
        return [line["case_number"] for line in court.cause_book(**params)]

    assert numbers() == ["HCA 5/2026", "DCPI 1235/2026", "DCPI 1234/2026", "DCPI 8/2025"]
    for typed in (
        "dcpi 1234/2026",
        "DCPI1234/2026",
        "DCPI 1234 / 2026",
        fullwidth("DCPI1234/2026"),
        "DCPI No. 1234 of 2026",
    ):
        assert numbers(case_number=typed) == ["DCPI 1234/2026"], typed
    assert numbers(case_number="DCPI /2026") == ["DCPI 1235/2026", "DCPI 1234/2026"]
    assert numbers(party="Chan Tai Mann") == ["DCPI 1234/2026", "DCPI 8/2025"]
    assert numbers(party="大文") == ["DCPI 1234/2026"]
    assert numbers(court="cfi") == ["HCA 5/2026"]
    assert numbers(case_type="DCPI", year="2025") == ["DCPI 8/2025"]
    assert numbers(filed_from="2026-03-03", filed_to="2026-03-04") == ["HCA 5/2026", "DCPI 1235/2026"]

    (line,) = court.cause_book(case_number="DCPI 1234/2026")
    assert line == {
        "case_id": court.cases[0]["case_id"],  # type: ignore[attr-defined]
        "case_number": "DCPI 1234/2026",
        "court": "DC",
        "case_type": "DCPI",
        "title": "CHAN Tai Man v. Wing Fat Construction Company Limited",
        "status": "open",
        "filed_at": "2026-03-02T01:30:00Z",
        "parties": [
            {
                "name": "CHAN Tai Man",
                "name_zh": "陳大文",
                "role": "plaintiff",
                "representative": "Chan, Lau & Wong Solicitors",
            },
            {
                "name": "Wing Fat Construction Company Limited",
                "name_zh": None,
                "role": "defendant",
                "representative": None,
            },
        ],
        "docket": [{"number": 1, "title": "Writ of summons", "filed_on": "2026-03-02"}],
    }


def test_the_cause_book_pages_by_cursor_without_repeats_or_gaps(court: World) -> None:
    seen: list[str] = []
    params: dict[str, Any] = {"limit": 3}
    while True:
        page = court.ok("GET", "/cause-book", query_string=params)
        seen += [line["case_number"] for line in page["items"]]
        if page["next_cursor"] is None:
            break
        params["cursor"] = page["next_cursor"]
    assert seen == ["HCA 5/2026", "DCPI 1235/2026", "DCPI 1234/2026", "DCPI 8/2025"]


def test_documents_with_highlighted_snippets_phrases_and_case_numbers_first(court: World) -> None:
    (hit,) = court.documents(q="negligent scaffolding")
    assert hit["case_number"] == "DCPI 1234/2026" and hit["title"] == "Judgment on liability"
    assert hit["dated"] == "2026-05-04" and hit["kind"] == "judgment"
    assert "<mark>negligent</mark>" in hit["snippet"] and "<mark>scaffolding</mark>" in hit["snippet"]
    assert hit["phrase_match"] is False and hit["case_number_match"] is False
    assert set(hit) == {
        "document_id",
        "case_id",
        "case_number",
        "court",
        "case_type",
        "title",
        "kind",
        "dated",
        "snippet",
        "phrase_match",
        "case_number_match",
    }

    (phrase,) = court.documents(q="breach of duty")
    assert phrase["phrase_match"] is True
    named = court.documents(q="costs HCA 5/2026")
    assert [(h["case_number"], h["case_number_match"]) for h in named] == [("HCA 5/2026", True)]
    assert [h["case_number"] for h in court.documents(court="CFI")] == ["HCA 5/2026"]
    assert [h["case_number"] for h in court.documents(**{"from": "2026-05-01", "to": "2026-05-31"})] == [
        "DCPI 1234/2026"
    ]
    assert court.documents(q="negligent", case_type="HCA") == []


def test_my_cases_need_a_caller_and_list_only_the_callers_cases(court: World) -> None:
    individual, clerk, stranger = court.caller("IU"), court.caller("OU"), court.caller("IU")
    mine = case_data("DCPI 77/2026", party("HO Wai Kit", account_id=individual.id), party("Acme Limited", "defendant"))
    court.deliver(court.case_updated(mine))
    firm = new_id()
    court.deliver(court.assignment(court.cases[2]["case_id"], firm, [clerk.id], version=1))  # type: ignore[attr-defined]

    anonymous = court.call("GET", "/my-cases", query_string={"limit": "0"})
    assert anonymous.status_code == 401 and anonymous.mimetype == "application/problem+json"
    assert anonymous.get_json()["type"] == "urn:icms:problem:unauthenticated"

    def numbers(who, **params: Any) -> list[str]:  # type: ignore[no-untyped-def]
        return [line["case_number"] for line in court.ok("GET", "/my-cases", who, query_string=params)["items"]]

    assert numbers(individual) == ["DCPI 77/2026"]
    assert numbers(clerk) == ["HCA 5/2026"]
    assert numbers(clerk, court="DC") == []
    assert numbers(stranger) == []
    assert problem(court, "/my-cases", clerk, year="26") == {"year": "must be an integer from 1900 to 2999"}


def test_bad_parameters_are_one_400_naming_each(court: World) -> None:
    assert problem(court, "/cause-book", case_number="not a case", limit="0", filed_from="2026-02-30") == {
        "case_number": "not a case number: write it as PREFIX N/YYYY, e.g. DCPI 1234/2026",
        "limit": "must be an integer from 1 to 100",
        "filed_from": "must be a day YYYY-MM-DD in the years 2000 to 2100",
    }
    assert problem(court, "/cause-book", filed_from="2026-03-02", filed_to="2026-03-01") == {
        "filed_to": "must not be before filed_from"
    }
    assert problem(court, "/cause-book", party="!!!", court="D.C.", year=fullwidth("2026")) == {
        "party": "give a name with at least one letter or digit",
        "court": "must be a code of 1 to 8 letters, e.g. DC or DCPI",
        "year": "must be an integer from 1900 to 2999",
    }
    assert problem(court, "/cause-book", cursor="bm90IG91cnM") == {"cursor": "not a cursor this search gave out"}
    assert problem(court, "/cause-book", cursor="not/base64") == {"cursor": "not a cursor this search gave out"}
    assert problem(court, "/cause-book", casenumber="DCPI 1/2026", court="") == {
        "casenumber": "not a parameter of this search",
        "court": "give a value, or leave the parameter out",
    }
    assert problem(court, "/cause-book", party="x" * 201) == {"party": "must be at most 200 characters of text"}
    assert problem(court, "/cause-book", party="a\x00b") == {"party": "must be at most 200 characters of text"}
    doubled = court.call("GET", "/cause-book?court=DC&court=CFI")
    assert doubled.status_code == 400 and doubled.get_json()["errors"] == [
        {"field": "court", "message": "give it once"}
    ]
    assert problem(court, "/documents", **{"from": "2026-05-02", "to": "2026-05-01", "q": "x" * 201}) == {
        "to": "must not be before from",
        "q": "must be at most 200 characters of text",
    }
    # A cursor of the other search is not one of this one's.
    cursor = court.ok("GET", "/cause-book", query_string={"limit": 1})["next_cursor"]
    assert problem(court, "/documents", cursor=cursor) == {"cursor": "not a cursor this search gave out"}


# Nothing hidden ever shows --------------------------------------------------------------------------


def test_nothing_sealed_excluded_or_not_public_is_in_any_answer(world: World) -> None:
    """Each hidden thing carries a word of its own; no answer to any query may hold one of them."""
    member = world.caller("IU")
    shown = case_data("DCPI 100/2026", party("PUBLIC Visible Limited", account_id=member.id), party("Open Co"))
    sealed = case_data("DCPI 101/2026", party("ZEBRACORN Secret Limited", account_id=member.id), party("Other Co"))
    excluded = case_data("HCCP 102/2026", party("QUOKKAFINCH Holdings Limited", account_id=member.id), court="CFI")
    never_online = case_data("HCMA 103/2026", party("Appellant Person"), court="CFI")
    for data in (shown, sealed, excluded, never_online):
        world.deliver(world.case_updated(data))
    world.deliver(world.case_sealing(sealed, sealed=True, version=2))
    published = [
        world.document_published(shown, "A public judgment about the visible matter."),
        world.document_published(shown, "PANGOLINX order that gets sealed."),
        world.document_published(sealed, "WOMBATRIX judgment in a sealed case."),
        world.document_published(never_online, "AXOLOTLY criminal appeal judgment."),
        world.document_published(shown, "NARWHALIS not open to inspection.", public_inspection=False),
    ]
    for envelope in published:
        world.deliver(envelope)
    world.deliver(world.document_sealed(published[1], version=2))
    # An HCMA case is in the cause book; none of its documents is open online.
    secrets = (
        "ZEBRACORN",
        "QUOKKAFINCH",
        "PANGOLINX",
        "WOMBATRIX",
        "AXOLOTLY",
        "NARWHALIS",
        "HCCP",
        "101/2026",
        "102/2026",
        sealed["case_id"],
        excluded["case_id"],
        *(e.data["document_id"] for e in published[1:]),
    )
    asks = [
        {},
        {"case_number": "DCPI 101/2026"},
        {"case_number": "HCCP 102/2026"},
        {"case_type": "HCCP"},
        {"party": "Zebracorn Secret"},
        {"party": "quokkafinch"},
        {"court": "CFI"},
        {"year": "2026", "limit": "100"},
    ]
    texts = [
        "",
        "zebracorn",
        "pangolinx",
        "wombatrix",
        "axolotly",
        "narwhalis",
        "judgment",
        "order",
        "sealed",
        "DCPI 101/2026",
        "HCMA 103/2026",
        "inspection",
    ]
    answers = [world.call("GET", "/cause-book", query_string=ask) for ask in asks]
    answers += [world.call("GET", "/my-cases", member, query_string=ask) for ask in asks]
    answers += [world.call("GET", "/documents", query_string={"q": q} if q else {}) for q in texts]
    answers += [world.call("GET", "/documents", query_string={"case_type": t}) for t in ("HCMA", "DCPI")]
    for answer in answers:
        assert answer.status_code == 200, answer.get_data(as_text=True)
        body = answer.get_data(as_text=True)
        assert not [s for s in secrets if s in body], (answer.request.url, body)
    # What may be shown is.
    assert [d["title"] for d in world.documents(case_type="DCPI")] == ["Judgment"]
    assert [c["case_number"] for c in world.ok("GET", "/my-cases", member)["items"]] == ["DCPI 100/2026"]
