"""Each account's message inbox: acknowledgements, payment requests, review outcomes."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from filing.adapters.tables import InboxMessage
from filing.service_layer import errors
from filing.service_layer.deps import Deps

KINDS = ("acknowledgement", "payment_request", "receipt", "review_outcome", "cancellation", "issued_document")


def post(
    db: Session,
    *,
    account_id: str,
    kind: str,
    subject: str,
    body: str,
    at: datetime,
    case_id: str | None = None,
    filing_id: str | None = None,
    **details: Any,
) -> None:
    """Put a message in ``account_id``'s inbox, in the caller's transaction."""
    assert kind in KINDS, kind
    db.add(
        InboxMessage(
            id=str(uuid.uuid4()),
            account_id=account_id,
            kind=kind,
            subject=subject,
            body=body,
            case_id=case_id,
            filing_id=filing_id,
            details=details,
            created_at=at,
            read_at=None,
        )
    )


def as_json(message: InboxMessage) -> dict[str, Any]:
    return {
        "message_id": message.id,
        "kind": message.kind,
        "subject": message.subject,
        "body": message.body,
        "case_id": message.case_id,
        "filing_id": message.filing_id,
        "details": message.details,
        "created_at": iso(message.created_at),
        "read": message.read_at is not None,
        "read_at": iso(message.read_at) if message.read_at else None,
    }


def list_messages(deps: Deps, account_id: str, *, unread_only: bool, limit: int, offset: int) -> dict[str, Any]:
    """The account's messages, newest first, with the count of unread ones."""
    with deps.unit_of_work() as uow:
        mine = InboxMessage.account_id == account_id
        query = sa.select(InboxMessage).where(mine)
        if unread_only:
            query = query.where(InboxMessage.read_at.is_(None))
        rows = uow.session.scalars(
            query.order_by(InboxMessage.created_at.desc(), InboxMessage.id).limit(limit).offset(offset)
        ).all()
        unread = uow.session.scalar(sa.select(sa.func.count()).where(mine, InboxMessage.read_at.is_(None)))
        total = uow.session.scalar(sa.select(sa.func.count()).select_from(query.subquery()))
        return {"messages": [as_json(m) for m in rows], "unread": unread, "total": total}


def mark(deps: Deps, account_id: str, message_id: str, *, read: bool) -> dict[str, Any]:
    """Mark one of the account's messages read or unread; another account's message is 404."""
    with deps.unit_of_work() as uow:
        message = uow.session.get(InboxMessage, message_id)
        if message is None or message.account_id != account_id:
            raise errors.not_found("message")
        if read and message.read_at is None:
            message.read_at = deps.now()
        elif not read:
            message.read_at = None
        answer = as_json(message)
        uow.commit()
        return answer
