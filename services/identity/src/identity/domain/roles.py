"""Who is who: account types, roles, statuses and the empowerments a PA can give an SA."""

from __future__ import annotations

INDIVIDUAL, ORGANISATION, STAFF = "individual", "organisation", "staff"

IU = "IU"
PA = "PA"
SA = "SA"
OU = "OU"
REGISTRY_OFFICER = "registry_officer"
HELP_CENTRE_OFFICER = "help_centre_officer"
SYSTEM_ADMIN = "system_admin"

ORGANISATION_ROLES = (PA, SA, OU)
STAFF_ROLES = (REGISTRY_OFFICER, HELP_CENTRE_OFFICER, SYSTEM_ADMIN)

PENDING, ACTIVE, SUSPENDED, REJECTED = "pending_verification", "active", "suspended", "rejected"

MANAGE_SECONDARY_ADMINS = "manage_secondary_admins"
ASSIGN_ACROSS_BRANCHES = "assign_across_branches"
MAINTAIN_DEFAULT_USERS = "maintain_default_users"
EMPOWERMENTS = (MANAGE_SECONDARY_ADMINS, ASSIGN_ACROSS_BRANCHES, MAINTAIN_DEFAULT_USERS)

ORGANISATION_TYPES = ("law_firm", "government_department", "company", "incorporated_owners", "other")


def account_type_of(role: str) -> str:
    """The account type a role belongs to."""
    if role == IU:
        return INDIVIDUAL
    if role in ORGANISATION_ROLES:
        return ORGANISATION
    if role in STAFF_ROLES:
        return STAFF
    raise ValueError(f"unknown role {role!r}")


def totp_required(role: str) -> bool:
    """Staff and administrators must use a second factor; IU and OU may enrol if they wish."""
    return role in STAFF_ROLES or role in (PA, SA)
