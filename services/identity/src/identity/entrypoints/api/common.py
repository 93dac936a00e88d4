"""What every identity endpoint needs: the caller, the caller's account, paging."""

from __future__ import annotations

from flask import request

from chassis.web.app import current_request_id
from chassis.web.principal import current_principal
from identity.adapters.tables import Account
from identity.service_layer import errors
from identity.service_layer.authentication import active_account
from identity.service_layer.deps import Caller, Deps

MAX_PAGE = 200


def caller() -> Caller:
    """The caller as the gateway vouched for it."""
    principal = current_principal()
    return Caller(principal.subject, principal.session, principal.client_ip, current_request_id())


def account(deps: Deps) -> Account:
    """The caller's active account; 401 for anyone else."""
    with deps.unit_of_work() as uow:
        found = active_account(uow.session, current_principal())
        # Detached before the unit of work ends, so the closing rollback does not expire it.
        uow.session.expunge(found)
        return found


def text_args(*names: str) -> dict[str, str]:
    """Plain-text filters from the query string (bounded, so nothing absurd reaches a query)."""
    found = {}
    for name in names:
        value = request.args.get(name)
        if value is not None:
            if not 0 < len(value) <= 64 or "\x00" in value:
                raise errors.invalid_field(name, "must be 1 to 64 characters of text")
            found[name] = value
    return found
