"""Rules for usernames, passwords and one-time codes."""

from __future__ import annotations

import re
from datetime import datetime

import pyotp

USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{2,63}$")
MIN_PASSWORD, MAX_PASSWORD = 12, 128
TOTP_ISSUER = "iCMS"


def normalise_username(raw: str) -> str:
    """Usernames are compared without regard to case or surrounding spaces."""
    return raw.strip().lower()


def username_problem(username: str) -> str | None:
    """Why ``username`` (normalised) cannot be used, or None."""
    if not USERNAME.match(username):
        return "3 to 64 characters: letters, digits, '.', '_' or '-', starting with a letter or digit"
    return None


def password_problem(password: str, username: str) -> str | None:
    """Why ``password`` is not acceptable, or None. Length is what matters (NIST SP 800-63B); the
    upper bound keeps hashing cost bounded."""
    if len(password) < MIN_PASSWORD:
        return f"at least {MIN_PASSWORD} characters"
    if len(password) > MAX_PASSWORD:
        return f"at most {MAX_PASSWORD} characters"
    if username and username in password.lower():
        return "must not contain the username"
    return None


def new_totp_secret() -> str:
    """A fresh base32 TOTP secret (160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app scans."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=TOTP_ISSUER)


def accepted_totp_step(secret: str, code: str, at: datetime, last_step: int | None) -> int | None:
    """The time step ``code`` belongs to (this one or the one either side, for clock drift), or
    None if it is wrong or was already used (a step at or before ``last_step``)."""
    if not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    step = int(at.timestamp()) // totp.interval
    for candidate in (step, step - 1, step + 1):
        if pyotp.utils.strings_equal(totp.generate_otp(candidate), code):
            if last_step is not None and candidate <= last_step:
                return None
            return candidate
    return None
