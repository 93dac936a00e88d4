"""The Judiciary Cloud (DOMAIN.md section 7): an organisation's space for files too big to file directly.

A file goes from the browser straight to S3 in parts, through presigned URLs, so no byte of it passes
through filing until completion; then the object is read once from S3 (into a temporary file, a chunk
at a time) to check its SHA-256 and that it is a PDF the court takes.

Every upload reserves its declared size against its organisation's quota before it starts, by one
conditional UPDATE, so racing uploads cannot together exceed the quota. The reservation is released
when the upload is deleted, expires, fails its checks, or is attached to a filing: its object then
belongs to the filing's document and no longer counts against the organisation's space.
"""

from __future__ import annotations

import hashlib
import tempfile
import uuid
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from chassis.clock import iso
from chassis.storage import MultipartUploadNotFound, UploadedPart
from chassis.web.principal import Principal
from filing.adapters.pdf_checks import UnacceptableDocument, inspect_pdf
from filing.adapters.tables import CloudQuota, CloudUpload, Organisation
from filing.domain import cloud
from filing.service_layer import errors
from filing.service_layer.access import require_account
from filing.service_layer.deps import Deps
from filing.service_layer.events import publish
from filing.service_layer.filings import PDF

CHUNK = 1024 * 1024


# Who -------------------------------------------------------------------------------------------------


def require_uploader(deps: Deps, principal: Principal) -> str:
    """The caller's organisation, if the caller may upload into its space; 401/403 otherwise."""
    require_account(principal)
    if cloud.may_upload(principal):
        return principal.organisation or ""
    if principal.has_role("IU"):
        raise errors.forbidden(
            "The Judiciary Cloud belongs to organisations; an individual user has none. File documents of up to "
            f"{deps.settings.max_document_bytes} bytes directly with the filing."
        )
    raise errors.forbidden("Only organisation users upload to their organisation's Judiciary Cloud.")


def require_member(principal: Principal) -> str:
    """The caller's organisation, if the caller may see its space (OU, PA, SA); 401/403 otherwise."""
    require_account(principal)
    if principal.organisation and cloud.may_manage(principal, principal.organisation):
        return principal.organisation
    if principal.has_role("IU"):
        raise errors.forbidden("The Judiciary Cloud belongs to organisations; an individual user has none.")
    raise errors.forbidden("Only an organisation's users and administrators see its Judiciary Cloud.")


def _visible(db: Session, principal: Principal, upload_id: str, *, lock: bool = False) -> CloudUpload:
    """The upload if it is in the caller's organisation's space (and not deleted); 404 otherwise, so another
    organisation cannot tell it exists."""
    query = sa.select(CloudUpload).where(CloudUpload.id == upload_id)
    upload = db.scalar(query.with_for_update() if lock else query)
    if upload is None or upload.status == cloud.DELETED or not cloud.may_manage(principal, upload.organisation_id):
        raise errors.not_found("cloud upload")
    return upload


# Quota -----------------------------------------------------------------------------------------------


def _ensure_quota_row(db: Session, organisation_id: str) -> None:
    """Create the organisation's quota row unless it exists; racing requests both succeed, one row results."""
    insert = postgresql.insert if db.get_bind().dialect.name == "postgresql" else sqlite.insert
    db.execute(
        insert(CloudQuota)
        .values(organisation_id=organisation_id, quota_bytes=None, reserved_bytes=0)
        .on_conflict_do_nothing(index_elements=["organisation_id"])
    )


def _reserve(db: Session, organisation_id: str, size: int, default_quota: int) -> bool:
    """Reserve ``size`` bytes if they fit under the quota. One conditional UPDATE: the database decides,
    row-locked, so two uploads racing for the last free bytes cannot both get them."""
    result = db.execute(
        sa.update(CloudQuota)
        .where(
            CloudQuota.organisation_id == organisation_id,
            CloudQuota.reserved_bytes + size <= sa.func.coalesce(CloudQuota.quota_bytes, default_quota),
        )
        .values(reserved_bytes=CloudQuota.reserved_bytes + size)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined]


def release(db: Session, upload: CloudUpload) -> None:
    """Give an upload's reserved bytes back to its organisation (its status is about to leave RESERVING)."""
    assert upload.status in cloud.RESERVING, upload.status
    db.execute(
        sa.update(CloudQuota)
        .where(CloudQuota.organisation_id == upload.organisation_id)
        .values(reserved_bytes=CloudQuota.reserved_bytes - upload.size)
        .execution_options(synchronize_session=False)
    )


