"""Account linking: which of an organisation's OUs act in which of its cases.

Identity learns from filing's events which organisations are on record in which case; an
organisation can link only those cases. Each change publishes the organisation's whole current
set for the case, versioned, so consumers replace rather than patch and a late event changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session as DbSession

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from identity.adapters.tables import Account, AssignmentSet, Branch, CaseAssignment, CaseRecord, CaseRepresentation
from identity.domain import permissions
from identity.domain.roles import ACTIVE, OU
from identity.service_layer import audit, errors
from identity.service_layer.authentication import actor_of
from identity.service_layer.deps import Caller, Deps
from identity.service_layer.events import publish
from identity.service_layer.organisations import organisation_for


def _on_record(db: DbSession, case_id: str, organisation_id: str) -> CaseRecord | None:
    case = db.get(CaseRecord, case_id)
    if case is None or db.get(CaseRepresentation, (case_id, organisation_id)) is None:
        return None
    return case


def list_cases(deps: Deps, account: Account, organisation_id: str) -> list[dict[str, Any]]:
    """The cases the organisation is on record in, with the OUs linked to each."""
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation_for(db, account, organisation_id, permissions.is_administrator)
        cases = db.scalars(
            sa.select(CaseRecord)
            .join(CaseRepresentation, CaseRepresentation.case_id == CaseRecord.case_id)
            .where(CaseRepresentation.organisation_id == organisation_id)
            .order_by(CaseRecord.case_number)
        ).all()
        return [
            {
                "case_id": c.case_id,
                "case_number": c.case_number,
                "account_ids": _assigned(db, c.case_id, organisation_id),
            }
            for c in cases
        ]


def _assigned(db: DbSession, case_id: str, organisation_id: str) -> list[str]:
    return sorted(
        db.scalars(
            sa.select(CaseAssignment.account_id).where(
                CaseAssignment.case_id == case_id, CaseAssignment.organisation_id == organisation_id
            )
        )
    )


def list_assignments(
    deps: Deps, account: Account, organisation_id: str, filters: dict[str, str]
) -> list[dict[str, Any]]:
    with deps.unit_of_work() as uow:
        db = uow.session
        organisation_for(db, account, organisation_id, permissions.is_administrator)
        query = (
            sa.select(CaseAssignment, CaseRecord.case_number)
            .join(CaseRecord, CaseRecord.case_id == CaseAssignment.case_id)
            .where(CaseAssignment.organisation_id == organisation_id)
        )
        for name in ("case_id", "account_id"):
            if filters.get(name):
                query = query.where(getattr(CaseAssignment, name) == filters[name])
        rows = db.execute(query.order_by(CaseRecord.case_number, CaseAssignment.account_id)).all()
        return [_assignment_json(a, number) for a, number in rows]


def _assignment_json(assignment: CaseAssignment, case_number: str) -> dict[str, Any]:
    return {
        "case_id": assignment.case_id,
        "case_number": case_number,
        "account_id": assignment.account_id,
        "organisation_id": assignment.organisation_id,
        "assigned_at": assignment.assigned_at.isoformat(),
        "assigned_by": assignment.assigned_by,
    }


def _linkable(
    db: DbSession, account: Account, organisation_id: str, case_id: str, account_id: str
) -> tuple[CaseRecord, Account]:
    organisation_for(db, account, organisation_id, permissions.is_administrator, members_only=True)
    actor = actor_of(account)
    case = _on_record(db, case_id, organisation_id)
    if case is None:
        # Said the same way whether the case does not exist or belongs to others: nothing leaks.
        raise errors.not_found("case of this organisation")
    user = db.get(Account, account_id)
    if user is None or user.organisation_id != organisation_id:
        raise errors.not_found("account")
    if not permissions.assignable(user.role):
        raise errors.invalid_field("account_id", "cases are linked to Organisation Users only")
    if not permissions.may_assign_case(actor, user.branch_id):
        raise errors.forbidden("An SA links cases within its own branch unless the PA has empowered it.")
    return case, user


def assign(
    deps: Deps, caller: Caller, account: Account, organisation_id: str, case_id: str, account_id: str
) -> dict[str, Any]:
    """Link a case to an OU; linking again is harmless."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        case, user = _linkable(db, account, organisation_id, case_id, account_id)
        if user.status != ACTIVE:
            raise errors.invalid_field("account_id", "must be an active account")
        existing = db.get(CaseAssignment, (case_id, account_id))
        if existing is None:
            existing = CaseAssignment(
                case_id=case_id,
                account_id=account_id,
                organisation_id=organisation_id,
                assigned_at=now,
                assigned_by=account.id,
            )
            db.add(existing)
            _changed(deps, uow, case, organisation_id, added=[account_id], removed=[], by=account.id)
            audit.record(
                db,
                caller,
                now,
                "case.assign",
                actor=account,
                organisation_id=organisation_id,
                target=("case", case_id),
                detail={"account_id": account_id},
            )
            uow.commit()
        return _assignment_json(existing, case.case_number)


