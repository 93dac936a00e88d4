"""What filing tells search: ``filing.case.updated`` after every change of a case's public-facing state,
``filing.document.published`` for public documents once their text is stored (and again when unsealed),
and the export ``search rebuild`` reads, paged by id. Every event here is checked against its contract
as it is read from the outbox; text links are fetched from the real S3 server."""

from __future__ import annotations

import hashlib
import json
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from filing_testkit import Caller, World, search_service

from chassis.clock import iso
from chassis.messaging.envelope import new_event
from filing.adapters import tables
from filing.service_layer import review

HONG_KONG = ZoneInfo("Asia/Hong_Kong")
SEAL = {"reason": "Order of HH Judge Lee: sealed."}


@dataclass
class Scene:
    """DCPI 1/2026: a litigant in person (IU) sued Wing Fat; Lee & Partners came on the record for the
    defendant by an acknowledgement of service (private), after the writ (public) was docketed."""

    iu: Caller
    clerk: Caller
    registry: Caller
    firm: str
    case_id: str
    case_number: str
    writ: dict[str, Any]
    """The writ's filing as accepted (its one document is open to inspection)."""
    acknowledgement: dict[str, Any]
    """The acknowledgement of service as accepted (not open to inspection)."""


def _accept(world: World, registry: Caller, filing_id: str) -> dict[str, Any]:
    return world.ok("POST", f"/filings/{filing_id}/accept", registry, json={})


@pytest.fixture
def scene(world: World) -> Scene:
    iu, registry = world.caller("IU"), world.caller("registry_officer")
    firm = world.firm("Lee & Partners")
    clerk = world.caller("OU", firm)
    case = world.start_case(iu, "DCPI")
    writ = case["filing"]
    world.pay(writ, world.order_for(writ))
    accepted_writ = _accept(world, registry, writ["filing_id"])
    world.clock.advance(timedelta(days=1))
    response = world.file(
        clerk,
        {
            "case_id": case["case_id"],
            "title": "Acknowledgement of service",
            "lead": {"document_type": "acknowledgement_of_service"},
            "acting_for": case["parties"][1]["party_id"],
        },
    )
    assert response.status_code == 201, response.get_data(as_text=True)
    acknowledgement = _accept(world, registry, response.get_json()["filing_id"])
    return Scene(iu, clerk, registry, firm, case["case_id"], case["case_number"], accepted_writ, acknowledgement)


def _hk_date(instant: str) -> str:
    return datetime.fromisoformat(instant).astimezone(HONG_KONG).date().isoformat()


def _of(events: list[dict[str, Any]], key: str, value: str) -> list[dict[str, Any]]:
    return [event for event in events if event[key] == value]


def _fetch(text: dict[str, Any]) -> bytes:
    with urllib.request.urlopen(text["url"], timeout=10) as fetched:  # noqa: S310 (the test's own S3)
        return fetched.read()


def _stored(world: World, key: str) -> bytes:
    with world.deps.store.open(key) as reader:
        return reader.read()


# filing.case.updated ------------------------------------------------------------------------------------


