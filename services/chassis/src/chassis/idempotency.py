"""Idempotency-Key: a POST retried with the same key gets the first answer, and acts only once.

The key is stored in the same transaction as what the request did, under a primary key of (account,
key), so of two racing requests with one key exactly one commits; the other rolls back everything and
answers with what the winner stored. A service maps ``IdempotencyKeyColumns`` into its own database.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, Session, mapped_column

from chassis.db import UtcDateTime
from chassis.web.problems import Problem, invalid_field

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


class IdempotencyKeyColumns:
    """The columns of a service's ``idempotency_keys`` table (mix into its declarative base)."""

    __tablename__ = "idempotency_keys"

    #: Whose key: the caller's account, or for an anonymous caller the thing it acts on.
    account_id: Mapped[str] = mapped_column(sa.String(36), primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(100), primary_key=True)
    operation: Mapped[str] = mapped_column(sa.String(40))
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(sa.Integer)
    response: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime())


class _KeyRecord(Protocol):
    operation: str
    fingerprint: str
    status_code: int
    response: dict[str, Any]


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


def key_reused() -> Problem:
    return Problem(
        422,
        "idempotency-key-reused",
        "Idempotency-Key already used",
        "This Idempotency-Key was used for a different request; send a new key for a new request.",
    )


def checked_key(raw: str | None) -> str | None:
    """The header's value if it is a usable key; 400 if it is malformed."""
    if raw is None:
        return None
    if not _KEY.match(raw):
        raise invalid_field("Idempotency-Key", "must be 1 to 100 letters, digits or . _ : -")
    return raw


def fingerprint(*parts: Any) -> str:
    """A digest of what the request asked for, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


class IdempotencyKeys:
    """The answers kept in one service's ``idempotency_keys`` table (``model`` maps its columns)."""

    def __init__(self, model: type[IdempotencyKeyColumns]) -> None:
        self.model = model

    def earlier(self, db: Session, account_id: str, key: str | None, operation: str, print_: str) -> Replay | None:
        """The stored answer for this key, if any; 422 if the key was used for something else."""
        if key is None:
            return None
        found: _KeyRecord | None = db.get(self.model, (account_id, key))
        if found is None:
            return None
        if found.operation != operation or found.fingerprint != print_:
            raise key_reused()
        return Replay(found.status_code, found.response)

    def remember(
        self,
        db: Session,
        account_id: str,
        key: str | None,
        operation: str,
        print_: str,
        status: int,
        body: dict[str, Any],
        at: datetime,
    ) -> None:
        """Store the answer under the key, in the request's own transaction."""
        if key is not None:
            db.add(
                self.model(
                    account_id=account_id,
                    key=key,
                    operation=operation,
                    fingerprint=print_,
                    status_code=status,
                    response=body,
                    created_at=at,
                )
            )
