"""The problems filing's use cases raise, one constructor per rule, each with a stable type."""

from __future__ import annotations

from chassis.web.problems import (
    FieldError,
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


def document_too_large(field: str, limit: int) -> Problem:
    return Problem(
        413,
        "document-too-large",
        "Document too large",
        f"Each document may be at most {limit} bytes; larger files go through the Judiciary Cloud.",
        errors=[FieldError(field, f"is larger than {limit} bytes")],
        extra={"max_bytes": limit},
    )


def unacceptable_document(field: str, kind: str, detail: str) -> Problem:
    # A file that is not a PDF at all is the wrong media type; a PDF we cannot take is unprocessable.
    status = 415 if kind == "not_a_pdf" else 422
    return Problem(status, kind.replace("_", "-"), "Document not accepted", detail, errors=[FieldError(field, detail)])


def restricted(detail: str) -> Problem:
    return Problem(403, "restriction-order", "Filing refused under a restriction order", detail)


def no_efiling(prefix: str, detail: str) -> Problem:
    return Problem(422, "no-efiling", "E-filing not available", detail, extra={"case_type": prefix})
