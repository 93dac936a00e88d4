"""The Judiciary Cloud: a 200 MB PDF uploaded in parts straight to S3, verified, filed and downloaded in
flat memory; the quota; expiry; who may do what; and every bad request refused without a trace."""

from __future__ import annotations

import hashlib
import io
import json
import time
import tracemalloc
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pdf_samples
import pytest
import sqlalchemy as sa
from cloud_testkit import (
    MiB,
    complete,
    file_with,
    put_parts,
    put_parts_from_file,
    start,
    uploaded,
    write_big_pdf,
)
from filing_testkit import Caller, World

from filing.adapters import tables
from filing.service_layer import cloud

GiB = 1024 * MiB


@dataclass
class Firm:
    id: str
    ou: Caller
    pa: Caller
    case: dict[str, Any]


@pytest.fixture
def firm(world: World) -> Firm:
    firm_id = world.firm("Chan & Co")
    ou = world.caller("OU", firm_id)
    return Firm(firm_id, ou, world.caller("PA", firm_id), world.start_case(ou, "DCPI"))


def affidavit(firm: Firm, lead_upload: str | None = None, connected: list[dict[str, Any]] = ()) -> dict[str, Any]:  # type: ignore[assignment]
    lead: dict[str, Any] = {"document_type": "affidavit", "title": "Affidavit of CHAN Tai Man"}
    if lead_upload:
        lead["cloud_upload_id"] = lead_upload
    metadata: dict[str, Any] = {"case_id": firm.case["case_id"], "title": "Affidavit with exhibits", "lead": lead}
    if connected:
        metadata["connected"] = list(connected)
    return metadata


def upload_row(world: World, upload_id: str) -> tables.CloudUpload:
    with world.runtime.unit_of_work() as uow:
        row = uow.session.get(tables.CloudUpload, upload_id)
        assert row is not None
        uow.session.expunge(row)
        return row


def reserved(world: World, organisation_id: str) -> int:
    with world.runtime.engine.connect() as conn:
        return conn.scalar(
            sa.select(tables.CloudQuota.reserved_bytes).where(tables.CloudQuota.organisation_id == organisation_id)
        )


def problem(response: Any, status: int, kind: str) -> dict[str, Any]:
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert body["type"].endswith(":" + kind), body
    return body


# The must-show: 200 MB through the cloud into a filing -------------------------------------------------


