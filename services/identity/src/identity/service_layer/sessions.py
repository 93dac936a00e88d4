"""Logging in and out, access and refresh tokens, password changes and TOTP enrolment."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from identity.adapters import signing_keys
from identity.adapters.tables import Account, LoginThrottle, Organisation, RefreshToken, Session
from identity.domain import credentials
from identity.domain.roles import ACTIVE, totp_required
from identity.service_layer import audit, errors
from identity.service_layer.deps import Caller, Deps

ISSUER = "icms-identity"
AUDIENCE = "icms"


@dataclass(frozen=True)
class Tokens:
    access_token: str
    expires_in: int
    refresh_token: str
    refresh_expires_at: datetime
    session_id: str

    def as_json(self) -> dict[str, Any]:
        return {
            "token_type": "Bearer",
            "access_token": self.access_token,
            "expires_in": self.expires_in,
            "refresh_token": self.refresh_token,
            "refresh_expires_at": self.refresh_expires_at.isoformat(),
            "session_id": self.session_id,
        }


def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def login(deps: Deps, caller: Caller, username: str, password: str, code: str | None) -> Tokens:
    """Check the credentials (and the one-time code where needed) and open a session."""
    name = credentials.normalise_username(username)
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        throttle = db.get(LoginThrottle, name, with_for_update=True)
        account = db.scalars(sa.select(Account).where(Account.username == name)).first()
        # The hash is always checked, even for a locked or unknown name, so timing tells nothing.
        password_ok = deps.passwords.verify(account.password_hash if account else None, password)
        locked = throttle is not None and throttle.locked_until is not None and throttle.locked_until > now
        step = _second_factor(account, code, now) if password_ok and account is not None else None
        refusal = _refusal(account, password_ok, step, locked)
        if refusal is None:
            assert account is not None
            if throttle is not None:
                db.delete(throttle)
            if not isinstance(step, bool):  # a TOTP step (True means no code was needed)
                account.totp_last_step = step
            tokens = _open_session(deps, db, account, caller, now)
            audit.record(
                db,
                caller,
                now,
                "session.login",
                actor=account,
                organisation_id=account.organisation_id,
                target=("session", tokens.session_id),
            )
            uow.commit()
            return tokens
        who = (account.id, account.organisation_id) if account else (None, None)
    # Recorded once the login's own transaction has ended, so the two never wait on each other.
    _record_failure(deps, caller, name, who, refusal, now)
    raise errors.invalid_credentials()


def _second_factor(account: Account, code: str | None, now: datetime) -> int | bool | None:
    """The accepted TOTP step, True when no code is needed, None when the code is missing or wrong."""
    if account.totp_secret is None:
        return None if totp_required(account.role) else True
    if not code:
        return None
    return credentials.accepted_totp_step(account.totp_secret, code, now, account.totp_last_step)


def _refusal(account: Account | None, password_ok: bool, step: int | bool | None, locked: bool) -> str | None:
    """Why a login fails (for the audit log only; the caller always hears the same answer)."""
    if account is None:
        return "unknown-username"
    if locked:
        return "locked"
    if not password_ok:
        return "wrong-password"
    if step is None:
        return "missing-or-wrong-code" if account.totp_secret or not totp_required(account.role) else "no-totp-enrolled"
    if account.status != ACTIVE:
        return f"account-{account.status}"
    return None


def _record_failure(
    deps: Deps, caller: Caller, name: str, who: tuple[str | None, str | None], refusal: str, now: datetime
) -> None:
    """Count the failure against the username and audit it, in a transaction of its own."""
    for attempt in (1, 2):
        with deps.unit_of_work() as uow:
            db = uow.session
            _count_failure(deps, db, name, db.get(LoginThrottle, name, with_for_update=True), now)
            audit.record(
                db,
                caller,
                now,
                "session.login",
                username=name,
                outcome="failure",
                actor_id=who[0],
                organisation_id=who[1],
                detail={"reason": refusal},
            )
            try:
                uow.commit()
                return
            except IntegrityError:
                # Two first failures for one username raced to create its row: count again on it.
                if attempt == 2:
                    raise


def _count_failure(deps: Deps, db: DbSession, name: str, throttle: LoginThrottle | None, now: datetime) -> None:
    settings = deps.settings
    if throttle is None:
        throttle = LoginThrottle(username=name, failures=0, locked_until=None)
        db.add(throttle)
    elif throttle.locked_until is not None and throttle.locked_until <= now:
        throttle.failures, throttle.locked_until = 0, None  # the lock has run out: count afresh
    throttle.failures += 1
    if throttle.failures >= settings.lockout_failures and throttle.locked_until is None:
        throttle.locked_until = now + timedelta(minutes=settings.lockout_minutes)


def _open_session(deps: Deps, db: DbSession, account: Account, caller: Caller, now: datetime) -> Tokens:
    login_session = Session(id=str(uuid.uuid4()), account_id=account.id, created_at=now, client_ip=caller.client_ip)
    db.add(login_session)
    db.flush()
    return _issue(deps, db, account, login_session, now)


def _issue(deps: Deps, db: DbSession, account: Account, login_session: Session, now: datetime) -> Tokens:
    lifetime = deps.settings.access_token_seconds
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": account.id,
        "account_type": account.account_type,
        "roles": [account.role],
        "org": account.organisation_id,
        "branch": account.branch_id,
        "sid": login_session.id,
        "iat": int(now.timestamp()),
        "exp": int(now.timestamp()) + lifetime,
        "jti": uuid.uuid4().hex,
    }
    access = signing_keys.sign(signing_keys.signing_key(db, now), claims)
    refresh = secrets.token_urlsafe(32)
    expires = now + timedelta(days=deps.settings.refresh_token_days)
    db.add(
        RefreshToken(token_hash=_hash_token(refresh), session_id=login_session.id, issued_at=now, expires_at=expires)
    )
    return Tokens(access, lifetime, refresh, expires, login_session.id)


def refresh(deps: Deps, caller: Caller, token: str) -> Tokens:
    """Swap a refresh token for new tokens. A token used twice means it was stolen (or the client
    is confused): the whole session is revoked, so neither holder can go on."""
    now = deps.now()
    with deps.unit_of_work() as uow:
        db = uow.session
        row = db.get(RefreshToken, _hash_token(token))
        if row is None:
            raise errors.unauthenticated("This refresh token is not valid; log in again.")
        login_session = db.get(Session, row.session_id, with_for_update=True)
        assert login_session is not None
        account = db.get(Account, login_session.account_id)
        assert account is not None
        claimed = db.execute(
            sa.update(RefreshToken)
            .where(RefreshToken.token_hash == row.token_hash, RefreshToken.used_at.is_(None))
            .values(used_at=now)
        ).rowcount
        if claimed != 1:
            if login_session.revoked_at is None:
                _revoke(login_session, now, "refresh-token-reused")
                audit.record(
                    db,
                    caller,
                    now,
                    "session.refresh_reuse",
                    actor=account,
                    outcome="failure",
                    organisation_id=account.organisation_id,
                    target=("session", login_session.id),
                )
                uow.commit()
            raise errors.unauthenticated("This refresh token was already used; the session is ended. Log in again.")
        if login_session.revoked_at is not None or row.expires_at <= now or account.status != ACTIVE:
            raise errors.unauthenticated("This session has ended; log in again.")
        tokens = _issue(deps, db, account, login_session, now)
        uow.commit()
        return tokens


def _revoke(login_session: Session, now: datetime, reason: str) -> None:
    login_session.revoked_at = now
    login_session.revoked_reason = reason


def revoke_all(db: DbSession, account_id: str, now: datetime, reason: str) -> None:
    """End every session of an account (suspension, password change)."""
    for login_session in db.scalars(
        sa.select(Session).where(Session.account_id == account_id, Session.revoked_at.is_(None))
    ):
        _revoke(login_session, now, reason)


def logout(deps: Deps, caller: Caller, account: Account, db: DbSession, now: datetime) -> None:
    """End the caller's current session (its refresh tokens stop working at once)."""
    login_session = db.get(Session, caller.session) if caller.session else None
    if login_session is not None and login_session.revoked_at is None:
        _revoke(login_session, now, "logout")
    audit.record(db, caller, now, "session.logout", actor=account, organisation_id=account.organisation_id)


