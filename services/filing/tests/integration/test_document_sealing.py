"""Sealing and unsealing cases and documents: only the registry, events for search (valid against their
contracts, versions that only grow, no content), 409 for sealing twice, and what sealing changes for
the metadata, the download and the filing's content endpoint (parties keep reading; the public stops)."""

from __future__ import annotations

import hashlib
import urllib.request
from dataclasses import dataclass
from typing import Any

import pytest
from filing_testkit import Caller, World

from filing.adapters import tables

SEAL = {"reason": "Order of HH Judge Lee: the file is sealed."}


@dataclass
class Case:
    case_id: str
    case_number: str
    originating: str
    """The writ's document id (filed, open to inspection)."""
    order: dict[str, Any]
    """An issued order (open to inspection), as the kit made it."""
    iu: Caller
    registry: Caller


@pytest.fixture
def case(world: World) -> Case:
    iu, registry = world.caller("IU"), world.caller("registry_officer")
    started = world.start_case(iu, "DCPI")
    writ = started["filing"]
    world.pay(writ, world.order_for(writ))
    world.ok("POST", f"/filings/{writ['filing_id']}/accept", registry, json={})
    order = world.issued_document(started["case_id"], "order")
    return Case(started["case_id"], started["case_number"], writ["documents"][0]["document_id"], order, iu, registry)


# Who may ----------------------------------------------------------------------------------------------

CALLERS = {
    "anonymous": 401,
    "IU": 403,
    "OU": 403,
    "PA": 403,
    "SA": 403,
    "help_centre_officer": 403,
    "system_admin": 403,
    "registry_officer": 200,
}


def test_only_the_registry_seals_and_unseals(world: World, case: Case) -> None:
    targets = [f"/cases/{case.case_id}", f"/documents/{case.originating}", f"/documents/{case.order['document_id']}"]
    # One world for every caller (building one is the slow part); the registry goes last, as it changes things.
    for role, status in CALLERS.items():
        who = None if role == "anonymous" else world.caller(role)
        for target in targets:
            sealed = world.call("POST", f"{target}/seal", who, json=SEAL)
            assert sealed.status_code == status, (role, target, sealed.get_data(as_text=True))
            unsealed = world.call("POST", f"{target}/unseal", who, json={})
            assert unsealed.status_code == status, (role, target, unsealed.get_data(as_text=True))
        if status != 200:
            assert "filing.case.sealed" not in world.outbox_types(), role
    assert world.outbox_types().count("filing.case.sealed") == 1


def test_the_party_who_is_sealed_from_cannot_seal_even_its_own_case(world: World, case: Case) -> None:
    response = world.call("POST", f"/cases/{case.case_id}/seal", case.iu, json=SEAL)
    assert response.status_code == 403


# Events and versions ----------------------------------------------------------------------------------


def test_sealing_a_case_and_unsealing_it_tell_search_with_growing_versions(world: World, case: Case) -> None:
    sealed = world.ok("POST", f"/cases/{case.case_id}/seal", case.registry, json=SEAL)
    unsealed = world.ok("POST", f"/cases/{case.case_id}/unseal", case.registry, json={"reason": "Discharged"})
    assert (sealed["sealed"], unsealed["sealed"]) == (True, False)
    assert unsealed["version"] == sealed["version"] + 1
    (event,) = world.published("filing.case.sealed")
    assert event == {
        "case_id": case.case_id,
        "case_number": case.case_number,
        "court": "DC",
        "case_type": "DCPI",
        "reason": SEAL["reason"],
        "sealed_by_account_id": case.registry.id,
        "sealed_at": event["sealed_at"],
        "aggregate_version": sealed["version"],
    }
    (back,) = world.published("filing.case.unsealed")
    assert (back["reason"], back["aggregate_version"]) == ("Discharged", unsealed["version"])


@pytest.mark.parametrize("which", ["filed", "issued"])
def test_sealing_a_document_tells_search_without_any_content(world: World, case: Case, which: str) -> None:
    document_id = case.originating if which == "filed" else case.order["document_id"]
    first = world.ok("POST", f"/documents/{document_id}/seal", case.registry, json=SEAL)
    world.ok("POST", f"/documents/{document_id}/unseal", case.registry, json={})
    again = world.ok("POST", f"/documents/{document_id}/seal", case.registry, json=SEAL)
    assert first["document_source"] == which and again["version"] == first["version"] + 2
    events = world.published("filing.document.sealed")
    assert [e["aggregate_version"] for e in events] == [first["version"], again["version"]]
    event = events[0]
    assert set(event) == {
        "document_id", "source", "case_id", "case_number", "public_inspection", "reason",
        "sealed_by_account_id", "sealed_at", "aggregate_version",
    }  # fmt: skip
    assert (event["document_id"], event["source"], event["case_id"], event["public_inspection"]) == (
        document_id,
        which,
        case.case_id,
        True,
    )
    (unsealed,) = world.published("filing.document.unsealed")
    assert unsealed["aggregate_version"] == first["version"] + 1 and unsealed["reason"] is None


