"""The registry's review: the queue of received filings, acceptance onto the docket, rejection."""

from __future__ import annotations

import io
import tempfile
from typing import Any

import sqlalchemy as sa

from chassis.clock import iso
from chassis.storage import StoredObject
from chassis.web.principal import Principal
from filing.adapters.pdf_checks import DamagedPdf, extract_text
from filing.adapters.tables import (
    AssignmentSet,
    Case,
    CaseAccess,
    DocketEntry,
    Document,
    Filing,
    IssuedDocument,
    Party,
)
from filing.service_layer import documents, errors, inbox, search_feed
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish
from filing.service_layer.filings import (
    ACCEPTED,
    RECEIVED,
    REJECTED,
    count,
    docref,
    documents_of,
    filing_json,
    organisation_name,
    parties_json,
    parties_of,
)

TEXT_PENDING = "pending"
TEXT_DONE = "done"
TEXT_FAILED = "failed"


def queue(deps: Deps, principal: Principal, limit: int, offset: int) -> dict[str, Any]:
    """Received filings, the longest-waiting first (by deemed time of receipt)."""
    require_registry(principal)
    with deps.unit_of_work() as uow:
        rows = uow.session.scalars(
            sa.select(Filing)
            .where(Filing.status == RECEIVED)
            .order_by(Filing.deemed_received_at, Filing.id)
            .limit(limit)
            .offset(offset)
        ).all()
        waiting = uow.session.scalar(sa.select(sa.func.count()).where(Filing.status == RECEIVED))
        return {"filings": [filing_json(uow.session, f) for f in rows], "total": waiting}


def _under_review(uow: Any, filing_id: str) -> tuple[Filing, Case]:
    filing = uow.session.scalar(sa.select(Filing).where(Filing.id == filing_id).with_for_update())
    if filing is None:
        raise errors.not_found("filing")
    if filing.status != RECEIVED:
        raise errors.conflict(
            "not-in-review",
            "Not awaiting review",
            f"The filing is {filing.status}; only received filings are reviewed.",
        )
    # The case row's lock orders docket numbers: two acceptances in one case never share a number.
    case = uow.session.scalar(sa.select(Case).where(Case.id == filing.case_id).with_for_update())
    assert case is not None
    return filing, case


def accept(deps: Deps, principal: Principal, filing_id: str) -> dict[str, Any]:
    """Accept a received filing: it takes the case's next document number on the docket."""
    require_registry(principal)
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        filing, case = _under_review(uow, filing_id)
        # The docket grows (and, with a joining filing, the record changes): one change of the case.
        case.version += 1
        case.last_document_number += 1
        filing.docket_number = case.last_document_number
        filing.status = ACCEPTED
        filing.reviewed_at = now
        filing.reviewed_by_account_id = principal.subject
        filing.version += 1
        documents = documents_of(db, filing.id)
        for document in documents:
            document.text_status = TEXT_PENDING
        assert filing.deemed_received_at is not None
        db.add(
            DocketEntry(
                case_id=case.id,
                number=filing.docket_number,
                filing_id=filing.id,
                title=filing.title,
                filed_by=_filed_by(db, filing),
                deemed_received_at=filing.deemed_received_at,
                entered_at=now,
            )
        )
        if filing.acting_for:
            _join_record(deps, uow, case, filing)
        count(uow, case, filing, ACCEPTED)
        publish(
            deps,
            uow,
            "filing.accepted",
            filing.id,
            {
                "filing_id": filing.id,
                "reference": filing.reference,
                "case_id": case.id,
                "case_number": case.case_number,
                "court": case.court,
                "case_type": case.prefix,
                "docket_number": filing.docket_number,
                "accepted_at": iso(now),
                "accepted_by_account_id": principal.subject,
                "deemed_received_at": iso(filing.deemed_received_at),
                "documents": [{**docref(d), "public_inspection": d.public_inspection} for d in documents],
                "aggregate_version": filing.version,
            },
        )
        search_feed.publish_case_updated(deps, uow, case)
        if filing.channel == "electronic":
            inbox.post(
                db,
                account_id=filing.submitted_by_account_id,
                kind="review_outcome",
                subject=f"Filing {filing.reference} accepted in {case.case_number}",
                body=(
                    f'The registry accepted "{filing.title}" as document {filing.docket_number} of '
                    f"{case.case_number}, deemed received at "
                    f"{filing.deemed_received_at.astimezone(deps.hours.zone):%d %B %Y %H:%M} (Hong Kong time)."
                ),
                at=now,
                case_id=case.id,
                filing_id=filing.id,
                outcome="accepted",
                docket_number=filing.docket_number,
            )
        answer = filing_json(db, filing, case)
        uow.commit()
        return answer


def _filed_by(db: Any, filing: Filing) -> str:
    if filing.channel == "paper":
        return "Filed on paper"
    if filing.organisation_id:
        return organisation_name(db, filing.organisation_id)
    names = [p.name for p in parties_of(db, filing.case_id) if p.id in filing.on_behalf_of]
    return ", ".join(names) or "Litigant in person"