def change_password(deps: Deps, caller: Caller, account: Account, db: DbSession, current: str, new: str) -> None:
    """Change the caller's password; every other session ends."""
    now = deps.now()
    if not deps.passwords.verify(account.password_hash, current):
        audit.record(
            db,
            caller,
            now,
            "account.password_change",
            actor=account,
            outcome="failure",
            organisation_id=account.organisation_id,
        )
        raise errors.invalid_field("current_password", "does not match the account's password")
    problem = credentials.password_problem(new, account.username)
    if problem:
        raise errors.invalid_field("new_password", problem)
    account.password_hash = deps.passwords.hash(new)
    account.password_changed_at = now
    for login_session in db.scalars(
        sa.select(Session).where(Session.account_id == account.id, Session.revoked_at.is_(None))
    ):
        if login_session.id != caller.session:
            _revoke(login_session, now, "password-changed")
    audit.record(db, caller, now, "account.password_change", actor=account, organisation_id=account.organisation_id)


def start_totp(deps: Deps, caller: Caller, account: Account, db: DbSession) -> dict[str, str]:
    """A new TOTP secret for the caller to confirm with a code; the old one works until then."""
    account.totp_pending_secret = credentials.new_totp_secret()
    audit.record(
        db, caller, deps.now(), "account.totp_enrol_start", actor=account, organisation_id=account.organisation_id
    )
    return {
        "secret": account.totp_pending_secret,
        "provisioning_uri": credentials.provisioning_uri(account.totp_pending_secret, account.username),
    }


def confirm_totp(deps: Deps, caller: Caller, account: Account, db: DbSession, code: str) -> None:
    """Switch to the pending TOTP secret once a code from it proves the app has it."""
    now = deps.now()
    if account.totp_pending_secret is None:
        raise errors.conflict("no-totp-enrolment", "No enrolment started", "Start an enrolment first.")
    step = credentials.accepted_totp_step(account.totp_pending_secret, code, now, None)
    if step is None:
        raise errors.invalid_field("code", "is not the current code of the new secret")
    account.totp_secret, account.totp_pending_secret, account.totp_last_step = account.totp_pending_secret, None, step
    audit.record(db, caller, now, "account.totp_enrolled", actor=account, organisation_id=account.organisation_id)


def me(db: DbSession, account: Account) -> dict[str, Any]:
    """The caller's own account."""
    view = account_json(account)
    if account.organisation_id:
        organisation = db.get(Organisation, account.organisation_id)
        view["organisation_name"] = organisation.name if organisation else None
    return view


def account_json(account: Account) -> dict[str, Any]:
    """An account as the API shows it (never its secrets)."""
    return {
        "id": account.id,
        "username": account.username,
        "display_name": account.display_name,
        "email": account.email,
        "account_type": account.account_type,
        "role": account.role,
        "organisation_id": account.organisation_id,
        "branch_id": account.branch_id,
        "status": account.status,
        "empowerments": sorted(account.empowerments or ()),
        "totp_enrolled": account.totp_secret is not None,
        "created_at": account.created_at.isoformat(),
    }
