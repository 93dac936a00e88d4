"""Cases: started from an e-fillable form (the originating document is rendered and filed as the
case's first document), and read by those the case is open to."""

from __future__ import annotations

import io
import uuid
from dataclasses import asdict
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.web.principal import Principal
from chassis.web.problems import FieldError
from filing.adapters.originating_pdf import render_originating
from filing.adapters.pdf_checks import inspect_pdf
from filing.adapters.tables import Case, CaseAccess, DocketEntry, Document, Filing, Party
from filing.domain import access
from filing.domain.catalogue import CaseType
from filing.domain.forms import Originating, read_originating, validate_form
from filing.service_layer import errors, idempotency, restrictions, search_feed
from filing.service_layer.access import require_account, require_filer, visible_case, visible_case_ids
from filing.service_layer.case_numbers import allocate, case_number
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish
from filing.service_layer.filings import (
    PDF,
    FilingRequest,
    StoredDocument,
    filing_json,
    organisation_name,
    parties_json,
    parties_of,
    record,
)

#: Roles on the side of the one who starts the case; the filer's firm goes on the record for them.
STARTING_SIDE = ("plaintiff", "appellant", "claimant")
OPEN = "open"


def _case_type(deps: Deps, prefix: str, today: Any) -> CaseType:
    found = deps.catalogue.case_types.get(prefix)
    if found is None:
        raise errors.invalid_field("case_type", "is not a case type of the implementation notice (GET /case-types)")
    if found.form is None:
        raise errors.no_efiling(prefix, f"{prefix} cases are not started from an e-fillable form.")
    if not found.takes_efiling_on(today):
        raise errors.no_efiling(prefix, f"E-filing of {prefix} cases opens on {found.efiling_from.isoformat()}.")
    return found


def create(deps: Deps, principal: Principal, body: dict[str, Any], key: str | None) -> tuple[int, dict[str, Any]]:
    """``POST /cases``: validate the form, number the case(s), record parties, render and file the
    originating document. A bulk SCT claim starts one case per claim, numbered consecutively."""
    require_filer(principal)
    now = deps.now()
    local_now = now.astimezone(deps.hours.zone)
    case_type = _case_type(deps, body["case_type"], local_now.date())
    assert case_type.form is not None
    problems = validate_form(case_type.form, body["form"], today=local_now.date())
    if problems:
        raise errors.invalid(
            [FieldError(f"form.{p.field}" if p.field != "form" else "form", p.message) for p in problems]
        )
    originatings = read_originating(case_type.form, body["form"])
    account = principal.subject or ""
    print_ = idempotency.fingerprint(body)
    with deps.unit_of_work() as uow:
        restrictions.check(
            deps,
            uow.session,
            court=case_type.court,
            names=[p.name for o in originatings for p in o.parties if p.role in STARTING_SIDE],
            account_id=principal.subject,
            at=now,
        )
        replay = idempotency.earlier(uow.session, account, key, "case", print_)
        if replay:
            return replay.status, replay.body
    kept: list[str] = []
    try:
        with deps.unit_of_work() as uow:
            answers = [
                _start_case(deps, uow, principal, case_type, originating, now, kept) for originating in originatings
            ]
            body_out = {"cases": answers}
            idempotency.remember(uow.session, account, key, "case", print_, 201, body_out, now)
            uow.commit()
            return 201, body_out
    except IntegrityError:
        for stored_key in kept:
            deps.store.delete(stored_key)
        with deps.unit_of_work() as uow:
            replay = idempotency.earlier(uow.session, account, key, "case", print_)
        if replay is None:
            raise
        return replay.status, replay.body
    except BaseException:
        for stored_key in kept:
            deps.store.delete(stored_key)
        raise


