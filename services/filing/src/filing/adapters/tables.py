"""Filing's tables, mapped to the classes the service layer works with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime
from chassis.idempotency import IdempotencyKeyColumns
from chassis.messaging.tables import add_messaging_tables

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)

Id = sa.String(36)
When = UtcDateTime()


class Base(DeclarativeBase):
    metadata = metadata


class CaseNumberCounter(Base):
    """The last number given per prefix and year; the row is locked while a case takes the next."""

    __tablename__ = "case_number_counters"

    prefix: Mapped[str] = mapped_column(sa.String(8), primary_key=True)
    year: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    last_number: Mapped[int] = mapped_column(sa.Integer)


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (sa.UniqueConstraint("prefix", "year", "number"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    case_number: Mapped[str] = mapped_column(sa.String(24), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(8))
    year: Mapped[int] = mapped_column(sa.Integer)
    number: Mapped[int] = mapped_column(sa.Integer)
    court: Mapped[str] = mapped_column(sa.String(8))
    title: Mapped[str] = mapped_column(sa.String(500))
    status: Mapped[str] = mapped_column(sa.String(20))
    form_id: Mapped[str | None] = mapped_column(sa.String(40))
    form_data: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    nature_of_claim: Mapped[str | None] = mapped_column(sa.Text)
    amount_claimed_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    filed_at: Mapped[datetime] = mapped_column(When, index=True)
    filed_by_account_id: Mapped[str | None] = mapped_column(Id)
    organisation_id: Mapped[str | None] = mapped_column(Id)
    last_document_number: Mapped[int] = mapped_column(sa.Integer)
    #: Sealed by a registry officer: nothing of it reaches the public (parties and the registry still see it).
    sealed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    version: Mapped[int] = mapped_column(sa.Integer)


class Party(Base):
    __tablename__ = "parties"
    __table_args__ = (sa.UniqueConstraint("case_id", "seq"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    case_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("cases.id"), index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    role: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200), index=True)
    name_zh: Mapped[str | None] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    hkid_or_br: Mapped[str | None] = mapped_column(sa.String(20))
    account_id: Mapped[str | None] = mapped_column(Id, index=True)
    representative_id: Mapped[str | None] = mapped_column(Id, index=True)
    representative_name: Mapped[str | None] = mapped_column(sa.String(200))


class Organisation(Base):
    """Identity's organisations, as far as filing needs them: names for the record."""

    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    version: Mapped[int] = mapped_column(sa.Integer)


class AssignmentSet(Base):
    """The version of identity's assignment set applied per (case, organisation)."""

    __tablename__ = "assignment_sets"

    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)


class CaseAccess(Base):
    """An organisation user assigned to a case (identity's account linking)."""

    __tablename__ = "case_access"

    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, primary_key=True, index=True)
    organisation_id: Mapped[str] = mapped_column(Id)


