"""Sealing and unsealing a case or one document (registry officers only).

Sealing keeps a case's or a document's content from the public: no inspection, no download, and the
DRN check says no more than "genuine". Parties and the registry still read it (the one rule is
``access.may_read_document``). Events tell search to drop (or restore) what it shows: the case's
sealing and its whole state (``filing.case.updated``), a document's sealing, and an unsealed public
document published again; they never carry content. Sealing what is sealed, or unsealing what is not,
is 409 and changes nothing.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from chassis.clock import iso
from chassis.web.principal import Principal
from filing.adapters.tables import Case
from filing.service_layer import documents, errors, search_feed
from filing.service_layer.access import require_registry
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish


def seal_case(deps: Deps, principal: Principal, case_id: str, reason: str | None, sealed: bool) -> dict[str, Any]:
    """``POST /cases/{id}/seal`` (``sealed``) or ``/unseal``: the case's flag, its version, its event."""
    require_registry(principal)
    now = deps.now()
    with deps.unit_of_work() as uow:
        case = uow.session.scalar(sa.select(Case).where(Case.id == case_id).with_for_update())
        if case is None:
            raise errors.not_found("case")
        if case.sealed == sealed:
            raise errors.already_sealed("case") if sealed else errors.not_sealed("case")
        case.sealed = sealed
        verb = "sealed" if sealed else "unsealed"
        case.version += 1
        publish(
            deps,
            uow,
            f"case.{verb}",
            case.id,
            {
                "case_id": case.id,
                "case_number": case.case_number,
                "court": case.court,
                "case_type": case.prefix,
                "reason": reason,
                f"{verb}_by_account_id": principal.subject,
                f"{verb}_at": iso(now),
                "aggregate_version": case.version,
            },
        )
        search_feed.publish_case_updated(deps, uow, case)
        answer = {"case_id": case.id, "case_number": case.case_number, "sealed": sealed, "version": case.version}
        uow.commit()
        return answer


def seal_document(
    deps: Deps, principal: Principal, document_id: str, reason: str | None, sealed: bool
) -> dict[str, Any]:
    """``POST /documents/{id}/seal`` (``sealed``) or ``/unseal``, for a filed or an issued document.

    The change is counted as ``search_feed.count_change`` counts every change of a document, so the
    events' versions only grow. An unsealed document of a public kind whose text is stored is published
    again (``filing.document.published``, at the unsealing's version) with a fresh link to its text.
    """
    require_registry(principal)
    now = deps.now()
    with deps.unit_of_work() as uow:
        found = documents.find(deps, uow.session, document_id, lock=True)
        if found is None:
            raise errors.not_found("document")
        row = found.row
        if row.sealed == sealed:
            raise errors.already_sealed("document") if sealed else errors.not_sealed("document")
        row.sealed = sealed
        verb = "sealed" if sealed else "unsealed"
        version = search_feed.count_change(uow.session, found)
        publish(
            deps,
            uow,
            f"document.{verb}",
            row.id,
            {
                "document_id": row.id,
                "source": found.source,
                "case_id": found.case.id,
                "case_number": found.case.case_number,
                "public_inspection": row.public_inspection,
                "reason": reason,
                f"{verb}_by_account_id": principal.subject,
                f"{verb}_at": iso(now),
                "aggregate_version": version,
            },
        )
        if not sealed and search_feed.publishable(found):
            search_feed.publish_document(deps, uow, found)
        answer = {
            "document_id": row.id,
            "document_source": found.source,
            "case_id": found.case.id,
            "sealed": sealed,
            "version": version,
        }
        uow.commit()
        return answer
