"""Court staff accounts, created from the command line by whoever runs the system."""

from __future__ import annotations

import uuid
from typing import Any

import sqlalchemy as sa

from identity.adapters.tables import Account
from identity.domain import credentials
from identity.domain.roles import ACTIVE, STAFF, STAFF_ROLES
from identity.service_layer import audit
from identity.service_layer.deps import Caller, Deps
from identity.service_layer.events import account_event


class StaffError(ValueError):
    """The staff account cannot be created as asked."""


def create_staff(
    deps: Deps, username: str, role: str, display_name: str, email: str, password: str, totp_secret: str | None = None
) -> dict[str, Any]:
    """Create an active staff account with TOTP; returns the account and its provisioning URI."""
    name = credentials.normalise_username(username)
    if role not in STAFF_ROLES:
        raise StaffError(f"role must be one of {', '.join(STAFF_ROLES)}")
    for why in (credentials.username_problem(name), credentials.password_problem(password, name)):
        if why:
            raise StaffError(why)
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        if db.scalars(sa.select(Account.id).where(Account.username == name)).first():
            raise StaffError(f"username {name!r} is taken")
        account = Account(
            id=str(uuid.uuid4()),
            username=name,
            display_name=display_name,
            email=email,
            account_type=STAFF,
            role=role,
            status=ACTIVE,
            empowerments=[],
            password_hash=deps.passwords.hash(password),
            version=1,
            created_at=now,
            password_changed_at=now,
            totp_secret=totp_secret or credentials.new_totp_secret(),
        )
        db.add(account)
        db.flush()
        account_event(
            deps,
            uow,
            "created",
            account,
            account_type=STAFF,
            role=role,
            username=name,
            display_name=display_name,
            organisation_id=None,
            branch_id=None,
            created_by=None,
        )
        audit.record(
            db,
            Caller(None, None, "command-line", None),
            now,
            "staff.create",
            username=name,
            target=("account", account.id),
            detail={"role": role},
        )
        uow.commit()
        assert account.totp_secret is not None
        return {
            "id": account.id,
            "username": name,
            "role": role,
            "totp_secret": account.totp_secret,
            "totp_provisioning_uri": credentials.provisioning_uri(account.totp_secret, name),
        }
