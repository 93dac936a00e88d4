"""Organisation administration: accounts, branches, default users, quota requests, the audit log."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as DbSession

from chassis.db import UnitOfWork
from identity.adapters.tables import Account, AuditEntry, Branch, Organisation, QuotaRequest
from identity.domain import credentials, permissions
from identity.domain.limits import LIMIT_NAMES
from identity.domain.permissions import Actor
from identity.domain.roles import ACTIVE, OU, PA, SA, SUSPENDED, totp_required
from identity.service_layer import audit, errors
from identity.service_layer.authentication import actor_of
from identity.service_layer.deps import Caller, Deps
from identity.service_layer.events import account_event, publish
from identity.service_layer.sessions import account_json, revoke_all

ROLE_LIMITS = {
    PA: ("max_primary_admins", "primary admins"),
    SA: ("max_secondary_admins", "secondary admins"),
    OU: ("max_organisation_users", "organisation users"),
}


def organisation_for(
    db: DbSession,
    account: Account,
    organisation_id: str,
    rule: Callable[[Actor], bool],
    *,
    members_only: bool = False,
    lock: bool = False,
) -> Organisation:
    """The organisation, if the caller may do what ``rule`` allows there.

    A caller who is neither a member nor staff gets 404, so a stranger cannot even tell the
    organisation exists; a caller the rule refuses, or staff where only members act
    (``members_only``), gets 403. With ``lock`` the row is taken FOR UPDATE, so that two
    administrators racing for the last free place under a limit cannot both win.
    """
    actor = actor_of(account)
    organisation = db.get(Organisation, organisation_id, with_for_update=lock)
    if organisation is None or (not actor.is_staff and actor.organisation_id != organisation_id):
        raise errors.not_found("organisation")
    if not rule(actor) or (members_only and actor.organisation_id != organisation_id):
        raise errors.forbidden("Your role may not do this for the organisation.")
    return organisation


def organisation_json(db: DbSession, organisation: Organisation) -> dict[str, Any]:
    counts = dict(
        db.execute(
            sa.select(Account.role, sa.func.count())
            .where(Account.organisation_id == organisation.id, Account.status.in_((ACTIVE, SUSPENDED)))
            .group_by(Account.role)
        ).all()
    )
    branches = db.scalar(
        sa.select(sa.func.count()).select_from(Branch).where(Branch.organisation_id == organisation.id)
    )
    return {
        "id": organisation.id,
        "name": organisation.name,
        "organisation_type": organisation.organisation_type,
        "business_registration_number": organisation.business_registration_number,
        "address": organisation.address,
        "limits": _limits(organisation),
        "usage": {
            "primary_admins": counts.get(PA, 0),
            "secondary_admins": counts.get(SA, 0),
            "organisation_users": counts.get(OU, 0),
            "branches": branches,
        },
        "created_at": organisation.created_at.isoformat(),
    }


def _limits(organisation: Organisation) -> dict[str, int]:
    return {name: getattr(organisation, f"max_{name}") for name in LIMIT_NAMES}


def view(deps: Deps, account: Account, organisation_id: str) -> dict[str, Any]:
    with deps.unit_of_work() as uow:
        organisation = organisation_for(uow.session, account, organisation_id, permissions.may_read_organisation)
        return organisation_json(uow.session, organisation)


# Accounts ------------------------------------------------------------------------------------------------


def list_accounts(deps: Deps, account: Account, organisation_id: str, filters: dict[str, str]) -> list[dict[str, Any]]:
    with deps.unit_of_work() as uow:
        organisation_for(uow.session, account, organisation_id, permissions.may_read_organisation)
        query = sa.select(Account).where(Account.organisation_id == organisation_id)
        for name in ("role", "branch_id", "status"):
            if filters.get(name):
                query = query.where(getattr(Account, name) == filters[name])
        return [account_json(a) for a in uow.session.scalars(query.order_by(Account.created_at, Account.id))]


def _target(db: DbSession, organisation_id: str, account_id: str) -> Account:
    target = db.get(Account, account_id, with_for_update=True)
    if target is None or target.organisation_id != organisation_id:
        raise errors.not_found("account")
    return target


def _branch(db: DbSession, organisation_id: str, branch_id: str, field: str = "branch_id") -> Branch:
    branch = db.get(Branch, branch_id)
    if branch is None or branch.organisation_id != organisation_id:
        raise errors.invalid_field(field, "is not a branch of this organisation")
    return branch


def _check_room(db: DbSession, organisation: Organisation, role: str) -> None:
    column, label = ROLE_LIMITS[role]
    count = db.scalar(
        sa.select(sa.func.count())
        .select_from(Account)
        .where(
            Account.organisation_id == organisation.id, Account.role == role, Account.status.in_((ACTIVE, SUSPENDED))
        )
    )
    limit = getattr(organisation, column)
    if count is not None and count >= limit:
        raise errors.limit_reached(label, limit)


def create_account(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """A PA or SA creates an account in its organisation, within the organisation's limits."""
    now = deps.now()
    role = body["role"]
    username = credentials.normalise_username(body["username"])
    if why := credentials.username_problem(username):
        raise errors.invalid_field("username", why)
    if why := credentials.password_problem(body["password"], username):
        raise errors.invalid_field("password", why)
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation = organisation_for(
            db,
            account,
            organisation_id,
            lambda actor: permissions.may_manage_account(actor, role),
            members_only=True,
            lock=True,
        )
        branch = _branch(db, organisation_id, body["branch_id"])
        _check_room(db, organisation, role)
        if db.scalars(sa.select(Account.id).where(Account.username == username)).first():
            raise errors.conflict("username-taken", "Username taken", "Choose another username.")
        created = Account(
            id=str(uuid.uuid4()),
            username=username,
            display_name=body["display_name"],
            email=body["email"],
            account_type="organisation",
            role=role,
            organisation_id=organisation_id,
            branch_id=branch.id,
            status=ACTIVE,
            empowerments=[],
            password_hash=deps.passwords.hash(body["password"]),
            version=1,
            created_at=now,
            created_by=account.id,
            password_changed_at=now,
            totp_secret=credentials.new_totp_secret() if totp_required(role) else None,
        )
        db.add(created)
        db.flush()
        account_event(
            deps,
            uow,
            "created",
            created,
            account_type="organisation",
            role=role,
            username=username,
            display_name=created.display_name,
            organisation_id=organisation_id,
            branch_id=branch.id,
            created_by=account.id,
        )
        audit.record(
            db,
            caller,
            now,
            "account.create",
            actor=account,
            organisation_id=organisation_id,
            target=("account", created.id),
            detail={"role": role, "username": username},
        )
        uow.commit()
        answer = account_json(created)
        if created.totp_secret:
            # Shown once, for the administrator to hand over; the new user scans it into an app.
            answer["totp_provisioning_uri"] = credentials.provisioning_uri(created.totp_secret, username)
        return answer


