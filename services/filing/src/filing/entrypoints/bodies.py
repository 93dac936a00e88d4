"""The JSON bodies and multipart metadata filing accepts, as JSON Schemas."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from chassis.web.bodies import ID, NO_NUL, closed_object, text
from filing.domain.catalogue import Catalogue
from filing.service_layer import errors

INSTANT = {"type": "string", "maxLength": 40, "pattern": NO_NUL}
DATE = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
FEE_ITEMS = {
    "type": "array",
    "maxItems": 20,
    "items": closed_object(
        ["code", "quantity"],
        {
            "code": {"type": "string", "pattern": "^[A-Z][A-Z0-9]*(\\.[A-Z0-9]+)+$", "maxLength": 40},
            "quantity": {"type": "integer", "minimum": 1, "maximum": 999},
        },
    ),
}


#: The form itself is checked against its own schema once the case type names it.
NEW_CASE = closed_object(
    ["case_type", "form"],
    {"case_type": {"type": "string", "maxLength": 8, "pattern": NO_NUL}, "form": {"type": "object"}},
)


def filing_metadata(catalogue: Catalogue, *, paper: bool) -> dict[str, Any]:
    fields: dict[str, Any] = {"document_type": {"enum": sorted(catalogue.document_types)}, "title": text(300)}
    if not paper:
        # An e-filing's document may come from the filer's organisation's Judiciary Cloud instead of as a file
        # part: the only way for one over max_document_bytes.
        fields["cloud_upload_id"] = ID
    document = closed_object(["document_type"], fields)
    properties: dict[str, Any] = {
        "case_id": ID,
        "title": text(300),
        "lead": document,
        "connected": {"type": "array", "maxItems": 99, "items": document},
        "on_behalf_of": {"type": "array", "maxItems": 50, "items": ID, "uniqueItems": True},
        "fee_items": FEE_ITEMS,
        "note": text(2000, 0),
    }
    if paper:
        properties["received_at"] = INSTANT
        return closed_object(["case_id", "title", "lead", "received_at"], properties)
    properties["acting_for"] = ID
    return closed_object(["case_id", "title", "lead"], properties)


COPY = closed_object([], {"title": text(300), "note": text(2000, 0)})
REJECTION = closed_object(
    ["reasons"],
    {
        "reasons": {
            "type": "array",
            "minItems": 1,
            "maxItems": 10,
            "items": {"type": "string", "pattern": "^[a-z][a-z_]{1,40}$"},
        },
        "message": text(2000, 0),
    },
)
CLOSURE = closed_object(
    ["starts_at", "ends_at", "reason"],
    {
        "starts_at": INSTANT,
        "ends_at": INSTANT,
        "reason": {"enum": ["typhoon_signal_8", "black_rainstorm", "direction", "other"]},
        "note": text(1000, 0),
    },
)
RESTRICTION_ORDER = closed_object(
    ["name", "order_reference", "made_on"],
    {
        "name": text(200),
        "account_id": ID,
        "courts": {"type": "array", "items": {"enum": ["CFA", "CA", "CFI", "DC", "MC", "SCT"]}, "uniqueItems": True},
        "order_reference": text(100),
        "made_on": DATE,
        "expires_on": DATE,
        "note": text(2000, 0),
    },
)


def instant(raw: str, field: str) -> datetime:
    """An ISO 8601 instant with its offset (``2026-03-02T09:10:00Z``); 400 otherwise."""
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise errors.invalid_field(field, "must be an ISO 8601 date and time, e.g. 2026-03-02T09:10:00Z") from None
    if parsed.tzinfo is None:
        raise errors.invalid_field(field, "must carry a time zone offset, e.g. Z or +08:00")
    if not 2000 <= parsed.year <= 2100:
        raise errors.invalid_field(field, "must be between the years 2000 and 2100")
    return parsed


def checked_dates(body: dict[str, Any], *fields: str) -> None:
    """Refuse well-shaped but impossible dates such as 2026-02-30."""
    for field in fields:
        if field in body:
            try:
                date.fromisoformat(body[field])
            except ValueError:
                raise errors.invalid_field(field, "is not a real date") from None
