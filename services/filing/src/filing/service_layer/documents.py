"""Reading one document, filed or issued, by its id: its metadata and a short-lived download link.

Every read asks ``filing.domain.access.may_read_document`` with the facts gathered here, so who
reads what is decided in one place; ``GET /filings/{id}/documents/{doc}/content`` asks it too.
A caller who may not read a document gets 404, as for one that does not exist.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.web.principal import Principal
from filing.adapters.tables import Case, Document, Filing, Inspection, IssuedDocument
from filing.domain import access
from filing.domain.access import FILED, ISSUED, DocumentFacts
from filing.service_layer import errors
from filing.service_layer.access import ties
from filing.service_layer.deps import Deps

GRANTED = "granted"
ORIGINAL = "original"
STAMPED = "stamped"


@dataclass
class FoundDocument:
    """A document with what its access rule and its answers need."""

    source: str
    row: Document | IssuedDocument
    case: Case
    filing: Filing | None
    facts: DocumentFacts

    @property
    def id(self) -> str:
        return self.row.id


def token_hash(token: str) -> str:
    """How an inspection token is kept and looked up: its SHA-256, never the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find(deps: Deps, db: Session, document_id: str, *, lock: bool = False) -> FoundDocument | None:
    """The filed or issued document with this id, with its facts; None if neither table has it."""
    row: Document | IssuedDocument | None
    filing = None
    query: Any = sa.select(Document).where(Document.id == document_id)
    row = db.scalar(query.with_for_update() if lock else query)
    if row is not None:
        filing = db.get(Filing, row.filing_id)
        assert filing is not None
    else:
        query = sa.select(IssuedDocument).where(IssuedDocument.id == document_id)
        row = db.scalar(query.with_for_update() if lock else query)
        if row is None:
            return None
    case = db.get(Case, row.case_id)
    assert case is not None
    return found_document(deps, row, case, filing)


def found_document(deps: Deps, row: Document | IssuedDocument, case: Case, filing: Filing | None) -> FoundDocument:
    """A document read with its case (and, if filed, its filing), with the facts its access rule needs."""
    case_type = deps.catalogue.case_types.get(case.prefix)
    facts = DocumentFacts(
        source=FILED if filing is not None else ISSUED,
        public_inspection=row.public_inspection,
        sealed=row.sealed,
        case_sealed=case.sealed,
        case_type_public=case_type is not None and case_type.public_inspection,
        on_record=filing.docket_number is not None if filing is not None else True,
        submitted_by=filing.submitted_by_account_id if filing is not None else None,
    )
    return FoundDocument(facts.source, row, case, filing, facts)


def granted(db: Session, principal: Principal, document_id: str, token: str | None, now: datetime) -> bool:
    """Whether the caller holds a live paid inspection of the document: by its account or by ``token``."""
    holders = []
    if principal.subject is not None:
        holders.append(Inspection.account_id == principal.subject)
    if token:
        holders.append(Inspection.token_sha256 == token_hash(token))
    if not holders:
        return False
    live = db.scalar(
        sa.select(sa.func.count()).where(
            Inspection.document_id == document_id,
            Inspection.status == GRANTED,
            Inspection.access_until > now,
            sa.or_(*holders),
        )
    )
    return bool(live)


def may_read(deps: Deps, db: Session, principal: Principal, found: FoundDocument, token: str | None) -> bool:
    """``access.may_read_document`` for this caller, with its ties and its inspections looked up."""
    # A grant only ever opens a document open to inspection, so the inspections are looked up only then.
    live = access.open_to_inspection(found.facts) and granted(db, principal, found.id, token, deps.now())
    return access.may_read_document(principal, ties(db, principal, found.case.id), found.facts, live)


def readable(deps: Deps, db: Session, principal: Principal, document_id: str, token: str | None) -> FoundDocument:
    """The document if the caller may read it; 404 otherwise."""
    found = find(deps, db, document_id)
    if found is None or not may_read(deps, db, principal, found, token):
        raise errors.not_found("document")
    return found


def document_json(found: FoundDocument, downloadable: bool) -> dict[str, Any]:
    """A document as ``GET /documents/{id}`` shows it, filed or issued alike."""
    row, case = found.row, found.case
    common = {
        "document_id": row.id,
        "document_source": found.source,
        "case_id": case.id,
        "case_number": case.case_number,
        "title": row.title,
        "filename": row.filename,
        "pages": row.pages,
        "public_inspection": row.public_inspection,
        "sealed": row.sealed,
        "case_sealed": case.sealed,
        "downloadable": downloadable,
    }
    if isinstance(row, Document):
        assert found.filing is not None
        return {
            **common,
            "kind": row.document_type,
            "filing_id": row.filing_id,
            "drn": None,
            "size": row.size,
            "sha256": row.sha256,
            "filed_at": iso(found.filing.submitted_at),
            "issued_at": None,
        }
    return {
        **common,
        "kind": row.kind,
        "filing_id": None,
        "drn": row.drn,
        "size": row.stamped_size,
        "sha256": row.stamped_sha256,
        "filed_at": None,
        "issued_at": iso(row.issued_at),
    }


def get(deps: Deps, principal: Principal, document_id: str, token: str | None) -> dict[str, Any]:
    """``GET /documents/{id}``: for those who may read it, and for anyone while it is open to inspection
    (so the public sees what it would pay to inspect); 404 for everyone else."""
    with deps.unit_of_work() as uow:
        found = find(deps, uow.session, document_id)
        if found is None:
            raise errors.not_found("document")
        downloadable = may_read(deps, uow.session, principal, found, token)
        if not downloadable and not access.open_to_inspection(found.facts):
            raise errors.not_found("document")
        return document_json(found, downloadable)


def download(deps: Deps, principal: Principal, document_id: str, token: str | None, copy: str | None) -> dict[str, Any]:
    """``GET /documents/{id}/download``: a presigned URL good for ``download_url_seconds``.

    An issued document is given as its stamped copy; the registry may ask for the original
    (``copy=original``). The link is short-lived so that a link passed on, or a sealing, soon stops it.
    """
    with deps.unit_of_work() as uow:
        found = readable(deps, uow.session, principal, document_id, token)
        if copy == ORIGINAL and not access.is_registry(principal):
            raise errors.forbidden(
                "Only the registry reads an issued document's original; others get the stamped copy."
            )
        row = found.row
        if isinstance(row, Document):
            key, sha256, size = row.object_key, row.sha256, row.size
        elif copy == ORIGINAL:
            key, sha256, size = row.original_key, row.original_sha256, row.original_size
        else:
            key, sha256, size = row.stamped_key, row.stamped_sha256, row.stamped_size
        filename = row.filename
    lifetime = timedelta(seconds=deps.settings.download_url_seconds)
    return {
        "document_id": document_id,
        "url": deps.store.presigned_get_url(key, lifetime, filename),
        "expires_at": iso(deps.now() + lifetime),
        "sha256": sha256,
        "size": size,
        "filename": filename,
        "copy": FILED if isinstance(row, Document) else ORIGINAL if copy == ORIGINAL else STAMPED,
    }