# Starting, parts, completing --------------------------------------------------------------------------


def start(deps: Deps, principal: Principal, body: dict[str, Any]) -> dict[str, Any]:
    """Reserve the file's size and begin its multipart upload; the answer says how to cut it into parts."""
    organisation_id = require_uploader(deps, principal)
    size: int = body["size"]
    if size > deps.settings.cloud_max_file_bytes:
        raise errors.cloud_file_too_large(deps.settings.cloud_max_file_bytes)
    part_size, parts = cloud.part_plan(size)
    upload_id = str(uuid.uuid4())
    key = f"cloud/{organisation_id}/{upload_id}"
    now = deps.now()
    # S3 first, so the reservation and the row commit together or not at all; refused: the upload is aborted.
    s3_upload_id = deps.store.start_multipart(key, PDF)
    try:
        with deps.unit_of_work() as uow:
            db = uow.session
            _ensure_quota_row(db, organisation_id)
            if not _reserve(db, organisation_id, size, deps.settings.cloud_quota_bytes):
                quota = db.get(CloudQuota, organisation_id, populate_existing=True)
                assert quota is not None
                raise errors.cloud_quota_exceeded(_quota_of(deps, quota), quota.reserved_bytes, size)
            upload = CloudUpload(
                id=upload_id,
                organisation_id=organisation_id,
                account_id=principal.subject or "",
                filename=body["filename"],
                size=size,
                sha256=body["sha256"].lower(),
                object_key=key,
                s3_upload_id=s3_upload_id,
                part_size=part_size,
                parts=parts,
                status=cloud.UPLOADING,
                pages=None,
                created_at=now,
                expires_at=now + timedelta(days=deps.settings.cloud_upload_days),
                completed_at=None,
                attached_filing_id=None,
                version=1,
            )
            db.add(upload)
            db.flush()
            answer = upload_json(upload)
            uow.commit()
            return answer
    except BaseException:
        deps.store.abort_multipart(key, s3_upload_id)
        raise


def part_urls(deps: Deps, principal: Principal, upload_id: str, numbers: list[int]) -> dict[str, Any]:
    """Presigned PUT URLs for the named parts, each with the number of bytes it must carry."""
    require_uploader(deps, principal)
    with deps.unit_of_work() as uow:
        upload = _visible(uow.session, principal, upload_id)
        _still_uploading(upload)
        outside = [n for n in numbers if n > upload.parts]
        if outside:
            raise errors.invalid_field("part_numbers", f"part {outside[0]} is not one of parts 1 to {upload.parts}")
        seconds = deps.settings.cloud_part_url_seconds
        expires = timedelta(seconds=seconds)
        return {
            "upload_id": upload.id,
            "expires_at": iso(deps.now() + expires),
            "parts": [
                {
                    "part_number": n,
                    "size": cloud.expected_part_size(upload.size, upload.part_size, n),
                    "url": deps.store.presigned_part_url(upload.object_key, upload.s3_upload_id or "", n, expires),
                }
                for n in numbers
            ],
        }


def _still_uploading(upload: CloudUpload) -> None:
    if upload.status != cloud.UPLOADING:
        raise errors.cloud_upload_conflict(
            "cloud-upload-not-uploading", upload.status, f"The upload is {upload.status}; it takes no more parts."
        )


def complete(deps: Deps, principal: Principal, upload_id: str) -> dict[str, Any]:
    """Join the parts, then check the file: its size, its SHA-256, and that it is a PDF the court takes.

    Missing or mis-sized parts: 422 and the upload stays open for the client to send them again. A file
    that is not what was declared, or not an acceptable PDF: 422, and the upload is discarded.
    """
    require_uploader(deps, principal)
    with deps.unit_of_work() as uow:
        upload = _visible(uow.session, principal, upload_id)
        if upload.status == cloud.AVAILABLE:
            return upload_json(upload)  # completed already (a retry): the same answer
        _still_uploading(upload)
        key, s3_upload_id = upload.object_key, upload.s3_upload_id or ""
        size, part_size, count, sha256 = upload.size, upload.part_size, upload.parts, upload.sha256
    try:
        parts = deps.store.list_parts(
            key, s3_upload_id, expected_size=lambda n: cloud.expected_part_size(size, part_size, n)
        )
        _check_parts(parts, size, part_size, count)
        deps.store.complete_multipart(key, s3_upload_id, parts)
    except MultipartUploadNotFound:
        # Joined already by an attempt that failed before recording it (or by one racing this): check the
        # object it made. Without an object the upload was discarded meanwhile.
        if not deps.store.exists(key):
            raise errors.cloud_upload_conflict(
                "cloud-upload-not-uploading", "unknown", "The upload was discarded meanwhile."
            ) from None
    try:
        pages, refusal = _verify(deps, key, size, sha256), None
    except UnacceptableDocument as refused:
        pages, refusal = 0, refused
    return _conclude(deps, principal, upload_id, pages, refusal)


