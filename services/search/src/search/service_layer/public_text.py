"""Which documents' text search fetches at all: only what it may show.

``filing.document.published`` exists only for documents open to public inspection, yet search checks
again rather than trust it: a document whose data says it is not open to inspection, is sealed, or
belongs to a case type whose documents are never open online (HCMA, HCCP, HCZZ) has its text left
where it is; its state is still recorded, without text, so a late older event cannot bring it back.
"""

from __future__ import annotations

from typing import Any

from search.adapters.document_text import TextFetcher
from search.domain.case_types import CaseTypeRules


def may_hold_text(rules: CaseTypeRules, data: dict[str, Any]) -> bool:
    """Whether the document ``data`` describes may have its text in search."""
    return (
        data["public_inspection"] is True
        and data["sealed"] is False
        and rules.documents_may_be_public(str(data["case_type"]).upper())
    )


def text_of(texts: TextFetcher, rules: CaseTypeRules, data: dict[str, Any]) -> str:
    """The document's text, fetched by its reference, or "" for a document search may not show."""
    return texts.fetch(data["text"]) if may_hold_text(rules, data) else ""
