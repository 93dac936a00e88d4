"""Idempotency-Key: a POST retried with the same key gets the first answer, and acts only once.

The key is stored in the same transaction as what the request did, under a primary key of (account,
key), so of two racing requests with one key exactly one commits; the other rolls back everything and
answers with what the winner stored.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from filing.adapters.tables import IdempotencyKey
from filing.service_layer import errors

_KEY = re.compile(r"^[A-Za-z0-9._:-]{1,100}$")


@dataclass(frozen=True)
class Replay:
    status: int
    body: dict[str, Any]


def checked_key(raw: str | None) -> str | None:
    """The header's value if it is a usable key; 400 if it is malformed."""
    if raw is None:
        return None
    if not _KEY.match(raw):
        raise errors.invalid_field("Idempotency-Key", "must be 1 to 100 letters, digits or . _ : -")
    return raw


def fingerprint(*parts: Any) -> str:
    """A digest of what the request asked for, to tell a retry from a different request."""
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()


def earlier(db: Session, account_id: str, key: str | None, operation: str, print_: str) -> Replay | None:
    """The stored answer for this key, if any; 422 if the key was used for something else."""
    if key is None:
        return None
    found = db.get(IdempotencyKey, (account_id, key))
    if found is None:
        return None
    if found.operation != operation or found.fingerprint != print_:
        raise errors.idempotency_key_reused()
    return Replay(found.status_code, found.response)


def remember(
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
            IdempotencyKey(
                account_id=account_id,
                key=key,
                operation=operation,
                fingerprint=print_,
                status_code=status,
                response=body,
                created_at=at,
            )
        )
