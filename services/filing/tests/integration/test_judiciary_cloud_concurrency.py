"""The Judiciary Cloud under racing requests, on PostgreSQL: uploads that together exceed the quota get
exactly the space there is, never more; two filings racing for one upload, one gets it."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import pdf_samples
import pytest
import sqlalchemy as sa
from cloud_testkit import MiB, file_with, uploaded
from filing_testkit import API, Caller, World
from werkzeug.test import TestResponse

from filing.adapters import tables

T = TypeVar("T")
GiB = 1024 * MiB


def in_parallel(n: int, work: Callable[[int], T]) -> list[T]:
    """``work(0)`` ... ``work(n - 1)``, each on a thread of its own, released together."""
    start = threading.Barrier(n)

    def run(i: int) -> T:
        start.wait(timeout=30)
        return work(i)

    with ThreadPoolExecutor(max_workers=n) as pool:
        return list(pool.map(run, range(n)))


def start_alone(world: World, who: Caller, size: int) -> TestResponse:
    """POST /cloud/uploads from a test client of its own, as a separate browser would send it."""
    return world.app.test_client().post(
        f"{API}/cloud/uploads",
        headers=world.headers(who),
        json={"filename": "bundle.pdf", "size": size, "sha256": hashlib.sha256(b"x").hexdigest()},
    )


def quota_row(world: World, organisation_id: str) -> tuple[int | None, int]:
    with world.runtime.engine.connect() as conn:
        row = conn.execute(
            sa.select(tables.CloudQuota.quota_bytes, tables.CloudQuota.reserved_bytes).where(
                tables.CloudQuota.organisation_id == organisation_id
            )
        ).one()
    return row.quota_bytes, row.reserved_bytes


@pytest.mark.parametrize(
    ("n", "size", "quota", "fit"),
    [(2, 3 * GiB, 5 * GiB, 1), (8, 5 * GiB, None, 4), (10, 1 * GiB, 7 * GiB // 2, 3)],
    ids=["two", "eight-on-the-default-quota", "ten"],
)
def test_racing_uploads_get_exactly_the_space_there_is(
    world: World, n: int, size: int, quota: int | None, fit: int
) -> None:
    firm = world.firm("Chan & Co")
    users = [world.caller("OU", firm) for _ in range(n)]
    if quota is not None:
        world.ok("PUT", f"/cloud/quotas/{firm}", world.caller("help_centre_officer"), json={"quota_bytes": quota})
    # Otherwise the organisation has never used its cloud: the racers also race to create its quota row.

    responses = in_parallel(n, lambda i: start_alone(world, users[i], size))

    statuses = sorted(r.status_code for r in responses)
    assert statuses == [201] * fit + [409] * (n - fit), [r.get_json() for r in responses]
    for refused in (r for r in responses if r.status_code == 409):
        assert refused.get_json()["type"].endswith(":cloud-quota-exceeded")
    _, reserved = quota_row(world, firm)
    assert reserved == fit * size <= (quota or world.deps.settings.cloud_quota_bytes)
    assert world.count(tables.CloudUpload) == fit
    assert world.count(tables.CloudQuota) == 1
    # Refused uploads leave no multipart upload behind in S3.
    assert len(world.deps.store.list_incomplete_uploads()) == fit


def test_two_filings_racing_for_one_upload_one_gets_it(world: World) -> None:
    firm = world.firm("Chan & Co")
    ou = world.caller("OU", firm)
    case = world.start_case(ou, "DCPI")
    upload = uploaded(world, ou, pdf_samples.pdf_bytes(3, "Exhibit"))
    metadata = {
        "case_id": case["case_id"],
        "title": "Affidavit",
        "lead": {"document_type": "affidavit", "cloud_upload_id": upload["upload_id"]},
    }

    responses = in_parallel(2, lambda i: file_with(world, ou, metadata, client=world.app.test_client()))

    assert sorted(r.status_code for r in responses) == [201, 409], [r.get_json() for r in responses]
    winner = next(r for r in responses if r.status_code == 201).get_json()
    assert world.ok("GET", f"/cloud/uploads/{upload['upload_id']}", ou)["attached_filing_id"] == winner["filing_id"]
    assert world.count(tables.Filing) == 2  # the writ and the winner
    assert quota_row(world, firm)[1] == 0