def _check_parts(parts: list[UploadedPart], size: int, part_size: int, count: int) -> None:
    """Every part present with exactly its bytes; a 422 naming what is missing or wrong otherwise."""
    have = {p.number: p.size for p in parts}
    missing = [n for n in range(1, count + 1) if n not in have]
    extra = sorted(n for n in have if n > count)
    wrong = [n for n in range(1, count + 1) if n in have and have[n] != cloud.expected_part_size(size, part_size, n)]
    received = sum(have.values())
    if missing or extra or wrong or received != size:
        detail = f"{received} of {size} bytes received"
        if missing:
            detail += f"; parts missing: {_listed(missing)}"
        if wrong:
            detail += f"; parts of the wrong size: {_listed(wrong)} (send them again)"
        if extra:
            detail += f"; parts beyond the last ({count}): {_listed(extra)}"
        raise errors.upload_incomplete(detail + ".", size, received, missing, wrong + extra)


def _listed(numbers: list[int]) -> str:
    return ", ".join(map(str, numbers[:20])) + (f" and {len(numbers) - 20} more" if len(numbers) > 20 else "")


class _Mismatch(UnacceptableDocument):
    kind = "checksum_mismatch"


def _verify(deps: Deps, key: str, size: int, sha256: str) -> int:
    """Read the object once from S3 into a temporary file, hashing as it goes (constant memory), and run
    the same PDF checks as a direct upload on that file; the page count."""
    digest = hashlib.sha256()
    with tempfile.TemporaryFile() as spool:
        with deps.store.open(key) as reader:
            for chunk in reader.iter_chunks(CHUNK):
                digest.update(chunk)
                spool.write(chunk)
        if spool.tell() != size or digest.hexdigest() != sha256:
            raise _Mismatch(
                f"The uploaded file's SHA-256 is {digest.hexdigest()} ({spool.tell()} bytes), not the {sha256} "
                f"({size} bytes) declared when the upload started: it was changed or damaged on the way."
            )
        spool.seek(0)
        return inspect_pdf(spool, size).pages  # type: ignore[arg-type]


def _conclude(
    deps: Deps, principal: Principal, upload_id: str, pages: int, refusal: UnacceptableDocument | None
) -> dict[str, Any]:
    now = deps.now()
    with deps.unit_of_work() as uow:
        upload = uow.session.scalar(sa.select(CloudUpload).where(CloudUpload.id == upload_id).with_for_update())
        assert upload is not None
        if upload.status == cloud.AVAILABLE:
            return upload_json(upload)  # a racing completion got there first, with the same bytes
        if upload.status != cloud.UPLOADING:
            # Deleted or expired while we checked it: nobody else will remove the object we just made.
            deps.store.delete(upload.object_key)
            _still_uploading(upload)
        upload.version += 1
        upload.s3_upload_id = None
        if refusal is not None:
            release(uow.session, upload)
            upload.status = cloud.REJECTED
            uow.commit()
            deps.store.delete(upload.object_key)
            raise errors.cloud_upload_rejected(refusal.kind, refusal.detail + " The upload has been discarded.")
        upload.status = cloud.AVAILABLE
        upload.pages = pages
        upload.completed_at = now
        publish(
            deps,
            uow,
            "cloud_upload.completed",
            upload.id,
            {
                "upload_id": upload.id,
                "organisation_id": upload.organisation_id,
                "account_id": upload.account_id,
                "completed_by_account_id": principal.subject,
                "filename": upload.filename,
                "size": upload.size,
                "sha256": upload.sha256,
                "media_type": PDF,
                "pages": pages,
                "key": upload.object_key,
                "completed_at": iso(now),
                "expires_at": iso(upload.expires_at),
                "aggregate_version": upload.version,
            },
        )
        answer = upload_json(upload)
        uow.commit()
        return answer


# Attaching to a filing --------------------------------------------------------------------------------