def test_each_change_of_a_case_publishes_its_whole_state_at_a_growing_version(world: World, scene: Scene) -> None:
    world.ok("POST", f"/cases/{scene.case_id}/seal", scene.registry, json=SEAL)
    world.ok("POST", f"/cases/{scene.case_id}/unseal", scene.registry, json={})
    updates = _of(world.published("filing.case.updated"), "case_id", scene.case_id)
    # Started, writ docketed, acknowledgement docketed (and the record changed), sealed, unsealed.
    assert [u["aggregate_version"] for u in updates] == [1, 2, 3, 4, 5]
    assert [u["sealed"] for u in updates] == [False, False, False, True, False]
    assert [len(u["docket"]) for u in updates] == [0, 1, 2, 2, 2]

    case = world.ok("GET", f"/cases/{scene.case_id}", scene.registry)
    plaintiff, defendant = case["parties"]
    assert updates[-1] == {
        "case_id": scene.case_id,
        "case_number": scene.case_number,
        "court": "DC",
        "court_name": "District Court",
        "case_type": "DCPI",
        "title": case["title"],
        "status": "open",
        "filed_at": case["filed_at"],
        "sealed": False,
        "parties": [
            {
                "party_id": plaintiff["party_id"],
                "name": "CHAN Tai Man",
                "name_zh": "陳大文",
                "role": "plaintiff",
                "account_id": scene.iu.id,
                "representative": None,
            },
            {
                "party_id": defendant["party_id"],
                "name": "Wing Fat Construction Company Limited",
                "name_zh": "榮發建築有限公司",
                "role": "defendant",
                "account_id": None,
                "representative": {"organisation_id": scene.firm, "name": "Lee & Partners"},
            },
        ],
        "docket": [
            {"number": entry["number"], "title": entry["title"], "filed_on": _hk_date(entry["deemed_received_at"])}
            for entry in case["docket"]
        ],
        "aggregate_version": 5,
    }
    assert [entry["filed_on"] for entry in updates[-1]["docket"]] == ["2026-11-23", "2026-11-24"]
    assert updates[1]["parties"][1]["representative"] is None  # before the acknowledgement was accepted
    # The change of representation and its whole state carry the same version of the case.
    (changed,) = _of(world.published("filing.case.representation_changed"), "case_id", scene.case_id)
    assert changed["aggregate_version"] == 3
    sealed = _of(world.published("filing.case.sealed"), "case_id", scene.case_id)
    assert [s["aggregate_version"] for s in sealed] == [4]


def test_a_case_started_by_a_firm_shows_the_firm_for_its_side_from_the_first_version(world: World) -> None:
    firm = world.firm("Chan, Lau & Wong Solicitors")
    started = world.start_case(world.caller("OU", firm), "DCPI")
    (created,) = _of(world.published("filing.case.updated"), "case_id", started["case_id"])
    assert created["aggregate_version"] == 1 and created["docket"] == []
    assert [p["representative"] for p in created["parties"]] == [
        {"organisation_id": firm, "name": "Chan, Lau & Wong Solicitors"},
        None,
    ]
    assert [p["account_id"] for p in created["parties"]] == [None, None]


def test_a_rejected_filing_changes_nothing_search_sees(world: World, scene: Scene) -> None:
    before = len(world.published("filing.case.updated"))
    letter = {"case_id": scene.case_id, "title": "Letter", "lead": {"document_type": "letter"}}
    filing = world.file(scene.iu, letter).get_json()
    world.ok("POST", f"/filings/{filing['filing_id']}/reject", scene.registry, json={"reasons": ["unsigned"]})
    assert len(world.published("filing.case.updated")) == before


# filing.document.published ------------------------------------------------------------------------------


