"""What search's use cases need, wired once per process by ``search.bootstrap.wire``."""

from __future__ import annotations

from dataclasses import dataclass

from search.adapters.document_text import TextFetcher
from search.adapters.store import SearchStore
from search.config import SearchSettings
from search.domain.case_types import CaseTypeRules


@dataclass(frozen=True)
class Deps:
    settings: SearchSettings
    store: SearchStore
    rules: CaseTypeRules
    """The same rules the store applies: the consumers use them to leave alone text never shown."""
    texts: TextFetcher
