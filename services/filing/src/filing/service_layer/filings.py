"""Filings: documents sent to the court in a case, from submission to the registry's queue.

Every way a filing arrives (an e-filing, a new case's originating document, a copy of a rejected
filing, the registry's upload of a paper filing) ends in ``record``, so a filing is acknowledged,
charged and deemed received by one rule.
"""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis import metrics
from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.web.principal import Principal
from filing.adapters.tables import Case, Document, Filing, Organisation, Party
from filing.domain import access
from filing.service_layer import documents, errors, inbox
from filing.service_layer.access import ties
from filing.service_layer.calendar import deemed_receipt
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish

# Statuses a filing moves through.
AWAITING_PAYMENT = "awaiting_payment"
RECEIVED = "received"
ACCEPTED = "accepted"
REJECTED = "rejected"
CANCELLED = "cancelled"
STATUSES = (AWAITING_PAYMENT, RECEIVED, ACCEPTED, REJECTED, CANCELLED)
PDF = "application/pdf"
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKLMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class StoredDocument:
    """A document already in the object store, checked, waiting to be recorded."""

    role: str
    document_type: str
    title: str
    filename: str
    key: str
    size: int
    sha256: str
    pages: int
    cloud_upload_id: str | None = None
    """The Judiciary Cloud upload whose object this is (the object stays under the upload's key)."""


@dataclass(frozen=True)
class FilingRequest:
    """What a filing is, whoever sends it."""

    case: Case
    kind: str
    channel: str
    title: str
    submitted_by: str
    organisation_id: str | None
    on_behalf_of: list[str]
    documents: list[StoredDocument]
    fee_items: list[dict[str, Any]]
    note: str | None = None
    copied_from_id: str | None = None
    acting_for: str | None = None
    """For a filing that joins the record: the party the filer comes on the record for."""
    received_on_paper_at: datetime | None = None
    """For paper filings: when the paper reached the registry's counter."""


def count(uow: UnitOfWork, case: Case, filing: Filing, outcome: str) -> None:
    """Count the filing's step in ``icms_filings_total`` once it has committed."""
    labels = (case.court, filing.channel, outcome)
    uow.after_commit(lambda: metrics.filings.labels(*labels).inc())


def new_reference(at: datetime) -> str:
    """An acknowledgement reference such as ``EF-20260302-7K4Q2M``: the date, then six random characters."""
    return f"EF-{at:%Y%m%d}-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


def docref(document: Document) -> dict[str, Any]:
    """A document as events refer to it: where it is and what it hashes to, never its bytes."""
    return {
        "document_id": document.id,
        "role": document.role,
        "document_type": document.document_type,
        "title": document.title,
        "key": document.object_key,
        "sha256": document.sha256,
        "size": document.size,
        "media_type": PDF,
        "pages": document.pages,
    }


def documents_of(db: Session, filing_id: str) -> list[Document]:
    return list(db.scalars(sa.select(Document).where(Document.filing_id == filing_id).order_by(Document.seq)))


