"""Turning the gateway's principal into an active account of identity's own records."""

from __future__ import annotations

from sqlalchemy.orm import Session as DbSession

from chassis.web.principal import Principal
from identity.adapters.tables import Account, Session
from identity.domain.permissions import Actor
from identity.domain.roles import ACTIVE
from identity.service_layer import errors


def active_account(db: DbSession, principal: Principal) -> Account:
    """The caller's account, checked against the database on every request: a token outlives a
    suspension or a logout by up to its lifetime, identity's own answers never do."""
    if not principal.authenticated:
        raise errors.unauthenticated()
    account = db.get(Account, principal.subject)
    if account is None or account.status != ACTIVE:
        raise errors.unauthenticated("This account cannot be used now.")
    login = db.get(Session, principal.session) if principal.session else None
    if login is None or login.revoked_at is not None or login.account_id != account.id:
        raise errors.unauthenticated("This session has ended; log in again.")
    return account


def actor_of(account: Account) -> Actor:
    """The account as the permission rules see it."""
    return Actor(
        id=account.id,
        role=account.role,
        organisation_id=account.organisation_id,
        branch_id=account.branch_id,
        empowerments=frozenset(account.empowerments or ()),
    )
