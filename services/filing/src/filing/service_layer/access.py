"""The facts the access rules need, read from filing's tables."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.web.principal import Principal
from filing.adapters.tables import Case, CaseAccess, Party
from filing.domain import access
from filing.service_layer import errors


def ties(db: Session, principal: Principal, case_id: str) -> access.CaseTies:
    """How ``principal`` is tied to the case."""
    if principal.subject is None:
        return access.CaseTies(party=False, assigned=False)
    party = db.scalar(sa.select(sa.func.count()).where(Party.case_id == case_id, Party.account_id == principal.subject))
    assigned = db.scalar(
        sa.select(sa.func.count()).where(CaseAccess.case_id == case_id, CaseAccess.account_id == principal.subject)
    )
    return access.CaseTies(party=bool(party) and principal.has_role(access.IU), assigned=bool(assigned))


def visible_case(db: Session, principal: Principal, case_id: str, *, lock: bool = False) -> Case:
    """The case if ``principal`` may see it; 404 otherwise, so outsiders cannot tell it exists."""
    query = sa.select(Case).where(Case.id == case_id)
    case = db.scalar(query.with_for_update() if lock else query)
    if case is None or not access.may_see_case(principal, ties(db, principal, case_id)):
        raise errors.not_found("case")
    return case


def require_filer(principal: Principal) -> None:
    """401 for the anonymous, 403 for accounts that do not file (PA, SA, staff)."""
    if not principal.authenticated:
        raise errors.unauthenticated()
    if not access.may_file(principal):
        raise errors.forbidden(
            "Only individual users and organisation users file with the court; an administrator who "
            "needs to file uses an organisation user account."
        )


def require_registry(principal: Principal) -> None:
    """401 for the anonymous, 403 for anyone but a registry officer."""
    if not principal.authenticated:
        raise errors.unauthenticated()
    if not access.is_registry(principal):
        raise errors.forbidden("Only registry officers may do this.")


def require_account(principal: Principal) -> str:
    """The caller's account id; 401 for the anonymous, 403 for a service (it has no account)."""
    if principal.subject is None:
        raise errors.unauthenticated()
    if access.is_service(principal):
        raise errors.forbidden("A service has no account: no cases, filings, inbox or inspections of its own.")
    return principal.subject


def require_exporter(principal: Principal) -> None:
    """401 for the anonymous, 403 for anyone but search's service principal."""
    if not principal.authenticated:
        raise errors.unauthenticated()
    if not access.may_export(principal):
        raise errors.forbidden("Only the search service reads filing's export.")


def visible_case_ids(principal: Principal) -> sa.Select[tuple[str]] | None:
    """A query of the ids of the cases ``principal`` sees; None means every case (the registry)."""
    if access.is_registry(principal):
        return None
    me = principal.subject or ""
    assigned = sa.select(CaseAccess.case_id).where(CaseAccess.account_id == me)
    if principal.has_role(access.IU):
        own = sa.select(Party.case_id).where(Party.account_id == me)
        return sa.union(own, assigned)  # type: ignore[return-value]
    if principal.has_role(access.OU):
        return assigned
    return sa.select(CaseAccess.case_id).where(sa.false())