def record(deps: Deps, uow: UnitOfWork, request: FilingRequest, at: datetime) -> Filing:
    """Record a filing whose documents are stored: acknowledge it, then either ask for its fee or,
    with nothing to pay, deem it received and put it in the registry's queue."""
    db = uow.session
    case = request.case
    paper = request.channel == "paper"
    # Paper filings' fees are taken at the counter (at the full paper fee), so they never wait.
    awaiting = bool(request.fee_items) and not paper
    in_at = request.received_on_paper_at or at
    filing = Filing(
        id=str(uuid.uuid4()),
        reference=new_reference(in_at.astimezone(deps.hours.zone)),
        case_id=case.id,
        kind=request.kind,
        channel=request.channel,
        status=AWAITING_PAYMENT if awaiting else RECEIVED,
        title=request.title,
        submitted_by_account_id=request.submitted_by,
        organisation_id=request.organisation_id,
        on_behalf_of=request.on_behalf_of,
        submitted_at=at,
        documents_in_at=in_at,
        fee_items=request.fee_items,
        awaiting_payment=awaiting,
        payment_due_by=at + timedelta(minutes=deps.settings.payment_timeout_minutes) if awaiting else None,
        deemed_received_at=None if awaiting else deemed_receipt(deps, db, in_at),
        note=request.note,
        copied_from_id=request.copied_from_id,
        acting_for=request.acting_for,
        version=1,
    )
    db.add(filing)
    db.flush()
    type_of = deps.catalogue.document_types
    for seq, doc in enumerate(request.documents):
        db.add(
            Document(
                id=str(uuid.uuid4()),
                filing_id=filing.id,
                case_id=case.id,
                seq=seq,
                role=doc.role,
                document_type=doc.document_type,
                title=doc.title,
                filename=doc.filename,
                object_key=doc.key,
                size=doc.size,
                sha256=doc.sha256,
                pages=doc.pages,
                public_inspection=type_of[doc.document_type].public_inspection
                and deps.catalogue.case_types[case.prefix].public_inspection,
                text_status="none",
                cloud_upload_id=doc.cloud_upload_id,
            )
        )
    db.flush()
    documents = documents_of(db, filing.id)
    publish(
        deps,
        uow,
        "filing.submitted",
        filing.id,
        {
            "filing_id": filing.id,
            "reference": filing.reference,
            "case_id": case.id,
            "case_number": case.case_number,
            "court": case.court,
            "case_type": case.prefix,
            "kind": filing.kind,
            "channel": filing.channel,
            "submitted_by_account_id": filing.submitted_by_account_id,
            "organisation_id": filing.organisation_id,
            "submitted_at": iso(at),
            "fee_items": filing.fee_items,
            "awaiting_payment": awaiting,
            "documents": [docref(d) for d in documents],
            "aggregate_version": filing.version,
        },
    )
    if not paper:
        inbox.post(
            db,
            account_id=filing.submitted_by_account_id,
            kind="acknowledgement",
            subject=f"Filing {filing.reference} submitted in {case.case_number}",
            body=(
                f'The court has your filing "{filing.title}" ({len(documents)} document(s)), submitted at '
                f"{_local(deps, at)}. Reference: {filing.reference}."
                + (" It will be received once its fee is paid." if awaiting else "")
            ),
            at=at,
            case_id=case.id,
            filing_id=filing.id,
            reference=filing.reference,
            submitted_at=iso(at),
        )
    count(uow, case, filing, "submitted")
    if not awaiting:
        announce_received(deps, uow, filing, case)
    return filing


def announce_received(deps: Deps, uow: UnitOfWork, filing: Filing, case: Case, caused_by: Any = None) -> None:
    """The filing is in: documents and fee. It now waits in the registry's queue."""
    assert filing.deemed_received_at is not None
    count(uow, case, filing, "received")
    publish(
        deps,
        uow,
        "filing.received",
        filing.id,
        {
            "filing_id": filing.id,
            "reference": filing.reference,
            "case_id": case.id,
            "case_number": case.case_number,
            "documents_in_at": iso(filing.documents_in_at),
            "fee_paid_at": iso(filing.fee_paid_at) if filing.fee_paid_at else None,
            "payment_order_id": filing.payment_order_id,
            "deemed_received_at": iso(filing.deemed_received_at),
            "aggregate_version": filing.version,
        },
        caused_by=caused_by,
    )


def _local(deps: Deps, at: datetime) -> str:
    return at.astimezone(deps.hours.zone).strftime("%d %B %Y %H:%M:%S (Hong Kong time)")


