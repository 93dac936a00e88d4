"""From what filing and identity say to search's read models: one mapping, used by the event consumers
and by ``search rebuild`` alike (filing's export items have the shape of its events' data).

Every write is version-guarded by the store, so applying the same state twice, or an older state after
a newer one, changes nothing.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from search.adapters.store import ACCESS_FROM_FILING, ACCESS_FROM_IDENTITY, Db, SearchStore
from search.domain.case_numbers import parse_case_number
from search.domain.records import CaseRecord, DocketEntry, DocumentRecord, Party


def case_record(data: dict[str, Any]) -> CaseRecord:
    """``filing.case.updated``'s data (or an exported case) as the read model's record."""
    number = parse_case_number(data["case_number"])
    if number is None or not number.is_whole:
        raise ValueError(f"not a case number: {data['case_number']!r}")
    assert number.prefix is not None and number.number is not None and number.year is not None
    return CaseRecord(
        case_id=data["case_id"],
        case_number=data["case_number"],
        prefix=number.prefix,
        number=number.number,
        year=number.year,
        court=data["court"],
        case_type=data["case_type"],
        title=data["title"],
        status=data["status"],
        filed_at=datetime.fromisoformat(data["filed_at"]),
        version=data["aggregate_version"],
        sealed=data["sealed"],
        parties=tuple(
            Party(
                name=party["name"],
                role=party["role"],
                name_zh=party.get("name_zh"),
                representative=(party.get("representative") or {}).get("name"),
            )
            for party in data["parties"]
        ),
        docket=tuple(
            DocketEntry(number=entry["number"], title=entry["title"], filed_on=date.fromisoformat(entry["filed_on"]))
            for entry in data["docket"]
        ),
    )


def party_accounts(data: dict[str, Any]) -> list[str]:
    """The accounts filing puts on a case by itself: parties acting in person."""
    return sorted({party["account_id"] for party in data["parties"] if party.get("account_id")})


def project_case(store: SearchStore, db: Db, data: dict[str, Any]) -> bool:
    """A case's whole state: the case, its sealing, and the parties in person who see it in "my cases"."""
    applied = store.upsert_case(db, case_record(data))
    store.set_case_access(db, data["case_id"], ACCESS_FROM_FILING, party_accounts(data), data["aggregate_version"])
    return applied


def project_sealing(store: SearchStore, db: Db, data: dict[str, Any], sealed: bool) -> bool:
    """``filing.case.sealed`` / ``unsealed``: at once, before any fuller state arrives."""
    return store.set_sealed(db, data["case_id"], sealed, data["aggregate_version"])


def identity_source(organisation_id: str) -> str:
    """Identity's assignments are versioned per (case, organisation): each organisation is its own source."""
    return f"{ACCESS_FROM_IDENTITY}:{organisation_id}"


def project_assignment(store: SearchStore, db: Db, data: dict[str, Any]) -> bool:
    """``identity.case_assignment.changed`` (or an exported assignment set): who of the firm sees the case."""
    return store.set_case_access(
        db, data["case_id"], identity_source(data["organisation_id"]), data["account_ids"], data["aggregate_version"]
    )


def document_record(data: dict[str, Any], text: str) -> DocumentRecord:
    """``filing.document.published``'s data (or an exported document) with its text, fetched by reference."""
    return DocumentRecord(
        document_id=data["document_id"],
        case_id=data["case_id"],
        case_number=data["case_number"],
        court=data["court"],
        case_type=data["case_type"],
        title=data["title"],
        kind=data["kind"],
        dated=date.fromisoformat(data["dated"]),
        version=data["aggregate_version"],
        public=data["public_inspection"],
        sealed=data["sealed"],
        text=text,
    )


def project_document(store: SearchStore, db: Db, data: dict[str, Any], text: str) -> bool:
    return store.upsert_document(db, document_record(data, text))


def project_withdrawal(store: SearchStore, db: Db, data: dict[str, Any]) -> bool:
    """``filing.document.sealed``: the document leaves search at once."""
    return store.remove_document(db, data["document_id"], data["aggregate_version"])
