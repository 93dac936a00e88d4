"""The production store on PostgreSQL: documents in a generated ``tsvector`` column (English
configuration, title weighted above text) under a GIN index, ranked with ``ts_rank`` and
highlighted with ``ts_headline``.

Party names: the names like a Latin query are found once in ``party_names`` (every distinct name,
under a pg_trgm GIN index; ``strict_word_similarity`` with the ``<<%`` operator), and parties are then
matched by exact name against that list. Chinese names match with LIKE on the name without spaces
(pg_trgm indexes LIKE), through a GIN index of the name's pairs of characters when the query is too
short to have a trigram. Which cases to look at first is the shared store's choice
(``SqlStore._newest_with_party``); here each case's parties are probed through a LATERAL subquery.

Every connection is set up (``SESSION_SETTINGS``) so that the ``<<%`` operator's index scan uses the
store's own threshold, and so that a statement psycopg prepares after its fifth run is still planned
for its parameters: a generic plan for a party name or a full-text query can take seconds."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.sql.elements import ColumnElement

from search.adapters.store import Db
from search.adapters.store_sql import SqlStore
from search.adapters.tables import case_parties, public_documents
from search.domain.case_types import CaseTypeRules
from search.domain.names import NAME_SIMILARITY_THRESHOLD, character_pairs
from search.domain.snippets import START, STOP

CONFIG = "english"
_search_vector = sa.literal_column("public_documents.search_vector")
# Migration 0005's table of every distinct party name (PostgreSQL only, so outside the shared metadata); a
# name is never removed, as one no party has any more matches nothing.
_names = sa.MetaData()
party_names = sa.Table("party_names", _names, sa.Column("name_norm", sa.String(400), primary_key=True))
#: Migration 0005's generated column of each name's pairs of characters (outside the shared metadata).
_name_pairs = sa.literal_column("case_parties.name_pairs", ARRAY(sa.Text))
SESSION_SETTINGS = {
    "plan_cache_mode": "force_custom_plan",
    "pg_trgm.strict_word_similarity_threshold": str(NAME_SIMILARITY_THRESHOLD),
}
_HEADLINE = f'StartSel={START}, StopSel={STOP}, MaxWords=35, MinWords=12, MaxFragments=2, FragmentDelimiter=" … "'


def _like_literal(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def apply_session_settings(dbapi_connection: Any, *_: Any) -> None:
    """``SESSION_SETTINGS`` on a new psycopg connection (committed, so no rollback undoes them)."""
    with dbapi_connection.cursor() as cursor:
        for name, value in SESSION_SETTINGS.items():
            cursor.execute("SELECT set_config(%s, %s, false)", (name, value))
    dbapi_connection.commit()


class PostgresStore(SqlStore):
    def __init__(self, engine: sa.Engine, rules: CaseTypeRules) -> None:
        super().__init__(engine, rules)
        if not sa.event.contains(engine, "connect", apply_session_settings):
            sa.event.listen(engine, "connect", apply_session_settings)

    def _insert(self, table: sa.Table) -> Any:
        return pg_insert(table)

    def _index_parties(self, db: Db, rows: Sequence[tuple[int, str, str]]) -> None:
        names = sorted({norm for _, norm, _ in rows})
        if names:
            stmt = pg_insert(party_names).values([{"name_norm": n} for n in names])
            db.execute(stmt.on_conflict_do_nothing(index_elements=["name_norm"]))

    def _latin_party_filter(self, conn: sa.Connection, name: str) -> ColumnElement[bool]:
        # Names repeat (2.45M parties of a million cases have 350,000 names), so the similarity, the costly
        # part, is computed once a name, in party_names, before the query: then each party is a lookup of
        # its exact name in a constant array (hashed), and PostgreSQL cannot plan the similarity into the
        # query, where it once computed it for every one of the 350,000 names (620 ms).
        wanted = sa.literal(name, sa.String)
        alike = (
            conn.execute(
                sa.select(party_names.c.name_norm).where(
                    wanted.op("<<%")(party_names.c.name_norm),
                    sa.func.strict_word_similarity(wanted, party_names.c.name_norm) >= NAME_SIMILARITY_THRESHOLD,
                )
            )
            .scalars()
            .all()
        )
        if not alike:
            return sa.false()
        return case_parties.c.name_norm == sa.any_(sa.literal(sorted(alike), ARRAY(sa.String)))

    def _each_with_party(
        self, stmt: sa.Select[Any], case_id: ColumnElement[str], party: ColumnElement[bool]
    ) -> sa.Select[Any]:
        # A LATERAL subquery with LIMIT cannot be turned into a join: PostgreSQL otherwise finds every
        # party matching a common name first (67,267 of them, 330 ms) to check the window's cases.
        first = (
            sa.select(sa.literal(1).label("found"))
            .where(case_parties.c.case_id == case_id, party)
            .limit(1)
            .lateral("party_found")
        )
        return stmt.join(first, sa.true())

    def _chinese_party_filter(self, compacted: str) -> ColumnElement[bool]:
        like = case_parties.c.name_compact.like(f"%{_like_literal(compacted)}%", escape="\\")
        pairs = sorted(character_pairs(compacted))
        # Two characters have no trigram, so the trigram index cannot serve LIKE for them: the pairs index
        # finds the candidates (0.2-8 s down to 7-22 ms at a million cases), LIKE keeps the match exact.
        return sa.and_(_name_pairs.op("@>")(sa.literal(pairs, ARRAY(sa.Text))), like) if pairs else like

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