def _join_record(deps: Deps, uow: Any, case: Case, filing: Filing) -> None:
    """An accepted acknowledgement of service or notice of acting puts its filer on the record (at the
    version ``accept`` counted for the acceptance)."""
    db = uow.session
    party = db.get(Party, filing.acting_for)
    assert party is not None and party.case_id == case.id
    if filing.organisation_id:
        party.representative_id = filing.organisation_id
        party.representative_name = organisation_name(db, filing.organisation_id)
        party.account_id = None
        already = db.get(CaseAccess, (case.id, filing.submitted_by_account_id))
        if already is None and not _firm_has_assignment_set(db, case.id, filing.organisation_id):
            # Identity links the filing OU once it hears of the change; until then it keeps its access.
            db.add(
                CaseAccess(
                    case_id=case.id, account_id=filing.submitted_by_account_id, organisation_id=filing.organisation_id
                )
            )
    else:
        party.account_id = filing.submitted_by_account_id
        party.representative_id = None
        party.representative_name = None
    db.flush()
    publish(
        deps,
        uow,
        "case.representation_changed",
        case.id,
        {
            "case_id": case.id,
            "case_number": case.case_number,
            "parties": parties_json(parties_of(db, case.id)),
            "changed_by": filing.submitted_by_account_id,
            "aggregate_version": case.version,
        },
    )


def _firm_has_assignment_set(db: Any, case_id: str, organisation_id: str) -> bool:
    return db.get(AssignmentSet, (case_id, organisation_id)) is not None


def reject(deps: Deps, principal: Principal, filing_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Reject a received filing with reason codes and a message to the filer."""
    require_registry(principal)
    unknown = [r for r in body["reasons"] if r not in deps.catalogue.rejection_reasons]
    if unknown:
        raise errors.invalid_field("reasons", f"{unknown[0]!r} is not a rejection reason (GET /rejection-reasons)")
    now = deps.now()
    with deps.unit_of_work() as uow:
        filing, case = _under_review(uow, filing_id)
        filing.status = REJECTED
        filing.reviewed_at = now
        filing.reviewed_by_account_id = principal.subject
        filing.rejection_reasons = list(dict.fromkeys(body["reasons"]))
        filing.rejection_message = body.get("message", "")
        filing.version += 1
        fee_paid = filing.fee_paid_at is not None
        count(uow, case, filing, REJECTED)
        publish(
            deps,
            uow,
            "filing.rejected",
            filing.id,
            {
                "filing_id": filing.id,
                "reference": filing.reference,
                "case_id": case.id,
                "case_number": case.case_number,
                "rejected_at": iso(now),
                "rejected_by_account_id": principal.subject,
                "reasons": filing.rejection_reasons,
                "message": filing.rejection_message,
                "payment_order_id": filing.payment_order_id,
                "fee_paid": fee_paid,
                "aggregate_version": filing.version,
            },
        )
        if filing.channel == "electronic":
            titles = "; ".join(deps.catalogue.rejection_reasons[r] for r in filing.rejection_reasons)
            inbox.post(
                uow.session,
                account_id=filing.submitted_by_account_id,
                kind="review_outcome",
                subject=f"Filing {filing.reference} rejected in {case.case_number}",
                body=(
                    f'The registry rejected "{filing.title}": {titles}. {filing.rejection_message}'.strip()
                    + (" The fee paid will be refunded." if fee_paid else "")
                    + " You may copy the filing to resubmit it."
                ),
                at=now,
                case_id=case.id,
                filing_id=filing.id,
                outcome="rejected",
                reasons=filing.rejection_reasons,
            )
        answer = filing_json(uow.session, filing, case)
        uow.commit()
        return answer


def extract_pending_text(deps: Deps, batch: int = 20) -> int:
    """Job: keep the text of each accepted document, and of each issued document open to inspection
    (judgments and orders, for search), beside it in the store; tell search of each of a public kind.

    Done after acceptance or issue rather than inside it, so a thousand-page exhibit never holds a
    request open. An unreadable page gives no text; a document pypdf cannot open at all is marked failed.
    """
    return _extract_pending(deps, Document, Document.object_key, batch) + _extract_pending(
        deps, IssuedDocument, IssuedDocument.stamped_key, batch
    )


def _extract_pending(deps: Deps, model: Any, content_key: Any, batch: int) -> int:
    """One pass over ``model``'s rows waiting for their text; ``content_key`` is the column naming the PDF."""
    with deps.unit_of_work() as uow:
        pending = uow.session.execute(
            sa.select(model.id, content_key).where(model.text_status == TEXT_PENDING).order_by(model.id).limit(batch)
        ).all()
    for document_id, key in pending:
        text = _text_of(deps, key)
        stored = None
        if text is not None:
            stored = deps.store.put_stream(
                io.BytesIO(text.encode("utf-8")), key=f"{key}.txt", content_type=search_feed.TEXT_MEDIA_TYPE
            )
        _keep_text(deps, document_id, stored)
    return len(pending)


def _text_of(deps: Deps, key: str) -> str | None:
    """The text of the PDF stored under ``key``; None if pypdf cannot open it at all."""
    # Storage errors propagate: the pass fails and the next one tries again.
    with tempfile.TemporaryFile() as spool, deps.store.open(key) as reader:
        for chunk in reader.iter_chunks():
            spool.write(chunk)
        try:
            return extract_text(spool)
        except DamagedPdf:
            return None


def _keep_text(deps: Deps, document_id: str, stored: StoredObject | None) -> None:
    """Record the document's text (None: its PDF could not be read) and, if search may have it, publish it.

    The row is locked and read afresh only now, after the slow extraction, so a sealing that committed
    meanwhile is seen: a sealed document is never published.
    """
    with deps.unit_of_work() as uow:
        found = documents.find(deps, uow.session, document_id, lock=True)
        if found is None or found.row.text_status != TEXT_PENDING:
            return  # another pass got there first
        row = found.row
        if stored is None:
            row.text_status = TEXT_FAILED
        else:
            row.text_key, row.text_sha256, row.text_size = stored.key, stored.sha256, stored.size
            row.text_status = TEXT_DONE
            if search_feed.publishable(found):
                search_feed.count_change(uow.session, found)
                search_feed.publish_document(deps, uow, found)
        uow.commit()