def test_only_public_documents_are_published_once_their_text_is_stored(world: World, scene: Scene) -> None:
    order = world.issue(
        scene.registry,
        scene.case_id,
        {"template": "order", "order_text": "Costs in the cause.", "made_on": "2026-11-24"},
    )
    hearing = world.issue(
        scene.registry,
        scene.case_id,
        {"template": "notice_of_hearing", "hearing_at": "2027-01-12T01:30:00Z", "courtroom": "Court 23",
         "hearing_type": "Case management conference"},
    )  # fmt: skip
    letter = world.file(
        scene.iu, {"case_id": scene.case_id, "title": "Letter", "lead": {"document_type": "letter"}}
    ).get_json()
    _accept(world, scene.registry, letter["filing_id"])
    # A case type whose documents are never inspected online: its originating summons is of a public kind.
    hcma = world.case_without_efiling("HCMA", scene.iu)
    with world.runtime.engine.begin() as conn:
        conn.execute(
            sa.update(tables.Document).where(tables.Document.id == hcma["document_id"]).values(text_status="pending")
        )
    assert world.published("filing.document.published") == []  # nothing before the text is stored

    world.extract_texts()

    published = world.published("filing.document.published")
    writ_document = scene.writ["documents"][0]
    assert sorted(p["document_id"] for p in published) == sorted([writ_document["document_id"], order["document_id"]])
    never = [scene.acknowledgement["documents"][0]["document_id"], letter["documents"][0]["document_id"]]
    assert not {p["document_id"] for p in published} & {*never, hearing["document_id"], hcma["document_id"]}

    (writ,) = _of(published, "document_id", writ_document["document_id"])
    with world.runtime.engine.connect() as conn:
        row = conn.execute(sa.select(tables.Document).where(tables.Document.id == writ["document_id"])).one()
        filing_version = conn.scalar(
            sa.select(tables.Filing.version).where(tables.Filing.id == scene.writ["filing_id"])
        )
    assert writ == {
        "document_id": writ_document["document_id"],
        "source": "filed",
        "case_id": scene.case_id,
        "case_number": scene.case_number,
        "court": "DC",
        "case_type": "DCPI",
        "title": writ_document["title"],
        "kind": "writ_of_summons",
        "dated": _hk_date(scene.writ["deemed_received_at"]),
        "public_inspection": True,
        "sealed": False,
        "text": {
            "key": f"{row.object_key}.txt",
            "sha256": row.text_sha256,
            "size": row.text_size,
            "media_type": "text/plain; charset=utf-8",
            "url": writ["text"]["url"],
            "url_expires_at": iso(world.clock.now() + timedelta(days=7)),
        },
        # The filing's counter, past the acceptance's version: publishing counted a change.
        "aggregate_version": filing_version,
    }
    accepted = _of(world.published("filing.filing.accepted"), "filing_id", scene.writ["filing_id"])
    assert filing_version == accepted[0]["aggregate_version"] + 1
    (issued,) = _of(published, "document_id", order["document_id"])
    assert (issued["source"], issued["kind"], issued["dated"], issued["aggregate_version"]) == (
        "issued",
        "order",
        "2026-11-24",
        2,
    )
    for event in (writ, issued):
        text = _fetch(event["text"])
        assert hashlib.sha256(text).hexdigest() == event["text"]["sha256"] and len(text) == event["text"]["size"]
        assert text == _stored(world, event["text"]["key"])
        assert text.decode("utf-8").strip()
    world.extract_texts()
    assert world.published("filing.document.published") == published  # a second pass publishes nothing more


def test_a_document_sealed_before_its_text_is_stored_is_published_only_once_unsealed(
    world: World, scene: Scene
) -> None:
    document_id = scene.writ["documents"][0]["document_id"]
    sealed = world.ok("POST", f"/documents/{document_id}/seal", scene.registry, json=SEAL)
    world.extract_texts()
    assert world.published("filing.document.published") == []

    world.clock.advance(timedelta(hours=1))
    unsealed = world.ok("POST", f"/documents/{document_id}/unseal", scene.registry, json={})
    (published,) = world.published("filing.document.published")
    assert published["sealed"] is False and published["aggregate_version"] == unsealed["version"] > sealed["version"]
    assert hashlib.sha256(_fetch(published["text"])).hexdigest() == published["text"]["sha256"]


def test_a_sealing_while_the_text_is_extracted_is_seen_so_the_sealed_document_is_not_published(
    world: World, scene: Scene, monkeypatch: pytest.MonkeyPatch
) -> None:
    document_id = scene.writ["documents"][0]["document_id"]
    with world.runtime.engine.connect() as conn:
        writ_key = conn.scalar(sa.select(tables.Document.object_key).where(tables.Document.id == document_id))
    extract = review._text_of

    def sealed_meanwhile(deps: Any, key: str) -> str | None:
        text = extract(deps, key)
        if key == writ_key:
            world.ok("POST", f"/documents/{document_id}/seal", scene.registry, json=SEAL)
        return text

    monkeypatch.setattr(review, "_text_of", sealed_meanwhile)
    world.extract_texts()
    assert world.published("filing.document.published") == []
    with world.runtime.engine.connect() as conn:
        assert conn.scalar(sa.select(tables.Document.text_status).where(tables.Document.id == document_id)) == "done"


