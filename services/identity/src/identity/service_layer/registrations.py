"""Registration: an application with its documents, verified in person and decided by the Help Centre."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import IO, Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from chassis.db import UnitOfWork
from chassis.storage import ObjectTooLarge, StoredObject
from chassis.web.problems import FieldError
from identity.adapters.tables import Account, Branch, Organisation, Registration, RegistrationDocument
from identity.domain import credentials
from identity.domain.limits import DEFAULT_LIMITS
from identity.domain.roles import ACTIVE, INDIVIDUAL, IU, ORGANISATION, PA, PENDING, REJECTED
from identity.service_layer import audit, errors
from identity.service_layer.deps import Caller, Deps
from identity.service_layer.events import account_event, publish
from identity.service_layer.sessions import account_json

log = logging.getLogger(__name__)

DOCUMENT_KINDS = ("identity_document", "court_document", "authorisation_letter", "business_registration")
REQUIRED_FOR_ORGANISATION = ("authorisation_letter", "business_registration")

# What a document's first bytes must be; the name and the declared type are the client's word only.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


@dataclass
class Upload:
    """One supporting document as it arrived: its kind (the form field), name and bytes."""

    kind: str
    filename: str
    stream: IO[bytes]


def _sniff(stream: IO[bytes]) -> str | None:
    head = stream.read(8)
    stream.seek(0)
    return next((media for magic, media in SIGNATURES if head.startswith(magic)), None)


def _check(application: dict[str, Any], uploads: list[Upload], deps: Deps) -> list[FieldError]:
    problems: list[FieldError] = []
    username = credentials.normalise_username(application["username"])
    if why := credentials.username_problem(username):
        problems.append(FieldError("application.username", why))
    if why := credentials.password_problem(application["password"], username):
        problems.append(FieldError("application.password", why))
    if application["kind"] == ORGANISATION and "organisation" not in application:
        problems.append(FieldError("application.organisation", "is required for an organisation"))
    if application["kind"] == INDIVIDUAL and "organisation" in application:
        problems.append(FieldError("application.organisation", "is only for an organisation"))
    if len(uploads) > deps.settings.max_documents:
        problems.append(FieldError("documents", f"at most {deps.settings.max_documents} files"))
    kinds = {upload.kind for upload in uploads}
    if not uploads:
        problems.append(FieldError("documents", "at least one supporting document is required"))
    if application["kind"] == ORGANISATION:
        problems += [
            FieldError(kind, "is required for an organisation")
            for kind in REQUIRED_FOR_ORGANISATION
            if kind not in kinds
        ]
    for upload in uploads:
        if upload.kind not in DOCUMENT_KINDS:
            problems.append(FieldError(upload.kind, f"unknown document kind; use one of {', '.join(DOCUMENT_KINDS)}"))
        elif _sniff(upload.stream) is None:
            problems.append(FieldError(upload.kind, f"{upload.filename!r} is not a PDF, JPEG or PNG file"))
    return problems


def submit(deps: Deps, caller: Caller, application: dict[str, Any], uploads: list[Upload]) -> dict[str, Any]:
    """Store an application and its documents; the account waits for the in-person check.

    Documents go to storage first, then the rows and the event in one transaction; if anything
    fails, the documents already stored are deleted again, so nothing is left half-written.
    """
    problems = _check(application, uploads, deps)
    if problems:
        raise errors.invalid(problems)
    username = credentials.normalise_username(application["username"])
    with deps.unit_of_work() as uow:
        if uow.session.scalars(sa.select(Account.id).where(Account.username == username)).first():
            raise errors.conflict("username-taken", "Username taken", "Choose another username.")
    password_hash = deps.passwords.hash(application["password"])
    registration_id = str(uuid.uuid4())
    stored: list[tuple[Upload, StoredObject, str]] = []
    try:
        for upload in uploads:
            media = _sniff(upload.stream)
            assert media is not None
            obj = deps.store.put_stream(
                upload.stream,
                prefix=f"registrations/{registration_id}",
                content_type=media,
                max_bytes=deps.settings.max_document_bytes,
            )
            stored.append((upload, obj, media))
        return _record(deps, caller, registration_id, username, password_hash, application, stored)
    except ObjectTooLarge:
        _forget(deps, stored)
        raise errors.document_too_large(deps.settings.max_document_bytes) from None
    except IntegrityError:
        _forget(deps, stored)
        raise errors.conflict("username-taken", "Username taken", "Choose another username.") from None
    except BaseException:
        _forget(deps, stored)
        raise


def _forget(deps: Deps, stored: list[tuple[Upload, StoredObject, str]]) -> None:
    for _upload, obj, _media in stored:
        try:
            deps.store.delete(obj.key)
        except Exception:  # the orphan sweep removes what cannot be deleted now
            log.warning("could not delete orphaned registration document %s", obj.key, exc_info=True)


def _record(
    deps: Deps,
    caller: Caller,
    registration_id: str,
    username: str,
    password_hash: str,
    application: dict[str, Any],
    stored: list[tuple[Upload, StoredObject, str]],
) -> dict[str, Any]:
    now = deps.now()
    kind = application["kind"]
    role = IU if kind == INDIVIDUAL else PA
    with deps.unit_of_work() as uow:
        db = uow.session
        account = Account(
            id=str(uuid.uuid4()),
            username=username,
            display_name=application["display_name"],
            email=application["email"],
            account_type=kind,
            role=role,
            status=PENDING,
            empowerments=[],
            password_hash=password_hash,
            version=1,
            created_at=now,
            password_changed_at=now,
        )
        db.add(account)
        # The password never joins the stored application: only its hash, on the account.
        kept = {key: value for key, value in application.items() if key != "password"}
        registration = Registration(
            id=registration_id,
            kind=kind,
            status=PENDING,
            account_id=account.id,
            application=kept,
            submitted_at=now,
            submitted_from=caller.client_ip,
        )
        db.add(registration)
        db.flush()
        for upload, obj, media in stored:
            db.add(
                RegistrationDocument(
                    id=str(uuid.uuid4()),
                    registration_id=registration_id,
                    kind=upload.kind,
                    filename=upload.filename[:255],
                    media_type=media,
                    size=obj.size,
                    sha256=obj.sha256,
                    object_key=obj.key,
                )
            )
        account_event(
            deps,
            uow,
            "registered",
            account,
            registration_id=registration_id,
            account_type=kind,
            role=role,
            username=username,
            display_name=account.display_name,
            organisation_id=None,
            registered_at=now.isoformat(),
        )
        audit.record(
            db,
            _as_applicant(caller),
            now,
            "registration.submit",
            username=username,
            target=("registration", registration_id),
        )
        uow.commit()
        return {
            "id": registration_id,
            "status": PENDING,
            "kind": kind,
            "submitted_at": now.isoformat(),
            "account": {"id": account.id, "username": username},
        }


def _as_applicant(caller: Caller) -> Caller:
    """The applicant has no account yet (even if someone logged in sends the form): the audit entry
    names the username applied for, not the account of whoever is logged in."""
    return Caller(subject=None, session=None, client_ip=caller.client_ip, request_id=caller.request_id)


def registration_json(db: DbSession, registration: Registration) -> dict[str, Any]:
    """A registration as the Help Centre sees it: the application, its documents and the account."""
    documents = db.scalars(
        sa.select(RegistrationDocument).where(RegistrationDocument.registration_id == registration.id)
    )
    account = db.get(Account, registration.account_id)
    return {
        "id": registration.id,
        "kind": registration.kind,
        "status": registration.status,
        "application": registration.application,
        "submitted_at": registration.submitted_at.isoformat(),
        "submitted_from": registration.submitted_from,
        "decided_at": registration.decided_at.isoformat() if registration.decided_at else None,
        "decided_by": registration.decided_by,
        "reason": registration.reason,
        "account": account_json(account),
        "documents": [
            {
                "id": d.id,
                "kind": d.kind,
                "filename": d.filename,
                "media_type": d.media_type,
                "size": d.size,
                "sha256": d.sha256,
            }
            for d in documents
        ],
    }


def get(deps: Deps, registration_id: str) -> dict[str, Any]:
    """One registration, for the Help Centre."""
    with deps.unit_of_work() as uow:
        registration = uow.session.get(Registration, registration_id)
        if registration is None:
            raise errors.not_found("registration")
        return registration_json(uow.session, registration)


def pending(deps: Deps, status: str, limit: int, offset: int) -> dict[str, Any]:
    """Applications in ``status``, oldest first (the order the queue is worked in)."""
    with deps.unit_of_work() as uow:
        rows = uow.session.scalars(
            sa.select(Registration)
            .where(Registration.status == status)
            .order_by(Registration.submitted_at, Registration.id)
            .limit(limit)
            .offset(offset)
        ).all()
        total = uow.session.scalar(
            sa.select(sa.func.count()).select_from(Registration).where(Registration.status == status)
        )
        return {
            "items": [registration_json(uow.session, r) for r in rows],
            "total": total,
            "limit": limit,
            "offset": offset,
        }


def _pending_registration(db: DbSession, registration_id: str) -> Registration:
    registration = db.get(Registration, registration_id, with_for_update=True)
    if registration is None:
        raise errors.not_found("registration")
    if registration.status != PENDING:
        raise errors.conflict(
            "registration-decided", "Already decided", f"This registration is already {registration.status}."
        )
    return registration


def approve(deps: Deps, caller: Caller, officer: Account, registration_id: str) -> dict[str, Any]:
    """The applicant's identity was checked in person: activate the account (and found the
    organisation, its head office branch and its first PA, who gets a TOTP secret there and then)."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        registration = _pending_registration(db, registration_id)
        account = db.get(Account, registration.account_id)
        assert account is not None
        answer: dict[str, Any] = {}
        if registration.kind == ORGANISATION:
            branch = _found_organisation(deps, uow, officer, registration.application["organisation"], now)
            account.organisation_id, account.branch_id = branch.organisation_id, branch.id
            account.totp_secret = credentials.new_totp_secret()
            answer["totp_provisioning_uri"] = credentials.provisioning_uri(account.totp_secret, account.username)
        account.status = ACTIVE
        account.version += 1
        registration.status, registration.decided_at, registration.decided_by = "approved", now, officer.id
        account_event(
            deps,
            uow,
            "approved",
            account,
            registration_id=registration.id,
            account_type=account.account_type,
            role=account.role,
            organisation_id=account.organisation_id,
            branch_id=account.branch_id,
            approved_by=officer.id,
            approved_at=now.isoformat(),
        )
        audit.record(
            db,
            caller,
            now,
            "registration.approve",
            actor=officer,
            organisation_id=account.organisation_id,
            target=("registration", registration.id),
        )
        uow.commit()
        return {**registration_json(db, registration), **answer}


