"""Filing's export for ``search rebuild``: every case, and every document of a public kind whose text is
stored, as the events' data (``search_feed``), paged by id.

Keyset paging (``id > after``, ascending) stays stable while cases and documents are added: each row
that existed when paging began comes exactly once; one added meanwhile comes once or not at all (its
events bring it anyway). The cursor is the last id given, encoded so that callers keep it opaque.
"""

from __future__ import annotations

import base64
import contextlib
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from chassis.web.principal import Principal
from filing.adapters.tables import AssignmentSet, Case, CaseAccess, Document, Filing, IssuedDocument
from filing.service_layer import errors, search_feed
from filing.service_layer.access import require_exporter
from filing.service_layer.deps import Deps
from filing.service_layer.documents import FoundDocument, found_document

_ID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def cursor(last_id: str) -> str:
    """The cursor that continues after ``last_id``."""
    return base64.urlsafe_b64encode(last_id.encode("ascii")).rstrip(b"=").decode("ascii")


def after_id(raw: str | None) -> str:
    """The id a cursor continues after (``""``: from the start); 400 for anything not one of ours."""
    if raw is None:
        return ""
    decoded = ""
    if len(raw) <= 64:
        with contextlib.suppress(ValueError):  # not base64 (binascii.Error is one), or not ASCII
            decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode("ascii")
    if not _ID.match(decoded):
        raise errors.invalid_field("after", "is not a cursor this export gave (next_cursor)")
    return decoded


def _page(items: list[dict[str, Any]], ids: list[str], limit: int) -> dict[str, Any]:
    """A page of ``items`` (the first ``limit`` of the ``ids`` read), with a cursor if more rows follow
    (``ids`` holds up to ``limit + 1``, the one beyond saying that they do)."""
    return {"items": items, "next_cursor": cursor(ids[limit - 1]) if len(ids) > limit else None}


def export_cases(deps: Deps, principal: Principal, after: str, limit: int) -> dict[str, Any]:
    """``GET /export/cases``: each case's ``filing.case.updated`` data with identity's assignment sets."""
    require_exporter(principal)
    with deps.unit_of_work() as uow:
        db = uow.session
        cases = db.scalars(sa.select(Case).where(Case.id > after).order_by(Case.id).limit(limit + 1)).all()
        shown = cases[:limit]
        assignments = _assignments(db, [case.id for case in shown])
        items = [
            {**state, "assignments": assignments[state["case_id"]]}
            for state in search_feed.case_states(deps, db, shown)
        ]
        return _page(items, [case.id for case in cases], limit)


def _assignments(db: Session, case_ids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Per case, identity's assignment sets as filing holds them: each organisation's accounts and version.

    A firm's local link made before identity's first set arrives has no version and is left out: identity's
    own event for that case follows.
    """
    accounts: dict[tuple[str, str], list[str]] = defaultdict(list)
    rows = db.execute(
        sa.select(CaseAccess.case_id, CaseAccess.organisation_id, CaseAccess.account_id)
        .where(CaseAccess.case_id.in_(case_ids))
        .order_by(CaseAccess.account_id)
    )
    for case_id, organisation_id, account_id in rows:
        accounts[case_id, organisation_id].append(account_id)
    sets = db.scalars(
        sa.select(AssignmentSet)
        .where(AssignmentSet.case_id.in_(case_ids))
        .order_by(AssignmentSet.case_id, AssignmentSet.organisation_id)
    )
    found: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for held in sets:
        found[held.case_id].append(
            {
                "organisation_id": held.organisation_id,
                "account_ids": accounts[held.case_id, held.organisation_id],
                "aggregate_version": held.version,
            }
        )
    return found


def export_documents(deps: Deps, principal: Principal, after: str, limit: int) -> dict[str, Any]:
    """``GET /export/documents``: each filed or issued document of a public kind whose text is stored, as
    ``filing.document.published`` data with a fresh link; sealed ones too (``sealed: true``), so that a
    rebuild knows them."""
    require_exporter(principal)
    public_types = [prefix for prefix, case_type in deps.catalogue.case_types.items() if case_type.public_inspection]
    with deps.unit_of_work() as uow:
        db = uow.session
        # ``access.public_kind`` as SQL: public kind, on the record, a case type open to inspection.
        filed = db.execute(
            sa.select(Document, Filing, Case)
            .join(Filing, Filing.id == Document.filing_id)
            .join(Case, Case.id == Document.case_id)
            .where(
                Document.id > after,
                Document.public_inspection.is_(True),
                Document.text_key.is_not(None),
                Filing.docket_number.is_not(None),
                Case.prefix.in_(public_types),
            )
            .order_by(Document.id)
            .limit(limit + 1)
        ).all()
        issued = db.execute(
            sa.select(IssuedDocument, Case)
            .join(Case, Case.id == IssuedDocument.case_id)
            .where(
                IssuedDocument.id > after,
                IssuedDocument.public_inspection.is_(True),
                IssuedDocument.text_key.is_not(None),
                Case.prefix.in_(public_types),
            )
            .order_by(IssuedDocument.id)
            .limit(limit + 1)
        ).all()
        both: list[FoundDocument] = [found_document(deps, row, case, filing) for row, filing, case in filed]
        both += [found_document(deps, row, case, None) for row, case in issued]
        # Each list holds its first limit + 1 by id, so the first limit + 1 of both together are among them.
        both = sorted(both, key=lambda found: found.id)[: limit + 1]
        items = [search_feed.document_state(deps, found) for found in both[:limit]]
        return _page(items, [found.id for found in both], limit)
