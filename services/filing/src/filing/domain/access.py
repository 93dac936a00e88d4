"""Who may do what in filing: one place, asked by every use case (DOMAIN.md sections 3 and 4).

Only individual users (IU) and organisation users (OU) transact with the court; administrators of an
organisation (PA, SA) manage accounts and cannot file. A case is open to its parties' own accounts,
to the organisation users assigned to it, and to registry staff.
"""

from __future__ import annotations

from dataclasses import dataclass

from chassis.web.principal import Principal

IU = "IU"
OU = "OU"
REGISTRY_OFFICER = "registry_officer"
FILER_ROLES = (IU, OU)


@dataclass(frozen=True)
class CaseTies:
    """How the caller is tied to one case."""

    party: bool
    """The caller's own (IU) account is a party."""
    assigned: bool
    """The caller is an organisation user assigned to the case."""


def may_file(principal: Principal) -> bool:
    """IU and OU accounts file; nobody else does."""
    return principal.authenticated and principal.has_role(*FILER_ROLES)


def is_registry(principal: Principal) -> bool:
    """Registry officers review filings, declare closures, keep restriction orders, upload paper."""
    return principal.authenticated and principal.has_role(REGISTRY_OFFICER)


def may_see_case(principal: Principal, ties: CaseTies) -> bool:
    """Parties, assigned organisation users and the registry see a case."""
    return is_registry(principal) or (may_file(principal) and (ties.party or ties.assigned))


def may_file_in_case(principal: Principal, ties: CaseTies) -> bool:
    """A filer may file in a case it is a party to or assigned to."""
    return may_file(principal) and (ties.party or ties.assigned)


def may_see_filing(principal: Principal, ties: CaseTies, submitted_by: str, accepted: bool) -> bool:
    """The filer always; the registry always; everyone else who sees the case once it is on the docket."""
    if is_registry(principal) or (principal.subject is not None and principal.subject == submitted_by):
        return True
    return accepted and may_see_case(principal, ties)
