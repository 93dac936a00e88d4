"""What filing keeps of identity's events: organisation names, and who is assigned to which case."""

from __future__ import annotations

import sqlalchemy as sa

from chassis.db import UnitOfWork
from chassis.messaging.envelope import Envelope
from filing.adapters.tables import AssignmentSet, CaseAccess, Organisation


def organisation_created(envelope: Envelope, uow: UnitOfWork) -> None:
    data = envelope.data
    found = uow.session.get(Organisation, data["organisation_id"])
    if found is None:
        uow.session.add(Organisation(id=data["organisation_id"], name=data["name"], version=data["aggregate_version"]))
    elif data["aggregate_version"] > found.version:
        found.name, found.version = data["name"], data["aggregate_version"]


def case_assignment_changed(envelope: Envelope, uow: UnitOfWork) -> None:
    """Identity's whole set of an organisation's users linked to a case replaces the one held;
    an older set arriving late is dropped."""
    data = envelope.data
    case_id, organisation_id, version = data["case_id"], data["organisation_id"], data["aggregate_version"]
    db = uow.session
    held = db.get(AssignmentSet, (case_id, organisation_id))
    if held is not None and held.version >= version:
        return
    if held is None:
        db.add(AssignmentSet(case_id=case_id, organisation_id=organisation_id, version=version))
    else:
        held.version = version
    db.execute(
        sa.delete(CaseAccess).where(CaseAccess.case_id == case_id, CaseAccess.organisation_id == organisation_id)
    )
    for account_id in dict.fromkeys(data["account_ids"]):
        db.add(CaseAccess(case_id=case_id, account_id=account_id, organisation_id=organisation_id))
