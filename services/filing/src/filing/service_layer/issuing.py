"""Court-issued documents (DOMAIN.md section 6): the registry issues a document into a case, uploaded or
made from a template; it gets a DRN, is stamped with it, and goes to the inbox of every party.

Both files are kept, the original and the stamped copy, each with its SHA-256. Objects are written
first, then the row, the event and the inbox messages in one transaction; if that fails the objects
are deleted. The DRN is drawn before stamping (it is printed on the page), so a DRN that turns out to
be taken when the row is inserted (the unique index says so) means stamping again under a new one.
"""

from __future__ import annotations

import tempfile
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, BinaryIO

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.storage import StoredObject
from chassis.web.principal import Principal
from filing.adapters import issued_pdf
from filing.adapters.stamp_pdf import Seal, stamp
from filing.adapters.tables import Case, CaseAccess, Document, Filing, IssuedDocument
from filing.domain.access import ISSUED
from filing.domain.drn import new_drn, printed
from filing.service_layer import errors, inbox, uploads
from filing.service_layer.access import require_registry, visible_case
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish
from filing.service_layer.filings import ACCEPTED, PDF, parties_of

KINDS = ("sealed_originating", "notice_of_hearing", "order", "judgment", "other")
TEMPLATES = ("sealed_originating", "notice_of_hearing", "order")
#: Originating process, orders and judgments are open to public inspection (DOMAIN.md section 9).
PUBLIC_KINDS = ("sealed_originating", "order", "judgment")
TEXT_PENDING, TEXT_NONE = "pending", "none"
_TITLES = {"notice_of_hearing": "Notice of Hearing", "order": "Order"}
#: A clash among 9 x 10^10 numbers is rare; several in a row mean the generator is broken, not unlucky.
_DRN_ATTEMPTS = 5
_PART = 5 * uploads.CHUNK


@dataclass(frozen=True)
class ToIssue:
    """What the registry asked for, whichever way the document came."""

    case_id: str
    kind: str
    title: str
    filename: str
    public_inspection: bool | None
    details: dict[str, Any]
    seal: Seal | None = None


def issue_upload(
    deps: Deps, principal: Principal, case_id: str, metadata: dict[str, Any], files: list[uploads.Upload]
) -> dict[str, Any]:
    """``POST /cases/{id}/issued-documents`` with a PDF the registry made elsewhere (a judgment, say)."""
    require_registry(principal)
    stray = sorted({f.field for f in files} - {"file"})
    if stray:
        raise errors.invalid_field(stray[0], "is not a part of an issued document (send 'metadata' and 'file')")
    if len(files) != 1:
        raise errors.invalid_field("file", "one PDF document is required")
    with deps.unit_of_work() as uow:
        _case(uow.session, case_id)
    upload = files[0]
    uploads.check(upload, deps.settings.max_document_bytes, "issued", metadata["kind"], metadata["title"])
    request = ToIssue(
        case_id=case_id,
        kind=metadata["kind"],
        title=metadata["title"],
        filename=upload.filename,
        public_inspection=metadata.get("public_inspection"),
        details={"source": "upload"},
    )
    return _issue(deps, principal, request, upload.stream)


