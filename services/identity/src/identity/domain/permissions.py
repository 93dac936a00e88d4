"""Who may do what in an organisation: every rule of DOMAIN.md section 3 in one place.

The HTTP layer asks these functions and nothing else; each answers for an actor whose account is
active and who belongs to the organisation in question (the caller checks membership first, so
that a stranger learns nothing, not even that the organisation exists).
"""

from __future__ import annotations

from dataclasses import dataclass

from identity.domain.roles import (
    ASSIGN_ACROSS_BRANCHES,
    HELP_CENTRE_OFFICER,
    MAINTAIN_DEFAULT_USERS,
    MANAGE_SECONDARY_ADMINS,
    OU,
    PA,
    SA,
    STAFF_ROLES,
)


@dataclass(frozen=True)
class Actor:
    """The account acting, as the rules need it."""

    id: str
    role: str
    organisation_id: str | None
    branch_id: str | None
    empowerments: frozenset[str] = frozenset()

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    def empowered(self, empowerment: str) -> bool:
        return self.role == PA or (self.role == SA and empowerment in self.empowerments)


def is_administrator(actor: Actor) -> bool:
    """PA and SA administer their organisation; OUs only transact."""
    return actor.role in (PA, SA)


def may_read_organisation(actor: Actor) -> bool:
    """The organisation's administrators and the Help Centre see its accounts, branches and quotas."""
    return is_administrator(actor) or actor.role == HELP_CENTRE_OFFICER


def may_manage_account(actor: Actor, target_role: str, target_id: str | None = None) -> bool:
    """Create, edit, suspend or reactivate an account of ``target_role``.

    PAs manage PAs (up to the limit), SAs and OUs; an SA manages OUs, and SAs only when empowered;
    nobody suspends or edits themselves through this path (their own details are under ``/me``).
    """
    if target_id is not None and target_id == actor.id:
        return False
    if actor.role == PA:
        return target_role in (PA, SA, OU)
    if actor.role == SA:
        return target_role == OU or (target_role == SA and actor.empowered(MANAGE_SECONDARY_ADMINS))
    return False


def may_empower(actor: Actor) -> bool:
    """Only the PA empowers SAs."""
    return actor.role == PA


def may_create_branch(actor: Actor) -> bool:
    """Only the PA creates branch codes."""
    return actor.role == PA


def may_request_quota(actor: Actor) -> bool:
    """Only the PA asks the court to raise the organisation's limits."""
    return actor.role == PA


def may_decide_quota(actor: Actor) -> bool:
    """Quota changes are approved by the Help Centre."""
    return actor.role == HELP_CENTRE_OFFICER


def may_decide_registration(actor: Actor) -> bool:
    """Registrations are verified in person and decided by the Help Centre."""
    return actor.role == HELP_CENTRE_OFFICER


def may_maintain_default_users(actor: Actor) -> bool:
    """The PA, and SAs it has empowered, keep the default OU of each branch."""
    return actor.empowered(MAINTAIN_DEFAULT_USERS)


def may_assign_case(actor: Actor, account_branch_id: str | None) -> bool:
    """Link a case to an OU of ``account_branch_id``: the PA anywhere, an SA in its own branch or,
    when empowered, across branches."""
    if actor.role == PA:
        return True
    if actor.role == SA:
        return account_branch_id == actor.branch_id or actor.empowered(ASSIGN_ACROSS_BRANCHES)
    return False


def may_read_audit(actor: Actor, organisation_id: str | None) -> bool:
    """Officers read the whole audit log; a PA reads its own organisation's."""
    if actor.is_staff:
        return True
    return actor.role == PA and organisation_id is not None and organisation_id == actor.organisation_id


def assignable(role: str) -> bool:
    """Cases are linked to Organisation Users only: they are the ones who transact."""
    return role == OU