# Twice, nothing, bad input ----------------------------------------------------------------------------


def test_sealing_what_is_sealed_or_unsealing_what_is_not_is_409_and_changes_nothing(world: World, case: Case) -> None:
    registry = case.registry
    for target in (f"/cases/{case.case_id}", f"/documents/{case.order['document_id']}"):
        not_sealed = world.call("POST", f"{target}/unseal", registry, json={})
        assert (not_sealed.status_code, not_sealed.get_json()["type"]) == (409, "urn:icms:problem:not-sealed")
        world.ok("POST", f"{target}/seal", registry, json=SEAL)
        before = world.count(tables.outbox)
        twice = world.call("POST", f"{target}/seal", registry, json=SEAL)
        assert (twice.status_code, twice.get_json()["type"]) == (409, "urn:icms:problem:already-sealed")
        assert world.count(tables.outbox) == before


def test_a_seal_needs_its_reason_and_a_real_target(world: World, case: Case) -> None:
    registry = case.registry
    for body in ({}, {"reason": ""}, {"reason": "x" * 1001}, {"reason": "ok", "extra": 1}):
        response = world.call("POST", f"/cases/{case.case_id}/seal", registry, json=body)
        assert response.status_code == 400, body
    unknown = "00000000-0000-4000-8000-000000000000"
    for target in (f"/cases/{unknown}", f"/documents/{unknown}"):
        response = world.call("POST", f"{target}/seal", registry, json=SEAL)
        assert (response.status_code, response.get_json()["type"]) == (404, "urn:icms:problem:not-found")
    assert world.outbox_types().count("filing.case.sealed") == 0


# What sealing changes ---------------------------------------------------------------------------------


def test_the_public_sees_an_open_documents_metadata_until_it_is_sealed(world: World, case: Case) -> None:
    order_id = case.order["document_id"]
    shown = world.ok("GET", f"/documents/{order_id}")
    assert (shown["drn"], shown["document_source"], shown["downloadable"]) == (case.order["drn"], "issued", False)
    assert world.ok("GET", f"/documents/{case.originating}")["downloadable"] is False
    world.ok("POST", f"/documents/{order_id}/seal", case.registry, json=SEAL)
    world.ok("POST", f"/cases/{case.case_id}/seal", case.registry, json=SEAL)
    for document_id in (order_id, case.originating):
        assert world.call("GET", f"/documents/{document_id}").status_code == 404
        party = world.ok("GET", f"/documents/{document_id}", case.iu)
        assert party["downloadable"] is True and party["case_sealed"] is True
    assert world.ok("GET", f"/documents/{order_id}", case.iu)["sealed"] is True


def test_the_registry_alone_downloads_an_issued_documents_original(world: World, case: Case) -> None:
    order_id = case.order["document_id"]
    original = world.ok("GET", f"/documents/{order_id}/download?copy=original", case.registry)
    stamped = world.ok("GET", f"/documents/{order_id}/download", case.registry)
    assert (original["copy"], stamped["copy"]) == ("original", "stamped")
    for answer, content in ((original, case.order["original"]), (stamped, case.order["stamped"])):
        assert answer["sha256"] == hashlib.sha256(content).hexdigest()
        with urllib.request.urlopen(answer["url"], timeout=10) as fetched:  # noqa: S310 (the test's own S3)
            assert fetched.read() == content
    party = world.call("GET", f"/documents/{order_id}/download?copy=original", case.iu)
    assert (party.status_code, party.get_json()["type"]) == (403, "urn:icms:problem:forbidden")
    assert world.call("GET", f"/documents/{order_id}/download?copy=original").status_code == 404
    assert world.call("GET", f"/documents/{order_id}/download?copy=draft", case.registry).status_code == 400


def test_a_filings_content_endpoint_follows_the_same_rule(world: World, case: Case) -> None:
    filing_id = world.ok("GET", f"/documents/{case.originating}", case.iu)["filing_id"]
    path = f"/filings/{filing_id}/documents/{case.originating}/content"
    world.ok("POST", f"/cases/{case.case_id}/seal", case.registry, json=SEAL)
    assert world.call("GET", path, case.iu).status_code == 200
    assert world.call("GET", path, case.registry).status_code == 200
    assert world.call("GET", path, world.caller("IU")).status_code == 404
    # The issued order is not a document of that filing.
    wrong = f"/filings/{filing_id}/documents/{case.order['document_id']}/content"
    assert world.call("GET", wrong, case.iu).status_code == 404