def attachable(db: Session, principal: Principal, upload_id: str, field: str, *, lock: bool = False) -> CloudUpload:
    """The upload, if it is an available one of the filer's organisation; 400 naming ``field`` if the filer
    has no such upload, 409 if it is not available (still uploading, or attached already)."""
    query = sa.select(CloudUpload).where(CloudUpload.id == upload_id)
    upload = db.scalar(query.with_for_update() if lock else query)
    if upload is None or upload.status == cloud.DELETED or not cloud.may_manage(principal, upload.organisation_id):
        raise errors.invalid_field(field, "names no upload in your organisation's Judiciary Cloud")
    if upload.status != cloud.AVAILABLE:
        detail = {
            cloud.UPLOADING: "is still uploading: complete it first",
            cloud.ATTACHED: f"is already a document of filing {upload.attached_filing_id}",
        }.get(upload.status, f"is {upload.status}")
        raise errors.cloud_upload_conflict("cloud-upload-not-available", upload.status, f"The upload {detail}.")
    return upload


def attach(db: Session, principal: Principal, upload_id: str, field: str) -> CloudUpload:
    """Inside a filing's transaction: take an available upload of the filer's organisation for one of the
    filing's documents. It becomes ``attached`` and its space is freed; if the filing fails, the whole
    transaction (this included) rolls back. Of two filings racing for one upload, one gets it, the other 409.
    """
    upload = attachable(db, principal, upload_id, field, lock=True)
    release(db, upload)
    # Conditional, so that even where the row lock above is a no-op (SQLite) only one filing takes it.
    taken = db.execute(
        sa.update(CloudUpload)
        .where(CloudUpload.id == upload_id, CloudUpload.status == cloud.AVAILABLE)
        .values(status=cloud.ATTACHED, version=CloudUpload.version + 1)
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:  # type: ignore[attr-defined]
        raise errors.cloud_upload_conflict(
            "cloud-upload-not-available", cloud.ATTACHED, "The upload was attached to another filing meanwhile."
        )
    db.refresh(upload)
    return upload


def attached_to(db: Session, uploads: list[CloudUpload], filing_id: str) -> None:
    """Record which filing the just-attached uploads belong to."""
    for upload in uploads:
        upload.attached_filing_id = filing_id


# Reading, deleting, expiring -----------------------------------------------------------------------


def get(deps: Deps, principal: Principal, upload_id: str) -> dict[str, Any]:
    require_member(principal)
    with deps.unit_of_work() as uow:
        return upload_json(_visible(uow.session, principal, upload_id))


def list_uploads(deps: Deps, principal: Principal, status: str | None, limit: int, offset: int) -> dict[str, Any]:
    """The organisation's uploads, newest first (deleted ones are gone)."""
    organisation_id = require_member(principal)
    with deps.unit_of_work() as uow:
        shown = [status] if status else list(cloud.LISTED)
        query = sa.select(CloudUpload).where(
            CloudUpload.organisation_id == organisation_id, CloudUpload.status.in_(shown)
        )
        rows = uow.session.scalars(
            query.order_by(CloudUpload.created_at.desc(), CloudUpload.id).limit(limit).offset(offset)
        )
        return {"uploads": [upload_json(u) for u in rows]}


def delete(deps: Deps, principal: Principal, upload_id: str) -> None:
    """Remove an upload and free its space; one attached to a filing stays (its object is the document)."""
    require_member(principal)
    with deps.unit_of_work() as uow:
        upload = _visible(uow.session, principal, upload_id, lock=True)
        if upload.status == cloud.ATTACHED:
            raise errors.cloud_upload_conflict(
                "cloud-upload-attached",
                upload.status,
                f"The upload is a document of filing {upload.attached_filing_id}; it stays with the filing.",
            )
        _discard(deps, uow.session, upload, cloud.DELETED)
        uow.commit()


def _discard(deps: Deps, db: Session, upload: CloudUpload, status: str) -> None:
    """Free the upload's space and remove what S3 holds of it, inside the caller's transaction: if S3
    fails, nothing changes and the caller (or the next pass of the job) tries again."""
    if upload.status in cloud.RESERVING:
        release(db, upload)
    if upload.s3_upload_id:
        deps.store.abort_multipart(upload.object_key, upload.s3_upload_id)
    deps.store.delete(upload.object_key)
    upload.status = status
    upload.s3_upload_id = None
    upload.version += 1


def expire_unused(deps: Deps, batch: int = 100) -> int:
    """Job: uploads not attached to a filing within ``cloud_upload_days`` of their start are removed."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        ids = uow.session.scalars(
            sa.select(CloudUpload.id)
            .where(CloudUpload.status.in_(cloud.RESERVING), CloudUpload.expires_at <= now)
            .order_by(CloudUpload.expires_at, CloudUpload.id)
            .limit(batch)
        ).all()
    expired = 0
    for upload_id in ids:
        with deps.unit_of_work() as uow:
            upload = uow.session.scalar(
                sa.select(CloudUpload)
                .where(
                    CloudUpload.id == upload_id,
                    CloudUpload.status.in_(cloud.RESERVING),
                    CloudUpload.expires_at <= now,
                )
                .with_for_update()
            )
            if upload is None:
                continue  # attached or deleted meanwhile
            was = upload.status
            _discard(deps, uow.session, upload, cloud.EXPIRED)
            publish(
                deps,
                uow,
                "cloud_upload.expired",
                upload.id,
                {
                    "upload_id": upload.id,
                    "organisation_id": upload.organisation_id,
                    "account_id": upload.account_id,
                    "filename": upload.filename,
                    "size": upload.size,
                    "status_before": was,
                    "created_at": iso(upload.created_at),
                    "expired_at": iso(now),
                    "aggregate_version": upload.version,
                },
            )
            uow.commit()
            expired += 1
    return expired


# Usage and quotas ----------------------------------------------------------------------------------


def usage(deps: Deps, principal: Principal, organisation_id: str | None) -> dict[str, Any]:
    """How much of its space an organisation uses; the Help Centre asks about any organisation."""
    if cloud.may_set_quota(principal):
        if organisation_id is None:
            raise errors.invalid_field("organisation_id", "is required: which organisation's usage")
    else:
        organisation_id = require_member(principal)
    with deps.unit_of_work() as uow:
        return _usage_json(deps, uow.session, organisation_id)


def set_quota(deps: Deps, principal: Principal, organisation_id: str, quota_bytes: int | None) -> dict[str, Any]:
    """The Help Centre sets an organisation's quota (None: back to the default).

    A quota below what is already reserved is allowed: nothing is deleted, but no upload starts until
    enough is freed.
    """
    require_account(principal)
    if not cloud.may_set_quota(principal):
        raise errors.forbidden("Only Help Centre officers set Judiciary Cloud quotas.")
    with deps.unit_of_work() as uow:
        db = uow.session
        if db.get(Organisation, organisation_id) is None:
            raise errors.not_found("organisation")
        _ensure_quota_row(db, organisation_id)
        db.execute(
            sa.update(CloudQuota)
            .where(CloudQuota.organisation_id == organisation_id)
            .values(quota_bytes=quota_bytes)
            .execution_options(synchronize_session=False)
        )
        answer = _usage_json(deps, db, organisation_id)
        uow.commit()
        return answer


def _quota_of(deps: Deps, quota: CloudQuota | None) -> int:
    return deps.settings.cloud_quota_bytes if quota is None or quota.quota_bytes is None else quota.quota_bytes


def _usage_json(deps: Deps, db: Session, organisation_id: str) -> dict[str, Any]:
    quota = db.get(CloudQuota, organisation_id, populate_existing=True)
    limit = _quota_of(deps, quota)
    reserved = quota.reserved_bytes if quota else 0
    counts = {status: {"count": 0, "bytes": 0} for status in (cloud.UPLOADING, cloud.AVAILABLE, cloud.ATTACHED)}
    for status, n, total in db.execute(
        sa.select(CloudUpload.status, sa.func.count(), sa.func.coalesce(sa.func.sum(CloudUpload.size), 0))
        .where(CloudUpload.organisation_id == organisation_id, CloudUpload.status.in_(list(counts)))
        .group_by(CloudUpload.status)
    ):
        counts[status] = {"count": n, "bytes": int(total)}
    return {
        "organisation_id": organisation_id,
        "quota_bytes": limit,
        "quota_is_default": quota is None or quota.quota_bytes is None,
        "reserved_bytes": reserved,
        "available_bytes": max(0, limit - reserved),
        "over_quota": reserved > limit,
        "max_file_bytes": deps.settings.cloud_max_file_bytes,
        "uploads": counts,
    }


def upload_json(upload: CloudUpload) -> dict[str, Any]:
    """An upload as the API shows it."""
    return {
        "upload_id": upload.id,
        "organisation_id": upload.organisation_id,
        "account_id": upload.account_id,
        "filename": upload.filename,
        "size": upload.size,
        "sha256": upload.sha256,
        "status": upload.status,
        "part_size": upload.part_size,
        "parts": upload.parts,
        "pages": upload.pages,
        "created_at": iso(upload.created_at),
        "expires_at": iso(upload.expires_at),
        "completed_at": iso(upload.completed_at) if upload.completed_at else None,
        "attached_filing_id": upload.attached_filing_id,
    }
