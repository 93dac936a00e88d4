"""Identity's tables, mapped to the classes the service layer works with."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from chassis.db import UtcDateTime
from chassis.messaging.tables import add_messaging_tables

metadata = sa.MetaData()
outbox, inbox = add_messaging_tables(metadata)


Id = sa.String(36)
When = UtcDateTime()


class Base(DeclarativeBase):
    metadata = metadata


class Organisation(Base):
    __tablename__ = "organisations"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(200))
    organisation_type: Mapped[str] = mapped_column(sa.String(40))
    business_registration_number: Mapped[str | None] = mapped_column(sa.String(40))
    address: Mapped[str] = mapped_column(sa.String(500))
    max_primary_admins: Mapped[int] = mapped_column(sa.Integer)
    max_secondary_admins: Mapped[int] = mapped_column(sa.Integer)
    max_organisation_users: Mapped[int] = mapped_column(sa.Integer)
    max_branches: Mapped[int] = mapped_column(sa.Integer)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(When)


class Branch(Base):
    __tablename__ = "branches"
    __table_args__ = (sa.UniqueConstraint("organisation_id", "code"),)

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("organisations.id"), index=True)
    code: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(200))
    # The branch's default Organisation User; a plain column (not a foreign key) so that branches
    # and accounts, which point at each other, can be created in either order.
    default_user_id: Mapped[str | None] = mapped_column(Id)
    created_at: Mapped[datetime] = mapped_column(When)


class Account(Base):
    __tablename__ = "accounts"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    # Stored folded to lower case, so that "Alice" and "alice" are one account.
    username: Mapped[str] = mapped_column(sa.String(64), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(200))
    email: Mapped[str] = mapped_column(sa.String(254))
    account_type: Mapped[str] = mapped_column(sa.String(20))
    role: Mapped[str] = mapped_column(sa.String(30))
    organisation_id: Mapped[str | None] = mapped_column(Id, sa.ForeignKey("organisations.id"), index=True)
    branch_id: Mapped[str | None] = mapped_column(Id, sa.ForeignKey("branches.id"))
    status: Mapped[str] = mapped_column(sa.String(20))
    empowerments: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    password_hash: Mapped[str] = mapped_column(sa.String(200))
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_pending_secret: Mapped[str | None] = mapped_column(sa.String(64))
    # The last TOTP time step accepted, so that a code cannot be used twice.
    totp_last_step: Mapped[int | None] = mapped_column(sa.BigInteger)
    version: Mapped[int] = mapped_column(sa.Integer)
    created_at: Mapped[datetime] = mapped_column(When)
    created_by: Mapped[str | None] = mapped_column(Id)
    password_changed_at: Mapped[datetime] = mapped_column(When)


class Registration(Base):
    __tablename__ = "registrations"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    status: Mapped[str] = mapped_column(sa.String(30), index=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"))
    application: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    submitted_at: Mapped[datetime] = mapped_column(When)
    submitted_from: Mapped[str] = mapped_column(sa.String(64))
    decided_at: Mapped[datetime | None] = mapped_column(When)
    decided_by: Mapped[str | None] = mapped_column(Id)
    reason: Mapped[str | None] = mapped_column(sa.String(1000))


class RegistrationDocument(Base):
    __tablename__ = "registration_documents"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    registration_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("registrations.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    filename: Mapped[str] = mapped_column(sa.String(255))
    media_type: Mapped[str] = mapped_column(sa.String(60))
    size: Mapped[int] = mapped_column(sa.BigInteger)
    sha256: Mapped[str] = mapped_column(sa.String(64))
    object_key: Mapped[str] = mapped_column(sa.String(300))


class LoginThrottle(Base):
    """Failed logins per username typed, whether or not such an account exists, so that a lockout
    tells an attacker nothing about which usernames are real."""

    __tablename__ = "login_throttle"

    username: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    failures: Mapped[int] = mapped_column(sa.Integer)
    locked_until: Mapped[datetime | None] = mapped_column(When)


class SigningKey(Base):
    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    private_pem: Mapped[str] = mapped_column(sa.Text)
    public_jwk: Mapped[dict[str, Any]] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(When)
    # Signs from creation until retired; stays published until ``unpublish_at`` so that tokens it
    # signed keep verifying to the end of their lives.
    retired_at: Mapped[datetime | None] = mapped_column(When)
    unpublish_at: Mapped[datetime | None] = mapped_column(When)


class Session(Base):
    """A login: one family of refresh tokens, revoked together."""

    __tablename__ = "sessions"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(When)
    client_ip: Mapped[str] = mapped_column(sa.String(64))
    revoked_at: Mapped[datetime | None] = mapped_column(When)
    revoked_reason: Mapped[str | None] = mapped_column(sa.String(40))


class RefreshToken(Base):
    __tablename__ = "refresh_tokens"

    # SHA-256 of the token: the database never holds a usable token.
    token_hash: Mapped[str] = mapped_column(sa.String(64), primary_key=True)
    session_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("sessions.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(When)
    expires_at: Mapped[datetime] = mapped_column(When)
    used_at: Mapped[datetime | None] = mapped_column(When)


class CaseRecord(Base):
    """A case as filing announced it: enough to know which organisations are on record."""

    __tablename__ = "case_records"

    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    case_number: Mapped[str] = mapped_column(sa.String(40))
    version: Mapped[int] = mapped_column(sa.Integer)
    filed_by_account_id: Mapped[str | None] = mapped_column(Id)


class CaseRepresentation(Base):
    __tablename__ = "case_representations"

    case_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("case_records.case_id"), primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, primary_key=True, index=True)


class AssignmentSet(Base):
    """The version of one organisation's set of assignments to one case (the event's aggregate)."""

    __tablename__ = "assignment_sets"

    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, primary_key=True)
    version: Mapped[int] = mapped_column(sa.Integer)


class CaseAssignment(Base):
    __tablename__ = "case_assignments"

    case_id: Mapped[str] = mapped_column(Id, primary_key=True)
    account_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("accounts.id"), primary_key=True, index=True)
    organisation_id: Mapped[str] = mapped_column(Id, index=True)
    assigned_at: Mapped[datetime] = mapped_column(When)
    assigned_by: Mapped[str | None] = mapped_column(Id)


class QuotaRequest(Base):
    __tablename__ = "quota_requests"

    id: Mapped[str] = mapped_column(Id, primary_key=True)
    organisation_id: Mapped[str] = mapped_column(Id, sa.ForeignKey("organisations.id"), index=True)
    requested_by: Mapped[str] = mapped_column(Id)
    requested: Mapped[dict[str, int]] = mapped_column(sa.JSON)
    reason: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(20), index=True)
    created_at: Mapped[datetime] = mapped_column(When)
    decided_at: Mapped[datetime | None] = mapped_column(When)
    decided_by: Mapped[str | None] = mapped_column(Id)
    decision_note: Mapped[str | None] = mapped_column(sa.String(1000))


class AuditEntry(Base):
    __tablename__ = "audit_log"
    __table_args__ = (sa.Index("ix_audit_log_organisation_at", "organisation_id", "at"),)

    id: Mapped[int] = mapped_column(sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True)
    at: Mapped[datetime] = mapped_column(When, index=True)
    actor_id: Mapped[str | None] = mapped_column(Id)
    actor_username: Mapped[str | None] = mapped_column(sa.String(64))
    organisation_id: Mapped[str | None] = mapped_column(Id)
    action: Mapped[str] = mapped_column(sa.String(60))
    outcome: Mapped[str] = mapped_column(sa.String(20))
    target_type: Mapped[str | None] = mapped_column(sa.String(40))
    target_id: Mapped[str | None] = mapped_column(sa.String(64))
    client_ip: Mapped[str] = mapped_column(sa.String(64))
    request_id: Mapped[str | None] = mapped_column(sa.String(128))
    detail: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