def test_unsealing_a_published_document_publishes_it_again_at_a_newer_version_with_a_fresh_link(
    world: World, scene: Scene
) -> None:
    order = world.issue(
        scene.registry, scene.case_id, {"template": "order", "order_text": "Costs reserved.", "made_on": "2026-11-24"}
    )
    document_id = order["document_id"]
    world.extract_texts()
    world.ok("POST", f"/documents/{document_id}/seal", scene.registry, json=SEAL)
    world.clock.advance(timedelta(hours=2))
    world.ok("POST", f"/documents/{document_id}/unseal", scene.registry, json={})

    first, again = _of(world.published("filing.document.published"), "document_id", document_id)
    assert first["document_id"] == again["document_id"] == document_id
    assert again["text"]["url_expires_at"] > first["text"]["url_expires_at"]
    assert _fetch(again["text"]) == _fetch(first["text"])
    # The document's events in the order they were published: versions never go back.
    with world.runtime.engine.connect() as conn:
        payloads = conn.scalars(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id)).all()
    events = [json.loads(payload) for payload in payloads]
    assert [(e["type"], e["data"]["aggregate_version"]) for e in events if e["subject"] == document_id] == [
        ("filing.document.issued", 1),
        ("filing.document.published", 2),
        ("filing.document.sealed", 3),
        ("filing.document.unsealed", 4),
        ("filing.document.published", 4),
    ]


def test_a_document_of_a_sealed_case_is_still_published_for_search_hides_the_case_itself(
    world: World, scene: Scene
) -> None:
    world.ok("POST", f"/cases/{scene.case_id}/seal", scene.registry, json=SEAL)
    world.extract_texts()
    (published,) = world.published("filing.document.published")
    assert published["document_id"] == scene.writ["documents"][0]["document_id"] and published["sealed"] is False


# The export ---------------------------------------------------------------------------------------------


def _export(world: World, what: str, query: str = "") -> dict[str, Any]:
    return world.ok("GET", f"/export/{what}{query}", search_service())


def _all(world: World, what: str, limit: int) -> list[dict[str, Any]]:
    items, query = [], f"?limit={limit}"
    while True:
        page = _export(world, what, query)
        items += page["items"]
        if page["next_cursor"] is None:
            return items
        query = f"?limit={limit}&after={page['next_cursor']}"


def _valid(world: World, event_type: str, data: dict[str, Any]) -> None:
    world.runtime.registry.validate(new_event(event_type, data, source="/filing", subject=str(uuid.uuid4())).to_dict())


def test_the_case_export_is_the_last_events_state_with_identitys_assignment_sets(world: World, scene: Scene) -> None:
    (item,) = _export(world, "cases")["items"]
    last = _of(world.published("filing.case.updated"), "case_id", scene.case_id)[-1]
    # Until identity's first set arrives, the firm's local link (no version) is not exported.
    assert item == {**last, "assignments": []}

    partner = world.caller("OU", scene.firm)
    world.assign(scene.case_id, scene.firm, partner, scene.clerk, version=4)
    (item,) = _export(world, "cases")["items"]
    assert item["assignments"] == [
        {"organisation_id": scene.firm, "account_ids": sorted([partner.id, scene.clerk.id]), "aggregate_version": 4}
    ]
    _valid(world, "filing.case.updated", item)


def _insert_cases(world: World, count: int) -> list[str]:
    """``count`` bare cases with two parties each, straight into the tables (the API would render and
    store a PDF for each): their ids."""
    now = world.clock.now()
    ids = [str(uuid.uuid4()) for _ in range(count)]
    with world.runtime.engine.begin() as conn:
        start = conn.scalar(sa.select(sa.func.count()).select_from(tables.Case)) or 0
        conn.execute(
            sa.insert(tables.Case),
            [
                {"id": case_id, "case_number": f"DCCJ {start + n + 1}/2026", "prefix": "DCCJ", "year": 2026,
                 "number": start + n + 1, "court": "DC", "title": f"Bulk {n} v. Bulk", "status": "open",
                 "filed_at": now, "last_document_number": 0, "sealed": False, "version": 1}
                for n, case_id in enumerate(ids)
            ],
        )  # fmt: skip
        conn.execute(
            sa.insert(tables.Party),
            [
                {"id": str(uuid.uuid4()), "case_id": case_id, "seq": seq, "role": role, "name": f"{role} {case_id[:8]}",
                 "kind": "individual"}
                for case_id in ids
                for seq, role in enumerate(("plaintiff", "defendant"))
            ],
        )  # fmt: skip
    return ids


