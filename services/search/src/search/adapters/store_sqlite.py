"""The embedded store on SQLite (3.40 here) with FTS5.

- ``party_names_fts`` (trigram tokenizer), rowid = ``case_parties.id``: column ``padded`` holds the
  normalised name with each word padded as pg_trgm pads it, so any pg_trgm trigram of a query is a
  phrase this index can find; the candidates are then scored with the same
  ``strict_word_similarity`` as PostgreSQL's (a Python function registered on the connection).
  Column ``compact`` serves Chinese substrings of three characters or more; shorter ones are looked
  for with ``instr`` on ``case_parties`` (FTS5's trigram index cannot match fewer than three
  characters).
- ``documents_fts`` (unicode61, diacritics removed, Porter stemmer), rowid = ``public_documents.id``:
  ranked with ``bm25()`` (title weighted 10, text 1) and highlighted with ``snippet()``.

Every string put into a MATCH expression is made of letters, digits and spaces only and is quoted
as a phrase, so no input can become FTS5 query syntax.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from functools import cache
from importlib import resources
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.sql.elements import ColumnElement

from search.adapters.store import Db
from search.adapters.store_sql import SqlStore
from search.adapters.tables import case_parties, public_documents
from search.domain.names import NAME_SIMILARITY_THRESHOLD, padded_for_trigram_index, strict_word_similarity, trigrams
from search.domain.snippets import START, STOP

SIMILARITY_FUNCTION = "icms_strict_word_similarity"

# Tables (not lightweight ``sa.table``s, which schema translation does not reach) in a metadata of
# their own: migration 0002 creates them, not ``tables.metadata``.
_fts = sa.MetaData()
party_names_fts = sa.Table(
    "party_names_fts", _fts, sa.Column("rowid", sa.Integer), sa.Column("padded", sa.Text), sa.Column("compact", sa.Text)
)
documents_fts = sa.Table(
    "documents_fts", _fts, sa.Column("rowid", sa.Integer), sa.Column("title", sa.Text), sa.Column("body", sa.Text)
)


@cache
def stopwords() -> frozenset[str]:
    """The words PostgreSQL's English configuration leaves out of a query, left out here too."""
    text = resources.files("search.data").joinpath("english_stopwords.txt").read_text("utf-8")
    return frozenset(line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#"))


def _phrase(text: str) -> str:
    if '"' in text:
        raise ValueError("a full-text phrase cannot hold a double quote")
    return f'"{text}"'


def _similarity(query: str | None, target: str | None) -> float:
    return strict_word_similarity(query or "", target or "")


def _fts_matches(table: str, expression: str) -> ColumnElement[bool]:
    """``rowid IN (SELECT rowid FROM table WHERE table MATCH :expression)``."""
    return (
        sa.select(sa.literal_column("rowid"))
        .select_from(sa.table(table))
        .where(sa.literal_column(table).op("MATCH")(sa.literal(expression, sa.String)))
        .scalar_subquery()
    )


class SqliteStore(SqlStore):
    def _insert(self, table: sa.Table) -> Any:
        return sqlite_insert(table)

    @contextmanager
    def _reader(self) -> Iterator[sa.Connection]:
        with self.engine.connect() as conn:
            driver = conn.connection.driver_connection
            driver.create_function(SIMILARITY_FUNCTION, 2, _similarity, deterministic=True)  # type: ignore[union-attr]
            yield conn

    # -- index maintenance ----------------------------------------------------------------------

    # Core statements, not SQL text, so that a rebuild's schema translation reaches them too.

    def _index_parties(self, db: Db, rows: Sequence[tuple[int, str, str]]) -> None:
        db.execute(
            sa.insert(party_names_fts),
            [{"rowid": i, "padded": padded_for_trigram_index(norm), "compact": comp} for i, norm, comp in rows],
        )

    def _unindex_parties(self, db: Db, case_id: str) -> None:
        of_case = sa.select(case_parties.c.id).where(case_parties.c.case_id == case_id)
        db.execute(sa.delete(party_names_fts).where(party_names_fts.c.rowid.in_(of_case)))

    def _index_document(self, db: Db, row_id: int, title: str, text: str) -> None:
        db.execute(sa.insert(documents_fts).values(rowid=row_id, title=title, body=text))

    def _unindex_document(self, db: Db, row_id: int) -> None:
        db.execute(sa.delete(documents_fts).where(documents_fts.c.rowid == row_id))

    # -- names ----------------------------------------------------------------------------------

    def _latin_party_filter(self, conn: sa.Connection, name: str) -> ColumnElement[bool]:
        grams = sorted(trigrams(name))
        expression = "{padded} : (" + " OR ".join(_phrase(g) for g in grams) + ")"
        return sa.and_(
            case_parties.c.id.in_(_fts_matches("party_names_fts", expression)),
            sa.func.coalesce(
                getattr(sa.func, SIMILARITY_FUNCTION)(sa.literal(name, sa.String), case_parties.c.name_norm), 0.0
            )
            >= NAME_SIMILARITY_THRESHOLD,
        )

    def _chinese_party_filter(self, compacted: str) -> ColumnElement[bool]:
        if len(compacted) >= 3:
            expression = "{compact} : " + _phrase(compacted)
            return case_parties.c.id.in_(_fts_matches("party_names_fts", expression))
        return sa.func.instr(case_parties.c.name_compact, sa.literal(compacted, sa.String)) > 0

    # -- documents ------------------------------------------------------------------------------

    def _text_match(
        self, terms: list[str]
    ) -> tuple[ColumnElement[bool], ColumnElement[bool], ColumnElement[float], list[Any]]:
        content = [t for t in terms if t not in stopwords()]
        d = public_documents.c
        phrase = d.id.in_(_fts_matches("documents_fts", _phrase(" ".join(terms))))
        if not content:
            # Only stop words: PostgreSQL's query is empty and matches nothing; so here.
            return sa.false(), phrase, sa.literal(0.0), []
        every = " AND ".join(_phrase(t) for t in content)
        ranked = (
            sa.select(
                sa.literal_column("rowid").label("doc_rowid"),
                (-sa.func.bm25(sa.literal_column("documents_fts"), 10.0, 1.0)).label("doc_score"),
            )
            .select_from(sa.table("documents_fts"))
            .where(sa.literal_column("documents_fts").op("MATCH")(sa.literal(every, sa.String)))
            .subquery("fts")
        )
        return (
            ranked.c.doc_rowid.is_not(None),
            phrase,
            sa.func.coalesce(ranked.c.doc_score, 0.0),
            [(ranked, ranked.c.doc_rowid == d.id)],
        )

    def _snippets(self, conn: sa.Connection, ids: list[int], terms: list[str]) -> dict[int, str]:
        every = " OR ".join(_phrase(t) for t in terms if t not in stopwords()) or _phrase(" ".join(terms))
        rows = conn.execute(
            sa.text(
                "SELECT rowid, snippet(documents_fts, 1, :start, :stop, ' … ', 24) FROM documents_fts "
                "WHERE documents_fts MATCH :every AND rowid IN (SELECT value FROM json_each(:ids))"
            ),
            {"start": START, "stop": STOP, "every": every, "ids": _json_list(ids)},
        )
        return {row[0]: row[1] for row in rows if START in (row[1] or "")}


def _json_list(ids: list[int]) -> str:
    return "[" + ",".join(str(int(i)) for i in ids) + "]"
