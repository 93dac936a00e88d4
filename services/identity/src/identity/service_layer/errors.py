"""The problems identity's use cases raise, one constructor per rule, each with a stable type."""

from __future__ import annotations

from chassis.web.problems import (
    Problem,
    conflict,
    forbidden,
    invalid,
    invalid_field,
    not_found,
    unauthenticated,
    unsupported_media_type,
)

__all__ = [
    "conflict",
    "forbidden",
    "invalid",
    "invalid_field",
    "not_found",
    "unauthenticated",
    "unsupported_media_type",
]


def invalid_credentials() -> Problem:
    # One answer for an unknown user, a wrong password, a wrong code and a locked account, so the
    # answer never tells which usernames exist.
    return Problem(
        401,
        "invalid-credentials",
        "Login failed",
        "The username, password or one-time code is wrong, or the account cannot log in now. After "
        "5 failures in a row the username is locked for 15 minutes.",
    )


def limit_reached(what: str, limit: int) -> Problem:
    return Problem(
        409,
        "limit-reached",
        "Limit reached",
        f"The organisation already has its maximum of {limit} {what}; the PA may ask the court for more.",
        extra={"limit": limit},
    )


def document_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "document-too-large",
        "Document too large",
        f"Each document may be at most {limit} bytes.",
        extra={"max_bytes": limit},
    )