def test_the_case_export_pages_each_case_once_in_order_while_cases_are_added(world_on_each_database: World) -> None:
    world = world_on_each_database
    first = _insert_cases(world, 1_234)
    seen: list[str] = []
    added: list[str] = []
    cursor_at_insert = ""
    query = "?limit=100"
    pages = 0
    while True:
        page = _export(world, "cases", query)
        pages += 1
        assert len(page["items"]) <= 100
        seen += [item["case_id"] for item in page["items"]]
        if page["next_cursor"] is None:
            break
        if pages == 3:
            cursor_at_insert = seen[-1]
            added = _insert_cases(world, 50)
        query = f"?limit=100&after={page['next_cursor']}"

    assert seen == sorted(seen) and len(seen) == len(set(seen))
    assert set(first) <= set(seen)
    # A case added while paging comes once if it sorts after the page already read, else not at all.
    assert set(seen) - set(first) == {case_id for case_id in added if case_id > cursor_at_insert}
    assert pages == -(-len(seen) // 100)
    for item in _export(world, "cases", "?limit=3")["items"]:
        _valid(world, "filing.case.updated", item)
        assert len(item["parties"]) == 2 and item["docket"] == [] and item["assignments"] == []


def test_the_document_export_gives_public_documents_sealed_or_not_with_fresh_links(world: World, scene: Scene) -> None:
    orders = [
        world.issue(scene.registry, scene.case_id, {"template": "order", "order_text": t, "made_on": "2026-11-24"})
        for t in ("Costs in the cause.", "Costs reserved.")
    ]
    world.extract_texts()
    world.ok("POST", f"/documents/{orders[1]['document_id']}/seal", scene.registry, json=SEAL)
    public = sorted([scene.writ["documents"][0]["document_id"], *(o["document_id"] for o in orders)])

    exported = _all(world, "documents", limit=1)
    assert [item["document_id"] for item in exported] == public
    assert _all(world, "documents", limit=1000) == exported
    published = world.published("filing.document.published")
    for item in exported:
        _valid(world, "filing.document.published", item)
        sealed = item["document_id"] == orders[1]["document_id"]
        last = _of(published, "document_id", item["document_id"])[-1]
        same = {k: v for k, v in item.items() if k not in ("text", "sealed", "aggregate_version")}
        assert same == {k: v for k, v in last.items() if k not in ("text", "sealed", "aggregate_version")}
        assert item["sealed"] is sealed
        # Sealing counted a change of the document after it was published.
        assert item["aggregate_version"] == last["aggregate_version"] + (1 if sealed else 0)
        assert hashlib.sha256(_fetch(item["text"])).hexdigest() == item["text"]["sha256"] == last["text"]["sha256"]


def test_the_export_refuses_a_cursor_or_limit_it_did_not_give(world: World) -> None:
    for query in ("?after=not-a-cursor", "?after=" + "A" * 80, "?after=%E2%9C%93", "?limit=0", "?limit=1001",
                  "?limit=ten"):  # fmt: skip
        for what in ("cases", "documents"):
            response = world.call("GET", f"/export/{what}{query}", search_service())
            assert response.status_code == 400, (what, query)
            assert response.get_json()["type"] == "urn:icms:problem:invalid-request"
            assert response.get_json()["errors"][0]["field"] in ("after", "limit")
    assert _export(world, "documents") == {"items": [], "next_cursor": None}


@pytest.mark.parametrize("role", [None, "IU", "OU", "registry_officer", "system_admin"])
def test_only_the_search_service_reads_the_export(world: World, role: str | None) -> None:
    who = world.caller(role) if role else None
    for what in ("cases", "documents"):
        response = world.call("GET", f"/export/{what}", who)
        assert response.status_code == (401 if role is None else 403)
