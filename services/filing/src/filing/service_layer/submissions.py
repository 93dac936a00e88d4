"""Sending documents into an existing case: e-filings, copies of rejected filings, paper filings."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from chassis.web.principal import Principal
from filing.adapters.tables import Case, CloudUpload, Party
from filing.domain import access
from filing.domain.catalogue import Catalogue
from filing.service_layer import cloud, errors, idempotency, restrictions, uploads
from filing.service_layer.access import require_filer, require_registry, ties
from filing.service_layer.deps import Deps
from filing.service_layer.filings import (
    REJECTED,
    FilingRequest,
    StoredDocument,
    documents_of,
    filing_json,
    record,
    visible_filing,
)
from filing.service_layer.idempotency import Replay


def fee_items(catalogue: Catalogue, court: str, document_types: list[str]) -> list[dict[str, Any]]:
    """The fee items a filing's documents call for, one line per item code."""
    counts: dict[str, int] = {}
    for code in document_types:
        item = catalogue.fee_item(court, catalogue.document_types[code].fee_code)
        if item:
            counts[item] = counts.get(item, 0) + 1
    return [{"code": code, "quantity": n} for code, n in counts.items()]


def _checked_types(catalogue: Catalogue, metadata: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(role, document type, title) of each document, refusing types that cannot go where they are put."""
    types = catalogue.document_types
    lead = metadata["lead"]
    found = [("lead", lead["document_type"], lead.get("title") or types[lead["document_type"]].title)]
    if not types[lead["document_type"]].lead or types[lead["document_type"]].originating:
        raise errors.invalid_field(
            "metadata.lead.document_type",
            "cannot lead a filing (originating documents are made from the forms at POST /cases)",
        )
    for n, item in enumerate(metadata.get("connected", [])):
        if not types[item["document_type"]].connected:
            raise errors.invalid_field(f"metadata.connected.{n}.document_type", "cannot be a connected document")
        found.append(("connected", item["document_type"], item.get("title") or types[item["document_type"]].title))
    return found


def _cloud_fields(metadata: dict[str, Any]) -> list[tuple[str, str | None]]:
    """(field, Judiciary Cloud upload id or None) of each document, lead first: a document with an upload
    id comes from the filer's organisation's cloud instead of as a file part."""
    found = [("metadata.lead.cloud_upload_id", metadata["lead"].get("cloud_upload_id"))]
    for n, item in enumerate(metadata.get("connected", [])):
        found.append((f"metadata.connected.{n}.cloud_upload_id", item.get("cloud_upload_id")))
    return found


def _check_parts(metadata: dict[str, Any], files: list[uploads.Upload], max_documents: int) -> None:
    leads = [f for f in files if f.field == "lead"]
    connected = [f for f in files if f.field == "connected"]
    stray = sorted({f.field for f in files} - {"lead", "connected"})
    if stray:
        raise errors.invalid_field(stray[0], "is not a part of a filing (send 'metadata', 'lead', 'connected')")
    clouds = _cloud_fields(metadata)
    if clouds[0][1] is None and len(leads) != 1:
        raise errors.invalid_field("lead", "one lead document is required (a file part, or a cloud_upload_id)")
    if clouds[0][1] is not None and leads:
        raise errors.invalid_field("lead", "metadata.lead names a cloud_upload_id, so no 'lead' file is sent")
    described = sum(1 for _, upload_id in clouds[1:] if upload_id is None)
    if len(connected) != described:
        raise errors.invalid_field(
            "connected",
            f"{len(connected)} file(s) sent but metadata.connected describes {described} without a cloud_upload_id",
        )
    named = [upload_id for _, upload_id in clouds if upload_id is not None]
    if len(set(named)) != len(named):
        raise errors.invalid_field("metadata", "names one cloud_upload_id for two documents")
    if len(clouds) > max_documents:
        raise errors.invalid_field("connected", f"a filing holds at most {max_documents} documents")


def _parties_named(db: Any, case: Case, party_ids: list[str], field: str) -> list[Party]:
    found = {p.id: p for p in db.scalars(sa.select(Party).where(Party.case_id == case.id))}
    missing = [p for p in party_ids if p not in found]
    if missing:
        raise errors.invalid_field(field, f"{missing[0]} is not a party to {case.case_number}")
    return [found[p] for p in party_ids]


def submit(
    deps: Deps, principal: Principal, metadata: dict[str, Any], files: list[uploads.Upload], key: str | None
) -> tuple[int, dict[str, Any]]:
    """An e-filing into an existing case by a party or an assigned organisation user."""
    require_filer(principal)
    _check_parts(metadata, files, deps.settings.max_documents)
    kinds = _checked_types(deps.catalogue, metadata)
    lead_type = deps.catalogue.document_types[metadata["lead"]["document_type"]]
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        case = db.get(Case, metadata["case_id"])
        tied = ties(db, principal, case.id) if case else access.CaseTies(False, False)
        # Joining the record (acknowledgement of service, notice of acting) is how a firm or litigant
        # not yet on the case gets onto it, so that filing alone is open to anyone who can file.
        if case is None or not (access.may_file_in_case(principal, tied) or lead_type.joins_record):
            raise errors.not_found("case")
        acting_for = metadata.get("acting_for")
        if lead_type.joins_record and not acting_for:
            raise errors.invalid_field("metadata.acting_for", f"a {lead_type.title} names the party it is filed for")
        if acting_for and not lead_type.joins_record:
            raise errors.invalid_field("metadata.acting_for", "only a filing that joins the record names acting_for")
        behalf = list(dict.fromkeys(metadata.get("on_behalf_of", []) + ([acting_for] if acting_for else [])))
        named = _parties_named(db, case, behalf, "metadata.on_behalf_of")
        restrictions.check(
            deps, db, court=case.court, names=[p.name for p in named], account_id=principal.subject, at=now
        )
        # Checked again, locked, when the filing is recorded; here so that nothing is stored for nothing.
        for field, upload_id in _cloud_fields(metadata):
            if upload_id is not None:
                cloud.attachable(db, principal, upload_id, field)
        court, case_id = case.court, case.id
    direct = [kind for kind, (_, upload_id) in zip(kinds, _cloud_fields(metadata), strict=True) if upload_id is None]
    checked = [
        uploads.check(f, deps.settings.max_document_bytes, role, doc_type, title)
        for f, (role, doc_type, title) in zip(_ordered(files), direct, strict=True)
    ]
    items = metadata.get("fee_items") or fee_items(deps.catalogue, court, [k[1] for k in kinds])
    print_ = idempotency.fingerprint(metadata, [c.sha256 for c in checked])
    account = principal.subject or ""
    replay = _replay(deps, account, key, "filing", print_)
    if replay:
        return replay.status, replay.body
    with uploads.stored(deps, checked, f"cases/{case_id}/filings") as documents:
        try:
            return _record(deps, principal, metadata, kinds, documents, items, behalf, key, print_, now)
        except IntegrityError:
            # Another request with the same Idempotency-Key committed first: answer as it did.
            replay = _replay(deps, account, key, "filing", print_)
            if replay is None:
                raise
            for doc in documents:
                deps.store.delete(doc.key)
            return replay.status, replay.body


def _ordered(files: list[uploads.Upload]) -> list[uploads.Upload]:
    return [f for f in files if f.field == "lead"] + [f for f in files if f.field == "connected"]


def _replay(deps: Deps, account: str, key: str | None, operation: str, print_: str) -> Replay | None:
    with deps.unit_of_work() as uow:
        return idempotency.earlier(uow.session, account, key, operation, print_)


def _with_cloud_documents(
    db: Any,
    principal: Principal,
    metadata: dict[str, Any],
    kinds: list[tuple[str, str, str]],
    stored: list[StoredDocument],
) -> tuple[list[StoredDocument], list[CloudUpload]]:
    """The filing's documents in order: stored file parts, and Judiciary Cloud uploads taken (attached,
    their space freed) in the filing's transaction."""
    sent = iter(stored)
    documents: list[StoredDocument] = []
    taken: list[CloudUpload] = []
    for (role, doc_type, title), (field, upload_id) in zip(kinds, _cloud_fields(metadata), strict=True):
        if upload_id is None:
            documents.append(next(sent))
            continue
        upload = cloud.attach(db, principal, upload_id, field)
        taken.append(upload)
        documents.append(
            StoredDocument(
                role=role,
                document_type=doc_type,
                title=title,
                filename=upload.filename,
                key=upload.object_key,
                size=upload.size,
                sha256=upload.sha256,
                pages=upload.pages or 0,
                cloud_upload_id=upload.id,
            )
        )
    return documents, taken