def filing_json(db: Session, filing: Filing, case: Case | None = None) -> dict[str, Any]:
    """A filing as the API shows it."""
    case = case or db.get(Case, filing.case_id)
    assert case is not None
    return {
        "filing_id": filing.id,
        "reference": filing.reference,
        "case_id": case.id,
        "case_number": case.case_number,
        "kind": filing.kind,
        "channel": filing.channel,
        "status": filing.status,
        "title": filing.title,
        "submitted_by_account_id": filing.submitted_by_account_id,
        "organisation_id": filing.organisation_id,
        "on_behalf_of": filing.on_behalf_of,
        "submitted_at": iso(filing.submitted_at),
        "documents_in_at": iso(filing.documents_in_at),
        "fee_items": filing.fee_items,
        "payment": {
            "required": bool(filing.fee_items) and filing.channel != "paper",
            "order_id": filing.payment_order_id,
            "amount_cents": filing.payment_amount_cents,
            "due_by": iso(filing.payment_due_by) if filing.payment_due_by else None,
            "paid_at": iso(filing.fee_paid_at) if filing.fee_paid_at else None,
        },
        "deemed_received_at": iso(filing.deemed_received_at) if filing.deemed_received_at else None,
        "docket_number": filing.docket_number,
        "reviewed_at": iso(filing.reviewed_at) if filing.reviewed_at else None,
        "rejection": (
            {"reasons": filing.rejection_reasons, "message": filing.rejection_message}
            if filing.status == REJECTED
            else None
        ),
        "cancelled_reason": filing.cancelled_reason,
        "copied_from_id": filing.copied_from_id,
        "acting_for": filing.acting_for,
        "documents": [
            {
                "document_id": d.id,
                "role": d.role,
                "document_type": d.document_type,
                "title": d.title,
                "filename": d.filename,
                "size": d.size,
                "sha256": d.sha256,
                "pages": d.pages,
            }
            for d in documents_of(db, filing.id)
        ],
    }


def visible_filing(db: Session, principal: Principal, filing_id: str) -> Filing:
    """The filing if ``principal`` may see it; 404 otherwise."""
    filing = db.get(Filing, filing_id)
    if filing is None or not access.may_see_filing(
        principal, ties(db, principal, filing.case_id), filing.submitted_by_account_id, filing.status == ACCEPTED
    ):
        raise errors.not_found("filing")
    return filing


def get(deps: Deps, principal: Principal, filing_id: str) -> dict[str, Any]:
    with deps.unit_of_work() as uow:
        return filing_json(uow.session, visible_filing(uow.session, principal, filing_id))


def document(deps: Deps, principal: Principal, filing_id: str, document_id: str) -> Document:
    """One document of a filing, for its content: whoever ``access.may_read_document`` lets read it."""
    with deps.unit_of_work() as uow:
        found = documents.readable(deps, uow.session, principal, document_id, None)
        if not isinstance(found.row, Document) or found.row.filing_id != filing_id:
            raise errors.not_found("document")
        uow.session.expunge(found.row)
        return found.row


def list_mine(deps: Deps, principal: Principal, status: str | None, limit: int, offset: int) -> dict[str, Any]:
    """The caller's own filings (the registry: every filing), newest first."""
    with deps.unit_of_work() as uow:
        query = sa.select(Filing)
        if not access.is_registry(principal):
            query = query.where(Filing.submitted_by_account_id == principal.subject)
        if status:
            query = query.where(Filing.status == status)
        rows = uow.session.scalars(query.order_by(Filing.submitted_at.desc(), Filing.id).limit(limit).offset(offset))
        return {"filings": [filing_json(uow.session, f) for f in rows]}


def organisation_name(db: Session, organisation_id: str) -> str:
    """The organisation's name as identity announced it (its id until that event has arrived)."""
    found = db.get(Organisation, organisation_id)
    return found.name if found else organisation_id


def parties_of(db: Session, case_id: str) -> list[Party]:
    return list(db.scalars(sa.select(Party).where(Party.case_id == case_id).order_by(Party.seq)))


def parties_json(parties: list[Party]) -> list[dict[str, Any]]:
    """The parties as events carry them."""
    return [
        {
            "party_id": p.id,
            "name": p.name,
            "role": p.role,
            "account_id": p.account_id,
            "representative": (
                {"organisation_id": p.representative_id, "name": p.representative_name} if p.representative_id else None
            ),
        }
        for p in parties
    ]
