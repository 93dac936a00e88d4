"""``search rebuild`` against filing's real export: filing wired in-process (on SQLite beside search's
own database, SQLite or PostgreSQL) and served over HTTP, its texts in a real S3 bucket. The read
models its events build and those the rebuild builds from its export are the same."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from search_world import World
from test_search_rebuild import case_numbers, document_ids, read_models, rebuild_from
from werkzeug.serving import make_server

from chassis.testing.skeleton import settings_for

FILING_TESTS = Path(__file__).resolve().parents[3] / "filing" / "tests"
# Appended, not prepended: search's own test modules (its conftest among them) come first.
sys.path += [str(FILING_TESTS), str(FILING_TESTS / "integration")]
import filing_testkit  # noqa: E402 (filing's test helpers, from filing's own tests)


@pytest.fixture
def filing(tmp_path: Path, amqp_url: str, s3_settings: Any, s3_bucket: str) -> Iterator[filing_testkit.World]:
    database = f"sqlite:///{tmp_path}/filing.db"
    settings = settings_for("filing", database, amqp_url, s3_settings, s3_bucket, uses_storage=True)
    made = filing_testkit.World(settings)
    try:
        yield made
    finally:
        made.close()


def _accept(filing: filing_testkit.World, registry: Any, filing_id: str) -> None:
    filing.ok("POST", f"/filings/{filing_id}/accept", registry, json={})


def test_a_rebuild_from_filings_export_makes_what_its_events_made(world: World, filing: filing_testkit.World) -> None:
    iu, registry = filing.caller("IU"), filing.caller("registry_officer")
    firm = filing.firm("Lee & Partners")
    clerk = filing.caller("OU", firm)
    case = filing.start_case(iu, "DCPI")
    writ = case["filing"]
    filing.pay(writ, filing.order_for(writ))
    _accept(filing, registry, writ["filing_id"])
    filing.assign(case["case_id"], firm, clerk, version=1)
    letter = filing.file(iu, {"case_id": case["case_id"], "title": "Letter", "lead": {"document_type": "letter"}})
    _accept(filing, registry, letter.get_json()["filing_id"])
    filing.extract_texts()

    # Filing's events, delivered to search as its consumer would.
    for data in filing.published("filing.case.updated"):
        world.deliver(world.case_updated(data))
    for data in filing.published("filing.document.published"):
        world.deliver(world.event("filing.document.published", data["document_id"], **data))
    world.deliver(world.assignment(case["case_id"], firm, [clerk.id], version=1))
    built = read_models(world)
    number = case["case_number"]
    assert case_numbers(world, case_number=number) == [number]
    public = [data["document_id"] for data in filing.published("filing.document.published")]
    assert len(public) == 1  # the writ; a letter is not open to public inspection
    assert sorted(document_ids(world, number)) == sorted(public)

    # Filing answers its export as a real server; its clock comes to now, when search signs its calls.
    filing.clock.advance(datetime.now(UTC) - filing.clock.now() + timedelta(seconds=1))
    server = make_server("127.0.0.1", 0, filing.app, threaded=True)
    serving = threading.Thread(target=server.serve_forever, daemon=True)
    serving.start()
    try:
        report = rebuild_from(world, f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        serving.join(timeout=10)

    assert report.cases == 1 and report.documents == len(public) and report.assignment_sets == 1
    assert read_models(world) == built
    assert case_numbers(world, case_number=number) == [number]
    assert sorted(document_ids(world, number)) == sorted(public)
