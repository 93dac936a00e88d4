"""The Judiciary Cloud's rules (DOMAIN.md section 7): who uses an organisation's space, and how a file
is cut into parts.

The space belongs to the organisation: its organisation users (OU) upload into it, and its
administrators (PA, SA) and OUs see and delete what is there. Individual users and court staff have none.
"""

from __future__ import annotations

from chassis.web.principal import Principal

MiB = 1024 * 1024
OU = "OU"
MEMBER_ROLES = ("OU", "PA", "SA")
HELP_CENTRE_OFFICER = "help_centre_officer"
#: Parts are at least this big: fewer requests for the browser, and well above S3's 5 MiB floor.
MIN_PART_SIZE = 8 * MiB
#: S3 takes at most this many parts in one upload.
MAX_PARTS = 10_000

# What an upload is, from the first byte to the last.
UPLOADING = "uploading"
AVAILABLE = "available"
ATTACHED = "attached"
REJECTED = "rejected"
EXPIRED = "expired"
DELETED = "deleted"
STATUSES = (UPLOADING, AVAILABLE, ATTACHED, REJECTED, EXPIRED, DELETED)
#: What an organisation's list shows: a deleted upload is gone.
LISTED = (UPLOADING, AVAILABLE, ATTACHED, REJECTED, EXPIRED)
#: The statuses whose declared size is reserved against the quota.
RESERVING = (UPLOADING, AVAILABLE)


def part_plan(size: int) -> tuple[int, int]:
    """(part size, number of parts) for a file of ``size`` bytes: parts of 8 MiB, or larger (in whole
    MiB) when 8 MiB parts would be more than S3's 10,000."""
    if size < 1:
        raise ValueError("size must be at least 1 byte")
    part = max(MIN_PART_SIZE, -(-size // MAX_PARTS))
    part = -(-part // MiB) * MiB
    return part, -(-size // part)


def expected_part_size(size: int, part_size: int, number: int) -> int:
    """How many bytes part ``number`` (from 1) of a ``size``-byte file holds: the last takes the rest."""
    return min(part_size, size - (number - 1) * part_size)


def may_upload(principal: Principal) -> bool:
    """Organisation users upload into their organisation's space."""
    return principal.authenticated and principal.has_role(OU) and principal.organisation is not None


def may_manage(principal: Principal, organisation_id: str) -> bool:
    """The organisation's OUs, PAs and SAs see and delete its uploads."""
    return (
        principal.authenticated
        and principal.has_role(*MEMBER_ROLES)
        and principal.organisation is not None
        and principal.organisation == organisation_id
    )


def may_set_quota(principal: Principal) -> bool:
    """The Help Centre grants more space (DOMAIN.md: it approves quota requests)."""
    return principal.authenticated and principal.has_role(HELP_CENTRE_OFFICER)
