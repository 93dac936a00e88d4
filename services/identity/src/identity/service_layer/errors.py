"""The problems identity's use cases raise, one constructor per rule, each with a stable type."""

from __future__ import annotations

from chassis.web.problems import FieldError, Problem


def unauthenticated(detail: str = "Log in first: this needs a valid access token.") -> Problem:
    return Problem(401, "unauthenticated", "Authentication required", detail)


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


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Not allowed", detail)


def not_found(what: str) -> Problem:
    return Problem(404, "not-found", "Not found", f"No such {what}.")


def invalid(errors: list[FieldError], detail: str = "The request has invalid fields.") -> Problem:
    return Problem(400, "invalid-request", "Invalid request", detail, errors=errors)


def invalid_field(field: str, message: str) -> Problem:
    return invalid([FieldError(field, message)])


def conflict(kind: str, title: str, detail: str) -> Problem:
    return Problem(409, kind, title, detail)


def limit_reached(what: str, limit: int) -> Problem:
    return Problem(
        409,
        "limit-reached",
        "Limit reached",
        f"The organisation already has its maximum of {limit} {what}; the PA may ask the court for more.",
        extra={"limit": limit},
    )


def unsupported_media_type(detail: str) -> Problem:
    return Problem(415, "unsupported-media-type", "Unsupported media type", detail)


def document_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "document-too-large",
        "Document too large",
        f"Each document may be at most {limit} bytes.",
        extra={"max_bytes": limit},
    )
