"""The one interface to search's read models, whichever database holds them.

Two implementations: :class:`search.adapters.store_postgres.PostgresStore` (tsvector + GIN for
document text, pg_trgm for party names), for production, and
:class:`search.adapters.store_sqlite.SqliteStore` (FTS5), for the embedded default. The same
contract suite (``tests/integration/test_store_contract.py``) runs on both.

Writes run in the caller's transaction (``db`` is the consumer's unit-of-work session, or a
connection), so a read-model change commits together with its inbox row; each write applies only if
its version is newer than the one already applied, and says whether it did. Reads open their own
connection.

Whatever the input, no read ever returns a sealed case or document, a case of a type left out of the
cause book (HCCP, HCZZ), a document that is not open to public inspection, or any document of a type
never open online (HCMA, HCCP, HCZZ): every query's WHERE says so, not only the writes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Protocol

import sqlalchemy as sa
from sqlalchemy.orm import Session

from search.adapters.generations import Rebuilding, attach_on_sqlite
from search.domain.case_types import CaseTypeRules
from search.domain.queries import CauseBookQuery, DocumentQuery, MyCasesQuery
from search.domain.records import CaseRecord, CaseSummary, DocumentHit, DocumentRecord, Page

#: Where a write goes: the consumer's session, a connection, or either wrapped by ``Rebuilding`` (the
#: same statements, to a rebuild's new tables).
Db = sa.Connection | Session | Rebuilding

#: Sources of case access, each replaced whole at its own version.
ACCESS_FROM_FILING = "filing"
ACCESS_FROM_IDENTITY = "identity"


class SearchStore(Protocol):
    """Search's read models: cause book, public documents, my cases."""

    def upsert_case(self, db: Db, record: CaseRecord) -> bool:
        """Replace the case's whole state (parties, docket) if ``record.version`` is newer; merge its
        sealing by the same version rule. True if the state was applied."""
        ...

    def set_sealed(self, db: Db, case_id: str, sealed: bool, version: int) -> bool:
        """Seal or unseal a case (known yet or not) if ``version`` is newer than its last sealing."""
        ...

    def upsert_document(self, db: Db, record: DocumentRecord) -> bool:
        """Store a document if ``record.version`` is newer; one not open to inspection (or sealed)
        is kept without title or text, and never indexed."""
        ...

    def remove_document(self, db: Db, document_id: str, version: int) -> bool:
        """Withdraw a document (known yet or not) if ``version`` is newer."""
        ...

    def document_version(self, db: Db, document_id: str) -> int | None:
        """The version of the document's state held (shown or withdrawn), None if search never heard
        of it; lets a consumer skip fetching text for a state that would not apply."""
        ...

    def set_case_access(self, db: Db, case_id: str, source: str, account_ids: Collection[str], version: int) -> bool:
        """Replace the accounts that ``source`` says see the case, if ``version`` is newer."""
        ...

    def cause_book(self, query: CauseBookQuery) -> Page[CaseSummary]:
        """The public cause book, newest filing first."""
        ...

    def documents(self, query: DocumentQuery) -> Page[DocumentHit]:
        """Public documents: exact phrase matches first, then those of a case whose number the query
        names, then by relevance; snippets with the matches in ``<mark>``."""
        ...

    def my_cases(self, query: MyCasesQuery) -> Page[CaseSummary]:
        """The account's cases, with the cause book's filters and order."""
        ...


def make_store(engine: sa.Engine, rules: CaseTypeRules | None = None) -> SearchStore:
    """The store for ``engine``'s database (PostgreSQL or SQLite)."""
    from search.domain.case_types import shipped_rules

    rules = rules or shipped_rules()
    if engine.dialect.name == "postgresql":
        from search.adapters.store_postgres import PostgresStore

        return PostgresStore(engine, rules)
    if engine.dialect.name == "sqlite":
        from search.adapters.store_sqlite import SqliteStore

        # Its writes may go to a rebuild's tables too (search.adapters.generations).
        attach_on_sqlite(engine)
        return SqliteStore(engine, rules)
    raise ValueError(f"search has no store for {engine.dialect.name}")
