"""The demo court ``make run`` starts with: staff, a law firm with its administrators and users, a
litigant in person. Made through the same use cases as real accounts; done once per data directory."""

from __future__ import annotations

import io
import json
import os
import secrets
from pathlib import Path
from typing import Any

import pyotp
import sqlalchemy as sa

from identity.adapters.tables import Account, Organisation
from identity.domain.roles import HELP_CENTRE_OFFICER, REGISTRY_OFFICER, SYSTEM_ADMIN
from identity.service_layer import organisations, registrations
from identity.service_layer.deps import Caller, Deps
from identity.service_layer.staff import StaffError, create_staff

SEED = Caller(None, None, "demo-seed", None)
PDF = b"%PDF-1.4\n% demo supporting document\n%%EOF\n"


def seed(deps: Deps, out: Path) -> list[dict[str, Any]]:
    """Create the demo accounts unless they exist, and write every demo login to ``out`` (mode 600)."""
    if out.exists():
        return json.loads(out.read_text())
    logins: list[dict[str, Any]] = []
    officers = {}
    for role, username, name in (
        (REGISTRY_OFFICER, "registry.officer", "Registry Officer"),
        (HELP_CENTRE_OFFICER, "help.centre", "Help Centre Officer"),
        (SYSTEM_ADMIN, "sysadmin", "System Administrator"),
    ):
        password = secrets.token_urlsafe(12)
        try:
            made = create_staff(deps, username, role, name, f"{username}@judiciary.example", password)
        except StaffError as exc:
            raise StaffError(f"the demo accounts exist but {out} is gone ({exc}); start from a fresh data dir") from exc
        officers[role] = made["id"]
        logins.append({"username": username, "password": password, "role": role, "totp_secret": made["totp_secret"]})

    officer = _account(deps, officers[HELP_CENTRE_OFFICER])
    firm_password = secrets.token_urlsafe(12)
    firm = registrations.submit(
        deps,
        SEED,
        {
            "kind": "organisation",
            "username": "chanlau.pa",
            "password": firm_password,
            "display_name": "Mary CHAN",
            "email": "mary.chan@chanlau.example",
            "organisation": {
                "name": "Chan, Lau & Wong Solicitors",
                "organisation_type": "law_firm",
                "business_registration_number": "31234567",
                "address": "10/F, 1 Queen's Road Central, Hong Kong",
                "branch_code": "CEN",
                "branch_name": "Central",
            },
        },
        _documents("authorisation_letter", "business_registration"),
    )
    approved = registrations.approve(deps, SEED, officer, firm["id"])
    pa_secret = pyotp.parse_uri(approved["totp_provisioning_uri"]).secret
    logins.append({"username": "chanlau.pa", "password": firm_password, "role": "PA", "totp_secret": pa_secret})
    pa = _account(deps, approved["account"]["id"])
    org, branch = approved["account"]["organisation_id"], approved["account"]["branch_id"]
    for role, username, name in (
        ("SA", "chanlau.sa", "Peter LAU"),
        ("OU", "chanlau.clerk", "Ada WONG"),
        ("OU", "chanlau.clerk2", "Ben HO"),
    ):
        password = secrets.token_urlsafe(12)
        made = organisations.create_account(
            deps,
            SEED,
            pa,
            org,
            {
                "username": username,
                "password": password,
                "display_name": name,
                "email": f"{username}@chanlau.example",
                "role": role,
                "branch_id": branch,
            },
        )
        secret = pyotp.parse_uri(made["totp_provisioning_uri"]).secret if "totp_provisioning_uri" in made else None
        logins.append({"username": username, "password": password, "role": role, "totp_secret": secret})
    clerk = next(
        a for a in organisations.list_accounts(deps, pa, org, {"role": "OU"}) if a["username"] == "chanlau.clerk"
    )
    organisations.set_default_user(deps, SEED, pa, org, branch, clerk["id"])

    iu_password = secrets.token_urlsafe(12)
    litigant = registrations.submit(
        deps,
        SEED,
        {
            "kind": "individual",
            "username": "litigant",
            "password": iu_password,
            "display_name": "CHAN Tai Man",
            "email": "taiman@example.com",
        },
        _documents("court_document"),
    )
    registrations.approve(deps, SEED, officer, litigant["id"])
    logins.append({"username": "litigant", "password": iu_password, "role": "IU", "totp_secret": None})

    _identify(deps, logins)
    out.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        json.dump(logins, handle, indent=2)
    return logins


def _identify(deps: Deps, logins: list[dict[str, Any]]) -> None:
    """Add each login's account and organisation, so other services can seed the demo court's cases."""
    with deps.unit_of_work() as uow:
        for login in logins:
            account = uow.session.scalar(sa.select(Account).where(Account.username == login["username"]))
            assert account is not None, login["username"]
            organisation = uow.session.get(Organisation, account.organisation_id) if account.organisation_id else None
            login["account_id"] = account.id
            login["organisation_id"] = account.organisation_id
            login["organisation_name"] = organisation.name if organisation else None


def _documents(*kinds: str) -> list[registrations.Upload]:
    return [registrations.Upload(kind, f"{kind}.pdf", io.BytesIO(PDF)) for kind in kinds]


def _account(deps: Deps, account_id: str) -> Account:
    with deps.unit_of_work() as uow:
        account = uow.session.get(Account, account_id)
        assert account is not None
        uow.session.expunge(account)
        return account
