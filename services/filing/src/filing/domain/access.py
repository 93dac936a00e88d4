"""Who may do what in filing: one place, asked by every use case (DOMAIN.md sections 3 and 4).

Only individual users (IU) and organisation users (OU) transact with the court; administrators of an
organisation (PA, SA) manage accounts and cannot file. A case is open to its parties' own accounts,
to the organisation users assigned to it, and to registry staff.

A service principal (``search_service``: search signs it itself with the gateway's secret; identity
never issues the role) is no account: it reads filing's export and, elsewhere, only what the anonymous
read.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassis.web.principal import Principal

IU = "IU"
OU = "OU"
REGISTRY_OFFICER = "registry_officer"
SEARCH_SERVICE = "search_service"
FILER_ROLES = (IU, OU)


@dataclass(frozen=True)
class CaseTies:
    """How the caller is tied to one case."""

    party: bool
    """The caller's own (IU) account is a party."""
    assigned: bool
    """The caller is an organisation user assigned to the case."""


def is_service(principal: Principal) -> bool:
    """A service calling filing by itself, not a person: it has no account, cases, filings or inbox."""
    return principal.authenticated and principal.has_role(SEARCH_SERVICE)


def may_export(principal: Principal) -> bool:
    """Only search reads the export of every case and public document, to rebuild its read models."""
    return is_service(principal)


def may_file(principal: Principal) -> bool:
    """IU and OU accounts file; nobody else does."""
    return principal.authenticated and principal.has_role(*FILER_ROLES)


def is_registry(principal: Principal) -> bool:
    """Registry officers review filings, declare closures, keep restriction orders, upload paper."""
    return principal.authenticated and principal.has_role(REGISTRY_OFFICER)


def may_see_case(principal: Principal, ties: CaseTies) -> bool:
    """Parties, assigned organisation users and the registry see a case."""
    return is_registry(principal) or (may_file(principal) and (ties.party or ties.assigned))


def may_file_in_case(principal: Principal, ties: CaseTies) -> bool:
    """A filer may file in a case it is a party to or assigned to."""
    return may_file(principal) and (ties.party or ties.assigned)


def may_see_filing(principal: Principal, ties: CaseTies, submitted_by: str, accepted: bool) -> bool:
    """The filer always; the registry always; everyone else who sees the case once it is on the docket."""
    if is_registry(principal) or (principal.subject is not None and principal.subject == submitted_by):
        return True
    return accepted and may_see_case(principal, ties)


# Documents ----------------------------------------------------------------------------------------------

FILED = "filed"
ISSUED = "issued"


@dataclass(frozen=True)
class DocumentFacts:
    """What the rule for reading one document needs to know about it."""

    source: str
    """``filed`` (a party's filing) or ``issued`` (the court's)."""
    public_inspection: bool
    """The document is of a kind open to public inspection (originating process, judgment, order)."""
    sealed: bool
    case_sealed: bool
    case_type_public: bool
    """The case type's documents may be inspected online at all (not HCMA, HCCP, HCZZ)."""
    on_record: bool
    """Filed: accepted onto the docket. Issued: always."""
    submitted_by: str | None = None
    """Filed: the account that filed it."""


def public_kind(doc: DocumentFacts) -> bool:
    """The document is of a kind the public inspects, sealing aside: public kind, on record, a case type
    open to online inspection. Search hears of these (with their sealing); of no other document."""
    return doc.public_inspection and doc.on_record and doc.case_type_public


def open_to_inspection(doc: DocumentFacts) -> bool:
    """The public may inspect the document once it has paid: of a public kind and nothing sealed. Also
    what decides whether the public may see its metadata and ask to inspect it."""
    return public_kind(doc) and not doc.sealed and not doc.case_sealed


def may_read_document(principal: Principal, ties: CaseTies, doc: DocumentFacts, granted: bool) -> bool:
    """THE rule for reading a document's content (DOMAIN.md section 9), asked by every download.

    The registry reads everything; a filer reads its own filing's documents; the case's parties and
    assigned organisation users read its documents once on the record (sealing keeps only the public
    out); everyone else, other firms and administrators included, reads a document open to inspection
    and only while ``granted`` (a live paid inspection held by this account or the presented token).
    """
    if is_registry(principal):
        return True
    if doc.source == FILED and principal.subject is not None and principal.subject == doc.submitted_by:
        return True
    if doc.on_record and may_see_case(principal, ties):
        return True
    return granted and open_to_inspection(doc)