def _start_case(
    deps: Deps,
    uow: UnitOfWork,
    principal: Principal,
    case_type: CaseType,
    originating: Originating,
    now: datetime,
    kept: list[str],
) -> dict[str, Any]:
    db = uow.session
    year = now.astimezone(deps.hours.zone).year
    number = allocate(db, case_type.prefix, year)
    is_ou = principal.has_role(access.OU)
    firm = principal.organisation if is_ou else None
    firm_name = organisation_name(db, firm) if firm else None
    case = Case(
        id=str(uuid.uuid4()),
        case_number=case_number(case_type.prefix, number, year),
        prefix=case_type.prefix,
        year=year,
        number=number,
        court=case_type.court,
        title=originating.title,
        status=OPEN,
        form_id=originating.form_id,
        form_data=originating.form_data,
        nature_of_claim=originating.nature_of_claim,
        amount_claimed_cents=originating.amount_claimed_cents,
        filed_at=now,
        filed_by_account_id=principal.subject,
        organisation_id=firm,
        last_document_number=0,
        version=1,
    )
    db.add(case)
    litigant_placed = False
    for seq, party in enumerate(originating.parties):
        starting = party.role in STARTING_SIDE
        # A litigant in person is the first party on the starting side; a firm acts for that whole side.
        own_account = starting and not is_ou and not litigant_placed
        litigant_placed = litigant_placed or own_account
        db.add(
            Party(
                id=str(uuid.uuid4()),
                case_id=case.id,
                seq=seq,
                role=party.role,
                name=party.name,
                name_zh=party.name_zh,
                kind=party.kind,
                address=asdict(party.address),
                hkid_or_br=party.hkid_or_br,
                account_id=principal.subject if own_account else None,
                representative_id=firm if starting else None,
                representative_name=firm_name if starting else None,
            )
        )
    if firm:
        # Identity links the filing OU when it hears of the case; until its assignment arrives the
        # filer must still reach the case it has just started.
        db.add(CaseAccess(case_id=case.id, account_id=principal.subject, organisation_id=firm))
    db.flush()
    pdf = render_originating(
        originating,
        case_number=case.case_number,
        court_name=case_type.court_name,
        issued_on_local=now.astimezone(deps.hours.zone),
        filer_name=firm_name or originating.parties[0].name,
    )
    stored = deps.store.put_stream(io.BytesIO(pdf), prefix=f"cases/{case.id}/filings", content_type=PDF)
    kept.append(stored.key)
    document_type = {"writ": "writ_of_summons", "notice": "notice_of_appeal", "sct": "claim"}[
        originating.form_id.split("_")[0]
    ]
    parties = parties_of(db, case.id)
    publish(
        deps,
        uow,
        "case.created",
        case.id,
        {
            "case_id": case.id,
            "case_number": case.case_number,
            "court": case_type.court_name,
            "case_type": case.prefix,
            "title": case.title,
            "filed_at": iso(now),
            "filed_by_account_id": principal.subject,
            "parties": parties_json(parties),
            "aggregate_version": case.version,
        },
    )
    search_feed.publish_case_updated(deps, uow, case)
    pages = inspect_pdf(io.BytesIO(pdf), len(pdf)).pages
    filing = record(
        deps,
        uow,
        FilingRequest(
            case=case,
            kind="originating",
            channel="electronic",
            title=originating.document_title,
            submitted_by=principal.subject or "",
            organisation_id=firm,
            on_behalf_of=[p.id for p in parties if p.role in STARTING_SIDE],
            documents=[
                StoredDocument(
                    role="lead",
                    document_type=document_type,
                    title=originating.document_title,
                    filename=f"{case.case_number.replace(' ', '_').replace('/', '-')}.pdf",
                    key=stored.key,
                    size=stored.size,
                    sha256=stored.sha256,
                    pages=pages,
                )
            ],
            fee_items=(
                [{"code": deps.catalogue.fee_item(case.court, case_type.fee_code), "quantity": 1}]
                if case_type.fee_code
                else []
            ),
        ),
        now,
    )
    return {**case_json(db, case), "filing": filing_json(db, filing, case)}


def case_json(db: Session, case: Case, *, full: bool = False) -> dict[str, Any]:
    """A case as the API shows it; ``full`` adds the form's data and the docket."""
    parties = parties_of(db, case.id)
    answer: dict[str, Any] = {
        "case_id": case.id,
        "case_number": case.case_number,
        "court": case.court,
        "case_type": case.prefix,
        "title": case.title,
        "status": case.status,
        "sealed": case.sealed,
        "filed_at": iso(case.filed_at),
        "nature_of_claim": case.nature_of_claim,
        "amount_claimed_cents": case.amount_claimed_cents,
        "parties": [
            {**p, "name_zh": party.name_zh, "kind": party.kind}
            for p, party in zip(parties_json(parties), parties, strict=True)
        ],
    }
    if full:
        answer["form_id"] = case.form_id
        answer["form"] = case.form_data
        answer["docket"] = docket(db, case.id)
    return answer


def docket(db: Session, case_id: str) -> list[dict[str, Any]]:
    """The case's accepted filings in document-number order, with their documents."""
    entries = db.scalars(sa.select(DocketEntry).where(DocketEntry.case_id == case_id).order_by(DocketEntry.number))
    out = []
    for entry in entries:
        documents = db.scalars(sa.select(Document).where(Document.filing_id == entry.filing_id).order_by(Document.seq))
        out.append(
            {
                "number": entry.number,
                "filing_id": entry.filing_id,
                "title": entry.title,
                "filed_by": entry.filed_by,
                "deemed_received_at": iso(entry.deemed_received_at),
                "entered_at": iso(entry.entered_at),
                "documents": [
                    {
                        "document_id": d.id,
                        "title": d.title,
                        "document_type": d.document_type,
                        "pages": d.pages,
                        "public_inspection": d.public_inspection,
                        "sealed": d.sealed,
                    }
                    for d in documents
                ],
            }
        )
    return out


def get(deps: Deps, principal: Principal, case_id: str) -> dict[str, Any]:
    with deps.unit_of_work() as uow:
        case = visible_case(uow.session, principal, case_id)
        answer = case_json(uow.session, case, full=True)
        answer["filings_pending"] = uow.session.scalar(
            sa.select(sa.func.count()).where(
                Filing.case_id == case.id, Filing.status.in_(("awaiting_payment", "received"))
            )
        )
        return answer


def list_visible(deps: Deps, principal: Principal, filters: dict[str, Any], limit: int, offset: int) -> dict[str, Any]:
    """The cases the caller sees (the registry: all), newest first, filtered."""
    require_account(principal)
    with deps.unit_of_work() as uow:
        query = sa.select(Case)
        mine = visible_case_ids(principal)
        if mine is not None:
            query = query.where(Case.id.in_(mine))
        if "case_type" in filters:
            query = query.where(Case.prefix == filters["case_type"])
        if "year" in filters:
            query = query.where(Case.year == filters["year"])
        if "party" in filters:
            pattern = f"%{filters['party'].lower()}%"
            query = query.where(
                Case.id.in_(sa.select(Party.case_id).where(sa.func.lower(Party.name).like(pattern, escape="\\")))
            )
        total = uow.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        rows = uow.session.scalars(query.order_by(Case.filed_at.desc(), Case.id).limit(limit).offset(offset)).all()
        return {"cases": [case_json(uow.session, c) for c in rows], "total": total}
