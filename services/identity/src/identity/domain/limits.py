"""How many accounts and branches an organisation may have."""

from __future__ import annotations

from dataclasses import dataclass

LIMIT_NAMES = ("primary_admins", "secondary_admins", "organisation_users", "branches")
#: The court will not raise a limit beyond this in one request (a typo guard, not a policy).
CEILING = 10_000


@dataclass(frozen=True)
class Limits:
    primary_admins: int
    secondary_admins: int
    organisation_users: int
    branches: int


#: Defaults until the Help Centre approves more (DOMAIN.md section 3).
DEFAULT_LIMITS = Limits(primary_admins=2, secondary_admins=5, organisation_users=50, branches=10)