def issue_from_template(deps: Deps, principal: Principal, case_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """``POST /cases/{id}/issued-documents`` with a template: the sealed originating document, a notice
    of hearing or an order, rendered (or fetched) here."""
    require_registry(principal)
    template = body["template"]
    now = deps.now()
    today = now.astimezone(deps.hours.zone).date()
    with deps.unit_of_work() as uow:
        db = uow.session
        case = _case(db, case_id)
        court_name = deps.catalogue.courts[case.court]
        heading = issued_pdf.CaseHeading(
            case_number=case.case_number,
            court_name=court_name,
            form_id=case.form_id,
            parties=tuple(issued_pdf.PartyLine(p.name, p.name_zh, p.role) for p in parties_of(db, case.id)),
        )
        originating = _originating(db, case) if template == "sealed_originating" else None
    with tempfile.TemporaryFile() as original:
        if originating is not None:
            with deps.store.open(originating.object_key) as reader:
                for chunk in reader.iter_chunks():
                    original.write(chunk)
            request = ToIssue(
                case_id=case_id,
                kind=template,
                title=body.get("title") or f"Sealed copy of {originating.title}",
                filename=f"sealed-{originating.filename}",
                public_inspection=body.get("public_inspection"),
                details={"template": template, "originating_document_id": originating.id},
                seal=Seal(court_name, today),
            )
        else:
            content, details = _render(deps, template, heading, body, now)
            original.write(content)
            request = ToIssue(
                case_id=case_id,
                kind=template,
                title=body.get("title") or _TITLES[template],
                filename=f"{template.replace('_', '-')}.pdf",
                public_inspection=body.get("public_inspection"),
                details={"template": template, **details},
            )
        return _issue(deps, principal, request, original)


def _render(
    deps: Deps, template: str, heading: issued_pdf.CaseHeading, body: dict[str, Any], now: datetime
) -> tuple[bytes, dict[str, Any]]:
    zone = deps.hours.zone
    if template == "notice_of_hearing":
        hearing_at: datetime = body["hearing_at"]
        if hearing_at <= now:
            raise errors.invalid_field("hearing_at", "must be in the future")
        hearing = issued_pdf.Hearing(
            hearing_at.astimezone(zone), body["courtroom"], body["hearing_type"], body.get("notes") or None
        )
        details = {
            "hearing_at": iso(hearing_at),
            "courtroom": hearing.courtroom,
            "hearing_type": hearing.hearing_type,
            "notes": hearing.notes,
        }
        return issued_pdf.notice_of_hearing(heading, hearing, now.astimezone(zone).date()), details
    made = issued_pdf.Order(body["order_text"], body.get("judge") or None, body["made_on"])
    if made.made_on > now.astimezone(zone).date():
        raise errors.invalid_field("made_on", "cannot be in the future")
    return issued_pdf.order(heading, made), {"judge": made.judge, "made_on": made.made_on.isoformat()}


def _case(db: Session, case_id: str) -> Case:
    case = db.get(Case, case_id)
    if case is None:
        raise errors.not_found("case")
    return case


def _originating(db: Session, case: Case) -> Document:
    """The lead document of the filing that started the case, once the registry has accepted it."""
    first = db.scalar(
        sa.select(Filing).where(Filing.case_id == case.id, Filing.kind == "originating").order_by(Filing.submitted_at)
    )
    lead = (
        db.scalar(sa.select(Document).where(Document.filing_id == first.id).order_by(Document.seq)) if first else None
    )
    if first is None or lead is None or first.status != ACCEPTED:
        raise errors.conflict(
            "originating-not-accepted",
            "Originating document not accepted",
            f"The originating document of {case.case_number} is not yet accepted; seal it once it is.",
        )
    db.expunge(lead)
    return lead


def _issue(deps: Deps, principal: Principal, request: ToIssue, original: BinaryIO) -> dict[str, Any]:
    document_id = str(uuid.uuid4())
    key = f"cases/{request.case_id}/issued/{document_id}"
    original.seek(0)
    kept = [deps.store.put_stream(original, key=key, content_type=PDF, part_size=_PART)]
    try:
        for _ in range(_DRN_ATTEMPTS):
            drn = new_drn()
            with tempfile.TemporaryFile() as stamped_file:
                pages = stamp(original, stamped_file, drn, request.seal).pages
                stamped_file.seek(0)
                stamped = deps.store.put_stream(stamped_file, key=f"{key}-stamped", content_type=PDF, part_size=_PART)
            kept = [kept[0], stamped]
            try:
                return _record(deps, principal, request, document_id, drn, kept[0], stamped, pages)
            except IntegrityError:
                if not _drn_taken(deps, drn):
                    raise
        raise RuntimeError(f"no free DRN in {_DRN_ATTEMPTS} draws; is the random source broken?")
    except BaseException:
        for stored in kept:
            deps.store.delete(stored.key)
        raise


def _drn_taken(deps: Deps, drn: str) -> bool:
    with deps.unit_of_work() as uow:
        return uow.session.scalar(sa.select(IssuedDocument.id).where(IssuedDocument.drn == drn)) is not None


def _record(
    deps: Deps,
    principal: Principal,
    request: ToIssue,
    document_id: str,
    drn: str,
    original: StoredObject,
    stamped: StoredObject,
    pages: int,
) -> dict[str, Any]:
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        case = _case(db, request.case_id)
        public = request.kind in PUBLIC_KINDS if request.public_inspection is None else request.public_inspection
        # Some case types (HCMA, HCCP, HCZZ) are never open to inspection, whatever the document.
        public = public and deps.catalogue.case_types[case.prefix].public_inspection
        row = IssuedDocument(
            id=document_id,
            drn=drn,
            case_id=case.id,
            kind=request.kind,
            title=request.title,
            filename=request.filename,
            public_inspection=public,
            sealed=False,
            original_key=original.key,
            original_size=original.size,
            original_sha256=original.sha256,
            stamped_key=stamped.key,
            stamped_size=stamped.size,
            stamped_sha256=stamped.sha256,
            pages=pages,
            details=request.details,
            issued_by_account_id=principal.subject or "",
            issued_at=now,
            # Judgments and orders open to inspection are indexed for search, so their text is extracted.
            text_status=TEXT_PENDING if public else TEXT_NONE,
            version=1,
        )
        db.add(row)
        db.flush()
        recipients = recipients_of(db, case.id)
        publish(deps, uow, "document.issued", row.id, _event(row, case, recipients))
        local = now.astimezone(deps.hours.zone)
        for account_id in recipients:
            inbox.post(
                db,
                account_id=account_id,
                kind="issued_document",
                subject=f"{row.title} issued in {case.case_number}",
                body=(
                    f'The court issued "{row.title}" in {case.case_number} on {local:%d %B %Y at %H:%M} '
                    f"(Hong Kong time). Document Reference Number: {printed(drn)}."
                ),
                at=now,
                case_id=case.id,
                document_id=row.id,
                drn=drn,
                document_kind=row.kind,
            )
        answer = issued_json(row, case)
        uow.commit()
        return answer


def recipients_of(db: Session, case_id: str) -> list[str]:
    """The accounts an issued document is delivered to: for each party, the organisation users assigned
    to the case from the firm on the record for it, or the party's own account if it acts in person."""
    found: list[str] = []
    for party in parties_of(db, case_id):
        if party.representative_id:
            found += db.scalars(
                sa.select(CaseAccess.account_id)
                .where(CaseAccess.case_id == case_id, CaseAccess.organisation_id == party.representative_id)
                .order_by(CaseAccess.account_id)
            )
        elif party.account_id:
            found.append(party.account_id)
    return list(dict.fromkeys(found))


def _event(row: IssuedDocument, case: Case, recipients: list[str]) -> dict[str, Any]:
    return {
        "issued_document_id": row.id,
        "drn": row.drn,
        "case_id": case.id,
        "case_number": case.case_number,
        "court": case.court,
        "case_type": case.prefix,
        "kind": row.kind,
        "title": row.title,
        "public_inspection": row.public_inspection,
        "sealed": row.sealed,
        "case_sealed": case.sealed,
        "issued_at": iso(row.issued_at),
        "issued_by_account_id": row.issued_by_account_id,
        "document": {"key": row.stamped_key, "sha256": row.stamped_sha256, "size": row.stamped_size, "media_type": PDF},
        "original_sha256": row.original_sha256,
        "pages": row.pages,
        "recipients": recipients,
        "aggregate_version": row.version,
    }


def issued_json(row: IssuedDocument, case: Case) -> dict[str, Any]:
    """An issued document as the API shows it; ``sha256`` and ``size`` are the stamped copy's."""
    return {
        "document_id": row.id,
        "document_source": ISSUED,
        "drn": row.drn,
        "case_id": case.id,
        "case_number": case.case_number,
        "kind": row.kind,
        "title": row.title,
        "filename": row.filename,
        "public_inspection": row.public_inspection,
        "sealed": row.sealed,
        "case_sealed": case.sealed,
        "issued_at": iso(row.issued_at),
        "issued_by_account_id": row.issued_by_account_id,
        "pages": row.pages,
        "size": row.stamped_size,
        "sha256": row.stamped_sha256,
        "original_size": row.original_size,
        "original_sha256": row.original_sha256,
        "details": row.details,
    }


def list_for_case(deps: Deps, principal: Principal, case_id: str) -> dict[str, Any]:
    """``GET /cases/{id}/issued-documents``: for those who see the case, in the order issued."""
    with deps.unit_of_work() as uow:
        case = visible_case(uow.session, principal, case_id)
        rows = uow.session.scalars(
            sa.select(IssuedDocument)
            .where(IssuedDocument.case_id == case.id)
            .order_by(IssuedDocument.issued_at, IssuedDocument.id)
        )
        return {"issued_documents": [issued_json(row, case) for row in rows]}
