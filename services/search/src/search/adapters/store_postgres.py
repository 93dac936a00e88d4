"""The production store on PostgreSQL: documents in a generated ``tsvector`` column (English
configuration, title weighted above text) under a GIN index, ranked with ``ts_rank`` and
highlighted with ``ts_headline``; party names under pg_trgm GIN indexes, matched with
``strict_word_similarity`` (the ``<<%`` operator uses the index) and, for Chinese, with LIKE on the
name without spaces (pg_trgm indexes LIKE too)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from search.adapters.store_sql import SqlStore
from search.adapters.tables import case_parties, public_documents
from search.domain.names import NAME_SIMILARITY_THRESHOLD
from search.domain.snippets import START, STOP

CONFIG = "english"
_search_vector = sa.literal_column("public_documents.search_vector")
_HEADLINE = f'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


class PostgresStore(SqlStore):
    def _insert(self, table: sa.Table) -> Any:
        return pg_insert(table)

    def _latin_party_filter(self, name: str) -> ColumnElement[bool]:
        wanted = sa.literal(name, sa.String)
        return sa.and_(
            wanted.op("<<%")(case_parties.c.name_norm),
            sa.func.strict_word_similarity(wanted, case_parties.c.name_norm) >= NAME_SIMILARITY_THRESHOLD,
        )

    def _chinese_party_filter(self, compacted: str) -> ColumnElement[bool]:
        return case_parties.c.name_compact.like(f"%{_like_literal(compacted)}%", escape="\\")

    def _text_match(
        self, terms: list[str]
    ) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[float], list[Any]]:
        joined = " ".join(terms)
        every = sa.func.plainto_tsquery(sa.literal_column(f"'{CONFIG}'"), joined)
        phrase = sa.func.phraseto_tsquery(sa.literal_column(f"'{CONFIG}'"), joined)
        return (
            _search_vector.op("@@")(every),
            _search_vector.op("@@")(phrase),
            sa.func.ts_rank(_search_vector, every),
            [],
        )

    def _snippets(self, conn: sa.Connection, ids: list[int], terms: list[str]) -> dict[int, str]:
        every = sa.func.plainto_tsquery(sa.literal_column(f"'{CONFIG}'"), " ".join(terms))
        d = public_documents.c
        rows = conn.execute(
            sa.select(
                d.id,
                sa.func.ts_headline(
                    sa.literal_column(f"'{CONFIG}'"), sa.func.translate(d.text, "<>", "  "), every, _HEADLINE
                ),
            ).where(d.id.in_(ids))
        )
        # A document that matched by its title only has nothing marked in its text: the caller shows
        # the start of its text instead.
        return {row[0]: row[1] for row in rows if START in (row[1] or "")}
