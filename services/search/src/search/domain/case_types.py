"""Which case types may ever be shown, as data: the cause book leaves out HCCP and HCZZ, and no
document of HCMA, HCCP or HCZZ is open to online inspection (DOMAIN.md section 9).

Search keeps its own copy of this (``search/data/case_types.json``) rather than importing filing's.
A case type missing from it is shown nowhere: an unknown type fails closed.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any


@dataclass(frozen=True)
class CaseTypeRules:
    """What may be shown of each case type."""

    courts: Mapping[str, str]
    court_of: Mapping[str, str]
    cause_book: frozenset[str]
    """Prefixes whose cases appear in the cause book and in my cases (an allow-list)."""
    public_documents: frozenset[str]
    """Prefixes whose documents may be open to public inspection online (an allow-list)."""

    @property
    def prefixes(self) -> frozenset[str]:
        """Every case type search knows."""
        return frozenset(self.court_of)

    def in_cause_book(self, case_type: str) -> bool:
        return case_type in self.cause_book

    def documents_may_be_public(self, case_type: str) -> bool:
        return case_type in self.public_documents

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CaseTypeRules:
        items = data["case_types"]
        return cls(
            courts=dict(data["courts"]),
            court_of={item["prefix"]: item["court"] for item in items},
            cause_book=frozenset(item["prefix"] for item in items if item["cause_book"]),
            public_documents=frozenset(item["prefix"] for item in items if item["public_documents"]),
        )


@cache
def shipped_rules() -> CaseTypeRules:
    """The rules shipped with the service, read once per process."""
    text = resources.files("search.data").joinpath("case_types.json").read_text("utf-8")
    return CaseTypeRules.from_json(json.loads(text))
