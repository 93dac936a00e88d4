"""Public inspection of one document, paid for by the search-or-inspection fee (DOMAIN.md section 9).

Anyone asks (``POST /inspections``), account or not, for a document open to inspection; any other
document is 404, as if it did not exist, so asking reveals nothing sealed or private. The request
is announced (``filing.inspection.requested``); payments makes the order and says so
(``payments.order.created``), then says when it is paid (``payments.order.paid``): the inspection
is granted until ``paid_at + inspection_hours``. The grant belongs to the account that asked, or to
whoever holds the token given once to an anonymous asker (kept only as its SHA-256).
"""

from __future__ import annotations

import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from chassis.web.principal import Principal
from filing.adapters.tables import Case, Inspection, IssuedDocument
from filing.domain import access, drn
from filing.service_layer import documents, errors
from filing.service_layer.access import require_account
from filing.service_layer.deps import Deps
from filing.service_layer.documents import GRANTED, token_hash
from filing.service_layer.events import publish

AWAITING_ORDER = "awaiting_order"
AWAITING_PAYMENT = "awaiting_payment"
EXPIRED = "expired"
#: Shown, never stored: a grant whose time is up.
ENDED = "ended"
UNPAID = (AWAITING_ORDER, AWAITING_PAYMENT)
INSPECTION = "inspection"


def _document_id(deps: Deps, db: Session, body: dict[str, Any]) -> str:
    if "document_id" in body:
        return body["document_id"]
    verdict, number = drn.classify(body["drn"])
    if verdict is drn.Verdict.MALFORMED:
        raise errors.invalid_field("drn", "must be the document's 12-digit Document Reference Number")
    found = db.scalar(sa.select(IssuedDocument.id).where(IssuedDocument.drn == number))
    if found is None:
        raise errors.not_found("document")
    return found


