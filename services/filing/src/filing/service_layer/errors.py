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
        f"Each document uploaded with a request may be at most {limit} bytes. An organisation user e-filing a "
        "larger file uploads it to the organisation's Judiciary Cloud (POST /api/filing/v1/cloud/uploads) and "
        "names it in the filing's metadata as cloud_upload_id.",
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


def already_sealed(what: str) -> Problem:
    return Problem(409, "already-sealed", "Already sealed", f"The {what} is already sealed; nothing was changed.")


def not_sealed(what: str) -> Problem:
    return Problem(409, "not-sealed", "Not sealed", f"The {what} is not sealed; nothing was changed.")


def invalid_drn(detail: str) -> Problem:
    return Problem(400, "invalid-drn", "Not a Document Reference Number", detail, errors=[FieldError("drn", detail)])


def drn_mistyped() -> Problem:
    return Problem(
        422,
        "drn-mistyped",
        "Document Reference Number mistyped",
        "The DRN's check digit does not match its other digits: a digit was mistyped or two were swapped. "
        "Check the number printed at the top right of the document's first page.",
    )


def drn_unknown() -> Problem:
    return Problem(
        404, "drn-unknown", "Unknown Document Reference Number", "The court has issued no document under this DRN."
    )


# Judiciary Cloud ----------------------------------------------------------------------------------------


def cloud_quota_exceeded(quota: int, reserved: int, requested: int) -> Problem:
    return Problem(
        409,
        "cloud-quota-exceeded",
        "Judiciary Cloud quota exceeded",
        f"The upload needs {requested} bytes but only {max(0, quota - reserved)} of the organisation's {quota} "
        "are free. Delete uploads you no longer need, or ask the Help Centre for more space.",
        extra={
            "quota_bytes": quota,
            "reserved_bytes": reserved,
            "requested_bytes": requested,
            "available_bytes": max(0, quota - reserved),
        },
    )


def cloud_file_too_large(limit: int) -> Problem:
    return Problem(
        413,
        "cloud-file-too-large",
        "File too large",
        f"A Judiciary Cloud upload may be at most {limit} bytes.",
        errors=[FieldError("size", f"is larger than {limit} bytes")],
        extra={"max_bytes": limit},
    )


def cloud_upload_conflict(kind: str, status: str, detail: str) -> Problem:
    """A 409 about an upload in the wrong status for the request; the answer says which it is in."""
    return Problem(409, kind, "Upload not in a state for this", detail, extra={"status": status})


def upload_incomplete(detail: str, expected: int, received: int, missing: list[int], wrong: list[int]) -> Problem:
    return Problem(
        422,
        "upload-incomplete",
        "Upload incomplete",
        detail,
        extra={
            "expected_bytes": expected,
            "received_bytes": received,
            "missing_parts": missing,
            "wrong_size_parts": wrong,
        },
    )


def cloud_upload_rejected(kind: str, detail: str) -> Problem:
    """The completed file is not what was declared, or not a PDF the court takes; it has been discarded."""
    return Problem(422, kind.replace("_", "-"), "Upload rejected", detail)
