"""Bad input gets a clear problem+json 4xx and changes nothing: no row, no object, no event."""

from __future__ import annotations

import io
import json

import pytest
import sqlalchemy as sa
from identity_testkit import API, PASSWORD, PDF, World

from identity.adapters.tables import Account, Registration, outbox
from identity.domain.roles import HELP_CENTRE_OFFICER

GOOD = {
    "kind": "individual",
    "username": "goodname",
    "password": PASSWORD,
    "display_name": "CHAN Tai Man",
    "email": "taiman@example.com",
}


def pdf_file() -> dict:
    return {"court_document": (io.BytesIO(PDF), "writ.pdf")}


def counts(world: World) -> tuple[int, int, int, int]:
    with world.runtime.engine.connect() as conn:
        rows = tuple(
            conn.execute(sa.select(sa.func.count()).select_from(t)).scalar()
            for t in (Account.__table__, Registration.__table__, outbox)
        )
    objects = len(list(world.deps.store.client.list_objects(world.deps.store.bucket, recursive=True)))
    return (*rows, objects)  # type: ignore[return-value]


def submit(world: World, application: object, files: dict | None = None, raw: str | None = None):
    data = {"application": raw if raw is not None else json.dumps(application), **(files or {})}
    return world.call("POST", f"{API}/registrations", data=data, content_type="multipart/form-data")


CASES = {
    "malformed JSON": dict(raw='{"kind": "individual", "username": '),
    "JSON that is not an object": dict(raw="[1, 2, 3]"),
    "missing fields": dict(application={"kind": "individual"}),
    "unknown kind": dict(application={**GOOD, "kind": "robot"}),
    "over-long username": dict(application={**GOOD, "username": "a" * 65}),
    "username of SQL metacharacters": dict(application={**GOOD, "username": "x'; DROP TABLE accounts;--"}),
    "short password": dict(application={**GOOD, "password": "short"}),
    "password containing the username": dict(application={**GOOD, "password": "goodname is my password"}),
    "bad e-mail": dict(application={**GOOD, "email": "not an address"}),
    "unknown field": dict(application={**GOOD, "is_admin": True}),
    "organisation without its details": dict(application={**GOOD, "kind": "organisation"}),
    "organisation without authorisation letter": dict(
        application={
            **GOOD,
            "kind": "organisation",
            "organisation": {"name": "Lam & Co", "organisation_type": "law_firm", "address": "1 Nathan Road"},
        }
    ),
    "no documents": dict(application=GOOD, files=dict),
    "a text file called .pdf": dict(
        application=GOOD, files=lambda: {"court_document": (io.BytesIO(b"hello"), "a.pdf")}
    ),
    "an executable": dict(
        application=GOOD, files=lambda: {"court_document": (io.BytesIO(b"MZ\x90\x00" * 10), "x.pdf")}
    ),
    "unknown document kind": dict(application=GOOD, files=lambda: {"selfie": (io.BytesIO(PDF), "me.pdf")}),
    "oversized document": dict(
        application=GOOD, files=lambda: {"court_document": (io.BytesIO(PDF + b"0" * (10 * 1024 * 1024)), "big.pdf")}
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
def test_a_bad_registration_is_refused_clearly_and_stores_nothing(world: World, case: str) -> None:
    spec = dict(CASES[case])
    files = spec.pop("files", pdf_file)()
    before = counts(world)
    answer = submit(world, spec.get("application"), files=files, raw=spec.get("raw"))
    assert 400 <= answer.status_code < 500, (answer.status_code, answer.json)
    assert answer.mimetype == "application/problem+json"
    assert answer.json["type"].startswith("urn:icms:problem:") and answer.json["title"]
    assert "Traceback" not in answer.get_data(as_text=True)
    assert counts(world) == before


def test_bad_json_bodies_elsewhere_are_refused_and_change_nothing(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    pa, decided = world.approved("organisation", officer)
    org = decided["account"]["organisation_id"]
    before = counts(world)
    attempts = [
        world.call("POST", f"{API}/sessions", data="{not json", content_type="application/json"),
        world.call("POST", f"{API}/sessions", json={"username": "x" * 65, "password": "y"}),
        world.call("POST", f"{API}/sessions", data="username=a", content_type="application/x-www-form-urlencoded"),
        world.call("POST", f"{API}/organisations/{org}/accounts", pa, json={"username": "a"}),
        world.call(
            "POST",
            f"{API}/organisations/{org}/accounts",
            pa,
            json={
                "username": "' OR 1=1 --",
                "password": PASSWORD,
                "display_name": "x",
                "email": "x@y.example",
                "role": "OU",
                "branch_id": decided["account"]["branch_id"],
            },
        ),
        world.call(
            "POST",
            f"{API}/organisations/{org}/accounts",
            pa,
            json={
                "username": "valid.name",
                "password": PASSWORD,
                "display_name": "x",
                "email": "x@y.example",
                "role": "registry_officer",
                "branch_id": decided["account"]["branch_id"],
            },
        ),
        world.call("POST", f"{API}/organisations/{org}/branches", pa, json={"code": "A B;", "name": "x"}),
        world.call("POST", f"{API}/organisations/{org}/quota-requests", pa, json={"branches": -1, "reason": "x"}),
        world.call("POST", f"{API}/organisations/{org}/quota-requests", pa, json={"branches": 2.5, "reason": "x"}),
        world.call("GET", f"{API}/audit", officer, query_string={"limit": "1; DROP TABLE audit_log"}),
        world.call("GET", f"{API}/organisations/{org}/accounts", pa, query_string={"role": "x" * 100}),
        world.call("POST", f"{API}/registrations/not-a-uuid/approve", officer, json={}),
    ]
    for answer in attempts:
        assert 400 <= answer.status_code < 500, (answer.request.path, answer.status_code, answer.json)
        assert answer.mimetype == "application/problem+json", answer.request.path
    assert counts(world)[:3] == before[:3]


def test_a_forged_or_stale_principal_is_refused(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    headers = world.principal_for(officer)
    tampered = dict(headers, **{"X-ICMS-Principal": headers["X-ICMS-Principal"][:-2] + "AA"})
    assert world.client.get(f"{API}/me", headers=tampered).status_code == 401
    unsigned = {"X-ICMS-Principal": headers["X-ICMS-Principal"]}
    assert world.client.get(f"{API}/me", headers=unsigned).status_code == 401
    assert world.client.get(f"{API}/me", headers=headers).status_code == 200


def test_nul_characters_and_exotic_digits_are_refused_not_crashed_on(world: World) -> None:
    officer = world.staff(HELP_CENTRE_OFFICER)
    answers = [
        world.call("POST", f"{API}/sessions", json={"username": "a\u0000b", "password": "x"}),
        submit(world, {**GOOD, "display_name": "a\u0000b"}, files=pdf_file()),
        world.call("GET", f"{API}/audit", officer, query_string={"limit": "\u00b2"}),
        world.call("GET", f"{API}/registrations", officer, query_string={"offset": "\u0663"}),
        world.call("POST", f"{API}/registrations"),
    ]
    for answer in answers:
        assert answer.status_code == 400, (answer.request.path, answer.status_code, answer.json)
        assert answer.mimetype == "application/problem+json"