class Filing(Base):
    __tablename__ = "filings"
    __table_args__ = (sa.Index("ix_filings_status_deemed", "status", "deemed_received_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    reference: Mapped[str] = mapped_column(sa.String(20), unique=True)
    case_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(20))
    title: Mapped[str] = mapped_column(sa.String(300))
    submitted_by_account_id: Mapped[str] = mapped_column(Id, index=True)
    organisation_id: Mapped[str | None] = mapped_column(Id)
    on_behalf_of: Mapped[list[str]] = mapped_column(sa.JSON)
    acting_for: Mapped[str | None] = mapped_column(Id)
    submitted_at: Mapped[datetime] = mapped_column(When)
    documents_in_at: Mapped[datetime] = mapped_column(When)
    fee_items: Mapped[list[dict[str, Any]]] = mapped_column(sa.JSON)
    awaiting_payment: Mapped[bool] = mapped_column(sa.Boolean)
    payment_due_by: Mapped[datetime | None] = mapped_column(When)
    payment_order_id: Mapped[str | None] = mapped_column(Id, index=True)
    payment_amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    fee_paid_at: Mapped[datetime | None] = mapped_column(When)
    deemed_received_at: Mapped[datetime | None] = mapped_column(When)
    reviewed_by_account_id: Mapped[str | None] = mapped_column(Id)
    reviewed_at: Mapped[datetime | None] = mapped_column(When)
    docket_number: Mapped[int | None] = mapped_column(sa.Integer)
    rejection_reasons: Mapped[list[str] | None] = mapped_column(sa.JSON)
    rejection_message: Mapped[str | None] = mapped_column(sa.Text)
    cancelled_reason: Mapped[str | None] = mapped_column(sa.String(40))
    copied_from_id: Mapped[str | None] = mapped_column(Id)
    note: Mapped[str | None] = mapped_column(sa.Text)
    version: Mapped[int] = mapped_column(sa.Integer)


class Document(Base):
    __tablename__ = "documents"
    __table_args__ = (sa.UniqueConstraint("filing_id", "seq"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    filing_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("filings.id"), index=True)
    case_id: Mapped[str] = mapped_column(Id, index=True)
    seq: Mapped[int] = mapped_column(sa.Integer)
    role: Mapped[str] = mapped_column(sa.String(20))
    document_type: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    filename: Mapped[str] = mapped_column(sa.String(255))
    object_key: Mapped[str] = mapped_column(sa.String(200))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    pages: Mapped[int] = mapped_column(sa.Integer)
    public_inspection: Mapped[bool] = mapped_column(sa.Boolean)
    text_status: Mapped[str] = mapped_column(sa.String(20), index=True)
    text_key: Mapped[str | None] = mapped_column(sa.String(200))
    text_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    text_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    sealed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    #: The Judiciary Cloud upload the document came from (its object stays where the upload put it).
    cloud_upload_id: Mapped[str | None] = mapped_column(Id)


class DocketEntry(Base):
    __tablename__ = "docket_entries"

    case_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("cases.id"), primary_key=True)
    number: Mapped[int] = mapped_column(sa.Integer, primary_key=True)
    filing_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("filings.id"), unique=True)
    title: Mapped[str] = mapped_column(sa.String(300))
    filed_by: Mapped[str] = mapped_column(sa.String(200))
    deemed_received_at: Mapped[datetime] = mapped_column(When)
    entered_at: Mapped[datetime] = mapped_column(When)