def request(deps: Deps, principal: Principal, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """``POST /inspections``: 201 with the inspection (and, for the anonymous, its token, shown once).

    An account that already has an unpaid or live inspection of the document gets that one back
    (200) rather than a second fee.
    """
    if access.is_service(principal):
        raise errors.forbidden("An inspection is asked for and paid by a person; a service asks for none.")
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        found = documents.find(deps, db, _document_id(deps, db, body))
        if found is None or not access.open_to_inspection(found.facts):
            raise errors.not_found("document")
        if principal.subject is not None:
            held = _held(db, principal.subject, found.id, now)
            if held is not None:
                return 200, inspection_json(held, found.case, now)
        token = None if principal.subject is not None else secrets.token_urlsafe(32)
        inspection = Inspection(
            id=str(uuid.uuid4()),
            document_id=found.id,
            document_source=found.source,
            case_id=found.case.id,
            account_id=principal.subject,
            organisation_id=principal.organisation if principal.subject is not None else None,
            token_sha256=token_hash(token) if token else None,
            status=AWAITING_ORDER,
            requested_at=now,
            version=1,
        )
        db.add(inspection)
        publish(
            deps,
            uow,
            "inspection.requested",
            inspection.id,
            {
                "inspection_id": inspection.id,
                "document_id": found.id,
                "document_source": found.source,
                "case_id": found.case.id,
                "case_number": found.case.case_number,
                "court": found.case.court,
                "requested_by_account_id": inspection.account_id,
                "organisation_id": inspection.organisation_id,
                "requested_at": iso(now),
                "aggregate_version": inspection.version,
            },
        )
        answer = {**inspection_json(inspection, found.case, now), "token": token}
        uow.commit()
        return 201, answer


def _held(db: Session, account_id: str, document_id: str, now: datetime) -> Inspection | None:
    return db.scalar(
        sa.select(Inspection)
        .where(
            Inspection.account_id == account_id,
            Inspection.document_id == document_id,
            sa.or_(Inspection.status.in_(UNPAID), sa.and_(Inspection.status == GRANTED, Inspection.access_until > now)),
        )
        .order_by(Inspection.requested_at.desc())
        .limit(1)
    )


def inspection_json(inspection: Inspection, case: Case, now: datetime) -> dict[str, Any]:
    """An inspection as the API shows it; the token is never shown again after it is made."""
    live = inspection.status == GRANTED and inspection.access_until is not None and inspection.access_until > now
    return {
        "inspection_id": inspection.id,
        "status": ENDED if inspection.status == GRANTED and not live else inspection.status,
        "document_id": inspection.document_id,
        "document_source": inspection.document_source,
        "case_id": case.id,
        "case_number": case.case_number,
        "requested_by_account_id": inspection.account_id,
        "requested_at": iso(inspection.requested_at),
        "order_id": inspection.order_id,
        "amount_cents": inspection.amount_cents,
        "paid_at": iso(inspection.paid_at) if inspection.paid_at else None,
        "access_until": iso(inspection.access_until) if inspection.access_until else None,
        "token": None,
    }


def get(deps: Deps, principal: Principal, inspection_id: str, token: str | None) -> dict[str, Any]:
    """``GET /inspections/{id}``: for the account that asked, the token's holder, or the registry; else 404."""
    with deps.unit_of_work() as uow:
        inspection = uow.session.get(Inspection, inspection_id)
        if inspection is None or not (
            (principal.subject is not None and principal.subject == inspection.account_id)
            or (token and inspection.token_sha256 == token_hash(token))
            or access.is_registry(principal)
        ):
            raise errors.not_found("inspection")
        case = uow.session.get(Case, inspection.case_id)
        assert case is not None
        return inspection_json(inspection, case, deps.now())


def list_mine(deps: Deps, principal: Principal, limit: int, offset: int) -> dict[str, Any]:
    """``GET /inspections``: the caller's own inspections, newest first."""
    account = require_account(principal)
    now = deps.now()
    with deps.unit_of_work() as uow:
        rows = uow.session.execute(
            sa.select(Inspection, Case)
            .join(Case, Case.id == Inspection.case_id)
            .where(Inspection.account_id == account)
            .order_by(Inspection.requested_at.desc(), Inspection.id)
            .limit(limit)
            .offset(offset)
        ).all()
        return {"inspections": [inspection_json(i, c, now) for i, c in rows]}


# Payments' events (reference_type "inspection"), dispatched from filing.service_layer.fees -----------


def _locked(uow: UnitOfWork, envelope: Envelope) -> Inspection | None:
    return uow.session.scalar(
        sa.select(Inspection).where(Inspection.id == envelope.data["reference_id"]).with_for_update()
    )


def order_created(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Payments made the inspection's order: it now waits for payment of that order."""
    inspection = _locked(uow, envelope)
    if inspection is None or inspection.status != AWAITING_ORDER:
        return
    inspection.order_id = envelope.data["order_id"]
    inspection.amount_cents = envelope.data["amount_cents"]
    inspection.status = AWAITING_PAYMENT
    inspection.version += 1


def order_paid(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """The fee is paid: the holder may download the document for ``inspection_hours`` from payment."""
    inspection = _locked(uow, envelope)
    if inspection is None or inspection.status not in UNPAID:
        return
    data = envelope.data
    paid_at = datetime.fromisoformat(data["paid_at"].replace("Z", "+00:00"))
    inspection.order_id = data["order_id"]
    inspection.amount_cents = data["amount_cents"]
    inspection.paid_at = paid_at
    inspection.access_until = paid_at + timedelta(hours=deps.settings.inspection_hours)
    inspection.status = GRANTED
    inspection.version += 1
    publish(
        deps,
        uow,
        "inspection.granted",
        inspection.id,
        {
            "inspection_id": inspection.id,
            "document_id": inspection.document_id,
            "case_id": inspection.case_id,
            "order_id": inspection.order_id,
            "amount_cents": inspection.amount_cents,
            "paid_at": iso(paid_at),
            "access_until": iso(inspection.access_until),
            "aggregate_version": inspection.version,
        },
        caused_by=envelope,
    )


def order_expired(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """Payments gave up on the order: the inspection lapses unpaid."""
    inspection = _locked(uow, envelope)
    if inspection is not None and inspection.status in UNPAID:
        inspection.status = EXPIRED
        inspection.version += 1
