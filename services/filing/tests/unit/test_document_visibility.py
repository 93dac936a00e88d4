"""The one rule for reading a document, ``access.may_read_document``, over every combination of who
asks and what the document is: each caller of DOMAIN.md sections 3 and 9 against every set of facts
(source, public kind, sealed, case sealed, case type open to inspection, on the record, who filed it)
with and without a paid inspection.

The expected answer is written out below as the issue states the rule, as a list of who reads what,
so the rule's code is checked against the issue's words rather than against itself.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

import pytest

from chassis.web.principal import Principal
from filing.domain import access
from filing.domain.access import FILED, ISSUED, CaseTies, DocumentFacts

ME = "account-me"
OTHER = "account-other"


@dataclass(frozen=True)
class Who:
    """A caller and how it stands to the case."""

    name: str
    principal: Principal
    ties: CaseTies


def _principal(role: str | None, subject: str | None = ME, organisation: str | None = None) -> Principal:
    if role is None:
        return Principal.anonymous("203.0.113.9")
    account_type = {"IU": "individual", "OU": "organisation", "PA": "organisation", "SA": "organisation"}
    return Principal(
        subject, account_type.get(role, "staff"), (role,), organisation, None, "session", None, "203.0.113.9"
    )


NONE = CaseTies(party=False, assigned=False)
CALLERS = [
    Who("registry", _principal("registry_officer"), NONE),
    Who("iu_party", _principal("IU"), CaseTies(party=True, assigned=False)),
    Who("ou_assigned", _principal("OU", organisation="firm-a"), CaseTies(party=False, assigned=True)),
    Who("ou_other_firm", _principal("OU", organisation="firm-b"), NONE),
    Who("iu_stranger", _principal("IU"), NONE),
    Who("pa_of_party_firm", _principal("PA", organisation="firm-a"), NONE),
    Who("sa_of_party_firm", _principal("SA", organisation="firm-a"), NONE),
    Who("help_centre", _principal("help_centre_officer"), NONE),
    Who("system_admin", _principal("system_admin"), NONE),
    Who("anonymous", _principal(None), NONE),
    # The search service signs its own principal: no account, no ties; it reads as the public does.
    Who("search_service", _principal("search_service", subject="service:search"), NONE),
    # A PA or SA has no ties even when a party's account id matches: only IU and OU accounts transact.
    Who("pa_with_ties", _principal("PA", organisation="firm-a"), CaseTies(party=True, assigned=True)),
]

FACTS = [
    DocumentFacts(
        source=source,
        public_inspection=public,
        sealed=sealed,
        case_sealed=case_sealed,
        case_type_public=case_type_public,
        on_record=on_record if source == FILED else True,
        submitted_by=filer if source == FILED else None,
    )
    for source, public, sealed, case_sealed, case_type_public, on_record, filer in itertools.product(
        (FILED, ISSUED), (True, False), (True, False), (True, False), (True, False), (True, False), (ME, OTHER)
    )
    # An issued document is always on the record and has no filer: one of each, not four.
    if source == FILED or (on_record and filer == ME)
]


def expected(who: Who, doc: DocumentFacts, granted: bool) -> bool:
    """Issue 5, item 3, in its own words."""
    # "registry staff read all"
    if who.name == "registry":
        return True
    # the filer reads its own filing's documents, accepted or not (they are its own)
    if doc.source == FILED and doc.submitted_by == ME and who.principal.subject == ME and who.name != "anonymous":
        return True
    # "parties and their assigned OUs read their case's documents" (once on the record), sealed or not
    if who.name in ("iu_party", "ou_assigned") and doc.on_record:
        return True
    # "the public reads only documents open to public inspection ..., never in sealed cases or
    # HCMA/HCCP/HCZZ, and only after paying the inspection fee"
    return (
        granted
        and doc.public_inspection
        and doc.on_record
        and not doc.sealed
        and not doc.case_sealed
        and doc.case_type_public
    )


CELLS = [(who, doc, granted) for who in CALLERS for doc in FACTS for granted in (False, True)]


@pytest.mark.parametrize("who", CALLERS, ids=[w.name for w in CALLERS])
def test_the_rule_matches_the_issue_for_every_document_and_grant(who: Who) -> None:
    wrong = [
        (doc, granted)
        for doc in FACTS
        for granted in (False, True)
        if access.may_read_document(who.principal, who.ties, doc, granted) != expected(who, doc, granted)
    ]
    assert not wrong, f"{who.name}: {len(wrong)} of {2 * len(FACTS)} cells differ, e.g. {wrong[:3]}"


def test_the_product_is_complete() -> None:
    # Filed: 2^5 combinations of the flags x 2 filers; issued: 2^4; 12 callers; with and without a grant.
    assert len(FACTS) == 2**6 + 2**4
    assert len(CELLS) == len(CALLERS) * len(FACTS) * 2


@pytest.mark.parametrize("who", CALLERS, ids=[w.name for w in CALLERS])
def test_nobody_outside_the_case_reads_anything_sealed_or_uninspectable(who: Who) -> None:
    if who.name in ("registry", "iu_party", "ou_assigned"):
        return
    for doc in FACTS:
        if doc.submitted_by == ME and doc.source == FILED:
            continue  # the caller's own filing
        if not access.open_to_inspection(doc):
            assert not access.may_read_document(who.principal, who.ties, doc, True), (who.name, doc)


def test_sealing_never_keeps_a_party_out() -> None:
    for who in (c for c in CALLERS if c.name in ("iu_party", "ou_assigned")):
        for doc in FACTS:
            if doc.on_record and (doc.sealed or doc.case_sealed):
                assert access.may_read_document(who.principal, who.ties, doc, False), (who.name, doc)


def test_a_grant_opens_only_what_is_open_to_inspection() -> None:
    public = DocumentFacts(ISSUED, True, False, False, True, True)
    anonymous = _principal(None)
    assert access.open_to_inspection(public)
    assert access.may_read_document(anonymous, NONE, public, True)
    assert not access.may_read_document(anonymous, NONE, public, False)
    for change in ("public_inspection", "case_type_public", "on_record"):
        closed = DocumentFacts(**{**public.__dict__, change: False})
        assert not access.may_read_document(anonymous, NONE, closed, True), change
    for change in ("sealed", "case_sealed"):
        closed = DocumentFacts(**{**public.__dict__, change: True})
        assert not access.may_read_document(anonymous, NONE, closed, True), change


def test_search_hears_of_every_document_of_a_public_kind_whatever_its_sealing() -> None:
    for doc in FACTS:
        assert access.public_kind(doc) == (doc.public_inspection and doc.on_record and doc.case_type_public), doc
        assert access.open_to_inspection(doc) == (access.public_kind(doc) and not doc.sealed and not doc.case_sealed)


def test_only_the_search_service_exports_and_it_is_no_account() -> None:
    for who in CALLERS:
        service = who.name == "search_service"
        assert access.may_export(who.principal) is service, who.name
        assert access.is_service(who.principal) is service, who.name
        assert not (service and (access.may_file(who.principal) or access.is_registry(who.principal)))
    # The role without a signed subject is nobody: an anonymous caller cannot claim it.
    nobody = Principal(None, None, (access.SEARCH_SERVICE,), None, None, None, None, "203.0.113.9")
    assert not access.may_export(nobody)