class InboxMessage(Base):
    __tablename__ = "inbox_messages"
    __table_args__ = (sa.Index("ix_inbox_messages_account_created", "account_id", "created_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id)
    kind: Mapped[str] = mapped_column(sa.String(40))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body: Mapped[str] = mapped_column(sa.Text)
    case_id: Mapped[str | None] = mapped_column(Id)
    filing_id: Mapped[str | None] = mapped_column(Id)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(When)
    read_at: Mapped[datetime | None] = mapped_column(When)


class Closure(Base):
    __tablename__ = "closures"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    starts_at: Mapped[datetime] = mapped_column(When, index=True)
    ends_at: Mapped[datetime] = mapped_column(When, index=True)
    reason: Mapped[str] = mapped_column(sa.String(40))
    note: Mapped[str] = mapped_column(sa.Text)
    declared_by_account_id: Mapped[str] = mapped_column(Id)
    declared_at: Mapped[datetime] = mapped_column(When)


class RestrictionOrder(Base):
    """A restriction order (vexatious litigant): filings by or for the person named are refused."""

    __tablename__ = "restriction_orders"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    name_key: Mapped[str] = mapped_column(sa.String(200), index=True)
    account_id: Mapped[str | None] = mapped_column(Id, index=True)
    courts: Mapped[list[str]] = mapped_column(sa.JSON)
    order_reference: Mapped[str] = mapped_column(sa.String(100))
    made_on: Mapped[str] = mapped_column(sa.String(10))
    expires_on: Mapped[str | None] = mapped_column(sa.String(10))
    note: Mapped[str] = mapped_column(sa.Text)
    status: Mapped[str] = mapped_column(sa.String(20))
    recorded_by_account_id: Mapped[str] = mapped_column(Id)
    recorded_at: Mapped[datetime] = mapped_column(When)
    revoked_at: Mapped[datetime | None] = mapped_column(When)


class IdempotencyKey(IdempotencyKeyColumns, Base):
    """A POST's answer kept under the caller's Idempotency-Key, so a retry gets the same answer."""


# Court-issued documents, inspection -------------------------------------------------------------------


class IssuedDocument(Base):
    """A document the court issued into a case, under its Document Reference Number.

    Both files are kept: the original as the registry gave or generated it, and the stamped copy (DRN
    and barcode on page 1) that the parties receive and the public may inspect.
    """

    __tablename__ = "issued_documents"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    drn: Mapped[str] = mapped_column(sa.String(12), unique=True)
    case_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("cases.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    title: Mapped[str] = mapped_column(sa.String(300))
    filename: Mapped[str] = mapped_column(sa.String(255))
    public_inspection: Mapped[bool] = mapped_column(sa.Boolean)
    sealed: Mapped[bool] = mapped_column(sa.Boolean, server_default=sa.false())
    original_key: Mapped[str] = mapped_column(sa.String(200))
    original_size: Mapped[int] = mapped_column(sa.BigInteger)
    original_sha256: Mapped[str] = mapped_column(sa.String(64))
    stamped_key: Mapped[str] = mapped_column(sa.String(200))
    stamped_size: Mapped[int] = mapped_column(sa.BigInteger)
    stamped_sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    pages: Mapped[int] = mapped_column(sa.Integer)
    details: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    issued_by_account_id: Mapped[str] = mapped_column(Id)
    issued_at: Mapped[datetime] = mapped_column(When, index=True)
    text_status: Mapped[str] = mapped_column(sa.String(20), index=True)
    text_key: Mapped[str | None] = mapped_column(sa.String(200))
    text_sha256: Mapped[str | None] = mapped_column(sa.String(64))
    text_size: Mapped[int | None] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(sa.Integer)


class Inspection(Base):
    """A request to inspect one document open to public inspection, paid for by the inspection fee.

    Held by an account, or by whoever holds its token (kept only as a SHA-256); once payments says the
    order is paid it grants downloads until ``access_until``.
    """

    __tablename__ = "inspections"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    document_id: Mapped[str] = mapped_column(Id, index=True)
    document_source: Mapped[str] = mapped_column(sa.String(10))
    case_id: Mapped[str] = mapped_column(Id, index=True)
    account_id: Mapped[str | None] = mapped_column(Id, index=True)
    organisation_id: Mapped[str | None] = mapped_column(Id)
    token_sha256: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(20))
    order_id: Mapped[str | None] = mapped_column(Id, index=True)
    amount_cents: Mapped[int | None] = mapped_column(sa.BigInteger)
    requested_at: Mapped[datetime] = mapped_column(When)
    paid_at: Mapped[datetime | None] = mapped_column(When)
    access_until: Mapped[datetime | None] = mapped_column(When)
    version: Mapped[int] = mapped_column(sa.Integer)


# Judiciary Cloud ----------------------------------------------------------------------------------------


class CloudQuota(Base):
    """An organisation's Judiciary Cloud space: its quota (None: the default) and the bytes reserved.

    Every upload reserves its declared size here before it starts, by one conditional UPDATE, so two
    racing uploads cannot both fit where only one does.
    """

    __tablename__ = "cloud_quotas"

    organisation_id: Mapped[str] = mapped_column(Id, primary_key=True)
    quota_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    reserved_bytes: Mapped[int] = mapped_column(sa.BigInteger)


class CloudUpload(Base):
    """One file in an organisation's Judiciary Cloud: uploaded in parts straight to S3."""

    __tablename__ = "cloud_uploads"
    __table_args__ = (sa.Index("ix_cloud_uploads_status_expires", "status", "expires_at"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, index=True)
    account_id: Mapped[str] = mapped_column(Id)
    filename: Mapped[str] = mapped_column(sa.String(255))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    object_key: Mapped[str] = mapped_column(sa.String(200), unique=True)
    s3_upload_id: Mapped[str | None] = mapped_column(sa.String(400))
    part_size: Mapped[int] = mapped_column(sa.BigInteger)
    parts: Mapped[int] = mapped_column(sa.Integer)
    status: Mapped[str] = mapped_column(sa.String(20))
    pages: Mapped[int | None] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(When)
    expires_at: Mapped[datetime] = mapped_column(When)
    completed_at: Mapped[datetime | None] = mapped_column(When)
    attached_filing_id: Mapped[str | None] = mapped_column(Id)
    version: Mapped[int] = mapped_column(sa.Integer)
