"""Who may do what with payments's data: one place, asked by every use case (DOMAIN.md sections 3 and 8).

Organisations pay from their deposit account: its administrators (PA, SA) open it, top it up and read
its statement; its organisation users (OU) pay fees from it and see its balance. A payment order is
the payer's: the account that incurred it, or any account of the organisation it was incurred for,
may see and pay it; orders with no payer (searches, fines) are paid by whoever holds their id. The
registry sees every order and creates fine orders; the registry and system administrators read the
ledger.
"""

from __future__ import annotations

from chassis.web.principal import Principal

IU, OU, PA, SA = "IU", "OU", "PA", "SA"
REGISTRY_OFFICER = "registry_officer"
SYSTEM_ADMIN = "system_admin"
ADMINISTRATORS = (PA, SA)
ORGANISATION_ROLES = (PA, SA, OU)


def is_registry(principal: Principal) -> bool:
    return principal.authenticated and principal.has_role(REGISTRY_OFFICER)


def may_read_ledger(principal: Principal) -> bool:
    return principal.authenticated and principal.has_role(REGISTRY_OFFICER, SYSTEM_ADMIN)


def may_manage_deposit(principal: Principal, organisation_id: str) -> bool:
    """Open, top up, read the statement of ``organisation_id``'s deposit account."""
    return principal.authenticated and principal.organisation == organisation_id and principal.has_role(*ADMINISTRATORS)


def may_use_deposit(principal: Principal, organisation_id: str) -> bool:
    """Pay from ``organisation_id``'s deposit account and see its balance."""
    return (
        principal.authenticated
        and principal.organisation == organisation_id
        and principal.has_role(*ORGANISATION_ROLES)
    )


def may_see_order(principal: Principal, payer_account_id: str | None, organisation_id: str | None) -> bool:
    """The payer, its organisation, the registry; anyone for an order that has no payer."""
    if payer_account_id is None and organisation_id is None:
        return True
    if is_registry(principal):
        return True
    if not principal.authenticated:
        return False
    return principal.subject == payer_account_id or (
        organisation_id is not None and principal.organisation == organisation_id
    )


def may_pay_order(principal: Principal, payer_account_id: str | None, organisation_id: str | None) -> bool:
    """Whoever may see an order may pay it, except the registry, which does not pay litigants' fees."""
    if payer_account_id is None and organisation_id is None:
        return True
    return (
        principal.authenticated
        and not is_registry(principal)
        and may_see_order(principal, payer_account_id, organisation_id)
    )


def may_see_receipt(principal: Principal, payer_account_id: str | None, organisation_id: str | None) -> bool:
    """The payer, the organisation it paid for (PA, SA, OU), the registry."""
    if is_registry(principal):
        return True
    if not principal.authenticated:
        return False
    if payer_account_id is not None and principal.subject == payer_account_id:
        return True
    return (
        organisation_id is not None
        and principal.organisation == organisation_id
        and principal.has_role(*ORGANISATION_ROLES)
    )


def may_create_fine_order(principal: Principal) -> bool:
    return is_registry(principal)


def order_owner(principal: Principal) -> tuple[str | None, str | None]:
    """Whose an order ``principal`` asks for is: (payer account, organisation).

    An account holder's order is its own, and its organisation's if it acts for one, so it lists it and
    outsiders do not see it. The anonymous and staff (at a counter, for a member of the public) ask for
    an order that is nobody's: whoever holds its id pays it.
    """
    if not principal.authenticated or not principal.has_role(IU, *ORGANISATION_ROLES):
        return None, None
    return principal.subject, principal.organisation if principal.has_role(*ORGANISATION_ROLES) else None
