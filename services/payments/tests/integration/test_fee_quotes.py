"""The fee schedules and quotes over HTTP, on the wired service: open to all, priced by the schedule at
the instant asked (default now), and every bad request a problem+json naming its field, leaving nothing."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from payments_testkit import World
from werkzeug.test import TestResponse

from payments.adapters import tables


def quote(world: World, court: str, *items: tuple[str, int], channel: str = "electronic", **extra: Any) -> TestResponse:
    body = {"court": court, "items": [{"code": c, "quantity": q} for c, q in items], "channel": channel, **extra}
    return world.call("POST", "/fee-quotes", json=body)


def unit(world: World, court: str, code: str, channel: str, at: str | None = None) -> int:
    response = quote(world, court, (code, 1), channel=channel, **({"at": at} if at else {}))
    assert response.status_code == 200, response.get_data(as_text=True)
    return response.get_json()["lines"][0]["unit_cents"]


def assert_problem(response: TestResponse, status: int, kind: str, field: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == f"urn:icms:problem:{kind}" and problem["status"] == status
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    return problem


def test_the_must_show_fees_through_the_api(payments_world: World) -> None:
    world = payments_world
    # The clock stands on 23 November 2026, inside the District Court's and the High Court's windows.
    assert unit(world, "DC", "DC.SEARCH", "paper") == 1800
    assert unit(world, "DC", "DC.SEARCH", "electronic") == 1400
    assert unit(world, "DC", "DC.SEARCH", "electronic", "2027-05-05T23:59:00+08:00") == 1400
    assert unit(world, "DC", "DC.SEARCH", "electronic", "2027-05-06T00:00:00+08:00") == 1800
    assert unit(world, "DC", "DC.SEARCH", "electronic", "2027-05-05T16:00:00Z") == 1800
    assert unit(world, "CFI", "HC.WRIT", "paper") == 104500
    assert unit(world, "CFI", "HC.WRIT", "electronic") == 83600
    assert unit(world, "CFI", "HC.WRIT", "electronic", "2028-06-30T00:00:00+08:00") == 104500
    assert unit(world, "CFI", "HC.WRIT", "electronic", "2025-06-29T12:00:00+08:00") == 104500
    assert unit(world, "DC", "DC.COPY_CERTIFIED", "electronic") == unit(world, "DC", "DC.COPY_CERTIFIED", "paper")


def test_quantities_from_1_to_1000_multiply_the_unit_fee(payments_world: World) -> None:
    for quantity, total in [(1, 1400), (2.0, 2800), (1000, 1_400_000)]:
        answer = quote(payments_world, "DC", ("DC.SEARCH", quantity)).get_json()  # type: ignore[arg-type]
        assert (answer["lines"][0]["quantity"], answer["total_cents"]) == (quantity, total)


def test_a_quote_answers_its_lines_total_court_and_window_to_anyone(payments_world: World) -> None:
    items = [("HC.WRIT", 1), ("HC.SEARCH", 3), ("HC.SEARCH", 1)]
    body = {"court": "CFI", "items": [{"code": c, "quantity": q} for c, q in items], "channel": "electronic"}
    answer = payments_world.ok("POST", "/fee-quotes", json=body)
    assert answer == {
        "court": "HC",
        "court_name": "High Court",
        "court_name_zh": "高等法院",
        "channel": "electronic",
        "at": "2026-11-23T02:00:00Z",
        "concession_window": {
            "from": "2025-06-30",
            "until": "2028-06-30",
            "rate_percent": 80,
            "source": "src",
            "open": True,
        },
        "lines": [
            {
                "code": "HC.WRIT",
                "description": "Issue of a writ of summons (electronic filing, 80% of the paper fee)",
                "description_zh": answer["lines"][0]["description_zh"],
                "quantity": 1,
                "unit_cents": 83600,
                "amount_cents": 83600,
                "paper_unit_cents": 104500,
                "concession_applied": True,
                "source": "src",
            },
            {
                "code": "HC.SEARCH",
                "description": "Search or inspection, per document (electronic filing, 80% of the paper fee)",
                "description_zh": answer["lines"][1]["description_zh"],
                "quantity": 3,
                "unit_cents": 1400,
                "amount_cents": 4200,
                "paper_unit_cents": 1800,
                "concession_applied": True,
                "source": "src",
            },
            answer["lines"][2] | {"quantity": 1, "amount_cents": 1400},
        ],
        "total_cents": 83600 + 4200 + 1400,
        "currency": "HKD",
    }
    assert answer["lines"][0]["description_zh"].startswith("發出傳訊令狀")
    signed_in = payments_world.caller("OU", "firm-1")
    assert payments_world.ok("POST", "/fee-quotes", signed_in, json=body) == answer


def test_a_quote_is_priced_now_unless_it_names_an_instant(payments_world: World) -> None:
    world = payments_world
    assert unit(world, "DC", "DC.WRIT", "electronic") == 50400
    assert unit(world, "DC", "DC.WRIT", "electronic", "2024-03-31T23:59:00+08:00") == 48000
    world.clock.advance(timedelta(days=365 * 2))  # November 2028: every window has closed
    assert unit(world, "DC", "DC.WRIT", "electronic") == 63000
    assert unit(world, "CFI", "HC.WRIT", "electronic") == 104500
    assert quote(world, "DC", ("DC.WRIT", 1)).get_json()["concession_window"]["open"] is False


def test_the_fee_schedules_list_every_court_with_its_items_in_force(payments_world: World) -> None:
    view = payments_world.ok("GET", "/fee-schedules")
    assert view["at"] == "2026-11-23T02:00:00Z" and view["currency"] == "HKD" and view["notice"]
    assert [c["court"] for c in view["courts"]] == ["DC", "HC", "MC", "SCT"]
    items = {i["code"]: i for c in view["courts"] for i in c["items"]}
    assert (items["DC.SEARCH"]["paper_cents"], items["DC.SEARCH"]["electronic_cents"]) == (1800, 1400)
    assert (items["HC.WRIT"]["paper_cents"], items["HC.WRIT"]["electronic_cents"]) == (104500, 83600)
    assert items["MC.FINE"]["variable_amount"] and items["MC.FINE"]["paper_cents"] is None
    older = payments_world.ok("GET", "/fee-schedules?at=2024-03-31T10:00:00%2B08:00")
    writ = next(i for c in older["courts"] for i in c["items"] if i["code"] == "DC.WRIT")
    assert (writ["paper_cents"], writ["effective_until"]) == (60000, "2024-04-01")


def test_one_courts_schedule_by_its_code_or_a_filing_court_code(payments_world: World) -> None:
    dc = payments_world.ok("GET", "/fee-schedules/DC")
    assert (dc["court"], dc["name_zh"], dc["rule"]) == ("DC", "區域法院", "District Court Civil Fees Rules (Cap. 336C)")
    assert payments_world.ok("GET", "/fee-schedules/CFI")["court"] == "HC"
    sct = payments_world.ok("GET", "/fee-schedules/SCT?at=2030-01-01T00:00:00Z")
    assert sct["concession_window"] is None and sct["at"] == "2030-01-01T00:00:00Z"
    assert_problem(payments_world.call("GET", "/fee-schedules/XX"), 404, "not-found")
    assert_problem(payments_world.call("GET", "/fee-schedules/hc"), 404, "not-found")


def test_a_bad_at_in_the_query_is_a_400_naming_it(payments_world: World) -> None:
    for query in [
        "at=",
        "at=yesterday",
        "at=2026-03-02T10:00:00",
        "at=1999-12-31T23:00:00Z",
        "at=2026-02-30T10:00:00Z",
    ]:
        assert_problem(payments_world.call("GET", f"/fee-schedules?{query}"), 400, "invalid-request", "at")
        assert_problem(payments_world.call("GET", f"/fee-schedules/DC?{query}"), 400, "invalid-request", "at")


GOOD = {"court": "DC", "items": [{"code": "DC.SEARCH", "quantity": 2}], "channel": "electronic"}


def changed(**changes: Any) -> dict[str, Any]:
    return GOOD | changes


def with_item(**item: Any) -> dict[str, Any]:
    return changed(items=[{"code": "DC.SEARCH", "quantity": 1}, item])


#: (body, status, problem kind, field named). One world serves them all: wiring one takes seconds.
BAD_QUOTES = [
    (with_item(code="DC.SEARCH", quantity=-1), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=0), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=1.5), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=1001), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=10**30), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity="2"), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=True), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=None), 400, "invalid-request", "items.1.quantity"),
    (with_item(code="DC.SEARCH", quantity=1, price=1), 400, "invalid-request", "items.1"),
    (with_item(code="", quantity=1), 400, "invalid-request", "items.1.code"),
    (with_item(code="DC.SEARCH\x00", quantity=1), 400, "invalid-request", "items.1.code"),
    (changed(items=[]), 400, "invalid-request", "items"),
    (changed(items=[{"code": "DC.SEARCH", "quantity": 1}] * 51), 400, "invalid-request", "items"),
    (changed(channel="fax"), 400, "invalid-request", "channel"),
    (changed(court=7), 400, "invalid-request", "court"),
    (changed(at="2026-11-23T10:00:00"), 400, "invalid-request", "at"),
    (changed(at="soon"), 400, "invalid-request", "at"),
    (changed(at="2101-01-01T00:00:00Z"), 400, "invalid-request", "at"),
    (changed(total_cents=1), 400, "invalid-request", ""),
    (changed(court="XX"), 422, "unknown-court", "court"),
    (changed(court="dc"), 422, "unknown-court", "court"),
    (with_item(code="DC.NOTHING", quantity=1), 422, "unknown-fee-item", "items.1.code"),
    (with_item(code="HC.WRIT", quantity=1), 422, "unknown-fee-item", "items.1.code"),
    (changed(court="MC", items=[{"code": "MC.FINE", "quantity": 1}]), 422, "variable-amount", "items.0.code"),
    (changed(at="2009-04-01T12:00:00+08:00"), 422, "fee-not-in-force", "items.0.code"),
]


def test_a_bad_quote_is_a_problem_naming_its_field_and_changes_nothing(payments_world: World) -> None:
    world = payments_world
    for body, status, kind, field in BAD_QUOTES:
        assert_problem(world.call("POST", "/fee-quotes", json=body), status, kind, field)
    assert world.outbox_types() == [] and world.count(tables.PaymentOrder) == 0


def test_a_body_missing_a_field_or_not_json_says_so(payments_world: World) -> None:
    world = payments_world
    for missing in ["court", "items", "channel"]:
        body = {k: v for k, v in GOOD.items() if k != missing}
        problem = assert_problem(world.call("POST", "/fee-quotes", json=body), 400, "invalid-request")
        assert any(f"'{missing}'" in e["message"] for e in problem["errors"]), problem
    assert_problem(world.call("POST", "/fee-quotes", data="{", content_type="application/json"), 400, "invalid-request")
    assert_problem(world.call("POST", "/fee-quotes"), 400, "invalid-request")
    assert_problem(world.call("POST", "/fee-quotes", json=["DC"]), 400, "invalid-request")
    assert_problem(
        world.call("POST", "/fee-quotes", data="court=DC", content_type="text/plain"), 415, "unsupported-media-type"
    )