def test_a_200_mb_pdf_goes_through_the_cloud_into_a_filing_in_flat_memory(
    world: World, firm: Firm, tmp_path: Path
) -> None:
    size_wanted = 200 * 1000 * 1000
    path = tmp_path / "trial-bundle.pdf"
    sha256 = write_big_pdf(path, size_wanted)
    size = path.stat().st_size

    response = start(world, firm.ou, size, sha256, "Trial bundle.pdf")
    assert response.status_code == 201, response.get_data(as_text=True)
    upload = response.get_json()
    assert (upload["status"], upload["part_size"], upload["parts"]) == ("uploading", 8 * MiB, -(-size // (8 * MiB)))
    assert reserved(world, firm.id) == size

    began = time.perf_counter()
    put_parts_from_file(world, firm.ou, upload, path)
    upload_seconds = time.perf_counter() - began

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        began = time.perf_counter()
        done = complete(world, firm.ou, upload)
        complete_seconds = time.perf_counter() - began
        filed = file_with(world, firm.ou, affidavit(firm, upload["upload_id"]))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    growth = peak - before
    print(
        f"\n200 MB via the cloud: {upload['parts']} parts PUT in {upload_seconds:.1f}s, complete (S3 join, "
        f"SHA-256, PDF checks) in {complete_seconds:.1f}s; peak Python allocation over complete + filing: "
        f"{growth / MiB:.1f} MiB"
    )
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "available" and done.get_json()["pages"] == 1
    assert filed.status_code == 201, filed.get_data(as_text=True)
    assert growth < 40 * MiB, f"complete + filing held {growth / MiB:.1f} MiB of a {size / MiB:.0f} MiB file"

    filing = filed.get_json()
    (document,) = filing["documents"]
    assert (document["size"], document["sha256"], document["filename"]) == (size, sha256, "Trial bundle.pdf")
    after = world.ok("GET", f"/cloud/uploads/{upload['upload_id']}", firm.ou)
    assert after["status"] == "attached" and after["attached_filing_id"] == filing["filing_id"]
    assert reserved(world, firm.id) == 0
    with world.runtime.engine.connect() as conn:
        row = conn.execute(sa.select(tables.Document).where(tables.Document.id == document["document_id"])).one()
    assert row.cloud_upload_id == upload["upload_id"]
    assert row.object_key == upload_row(world, upload["upload_id"]).object_key
    assert "filing.cloud_upload.completed" in world.outbox_types()

    content = world.call("GET", f"/filings/{filing['filing_id']}/documents/{document['document_id']}/content", firm.ou)
    assert content.status_code == 200
    digest, total = hashlib.sha256(), 0
    for chunk in content.response:
        digest.update(chunk)
        total += len(chunk)
    content.close()
    assert (total, digest.hexdigest()) == (size, sha256)


# Completing: what is checked ------------------------------------------------------------------------


def test_missing_parts_leave_the_upload_open_until_they_arrive(world: World, firm: Firm) -> None:
    content = pdf_samples.pdf_of_size(17 * MiB)
    upload = start(world, firm.ou, len(content), hashlib.sha256(content).hexdigest()).get_json()
    assert upload["parts"] == 3
    put_parts(world, firm.ou, upload, content, [1, 3])

    body = problem(complete(world, firm.ou, upload), 422, "upload-incomplete")
    assert body["missing_parts"] == [2] and body["expected_bytes"] == len(content)
    assert body["received_bytes"] == len(content) - 8 * MiB
    assert world.ok("GET", f"/cloud/uploads/{upload['upload_id']}", firm.ou)["status"] == "uploading"

    put_parts(world, firm.ou, upload, content[: 8 * MiB] + b"short", [2])
    body = problem(complete(world, firm.ou, upload), 422, "upload-incomplete")
    assert body["wrong_size_parts"] == [2] and body["missing_parts"] == []

    put_parts(world, firm.ou, upload, content, [2])
    done = complete(world, firm.ou, upload)
    assert done.status_code == 200, done.get_data(as_text=True)
    assert done.get_json()["status"] == "available"
    # Completing again is answered the same; parts are no longer taken.
    assert complete(world, firm.ou, upload).get_json() == done.get_json()
    problem(
        world.call("POST", f"/cloud/uploads/{upload['upload_id']}/part-urls", firm.ou, json={"part_numbers": [1]}),
        409,
        "cloud-upload-not-uploading",
    )
    assert world.outbox_types().count("filing.cloud_upload.completed") == 1


@pytest.mark.parametrize(
    ("declared", "sent", "kind"),
    [
        (pdf_samples.pdf_bytes(2), pdf_samples.pdf_bytes(3), "checksum-mismatch"),
        (b"PK\x03\x04 a zip, not a pdf" * 10, None, "not-a-pdf"),
        (pdf_samples.encrypted_pdf(), None, "encrypted-pdf"),
    ],
    ids=["changed", "zip", "encrypted"],
)
def test_a_file_that_is_not_as_declared_or_not_a_pdf_is_discarded_and_its_space_freed(
    world: World, firm: Firm, declared: bytes, sent: bytes | None, kind: str
) -> None:
    sent = sent if sent is not None else declared
    # Same length, different bytes: only the SHA-256 can tell.
    sent = sent[: len(declared)].ljust(len(declared), b"%")
    upload = start(world, firm.ou, len(declared), hashlib.sha256(declared).hexdigest()).get_json()
    put_parts(world, firm.ou, upload, sent)

    body = problem(complete(world, firm.ou, upload), 422, kind)
    assert "discarded" in body["detail"]

    assert world.ok("GET", f"/cloud/uploads/{upload['upload_id']}", firm.ou)["status"] == "rejected"
    assert reserved(world, firm.id) == 0
    assert [key for key in world.objects() if key.startswith("cloud/")] == []
    assert "filing.cloud_upload.completed" not in world.outbox_types()
    problem(complete(world, firm.ou, upload), 409, "cloud-upload-not-uploading")


# Filing with cloud documents --------------------------------------------------------------------------


def test_cloud_documents_join_file_parts_in_a_filing_and_survive_a_copy(world: World, firm: Firm) -> None:
    exhibit = uploaded(world, firm.ou, pdf_samples.pdf_bytes(4, "Exhibit"), "Exhibit CTM-1.pdf")
    lead = pdf_samples.pdf_bytes(2, "Affidavit")
    metadata = affidavit(firm, connected=[{"document_type": "exhibit", "cloud_upload_id": exhibit["upload_id"]}])

    filed = file_with(world, firm.ou, metadata, lead=lead)

    assert filed.status_code == 201, filed.get_data(as_text=True)
    filing = filed.get_json()
    first, second = filing["documents"]
    assert (first["role"], first["sha256"]) == ("lead", hashlib.sha256(lead).hexdigest())
    assert (second["role"], second["sha256"], second["pages"]) == ("connected", exhibit["sha256"], 4)
    assert second["filename"] == "Exhibit CTM-1.pdf"

    # The same upload cannot go into a second filing.
    again = file_with(world, firm.ou, metadata, lead=lead)
    body = problem(again, 409, "cloud-upload-not-available")
    assert body["status"] == "attached"

    # Rejected and copied: the copy's document shares the object; the upload stays with the original filing.
    registry = world.caller("registry_officer")
    world.ok("POST", f"/filings/{filing['filing_id']}/reject", registry, json={"reasons": ["unsigned"]})
    copy = world.ok("POST", f"/filings/{filing['filing_id']}/copy", firm.ou, 201, json={})
    assert [d["sha256"] for d in copy["documents"]] == [first["sha256"], second["sha256"]]
    with world.runtime.engine.connect() as conn:
        rows = conn.execute(
            sa.select(tables.Document.filing_id, tables.Document.object_key, tables.Document.cloud_upload_id).where(
                tables.Document.cloud_upload_id == exhibit["upload_id"]
            )
        ).all()
    assert {r.filing_id for r in rows} == {filing["filing_id"], copy["filing_id"]}
    assert len({r.object_key for r in rows}) == 1
    assert (
        world.ok("GET", f"/cloud/uploads/{exhibit['upload_id']}", firm.ou)["attached_filing_id"] == filing["filing_id"]
    )
    # An attached upload is the filing's document now: it cannot be deleted from the cloud.
    problem(world.call("DELETE", f"/cloud/uploads/{exhibit['upload_id']}", firm.pa), 409, "cloud-upload-attached")


def test_a_filing_takes_only_an_available_upload_of_the_filers_own_organisation(world: World, firm: Firm) -> None:
    content = pdf_samples.pdf_bytes(1)
    sha = hashlib.sha256(content).hexdigest()
    still_uploading = start(world, firm.ou, len(content), sha).get_json()
    other_firm = world.firm("Other LLP")
    theirs = uploaded(world, world.caller("OU", other_firm), content)
    individual = world.caller("IU")
    mine = uploaded(world, firm.ou, content)
    objects_before = sorted(world.objects())
    filings_before = world.count(tables.Filing)

    body = problem(
        file_with(world, firm.ou, affidavit(firm, still_uploading["upload_id"])), 409, "cloud-upload-not-available"
    )
    assert body["status"] == "uploading"
    body = problem(file_with(world, firm.ou, affidavit(firm, theirs["upload_id"])), 400, "invalid-request")
    assert body["errors"][0]["field"] == "metadata.lead.cloud_upload_id"
    # The lead named twice over: as a file part and from the cloud.
    problem(file_with(world, firm.ou, affidavit(firm, mine["upload_id"]), lead=content), 400, "invalid-request")
    # One upload for two documents.
    twice = affidavit(firm, mine["upload_id"], [{"document_type": "exhibit", "cloud_upload_id": mine["upload_id"]}])
    problem(file_with(world, firm.ou, twice), 400, "invalid-request")
    # An individual user has no cloud (and is no party here either).
    assert file_with(world, individual, affidavit(firm, mine["upload_id"])).status_code in (400, 404)
    # A paper filing is the registry's scan of paper: its metadata knows no cloud_upload_id.
    registry = world.caller("registry_officer")
    paper = {**affidavit(firm, mine["upload_id"]), "received_at": "2026-11-23T01:00:00Z"}
    response = world.call(
        "POST",
        "/paper-filings",
        registry,
        data={"metadata": json.dumps(paper), "lead": (io.BytesIO(content), "lead.pdf")},
        content_type="multipart/form-data",
    )
    assert problem(response, 400, "invalid-request")["errors"][0]["field"] == "metadata.lead"
    assert world.count(tables.Filing) == filings_before
    assert sorted(world.objects()) == objects_before
    assert world.ok("GET", f"/cloud/uploads/{mine['upload_id']}", firm.ou)["status"] == "available"


def test_a_file_over_the_direct_limit_is_refused_with_a_pointer_to_the_cloud(world: World, firm: Firm) -> None:
    too_big = pdf_samples.pdf_of_size(world.deps.settings.max_document_bytes + 1)
    body = problem(file_with(world, firm.ou, affidavit(firm), lead=too_big), 413, "document-too-large")
    assert "Judiciary Cloud" in body["detail"] and "cloud_upload_id" in body["detail"]


# Quota, usage, expiry ---------------------------------------------------------------------------------


def test_the_quota_is_reserved_before_upload_and_freed_by_delete_and_usage_shows_it(world: World, firm: Firm) -> None:
    help_centre = world.caller("help_centre_officer")
    usage = world.ok("GET", "/cloud/usage", firm.pa)
    assert usage["quota_bytes"] == 20 * GiB and usage["quota_is_default"] and usage["reserved_bytes"] == 0

    world.ok("PUT", f"/cloud/quotas/{firm.id}", help_centre, json={"quota_bytes": 10 * GiB})
    first = start(world, firm.ou, 4 * GiB, "a" * 64).get_json()
    second = start(world, firm.ou, 5 * GiB, "b" * 64).get_json()
    refused = problem(start(world, firm.ou, 2 * GiB, "c" * 64), 409, "cloud-quota-exceeded")
    assert (refused["quota_bytes"], refused["reserved_bytes"], refused["requested_bytes"]) == (
        10 * GiB,
        9 * GiB,
        2 * GiB,
    )
    assert refused["available_bytes"] == 1 * GiB

    usage = world.ok("GET", "/cloud/usage", firm.ou)
    assert (usage["quota_bytes"], usage["reserved_bytes"], usage["available_bytes"]) == (10 * GiB, 9 * GiB, 1 * GiB)
    assert usage["uploads"]["uploading"] == {"count": 2, "bytes": 9 * GiB}
    assert not usage["quota_is_default"] and not usage["over_quota"]

    # Lowered below what is reserved: nothing is lost, but nothing new starts until space is freed.
    lowered = world.ok("PUT", f"/cloud/quotas/{firm.id}", help_centre, json={"quota_bytes": 3 * GiB})
    assert lowered["over_quota"] and lowered["available_bytes"] == 0
    problem(start(world, firm.ou, 1, "d" * 64), 409, "cloud-quota-exceeded")

    assert world.call("DELETE", f"/cloud/uploads/{second['upload_id']}", firm.pa).status_code == 204
    assert world.call("DELETE", f"/cloud/uploads/{second['upload_id']}", firm.pa).status_code == 404
    assert world.call("DELETE", f"/cloud/uploads/{first['upload_id']}", firm.ou).status_code == 204
    assert reserved(world, firm.id) == 0
    assert start(world, firm.ou, 3 * GiB, "e" * 64).status_code == 201
    assert world.deps.store.list_incomplete_uploads() != []  # the new one only
    assert len(world.deps.store.list_incomplete_uploads()) == 1

    back = world.ok("PUT", f"/cloud/quotas/{firm.id}", help_centre, json={"quota_bytes": None})
    assert back["quota_bytes"] == 20 * GiB and back["quota_is_default"]
    assert world.ok("GET", f"/cloud/usage?organisation_id={firm.id}", help_centre)["reserved_bytes"] == 3 * GiB
    listed = world.ok("GET", "/cloud/uploads", firm.pa)["uploads"]
    assert [u["status"] for u in listed] == ["uploading"]


def test_unused_uploads_expire_after_30_days_and_attached_ones_stay(world: World, firm: Firm) -> None:
    content = pdf_samples.pdf_bytes(1)
    sha = hashlib.sha256(content).hexdigest()
    never_completed = start(world, firm.ou, len(content), sha).get_json()
    put_parts(world, firm.ou, never_completed, content)
    never_filed = uploaded(world, firm.ou, content)
    filed = uploaded(world, firm.ou, content)
    assert file_with(world, firm.ou, affidavit(firm, filed["upload_id"])).status_code == 201
    world.clock.advance(timedelta(days=29, hours=23))
    assert cloud.expire_unused(world.deps) == 0
    fresh = uploaded(world, firm.ou, content)

    world.clock.advance(timedelta(hours=1))
    assert cloud.expire_unused(world.deps) == 2
    assert cloud.expire_unused(world.deps) == 0

    statuses = {u["upload_id"]: u["status"] for u in world.ok("GET", "/cloud/uploads", firm.ou)["uploads"]}
    assert statuses == {
        never_completed["upload_id"]: "expired",
        never_filed["upload_id"]: "expired",
        filed["upload_id"]: "attached",
        fresh["upload_id"]: "available",
    }
    assert reserved(world, firm.id) == len(content)  # the fresh one only
    assert world.deps.store.list_incomplete_uploads() == []
    assert not world.deps.store.exists(upload_row(world, never_filed["upload_id"]).object_key)
    assert world.deps.store.exists(upload_row(world, filed["upload_id"]).object_key)
    assert world.outbox_types().count("filing.cloud_upload.expired") == 2
    problem(file_with(world, firm.ou, affidavit(firm, never_filed["upload_id"])), 409, "cloud-upload-not-available")
    problem(complete(world, firm.ou, never_completed), 409, "cloud-upload-not-uploading")


# Who may do what, and bad input -----------------------------------------------------------------------


def test_only_the_organisations_people_use_its_cloud(world: World, firm: Firm) -> None:
    content = pdf_samples.pdf_bytes(1)
    sha = hashlib.sha256(content).hexdigest()
    mine = uploaded(world, firm.ou, content)
    path = f"/cloud/uploads/{mine['upload_id']}"
    other_firm = world.firm("Other LLP")
    outsiders = [world.caller(role, other_firm) for role in ("OU", "PA", "SA")]
    staff = [world.caller(role) for role in ("registry_officer", "help_centre_officer", "system_admin")]
    individual = world.caller("IU")
    sa_ = world.caller("SA", firm.id)

    # Starting an upload: the organisation's users only.
    for who in (firm.pa, sa_, *staff):
        problem(start(world, who, 10, sha), 403, "forbidden")
    body = problem(start(world, individual, 10, sha), 403, "forbidden")
    assert "organisations" in body["detail"] and "individual" in body["detail"]
    problem(start(world, None, 10, sha), 401, "unauthenticated")  # type: ignore[arg-type]

    # Seeing and deleting: the organisation's OU, PA and SA; another organisation cannot tell it exists.
    for who in (firm.ou, firm.pa, sa_):
        assert world.ok("GET", path, who)["upload_id"] == mine["upload_id"]
        assert [u["upload_id"] for u in world.ok("GET", "/cloud/uploads", who)["uploads"]] == [mine["upload_id"]]
        assert world.ok("GET", "/cloud/usage", who)["reserved_bytes"] == len(content)
    for who in outsiders:
        problem(world.call("GET", path, who), 404, "not-found")
        problem(world.call("DELETE", path, who), 404, "not-found")
        assert world.ok("GET", "/cloud/uploads", who)["uploads"] == []
    problem(world.call("POST", f"{path}/complete", outsiders[0]), 404, "not-found")
    problem(world.call("POST", f"{path}/part-urls", outsiders[0], json={"part_numbers": [1]}), 404, "not-found")
    for who in (individual, *staff):
        problem(world.call("GET", path, who), 403, "forbidden")
        problem(world.call("DELETE", path, who), 403, "forbidden")
    for who in (individual, world.caller("registry_officer")):
        problem(world.call("GET", "/cloud/usage", who), 403, "forbidden")

    # Quotas: the Help Centre only.
    for who in (firm.ou, firm.pa, world.caller("registry_officer"), individual):
        problem(world.call("PUT", f"/cloud/quotas/{firm.id}", who, json={"quota_bytes": 1}), 403, "forbidden")
    help_centre = world.caller("help_centre_officer")
    problem(
        world.call("PUT", f"/cloud/quotas/{other_firm[:-4]}ffff", help_centre, json={"quota_bytes": 1}),
        404,
        "not-found",
    )
    problem(world.call("GET", "/cloud/usage", help_centre), 400, "invalid-request")

    assert world.call("DELETE", path, sa_).status_code == 204
    assert world.deps.store.exists(upload_row(world, mine["upload_id"]).object_key) is False


@pytest.mark.parametrize(
    "body",
    [
        {"filename": "a.pdf", "size": 0, "sha256": "a" * 64},
        {"filename": "a.pdf", "size": -5, "sha256": "a" * 64},
        {"filename": "a.pdf", "size": 1.5, "sha256": "a" * 64},
        {"filename": "a.pdf", "size": "10", "sha256": "a" * 64},
        {"filename": "a.pdf", "size": 10, "sha256": "a" * 63},
        {"filename": "a.pdf", "size": 10, "sha256": "g" * 64},
        {"filename": "", "size": 10, "sha256": "a" * 64},
        {"size": 10, "sha256": "a" * 64},
        {"filename": "a.pdf", "size": 10, "sha256": "a" * 64, "bucket": "elsewhere"},
    ],
)
def test_a_bad_start_is_refused_and_reserves_nothing(world: World, firm: Firm, body: dict[str, Any]) -> None:
    problem(world.call("POST", "/cloud/uploads", firm.ou, json=body), 400, "invalid-request")
    assert world.count(tables.CloudUpload) == 0
    assert world.deps.store.list_incomplete_uploads() == []


def test_a_file_over_the_cloud_limit_or_bad_part_numbers_are_refused(world: World, firm: Firm) -> None:
    limit = world.deps.settings.cloud_max_file_bytes
    body = problem(start(world, firm.ou, limit + 1, "a" * 64), 413, "cloud-file-too-large")
    assert body["max_bytes"] == limit
    assert world.count(tables.CloudUpload) == 0

    upload = start(world, firm.ou, 20 * MiB, "A" * 64).get_json()
    assert upload["sha256"] == "a" * 64 and upload["parts"] == 3
    path = f"/cloud/uploads/{upload['upload_id']}/part-urls"
    for numbers in ([], [0], [4], [1, 1], ["1"], list(range(1, 1002))):
        problem(world.call("POST", path, firm.ou, json={"part_numbers": numbers}), 400, "invalid-request")
    (part,) = world.ok("POST", path, firm.ou, json={"part_numbers": [3]})["parts"]
    assert part["size"] == 20 * MiB - 2 * 8 * MiB and "partNumber=3" in part["url"]
    problem(world.call("GET", "/cloud/uploads/not-a-uuid", firm.ou), 404, "not-found")
    problem(world.call("GET", "/cloud/uploads?status=deleted", firm.ou), 400, "invalid-request")
    problem(world.call("GET", "/cloud/usage?organisation_id=x", firm.ou), 400, "invalid-request")


def test_the_part_size_keeps_every_file_within_10000_parts() -> None:
    from filing.domain.cloud import part_plan

    assert part_plan(1) == (8 * MiB, 1)
    assert part_plan(8 * MiB) == (8 * MiB, 1)
    assert part_plan(8 * MiB + 1) == (8 * MiB, 2)
    assert part_plan(10_000 * 8 * MiB) == (8 * MiB, 10_000)
    part, parts = part_plan(5 * GiB * 20)
    assert part % MiB == 0 and parts <= 10_000 and part * parts >= 5 * GiB * 20


def test_the_cloud_works_the_same_on_sqlite_and_postgresql(world_on_each_database: World) -> None:
    world = world_on_each_database
    firm_id = world.firm("Chan & Co")
    ou = world.caller("OU", firm_id)
    case = world.start_case(ou, "DCPI")
    world.ok("PUT", f"/cloud/quotas/{firm_id}", world.caller("help_centre_officer"), json={"quota_bytes": 10_000})
    content = pdf_samples.pdf_bytes(2)
    upload = uploaded(world, ou, content)
    problem(start(world, ou, 10_000, "a" * 64), 409, "cloud-quota-exceeded")

    metadata = {"case_id": case["case_id"], "title": "Affidavit", "lead": {"document_type": "affidavit"}}
    metadata["lead"]["cloud_upload_id"] = upload["upload_id"]
    assert file_with(world, ou, metadata).status_code == 201
    problem(file_with(world, ou, metadata), 409, "cloud-upload-not-available")
    assert world.ok("GET", "/cloud/usage", ou)["uploads"]["attached"] == {"count": 1, "bytes": len(content)}
    assert reserved(world, firm_id) == 0


def test_completing_again_after_a_failure_between_s3_and_the_database_finishes_the_job(
    world: World, firm: Firm
) -> None:
    content = pdf_samples.pdf_bytes(2)
    upload = start(world, firm.ou, len(content), hashlib.sha256(content).hexdigest()).get_json()
    put_parts(world, firm.ou, upload, content)
    # As if an earlier complete had joined the parts in S3 and then died before recording anything.
    row = upload_row(world, upload["upload_id"])
    store = world.deps.store
    store.complete_multipart(row.object_key, row.s3_upload_id or "", store.list_parts(row.object_key, row.s3_upload_id))

    done = complete(world, firm.ou, upload)

    assert done.status_code == 200, done.get_data(as_text=True)
    assert (done.get_json()["status"], done.get_json()["pages"]) == ("available", 2)