def _record(
    deps: Deps,
    principal: Principal,
    metadata: dict[str, Any],
    kinds: list[tuple[str, str, str]],
    stored: list[StoredDocument],
    items: list[dict[str, Any]],
    behalf: list[str],
    key: str | None,
    print_: str,
    now: datetime,
) -> tuple[int, dict[str, Any]]:
    with deps.unit_of_work() as uow:
        case = uow.session.get(Case, metadata["case_id"])
        assert case is not None
        documents, taken = _with_cloud_documents(uow.session, principal, metadata, kinds, stored)
        filing = record(
            deps,
            uow,
            FilingRequest(
                case=case,
                kind="subsequent",
                channel="electronic",
                title=metadata["title"],
                submitted_by=principal.subject or "",
                organisation_id=principal.organisation if principal.has_role(access.OU) else None,
                on_behalf_of=behalf,
                documents=documents,
                fee_items=items,
                note=metadata.get("note"),
                acting_for=metadata.get("acting_for"),
            ),
            now,
        )
        cloud.attached_to(uow.session, taken, filing.id)
        body = filing_json(uow.session, filing, case)
        idempotency.remember(uow.session, principal.subject or "", key, "filing", print_, 201, body, now)
        uow.commit()
        return 201, body


def copy(deps: Deps, principal: Principal, filing_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    """A rejected filing, copied by its filer into a new filing with the same documents."""
    require_filer(principal)
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        original = visible_filing(db, principal, filing_id)
        if original.submitted_by_account_id != principal.subject:
            raise errors.forbidden("Only the filer may copy a filing.")
        if original.status != REJECTED:
            raise errors.conflict("not-rejected", "Not rejected", "Only a rejected filing can be copied to resubmit.")
        case = db.get(Case, original.case_id)
        assert case is not None
        tied = ties(db, principal, case.id)
        if not access.may_file_in_case(principal, tied) and original.acting_for is None:
            raise errors.not_found("case")
        named = _parties_named(db, case, original.on_behalf_of, "on_behalf_of")
        restrictions.check(
            deps, db, court=case.court, names=[p.name for p in named], account_id=principal.subject, at=now
        )
        # The copy's documents share the original's objects, a Judiciary Cloud document's included: its
        # upload stays attached to the original filing, and the object is never deleted while a document
        # names it.
        documents = [
            StoredDocument(
                d.role, d.document_type, d.title, d.filename, d.object_key, d.size, d.sha256, d.pages, d.cloud_upload_id
            )
            for d in documents_of(db, original.id)
        ]
        filing = record(
            deps,
            uow,
            FilingRequest(
                case=case,
                kind=original.kind,
                channel="electronic",
                title=changes.get("title") or original.title,
                submitted_by=original.submitted_by_account_id,
                organisation_id=original.organisation_id,
                on_behalf_of=original.on_behalf_of,
                documents=documents,
                fee_items=original.fee_items,
                note=changes.get("note", original.note),
                copied_from_id=original.id,
                acting_for=original.acting_for,
            ),
            now,
        )
        answer = filing_json(db, filing, case)
        uow.commit()
        return answer


def paper(deps: Deps, principal: Principal, metadata: dict[str, Any], files: list[uploads.Upload]) -> dict[str, Any]:
    """The registry uploads the electronic copy of a paper filing; it joins the queue at once."""
    require_registry(principal)
    _check_parts(metadata, files, deps.settings.max_documents)
    kinds = _checked_types(deps.catalogue, metadata)
    now = deps.now()
    received_at: datetime = metadata["received_at"]
    if received_at > now:
        raise errors.invalid_field("metadata.received_at", "cannot be in the future")
    with deps.unit_of_work() as uow:
        case = uow.session.get(Case, metadata["case_id"])
        if case is None:
            raise errors.not_found("case")
        behalf = metadata.get("on_behalf_of", [])
        _parties_named(uow.session, case, behalf, "metadata.on_behalf_of")
        court, case_id = case.court, case.id
    checked = [
        uploads.check(f, deps.settings.max_document_bytes, role, doc_type, title)
        for f, (role, doc_type, title) in zip(_ordered(files), kinds, strict=True)
    ]
    items = metadata.get("fee_items") or fee_items(deps.catalogue, court, [k[1] for k in kinds])
    with uploads.stored(deps, checked, f"cases/{case_id}/filings") as documents, deps.unit_of_work() as uow:
        case = uow.session.get(Case, case_id)
        assert case is not None
        filing = record(
            deps,
            uow,
            FilingRequest(
                case=case,
                kind="paper",
                channel="paper",
                title=metadata["title"],
                submitted_by=principal.subject or "",
                organisation_id=None,
                on_behalf_of=behalf,
                documents=documents,
                fee_items=items,
                note=metadata.get("note"),
                received_on_paper_at=received_at,
            ),
            now,
        )
        answer = filing_json(uow.session, filing, case)
        uow.commit()
        return answer
