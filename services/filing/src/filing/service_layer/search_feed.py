"""What filing tells search, built one way for its events and for its export.

``filing.case.updated`` carries a case's whole public-facing state (parties, representatives, docket,
sealing) after every change of it, in the change's transaction and at the case's new version.
``filing.document.published`` names a document of a public kind whose text is stored, with a presigned
link to that text: events carry references, never bytes. The export (``export.py``) serves the same data,
so read models rebuilt from it equal those fed by the events.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.db import UnitOfWork
from filing.adapters.tables import Case, DocketEntry, Document, Filing, IssuedDocument, Party
from filing.domain import access
from filing.service_layer.deps import Deps
from filing.service_layer.documents import FoundDocument
from filing.service_layer.events import publish
from filing.service_layer.filings import parties_json

TEXT_MEDIA_TYPE = "text/plain; charset=utf-8"


# Cases --------------------------------------------------------------------------------------------------


def case_states(deps: Deps, db: Session, cases: Sequence[Case]) -> list[dict[str, Any]]:
    """``filing.case.updated``'s data for each of ``cases``, their parties and dockets read in one query each."""
    ids = [case.id for case in cases]
    parties: dict[str, list[Party]] = defaultdict(list)
    for party in db.scalars(sa.select(Party).where(Party.case_id.in_(ids)).order_by(Party.case_id, Party.seq)):
        parties[party.case_id].append(party)
    docket: dict[str, list[DocketEntry]] = defaultdict(list)
    entries = sa.select(DocketEntry).where(DocketEntry.case_id.in_(ids))
    for entry in db.scalars(entries.order_by(DocketEntry.case_id, DocketEntry.number)):
        docket[entry.case_id].append(entry)
    return [
        {
            "case_id": case.id,
            "case_number": case.case_number,
            "court": case.court,
            "court_name": deps.catalogue.courts[case.court],
            "case_type": case.prefix,
            "title": case.title,
            "status": case.status,
            "filed_at": iso(case.filed_at),
            "sealed": case.sealed,
            "parties": [
                {**shown, "name_zh": party.name_zh}
                for shown, party in zip(parties_json(parties[case.id]), parties[case.id], strict=True)
            ],
            "docket": [
                {
                    "number": entry.number,
                    "title": entry.title,
                    "filed_on": entry.deemed_received_at.astimezone(deps.hours.zone).date().isoformat(),
                }
                for entry in docket[case.id]
            ],
            "aggregate_version": case.version,
        }
        for case in cases
    ]


def publish_case_updated(deps: Deps, uow: UnitOfWork, case: Case) -> None:
    """Queue ``filing.case.updated`` with the case as it now stands; the caller has counted the change
    in ``case.version`` (its row locked, or just inserted), so search never sees a version go back."""
    uow.session.flush()
    (state,) = case_states(deps, uow.session, [case])
    publish(deps, uow, "case.updated", case.id, state)


# Documents ----------------------------------------------------------------------------------------------


def publishable(found: FoundDocument) -> bool:
    """Search hears of a document of a public kind, not sealed, whose text is stored; of no other.

    A sealed case's documents are still published: search hides everything of a sealed case itself, and
    unsealing the case then needs no document events.
    """
    return access.public_kind(found.facts) and not found.row.sealed and found.row.text_key is not None


def count_change(db: Session, found: FoundDocument) -> int:
    """Count a change of the document on the counter its events carry, and return the new version.

    An issued document counts its own versions (its row is locked by ``documents.find(lock=True)``); a
    filed document is part of its filing, whose version counts it (the document table keeps none), read
    afresh under the filing's lock so that it only ever grows.
    """
    if isinstance(found.row, IssuedDocument):
        found.row.version += 1
        return found.row.version
    assert found.filing is not None
    filing = db.scalar(
        sa.select(Filing)
        .where(Filing.id == found.filing.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert filing is not None
    filing.version += 1
    return filing.version


def version_of(found: FoundDocument) -> int:
    """The document's version: an issued document's own, a filed document's filing's."""
    if isinstance(found.row, IssuedDocument):
        return found.row.version
    assert found.filing is not None
    return found.filing.version


def document_state(deps: Deps, found: FoundDocument) -> dict[str, Any]:
    """``filing.document.published``'s data: where the document stands, and a fresh link to its text."""
    row, case = found.row, found.case
    assert row.text_key is not None and row.text_sha256 is not None and row.text_size is not None
    if isinstance(row, Document):
        assert found.filing is not None and found.filing.deemed_received_at is not None
        kind, dated = row.document_type, found.filing.deemed_received_at
    else:
        kind, dated = row.kind, row.issued_at
    lifetime = timedelta(seconds=deps.settings.text_url_seconds)
    return {
        "document_id": row.id,
        "source": found.source,
        "case_id": case.id,
        "case_number": case.case_number,
        "court": case.court,
        "case_type": case.prefix,
        "title": row.title,
        "kind": kind,
        "dated": dated.astimezone(deps.hours.zone).date().isoformat(),
        "public_inspection": row.public_inspection,
        "sealed": row.sealed,
        "text": {
            "key": row.text_key,
            "sha256": row.text_sha256,
            "size": row.text_size,
            "media_type": TEXT_MEDIA_TYPE,
            "url": deps.store.presigned_get_url(row.text_key, lifetime),
            "url_expires_at": iso(deps.now() + lifetime),
        },
        "aggregate_version": version_of(found),
    }


def publish_document(deps: Deps, uow: UnitOfWork, found: FoundDocument) -> None:
    """Queue ``filing.document.published`` for a ``publishable`` document whose change the caller has
    counted (``count_change``) in this transaction."""
    assert publishable(found)
    uow.session.flush()
    publish(deps, uow, "document.published", found.id, document_state(deps, found))