def _found_organisation(
    deps: Deps, uow: UnitOfWork, officer: Account, details: dict[str, Any], now: datetime
) -> Branch:
    organisation = Organisation(
        id=str(uuid.uuid4()),
        name=details["name"],
        organisation_type=details["organisation_type"],
        business_registration_number=details.get("business_registration_number"),
        address=details["address"],
        max_primary_admins=DEFAULT_LIMITS.primary_admins,
        max_secondary_admins=DEFAULT_LIMITS.secondary_admins,
        max_organisation_users=DEFAULT_LIMITS.organisation_users,
        max_branches=DEFAULT_LIMITS.branches,
        version=1,
        created_at=now,
    )
    branch = Branch(
        id=str(uuid.uuid4()),
        organisation_id=organisation.id,
        code=details.get("branch_code", "HQ"),
        name=details.get("branch_name", "Head office"),
        created_at=now,
    )
    uow.session.add(organisation)
    uow.session.flush()  # the organisation's row first: the branch refers to it
    uow.session.add(branch)
    uow.session.flush()
    publish(
        deps,
        uow,
        "organisation.created",
        organisation.id,
        {
            "organisation_id": organisation.id,
            "name": organisation.name,
            "organisation_type": organisation.organisation_type,
            "business_registration_number": organisation.business_registration_number,
            "aggregate_version": 1,
        },
    )
    publish(
        deps,
        uow,
        "branch.created",
        branch.id,
        {
            "organisation_id": organisation.id,
            "branch_id": branch.id,
            "code": branch.code,
            "name": branch.name,
            "created_by": officer.id,
            "aggregate_version": 1,
        },
    )
    return branch


def reject(deps: Deps, caller: Caller, officer: Account, registration_id: str, reason: str) -> dict[str, Any]:
    """The application cannot be accepted; the applicant is told why."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        registration = _pending_registration(db, registration_id)
        account = db.get(Account, registration.account_id)
        assert account is not None
        account.status = REJECTED
        account.version += 1
        registration.status, registration.decided_at, registration.decided_by = "rejected", now, officer.id
        registration.reason = reason
        account_event(
            deps,
            uow,
            "rejected",
            account,
            registration_id=registration.id,
            reason=reason,
            rejected_by=officer.id,
            rejected_at=now.isoformat(),
        )
        audit.record(
            db,
            caller,
            now,
            "registration.reject",
            actor=officer,
            target=("registration", registration.id),
            detail={"reason": reason},
        )
        uow.commit()
        return registration_json(db, registration)


def document(deps: Deps, registration_id: str, document_id: str) -> RegistrationDocument:
    """One of an application's documents, for the Help Centre to look at."""
    with deps.unit_of_work() as uow:
        doc = uow.session.get(RegistrationDocument, document_id)
        if doc is None or doc.registration_id != registration_id:
            raise errors.not_found("document")
        uow.session.expunge(doc)  # kept readable after the unit of work ends
        return doc