def unassign(deps: Deps, caller: Caller, account: Account, organisation_id: str, case_id: str, account_id: str) -> None:
    """Unlink a case from an OU; the OU loses access as soon as the event is consumed."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        case, _user = _linkable(db, account, organisation_id, case_id, account_id)
        existing = db.get(CaseAssignment, (case_id, account_id))
        if existing is None:
            raise errors.not_found("assignment")
        db.delete(existing)
        db.flush()
        _changed(deps, uow, case, organisation_id, added=[], removed=[account_id], by=account.id)
        audit.record(
            db,
            caller,
            now,
            "case.unassign",
            actor=account,
            organisation_id=organisation_id,
            target=("case", case_id),
            detail={"account_id": account_id},
        )
        uow.commit()


def _changed(
    deps: Deps,
    uow: UnitOfWork,
    case: CaseRecord,
    organisation_id: str,
    *,
    added: list[str],
    removed: list[str],
    by: str | None,
    caused_by: Envelope | None = None,
) -> None:
    db = uow.session
    version = db.get(AssignmentSet, (case.case_id, organisation_id), with_for_update=True)
    if version is None:
        version = AssignmentSet(case_id=case.case_id, organisation_id=organisation_id, version=0)
        db.add(version)
    version.version += 1
    db.flush()
    publish(
        deps,
        uow,
        "case_assignment.changed",
        f"{case.case_id}:{organisation_id}",
        {
            "case_id": case.case_id,
            "case_number": case.case_number,
            "organisation_id": organisation_id,
            "account_ids": _assigned(db, case.case_id, organisation_id),
            "added": added,
            "removed": removed,
            "changed_by": by,
            "aggregate_version": version.version,
        },
        caused_by,
    )


# Filing's events ------------------------------------------------------------------------------------------


def case_representation_changed(deps: Deps, envelope: Envelope, uow: UnitOfWork) -> None:
    """``filing.case.created`` / ``filing.case.representation_changed``: the organisations on record.

    An organisation newly on record gets its filer (if one of its OUs filed) or else its default OU
    linked, so someone there sees the case at once; one taken off the record loses its links.
    """
    data = envelope.data
    db = uow.session
    case = db.get(CaseRecord, data["case_id"], with_for_update=True)
    if case is not None and case.version >= data["aggregate_version"]:
        return  # an older or repeated state: what we hold is newer
    if case is None:
        case = CaseRecord(
            case_id=data["case_id"],
            case_number=data["case_number"],
            version=0,
            filed_by_account_id=data.get("filed_by_account_id"),
        )
        db.add(case)
    case.case_number, case.version = data["case_number"], data["aggregate_version"]
    db.flush()
    wanted = {p["representative"]["organisation_id"] for p in data["parties"] if p.get("representative")}
    held = set(
        db.scalars(sa.select(CaseRepresentation.organisation_id).where(CaseRepresentation.case_id == case.case_id))
    )
    for organisation_id in sorted(held - wanted):
        db.execute(
            sa.delete(CaseRepresentation).where(
                CaseRepresentation.case_id == case.case_id, CaseRepresentation.organisation_id == organisation_id
            )
        )
        removed = _assigned(db, case.case_id, organisation_id)
        if removed:
            db.execute(
                sa.delete(CaseAssignment).where(
                    CaseAssignment.case_id == case.case_id, CaseAssignment.organisation_id == organisation_id
                )
            )
            _changed(deps, uow, case, organisation_id, added=[], removed=removed, by=None, caused_by=envelope)
    for organisation_id in sorted(wanted - held):
        db.add(CaseRepresentation(case_id=case.case_id, organisation_id=organisation_id))
        db.flush()
        first = _first_user(db, organisation_id, case.filed_by_account_id)
        if first is not None and db.get(CaseAssignment, (case.case_id, first)) is None:
            db.add(
                CaseAssignment(
                    case_id=case.case_id,
                    account_id=first,
                    organisation_id=organisation_id,
                    assigned_at=deps.now(),
                    assigned_by=None,
                )
            )
            db.flush()
            _changed(deps, uow, case, organisation_id, added=[first], removed=[], by=None, caused_by=envelope)


def _first_user(db: DbSession, organisation_id: str, filer_id: str | None) -> str | None:
    filer = db.get(Account, filer_id) if filer_id else None
    if filer is not None and filer.organisation_id == organisation_id:
        if filer.role == OU and filer.status == ACTIVE:
            return filer.id
        branch = db.get(Branch, filer.branch_id) if filer.branch_id else None
    else:
        branch = db.scalars(
            sa.select(Branch).where(Branch.organisation_id == organisation_id).order_by(Branch.created_at, Branch.id)
        ).first()
    default = db.get(Account, branch.default_user_id) if branch and branch.default_user_id else None
    return default.id if default is not None and default.status == ACTIVE else None
