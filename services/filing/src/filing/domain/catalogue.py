"""The court's reference data as filing reads it: case types (the implementation notice), document
types and rejection reasons. Data files, not code, so the registry changes them without a release."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class CaseType:
    """A (court, case type) of the implementation notice."""

    prefix: str
    court: str
    court_name: str
    name: str
    efiling_from: date
    form: str | None
    fee_code: str | None
    public_inspection: bool
    cause_book: bool
    source: str

    def takes_efiling_on(self, day: date) -> bool:
        """Whether the implementation notice has e-filing open for this case type on ``day``."""
        return day >= self.efiling_from

    def as_json(self) -> dict[str, Any]:
        """The case type as ``GET /case-types`` shows it."""
        return {
            "prefix": self.prefix,
            "court": self.court,
            "court_name": self.court_name,
            "name": self.name,
            "efiling_from": self.efiling_from.isoformat(),
            "form": self.form,
            "public_inspection": self.public_inspection,
            "cause_book": self.cause_book,
            "source": self.source,
        }


@dataclass(frozen=True)
class DocumentType:
    """A kind of filed document and what follows from it."""

    code: str
    title: str
    originating: bool
    lead: bool
    connected: bool
    fee_code: str | None
    public_inspection: bool
    joins_record: bool
    """Filed by a firm or litigant not yet on the record (acknowledgement of service, notice of acting),
    which puts the filer on the record for a party once the registry accepts it."""


@dataclass(frozen=True)
class Catalogue:
    """All of filing's reference data."""

    courts: dict[str, str]
    case_types: dict[str, CaseType]
    document_types: dict[str, DocumentType]
    fee_prefixes: dict[str, str]
    rejection_reasons: dict[str, str]

    def fee_item(self, court: str, fee_code: str | None) -> str | None:
        """The payments fee item code for ``fee_code`` in ``court``, e.g. ``DC.DEFENCE``."""
        return f"{self.fee_prefixes[court]}.{fee_code}" if fee_code else None


def _data(name: str) -> dict[str, Any]:
    return json.loads(resources.files("filing.data").joinpath(name).read_text("utf-8"))


@cache
def catalogue() -> Catalogue:
    """The reference data shipped with the service, read once per process."""
    cases = _data("case_types.json")
    documents = _data("document_types.json")
    courts = cases["courts"]
    return Catalogue(
        courts=courts,
        case_types={
            item["prefix"]: CaseType(
                **{
                    **item,
                    "efiling_from": date.fromisoformat(item["efiling_from"]),
                    "court_name": courts[item["court"]],
                }
            )
            for item in cases["case_types"]
        },
        document_types={item["code"]: DocumentType(**item) for item in documents["document_types"]},
        fee_prefixes=documents["fee_prefixes"],
        rejection_reasons={r["code"]: r["title"] for r in _data("rejection_reasons.json")["rejection_reasons"]},
    )
