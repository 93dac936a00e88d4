"""Builders of read-model records for the store tests."""

from __future__ import annotations

import itertools
import uuid
from datetime import UTC, date, datetime, timedelta

from search.adapters.store import SearchStore
from search.domain.case_types import shipped_rules
from search.domain.records import CaseRecord, DocketEntry, DocumentRecord, Party

START = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
_numbers = itertools.count(1)


def new_id() -> str:
    return str(uuid.uuid4())


def case(
    prefix: str = "DCPI",
    number: int | None = None,
    year: int = 2026,
    *,
    parties: tuple[Party, ...] | None = None,
    filed_at: datetime | None = None,
    version: int = 1,
    sealed: bool = False,
    title: str | None = None,
    status: str = "open",
    case_id: str | None = None,
    docket: tuple[DocketEntry, ...] | None = None,
) -> CaseRecord:
    number = number if number is not None else next(_numbers)
    parties = (
        parties
        if parties is not None
        else (
            Party(f"PLAINTIFF {number}", "plaintiff", None, "Chan, Lau & Wong Solicitors"),
            Party(f"Defendant Company {number} Limited", "defendant"),
        )
    )
    return CaseRecord(
        case_id=case_id or new_id(),
        case_number=f"{prefix} {number}/{year}",
        prefix=prefix,
        number=number,
        year=year,
        court=shipped_rules().court_of.get(prefix, "CFI"),
        case_type=prefix,
        title=title or " v. ".join(p.name for p in parties[:2]),
        status=status,
        filed_at=filed_at or START + timedelta(minutes=number),
        version=version,
        sealed=sealed,
        parties=parties,
        docket=docket if docket is not None else (DocketEntry(1, "Writ of Summons", (filed_at or START).date()),),
    )


def document(
    of: CaseRecord,
    text: str,
    *,
    title: str = "Judgment",
    kind: str = "judgment",
    dated: date | None = None,
    version: int = 1,
    public: bool = True,
    sealed: bool = False,
    document_id: str | None = None,
) -> DocumentRecord:
    return DocumentRecord(
        document_id=document_id or new_id(),
        case_id=of.case_id,
        case_number=of.case_number,
        court=of.court,
        case_type=of.case_type,
        title=title,
        kind=kind,
        dated=dated or date(2026, 5, 1),
        version=version,
        public=public,
        sealed=sealed,
        text=text,
    )


def fullwidth(text: str) -> str:
    """``text`` as typed with a full-width (CJK) keyboard: ASCII letters, digits, symbols, spaces."""
    return "".join(chr(ord(ch) + 0xFEE0) if "!" <= ch <= "~" else "\u3000" if ch == " " else ch for ch in text)


def put(store: SearchStore, engine, *records) -> None:  # type: ignore[no-untyped-def]
    """Write records in one transaction, as a consumer's unit of work would."""
    with engine.begin() as conn:
        for record in records:
            if isinstance(record, CaseRecord):
                store.upsert_case(conn, record)
            else:
                store.upsert_document(conn, record)
