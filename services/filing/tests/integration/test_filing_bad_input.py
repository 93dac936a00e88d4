"""Every bad request is refused with a problem+json that says what is wrong, and leaves no trace:
no row, no stored object, no event."""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import form_examples
import pdf_samples
from filing_testkit import Caller, World
from werkzeug.test import TestResponse

from filing.adapters import tables

MiB = 1024 * 1024
TABLES = {
    "filings": tables.Filing,
    "documents": tables.Document,
    "cases": tables.Case,
    "parties": tables.Party,
    "inbox_messages": tables.InboxMessage,
    "idempotency_keys": tables.IdempotencyKey,
    "docket_entries": tables.DocketEntry,
    "closures": tables.Closure,
    "case_number_counters": tables.CaseNumberCounter,
}


def stored(world: World) -> dict[str, Any]:
    """Everything a request could have left behind."""
    return {
        **{name: world.count(table) for name, table in TABLES.items()},
        "objects": sorted(world.objects()),
        "events": world.outbox_types(),
    }


def assert_problem(response: TestResponse, status: int, kind: str, field: str | None = None) -> dict[str, Any]:
    """``response`` is the problem ``kind`` with ``status``, naming ``field`` among its errors if given."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    problem = response.get_json()
    assert problem["type"] == f"urn:icms:problem:{kind}"
    assert problem["status"] == status
    if field is not None:
        assert field in [e["field"] for e in problem.get("errors", [])], problem
    return problem


@dataclass
class Court:
    """A firm with a DCPI case whose writ awaits its fee, and a letter in it waiting for review."""

    world: World
    firm: str
    alice: Caller
    case: dict[str, Any]
    letter_id: str

    def metadata(self, **changes: Any) -> dict[str, Any]:
        made = {"case_id": self.case["case_id"], "title": "Letter to the court", "lead": {"document_type": "letter"}}
        return made | changes

    def post_filing(
        self,
        who: Caller | None = None,
        metadata: dict[str, Any] | str | None = None,
        lead: Any = None,
        connected: list[Any] = (),  # type: ignore[assignment]
        headers: dict[str, str] | None = None,
    ) -> TestResponse:
        """POST /filings as multipart; ``lead`` and ``connected`` are bytes or open files."""
        data: dict[str, Any] = {}
        if metadata is not None:
            data["metadata"] = metadata if isinstance(metadata, str) else json.dumps(metadata)
        data["lead"] = (as_file(lead if lead is not None else pdf_samples.pdf_bytes()), "lead.pdf", "application/pdf")
        if connected:
            data["connected"] = [(as_file(c), f"exhibit-{n}.pdf", "application/pdf") for n, c in enumerate(connected)]
        return self.world.call(
            "POST", "/filings", who or self.alice, headers=headers, data=data, content_type="multipart/form-data"
        )


def as_file(content: Any) -> Any:
    return io.BytesIO(content) if isinstance(content, bytes) else content


def open_court(world: World) -> Court:
    firm = world.firm("Chan & Co")
    alice = world.caller("OU", firm)
    case = world.start_case(alice, "DCPI")
    letter = world.file(alice, {"case_id": case["case_id"], "title": "Letter", "lead": {"document_type": "letter"}})
    assert letter.status_code == 201, letter.get_data(as_text=True)
    assert letter.get_json()["status"] == "received"
    return Court(world, firm, alice, case, letter.get_json()["filing_id"])


def check_refusals(court: Court, subtests: Any, refusals: list[tuple[str, Callable[[], TestResponse], tuple]]) -> None:
    """Each (name, request, (status, kind[, field])) is refused as stated and stores nothing."""
    for name, send, expected in refusals:
        with subtests.test(refusal=name):
            before = stored(court.world)
            assert_problem(send(), *expected)
            assert stored(court.world) == before


# Documents --------------------------------------------------------------------------------------------------


def test_a_filing_of_documents_the_court_cannot_take_is_refused_and_nothing_is_kept(world: World, subtests) -> None:
    court = open_court(world)
    good = pdf_samples.pdf_bytes(2, "Letter")
    with_exhibit = court.metadata(connected=[{"document_type": "exhibit", "title": "Exhibit A"}])
    check_refusals(
        court,
        subtests,
        [
            (
                "a JSON body",
                lambda: world.call("POST", "/filings", court.alice, json=court.metadata()),
                (415, "unsupported-media-type"),
            ),
            (
                "a text body",
                lambda: world.call("POST", "/filings", court.alice, data="metadata", content_type="text/plain"),
                (415, "unsupported-media-type"),
            ),
            (
                "a PNG named .pdf",
                lambda: court.post_filing(metadata=court.metadata(), lead=pdf_samples.png_bytes()),
                (415, "not-a-pdf", "lead"),
            ),
            (
                "a ZIP named .pdf",
                lambda: court.post_filing(metadata=court.metadata(), lead=pdf_samples.zip_bytes()),
                (415, "not-a-pdf", "lead"),
            ),
            (
                "an encrypted PDF",
                lambda: court.post_filing(metadata=court.metadata(), lead=pdf_samples.encrypted_pdf()),
                (422, "encrypted-pdf", "lead"),
            ),
            (
                "a truncated PDF",
                lambda: court.post_filing(metadata=court.metadata(), lead=pdf_samples.truncated_pdf()),
                (422, "damaged-pdf", "lead"),
            ),
            (
                "a good lead with a PNG exhibit",
                lambda: court.post_filing(metadata=with_exhibit, lead=good, connected=[pdf_samples.png_bytes()]),
                (415, "not-a-pdf", "connected"),
            ),
            (
                "a good lead with a truncated exhibit",
                lambda: court.post_filing(metadata=with_exhibit, lead=good, connected=[pdf_samples.truncated_pdf()]),
                (422, "damaged-pdf", "connected"),
            ),
        ],
    )


def test_a_png_named_pdf_is_refused_on_each_database(world_on_each_database: World) -> None:
    court = open_court(world_on_each_database)
    before = stored(court.world)
    assert_problem(court.post_filing(metadata=court.metadata(), lead=pdf_samples.png_bytes()), 415, "not-a-pdf", "lead")
    assert stored(court.world) == before


def test_a_document_over_50_mib_is_refused_as_too_large(world_on_each_database: World, tmp_path: Path) -> None:
    court = open_court(world_on_each_database)
    big = tmp_path / "bundle.pdf"
    size = pdf_samples.write_pdf_of_size(big, 51 * MiB)
    assert size > world_on_each_database.deps.settings.max_document_bytes
    before = stored(court.world)
    with big.open("rb") as lead:
        problem = assert_problem(
            court.post_filing(metadata=court.metadata(), lead=lead), 413, "document-too-large", "lead"
        )
    assert problem["max_bytes"] == 50 * MiB
    assert stored(court.world) == before


def test_a_store_failure_after_the_lead_is_stored_takes_the_lead_out_again(world: World, monkeypatch) -> None:
    court = open_court(world)
    store = world.runtime.store
    assert store is not None
    put = store.put_stream
    calls: list[int] = []

    def put_then_fail(*args: Any, **kwargs: Any) -> Any:
        calls.append(1)
        if len(calls) == 2:
            raise ConnectionError("the object store went away")
        return put(*args, **kwargs)

    monkeypatch.setattr(store, "put_stream", put_then_fail)
    before = stored(world)
    response = court.post_filing(
        metadata=court.metadata(connected=[{"document_type": "exhibit"}]),
        lead=pdf_samples.pdf_bytes(),
        connected=[pdf_samples.pdf_bytes(1, "Exhibit")],
    )
    assert_problem(response, 500, "internal-error")
    assert len(calls) == 2
    assert stored(world) == before


# Metadata and the case --------------------------------------------------------------------------------------


def test_bad_metadata_or_a_case_out_of_reach_is_refused_and_nothing_is_kept(world: World, subtests) -> None:
    court = open_court(world)
    outsider = world.caller("OU", world.firm("Other LLP"))
    check_refusals(
        court,
        subtests,
        [
            ("no metadata", lambda: court.post_filing(metadata=None), (400, "invalid-request", "metadata")),
            ("metadata not JSON", lambda: court.post_filing(metadata="{title:"), (400, "invalid-request", "metadata")),
            (
                "an unknown metadata field",
                lambda: court.post_filing(metadata=court.metadata(colour="red")),
                (400, "invalid-request", "metadata"),
            ),
            (
                "a NUL in the title",
                lambda: court.post_filing(metadata=court.metadata(title="Letter\x00")),
                (400, "invalid-request", "metadata.title"),
            ),
            (
                "an unknown document type",
                lambda: court.post_filing(metadata=court.metadata(lead={"document_type": "poem"})),
                (400, "invalid-request", "metadata.lead.document_type"),
            ),
            (
                "more connected files than described",
                lambda: court.post_filing(metadata=court.metadata(), connected=[pdf_samples.pdf_bytes()]),
                (400, "invalid-request", "connected"),
            ),
            (
                "a case the filer is not on",
                lambda: court.post_filing(outsider, metadata=court.metadata()),
                (404, "not-found"),
            ),
            (
                "a case that does not exist",
                lambda: court.post_filing(metadata=court.metadata(case_id=str(uuid.uuid4()))),
                (404, "not-found"),
            ),
            (
                "a malformed Idempotency-Key",
                lambda: court.post_filing(metadata=court.metadata(), headers={"Idempotency-Key": "not a key!"}),
                (400, "invalid-request", "Idempotency-Key"),
            ),
        ],
    )

    # An unknown field is named in the message, so the filer can see which one to drop.
    problem = assert_problem(court.post_filing(metadata=court.metadata(colour="red")), 400, "invalid-request")
    assert any("colour" in e["message"] for e in problem["errors"]), problem


# Starting a case --------------------------------------------------------------------------------------------


def test_a_case_from_a_bad_form_or_of_a_type_without_a_form_is_refused(world: World, subtests) -> None:
    court = open_court(world)

    def start(case_type: str, form: dict[str, Any], headers: dict[str, str] | None = None) -> TestResponse:
        return world.call("POST", "/cases", court.alice, headers=headers, json={"case_type": case_type, "form": form})

    without_defendants = form_examples.writ_dcpi()
    del without_defendants["defendants"]
    without_nature = form_examples.writ_dcpi()
    del without_nature["nature_of_claim"]
    check_refusals(
        court,
        subtests,
        [
            ("no defendants", lambda: start("DCPI", without_defendants), (400, "invalid-request", "form.defendants")),
            (
                "no nature of claim",
                lambda: start("DCPI", without_nature),
                (400, "invalid-request", "form.nature_of_claim"),
            ),
            (
                "another form's fields",
                lambda: start("DCPI", form_examples.sct_bulk_claims(1)),
                (400, "invalid-request", "form.claims"),
            ),
            (
                "an unknown case type",
                lambda: start("XXPI", form_examples.writ_dcpi()),
                (400, "invalid-request", "case_type"),
            ),
            ("a case type without a form", lambda: start("DCTC", form_examples.writ_dcpi()), (422, "no-efiling")),
            (
                "no form at all",
                lambda: world.call("POST", "/cases", court.alice, json={"case_type": "DCPI"}),
                (400, "invalid-request"),
            ),
            (
                "a text body",
                lambda: world.call("POST", "/cases", court.alice, data="DCPI", content_type="text/plain"),
                (415, "unsupported-media-type"),
            ),
            (
                "a malformed Idempotency-Key",
                lambda: start("DCPI", form_examples.writ_dcpi(), {"Idempotency-Key": "x" * 101}),
                (400, "invalid-request", "Idempotency-Key"),
            ),
        ],
    )


# Who may do it ----------------------------------------------------------------------------------------------


def test_only_individual_and_organisation_users_file_and_start_cases(world: World, subtests) -> None:
    court = open_court(world)
    refusals: list[tuple[str, Callable[[], TestResponse], tuple]] = []
    for role in ("PA", "SA", "registry_officer"):
        who = world.caller(role, court.firm if role in ("PA", "SA") else None)
        refusals += [
            (f"{role} files", lambda who=who: court.post_filing(who, metadata=court.metadata()), (403, "forbidden")),
            (
                f"{role} starts a case",
                lambda who=who: world.call(
                    "POST", "/cases", who, json={"case_type": "DCPI", "form": form_examples.writ_dcpi()}
                ),
                (403, "forbidden"),
            ),
        ]
    refusals += [
        (
            "anonymous files",
            lambda: world.call(
                "POST",
                "/filings",
                None,
                data={"metadata": json.dumps(court.metadata()), "lead": (io.BytesIO(pdf_samples.pdf_bytes()), "a.pdf")},
                content_type="multipart/form-data",
            ),
            (401, "unauthenticated"),
        ),
        (
            "anonymous starts a case",
            lambda: world.call("POST", "/cases", None, json={"case_type": "DCPI", "form": form_examples.writ_dcpi()}),
            (401, "unauthenticated"),
        ),
    ]
    check_refusals(court, subtests, refusals)


# The registry's desk and the calendar -----------------------------------------------------------------------


def test_the_registry_is_refused_bad_reviews_closures_and_instants(world: World, subtests) -> None:
    court = open_court(world)
    registry = world.caller("registry_officer")
    writ_id = court.case["filing"]["filing_id"]
    check_refusals(
        court,
        subtests,
        [
            (
                "a rejection for an unknown reason",
                lambda: world.call(
                    "POST", f"/filings/{court.letter_id}/reject", registry, json={"reasons": ["ugly_font"]}
                ),
                (400, "invalid-request", "reasons"),
            ),
            (
                "a rejection with no reason",
                lambda: world.call("POST", f"/filings/{court.letter_id}/reject", registry, json={"reasons": []}),
                (400, "invalid-request", "reasons"),
            ),
            (
                "accepting a filing that awaits its fee",
                lambda: world.call("POST", f"/filings/{writ_id}/accept", registry, json={}),
                (409, "not-in-review"),
            ),
            (
                "accepting a filing that does not exist",
                lambda: world.call("POST", f"/filings/{uuid.uuid4()}/accept", registry, json={}),
                (404, "not-found"),
            ),
            (
                "a closure that ends before it starts",
                lambda: world.call(
                    "POST",
                    "/calendar/closures",
                    registry,
                    json={
                        "starts_at": "2026-11-24T06:00:00Z",
                        "ends_at": "2026-11-24T02:00:00Z",
                        "reason": "typhoon_signal_8",
                    },
                ),
                (400, "invalid-request", "ends_at"),
            ),
            (
                "a closure with a malformed start",
                lambda: world.call(
                    "POST",
                    "/calendar/closures",
                    registry,
                    json={"starts_at": "tomorrow", "ends_at": "2026-11-24T02:00:00Z", "reason": "other"},
                ),
                (400, "invalid-request", "starts_at"),
            ),
            (
                "a deemed receipt at a malformed instant",
                lambda: world.call("GET", "/calendar/deemed-receipt?at=2026-13-45T99:00"),
                (400, "invalid-request", "at"),
            ),
            (
                "a deemed receipt at an instant without an offset",
                lambda: world.call("GET", "/calendar/deemed-receipt?at=2026-11-24T10:00:00"),
                (400, "invalid-request", "at"),
            ),
        ],
    )
    # The refusals above left the letter and the writ as they were.
    assert world.ok("GET", f"/filings/{court.letter_id}", registry)["status"] == "received"
    assert world.ok("GET", f"/filings/{writ_id}", registry)["status"] == "awaiting_payment"