def get_account(deps: Deps, account: Account, organisation_id: str, account_id: str) -> dict[str, Any]:
    with deps.unit_of_work() as uow:
        organisation_for(uow.session, account, organisation_id, permissions.may_read_organisation)
        return account_json(_target(uow.session, organisation_id, account_id))


def _managed(db: DbSession, account: Account, organisation_id: str, account_id: str) -> tuple[Actor, Account]:
    organisation_for(db, account, organisation_id, permissions.is_administrator, members_only=True)
    actor = actor_of(account)
    target = _target(db, organisation_id, account_id)
    if not permissions.may_manage_account(actor, target.role, target.id):
        raise errors.forbidden(f"Your role may not manage this {target.role} account.")
    return actor, target


def update_account(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, account_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Edit an account's name, e-mail or branch."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        _actor, target = _managed(db, account, organisation_id, account_id)
        if "branch_id" in body:
            target.branch_id = _branch(db, organisation_id, body["branch_id"]).id
        for name in ("display_name", "email"):
            if name in body:
                setattr(target, name, body[name])
        _updated(deps, uow, caller, account, target, now, sorted(body))
        uow.commit()
        return account_json(target)


def _updated(
    deps: Deps, uow: UnitOfWork, caller: Caller, account: Account, target: Account, now: datetime, changed: list[str]
) -> None:
    target.version += 1
    account_event(
        deps,
        uow,
        "updated",
        target,
        organisation_id=target.organisation_id,
        branch_id=target.branch_id,
        display_name=target.display_name,
        empowerments=sorted(target.empowerments or ()),
        updated_by=account.id,
    )
    audit.record(
        uow.session,
        caller,
        now,
        "account.update",
        actor=account,
        organisation_id=target.organisation_id,
        target=("account", target.id),
        detail={"changed": changed},
    )


def set_status(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, account_id: str, suspend: bool, reason: str = ""
) -> dict[str, Any]:
    """Suspend (every session ends at once) or reactivate an account."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        _actor, target = _managed(db, account, organisation_id, account_id)
        wanted = SUSPENDED if suspend else ACTIVE
        if target.status == wanted:
            return account_json(target)
        if target.status not in (ACTIVE, SUSPENDED):
            raise errors.conflict("account-not-active", "Not possible", f"The account is {target.status}.")
        target.status = wanted
        target.version += 1
        if suspend:
            revoke_all(db, target.id, now, "suspended")
            account_event(
                deps, uow, "suspended", target, organisation_id=organisation_id, suspended_by=account.id, reason=reason
            )
        else:
            account_event(deps, uow, "reactivated", target, organisation_id=organisation_id, reactivated_by=account.id)
        audit.record(
            db,
            caller,
            now,
            "account.suspend" if suspend else "account.reactivate",
            actor=account,
            organisation_id=organisation_id,
            target=("account", target.id),
            detail={"reason": reason} if reason else None,
        )
        uow.commit()
        return account_json(target)


def set_empowerments(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, account_id: str, empowerments: list[str]
) -> dict[str, Any]:
    """The PA decides what an SA may do beyond day-to-day administration."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation_for(db, account, organisation_id, permissions.may_empower, members_only=True)
        target = _target(db, organisation_id, account_id)
        if target.role != SA:
            raise errors.conflict("not-a-secondary-admin", "Not an SA", "Only Secondary Administrators are empowered.")
        target.empowerments = sorted(set(empowerments))
        _updated(deps, uow, caller, account, target, now, ["empowerments"])
        uow.commit()
        return account_json(target)


# Branches and default users -------------------------------------------------------------------------------


def branch_json(branch: Branch) -> dict[str, Any]:
    return {
        "id": branch.id,
        "organisation_id": branch.organisation_id,
        "code": branch.code,
        "name": branch.name,
        "default_user_id": branch.default_user_id,
        "created_at": branch.created_at.isoformat(),
    }


def list_branches(deps: Deps, account: Account, organisation_id: str) -> list[dict[str, Any]]:
    with deps.unit_of_work() as uow:
        organisation_for(uow.session, account, organisation_id, permissions.may_read_organisation)
        query = (
            sa.select(Branch).where(Branch.organisation_id == organisation_id).order_by(Branch.created_at, Branch.id)
        )
        return [branch_json(b) for b in uow.session.scalars(query)]


def create_branch(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """Only the PA creates branch codes, up to the organisation's limit."""
    now = deps.now()
    code = body["code"].strip().upper()
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation = organisation_for(
            db, account, organisation_id, permissions.may_create_branch, members_only=True, lock=True
        )
        count = db.scalar(
            sa.select(sa.func.count()).select_from(Branch).where(Branch.organisation_id == organisation_id)
        )
        if count is not None and count >= organisation.max_branches:
            raise errors.limit_reached("branch codes", organisation.max_branches)
        if db.scalars(
            sa.select(Branch.id).where(Branch.organisation_id == organisation_id, Branch.code == code)
        ).first():
            raise errors.conflict("branch-code-taken", "Branch code taken", f"The organisation already has {code}.")
        branch = Branch(
            id=str(uuid.uuid4()), organisation_id=organisation_id, code=code, name=body["name"], created_at=now
        )
        db.add(branch)
        db.flush()
        publish(
            deps,
            uow,
            "branch.created",
            branch.id,
            {
                "organisation_id": organisation_id,
                "branch_id": branch.id,
                "code": code,
                "name": branch.name,
                "created_by": account.id,
                "aggregate_version": 1,
            },
        )
        audit.record(
            db,
            caller,
            now,
            "branch.create",
            actor=account,
            organisation_id=organisation_id,
            target=("branch", branch.id),
            detail={"code": code},
        )
        uow.commit()
        return branch_json(branch)


def list_default_users(deps: Deps, account: Account, organisation_id: str) -> list[dict[str, Any]]:
    return [
        {"branch_id": b["id"], "branch_code": b["code"], "account_id": b["default_user_id"]}
        for b in list_branches(deps, account, organisation_id)
    ]


def set_default_user(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, branch_id: str, account_id: str
) -> dict[str, Any]:
    """The default OU of a branch: an active OU of that branch."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation_for(db, account, organisation_id, permissions.may_maintain_default_users, members_only=True)
        branch = db.get(Branch, branch_id, with_for_update=True)
        if branch is None or branch.organisation_id != organisation_id:
            raise errors.not_found("branch")
        user = db.get(Account, account_id)
        if user is None or user.organisation_id != organisation_id or user.branch_id != branch_id or user.role != OU:
            raise errors.invalid_field("account_id", "must be an Organisation User of this branch")
        if user.status != ACTIVE:
            raise errors.invalid_field("account_id", "must be an active account")
        branch.default_user_id = user.id
        audit.record(
            db,
            caller,
            now,
            "branch.default_user",
            actor=account,
            organisation_id=organisation_id,
            target=("branch", branch.id),
            detail={"account_id": user.id},
        )
        uow.commit()
        return {"branch_id": branch.id, "branch_code": branch.code, "account_id": user.id}


# Quota requests -------------------------------------------------------------------------------------------


def quota_json(request: QuotaRequest) -> dict[str, Any]:
    return {
        "id": request.id,
        "organisation_id": request.organisation_id,
        "requested_by": request.requested_by,
        "requested": request.requested,
        "reason": request.reason,
        "status": request.status,
        "created_at": request.created_at.isoformat(),
        "decided_at": request.decided_at.isoformat() if request.decided_at else None,
        "decided_by": request.decided_by,
        "decision_note": request.decision_note,
    }


def request_quota(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    """The PA asks the court to raise one or more limits."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation = organisation_for(db, account, organisation_id, permissions.may_request_quota, members_only=True)
        requested = {name: body[name] for name in LIMIT_NAMES if name in body}
        if not requested:
            raise errors.invalid_field("", f"name at least one of {', '.join(LIMIT_NAMES)}")
        current = _limits(organisation)
        lower = [name for name, value in requested.items() if value <= current[name]]
        if lower:
            raise errors.invalid_field(lower[0], f"must be above the current limit of {current[lower[0]]}")
        request = QuotaRequest(
            id=str(uuid.uuid4()),
            organisation_id=organisation_id,
            requested_by=account.id,
            requested=requested,
            reason=body["reason"],
            status="pending",
            created_at=now,
        )
        db.add(request)
        audit.record(
            db,
            caller,
            now,
            "quota.request",
            actor=account,
            organisation_id=organisation_id,
            target=("quota_request", request.id),
            detail={"requested": requested},
        )
        uow.commit()
        return quota_json(request)


def list_quota_requests(
    deps: Deps, account: Account, organisation_id: str | None, status: str | None
) -> list[dict[str, Any]]:
    """An organisation's requests (its administrators, the Help Centre) or, without one, every
    organisation's (the Help Centre only)."""
    with deps.unit_of_work() as uow:
        db = uow.session
        actor = actor_of(account)
        query = sa.select(QuotaRequest)
        if organisation_id is None:
            if not permissions.may_decide_quota(actor):
                raise errors.forbidden("Only the Help Centre sees every organisation's quota requests.")
        else:
            organisation_for(db, account, organisation_id, permissions.may_read_organisation)
            query = query.where(QuotaRequest.organisation_id == organisation_id)
        if status:
            query = query.where(QuotaRequest.status == status)
        return [quota_json(r) for r in db.scalars(query.order_by(QuotaRequest.created_at, QuotaRequest.id))]


def decide_quota(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, request_id: str, approve: bool, note: str
) -> dict[str, Any]:
    """The Help Centre approves (the limits rise at once) or refuses a quota request."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        if not permissions.may_decide_quota(actor_of(account)):
            raise errors.forbidden("Only the Help Centre decides quota requests.")
        organisation = db.get(Organisation, organisation_id, with_for_update=True)
        request = db.get(QuotaRequest, request_id, with_for_update=True)
        if organisation is None or request is None or request.organisation_id != organisation_id:
            raise errors.not_found("quota request")
        if request.status != "pending":
            raise errors.conflict("quota-request-decided", "Already decided", f"The request is {request.status}.")
        request.status = "approved" if approve else "rejected"
        request.decided_at, request.decided_by, request.decision_note = now, account.id, note
        if approve:
            for name, value in request.requested.items():
                setattr(organisation, f"max_{name}", max(value, getattr(organisation, f"max_{name}")))
            organisation.version += 1
            publish(
                deps,
                uow,
                "organisation.quota_changed",
                organisation_id,
                {
                    "organisation_id": organisation_id,
                    "quota_request_id": request.id,
                    "limits": _limits(organisation),
                    "approved_by": account.id,
                    "aggregate_version": organisation.version,
                },
            )
        audit.record(
            db,
            caller,
            now,
            "quota.approve" if approve else "quota.reject",
            actor=account,
            organisation_id=organisation_id,
            target=("quota_request", request.id),
        )
        uow.commit()
        return quota_json(request)


# Audit ----------------------------------------------------------------------------------------------------


def read_audit(
    deps: Deps, account: Account, organisation_id: str | None, limit: int, before: int | None
) -> dict[str, Any]:
    """Newest first, ``limit`` at a time; ``before`` is the last id of the previous page."""
    with deps.unit_of_work() as uow:
        db = uow.session
        actor = actor_of(account)
        query = sa.select(AuditEntry)
        if organisation_id is None:
            if not actor.is_staff:
                raise errors.forbidden("Only court officers read the whole audit log.")
        else:
            organisation_for(db, account, organisation_id, lambda a: permissions.may_read_audit(a, organisation_id))
            query = query.where(AuditEntry.organisation_id == organisation_id)
        if before is not None:
            query = query.where(AuditEntry.id < before)
        entries = db.scalars(query.order_by(AuditEntry.id.desc()).limit(limit)).all()
        return {
            "items": [audit.as_json(e) for e in entries],
            "next_before": entries[-1].id if len(entries) == limit else None,
        }
