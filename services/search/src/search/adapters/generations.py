"""Where ``search rebuild`` builds new read models beside the serving ones, and how it switches them.

The new generation has the serving tables' names in a namespace of its own, ``search_rebuild``: a
schema on PostgreSQL, an attached database file (``<search.db>-rebuild``) on SQLite. The store's
writes reach it unchanged through :class:`Rebuilding`, which runs each statement with SQLAlchemy's
``schema_translate_map``; reads never do, so they keep answering from the serving tables.

While the row in ``rebuild_state`` exists, the consumers apply every event to both generations
(:func:`rebuild_running`); the store's version guards make the order of the export's states and the
events' irrelevant.

The switch is one transaction, so a reader sees either the old read models or the new, never none:

- PostgreSQL: the serving tables move to a retired schema and the new ones into the serving schema
  (``ALTER TABLE ... SET SCHEMA``: their indexes, generated ``tsvector`` and sequences move with
  them, names unchanged), then the retired schema is dropped. Readers wait for the switch's locks
  (metadata only: milliseconds) and then read the new tables.
- SQLite: the serving tables' rows are replaced by the new ones (FTS5 tables included) and the new
  tables dropped. Readers keep their snapshot (WAL) until it commits; writers wait for it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from chassis.db import WRITE_LOCK
from search.adapters.tables import (
    case_access,
    case_access_versions,
    case_parties,
    case_seals,
    cases,
    docket_entries,
    metadata,
    public_documents,
    rebuild_state,
)

SCHEMA = "search_rebuild"
RETIRED = "search_retired"
TRANSLATE = {"schema_translate_map": {None: SCHEMA}}
READ_MODELS = (cases, case_seals, case_parties, docket_entries, public_documents, case_access, case_access_versions)
#: PostgreSQL's indexes of migration 0005 that let the cause book's name search read party names from
#: indexes alone: by name to case, and by case to name.
NAME_LOOKUPS = {
    "ix_case_parties_name_norm": "(name_norm) INCLUDE (case_id)",
    "ix_case_parties_case_id_name_norm": "(case_id) INCLUDE (name_norm)",
}
#: PostgreSQL's tables outside the metadata (migration 0005): every distinct party name once.
POSTGRES_READ_MODELS = ("party_names",)
#: SQLite's FTS5 tables (created outside the metadata, as in migration 0002) with their columns.
SQLITE_FTS = {"party_names_fts": ("padded", "compact"), "documents_fts": ("title", "body")}
STATE_ROW = "read_models"
#: PostgreSQL's switch: how long it waits for the locks of running reads and writes before it lets them
#: go on and tries again (below ``deadlock_timeout``, 1 s by default), and how often.
SWITCH_LOCK_TIMEOUT = "200ms"
SWITCH_ATTEMPTS = 100
LOCK_NOT_AVAILABLE = "55P03"


class RebuildAlreadyRunning(Exception):
    """Another rebuild has begun and not finished (or died: ``--restart`` takes over)."""


class Rebuilding:
    """A ``Db`` whose statements go to the new generation's tables (the store writes through it)."""

    def __init__(self, db: Any) -> None:
        self.db = db

    def execute(self, statement: Any, params: Any = None) -> Any:
        return self.db.execute(statement, params, execution_options=TRANSLATE)


def rebuild_running(db: Any) -> bool:
    """Whether a rebuild is building, read FOR SHARE on PostgreSQL so that the switch waits for this
    transaction (which may be writing to the new generation) to end."""
    query = sa.select(rebuild_state.c.name).where(rebuild_state.c.name == STATE_ROW).with_for_update(read=True)
    return db.execute(query).first() is not None


def attach_on_sqlite(engine: sa.Engine) -> None:
    """SQLite: every connection of ``engine`` has the new generation's file attached as ``search_rebuild``
    (ATTACH is refused inside a transaction, so it is done when a connection leaves the pool)."""
    if engine.dialect.name != "sqlite" or not engine.url.database or engine.url.database == ":memory:":
        return
    if sa.event.contains(engine, "checkout", _attach):
        return
    sa.event.listen(engine, "checkout", _attach)


def _attach(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    if record.info.get(SCHEMA):
        return
    main = dbapi_connection.execute("PRAGMA database_list").fetchone()[2]
    dbapi_connection.execute(f"ATTACH DATABASE ? AS {SCHEMA}", (f"{main}-rebuild",))
    dbapi_connection.execute(f"PRAGMA {SCHEMA}.journal_mode=WAL")
    record.info[SCHEMA] = True


@contextmanager
def _writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.execution_options(**{WRITE_LOCK: True}).begin() as conn:
        yield conn


@contextmanager
def new_tables(engine: sa.Engine) -> Iterator[Rebuilding]:
    """A transaction writing to the new generation (the rebuild's own writes)."""
    with _writing(engine) as conn:
        yield Rebuilding(conn)


def begin(engine: sa.Engine, started_at: datetime, restart: bool = False) -> None:
    """Empty new read models beside the serving ones, and the row that makes the consumers feed them."""
    with _writing(engine) as conn:
        held = conn.execute(sa.select(rebuild_state.c.started_at)).scalar()
        if held is not None and not restart:
            raise RebuildAlreadyRunning(
                f"a rebuild began at {held.isoformat()} and has not finished; if its process is gone, "
                "run `icms-search rebuild --restart`"
            )
        conn.execute(sa.delete(rebuild_state))
        _drop_new(conn)
        _create_new(conn)
        conn.execute(sa.insert(rebuild_state).values(name=STATE_ROW, started_at=started_at))


def abandon(engine: sa.Engine) -> None:
    """Give up a rebuild: the consumers stop feeding it and its tables go; the serving ones never changed."""
    with _writing(engine) as conn:
        conn.execute(sa.delete(rebuild_state))
        _drop_new(conn)


def switch(engine: sa.Engine) -> None:
    """Make the new read models the serving ones and drop the old, in one transaction."""
    if engine.dialect.name == "postgresql":
        _switch_postgres(engine)
        return
    with _writing(engine) as conn:
        conn.execute(sa.delete(rebuild_state))
        columns = {table.name: [c.name for c in table.columns] for table in READ_MODELS}
        columns.update({name: ["rowid", *names] for name, names in SQLITE_FTS.items()})
        for name, names in columns.items():
            listed = ", ".join(names)
            # Names from search's own metadata, never from input.
            conn.exec_driver_sql(f"DELETE FROM main.{name}")  # noqa: S608
            conn.exec_driver_sql(f"INSERT INTO main.{name} ({listed}) SELECT {listed} FROM {SCHEMA}.{name}")  # noqa: S608
        _drop_new(conn)


def _switch_postgres(engine: sa.Engine) -> None:
    """Readers lock the tables of a query one after another and keep them to the end of their
    transaction, in orders of their own; the switch takes every table at once. Waiting for them, it
    gives up after ``SWITCH_LOCK_TIMEOUT`` (well before PostgreSQL's deadlock check, which would
    otherwise fail a reader) and tries again, readers having been held back meanwhile only that long."""
    for attempt in range(1, SWITCH_ATTEMPTS + 1):
        try:
            with _writing(engine) as conn:
                conn.exec_driver_sql(f"SET LOCAL lock_timeout = '{SWITCH_LOCK_TIMEOUT}'")
                # First: this waits for every consumer that saw the row (FOR SHARE) to commit.
                conn.execute(sa.delete(rebuild_state))
                serving = conn.exec_driver_sql("SELECT current_schema()").scalar()
                names = [t.name for t in READ_MODELS] + list(POSTGRES_READ_MODELS)
                every = [f'"{serving}".{name}' for name in names] + [f"{SCHEMA}.{name}" for name in names]
                conn.exec_driver_sql(f"LOCK TABLE {', '.join(every)} IN ACCESS EXCLUSIVE MODE")
                conn.exec_driver_sql(f"CREATE SCHEMA {RETIRED}")
                for name in names:
                    conn.exec_driver_sql(f'ALTER TABLE "{serving}".{name} SET SCHEMA {RETIRED}')
                    conn.exec_driver_sql(f'ALTER TABLE {SCHEMA}.{name} SET SCHEMA "{serving}"')
                conn.exec_driver_sql(f"DROP SCHEMA {RETIRED} CASCADE")
                conn.exec_driver_sql(f"DROP SCHEMA {SCHEMA} CASCADE")
            return
        except sa.exc.OperationalError as exc:
            if getattr(exc.orig, "sqlstate", None) != LOCK_NOT_AVAILABLE or attempt == SWITCH_ATTEMPTS:
                raise
            time.sleep(min(0.05 * attempt, 1.0))


def _drop_new(conn: sa.Connection) -> None:
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"DROP SCHEMA IF EXISTS {SCHEMA} CASCADE")
        return
    for name in [*SQLITE_FTS, *(table.name for table in READ_MODELS)]:
        conn.exec_driver_sql(f"DROP TABLE IF EXISTS {SCHEMA}.{name}")


def _create_new(conn: sa.Connection) -> None:
    """The read models as the migrations leave them, full-text structures and name pairs included."""
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.exec_driver_sql(f"CREATE SCHEMA {SCHEMA}")
    metadata.create_all(conn.execution_options(**TRANSLATE), tables=list(READ_MODELS))
    conn.execution_options(schema_translate_map=None)  # set on the connection itself, not a copy
    if postgres:
        # As migration 0002 (pg_trgm is installed in the serving schema, on the search_path).
        conn.exec_driver_sql(
            f"ALTER TABLE {SCHEMA}.public_documents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', translate(title, '<>', '  ')), 'A') || "
            "setweight(to_tsvector('english', translate(text, '<>', '  ')), 'B')) STORED"
        )
        conn.exec_driver_sql(
            f"CREATE INDEX ix_public_documents_search_vector ON {SCHEMA}.public_documents USING gin (search_vector)"
        )
        for column in ("name_norm", "name_compact"):
            conn.exec_driver_sql(
                f"CREATE INDEX ix_case_parties_{column}_trgm ON {SCHEMA}.case_parties USING gin ({column} gin_trgm_ops)"
            )
        # As migration 0005 (its function stays in the serving schema, on the search_path).
        conn.exec_driver_sql(
            f"ALTER TABLE {SCHEMA}.case_parties ADD COLUMN name_pairs text[] "
            "GENERATED ALWAYS AS (search_name_pairs(name_compact)) STORED"
        )
        conn.exec_driver_sql(f"CREATE INDEX ix_case_parties_name_pairs ON {SCHEMA}.case_parties USING gin (name_pairs)")
        conn.exec_driver_sql(f"CREATE TABLE {SCHEMA}.party_names (name_norm varchar(400) PRIMARY KEY)")
        conn.exec_driver_sql(
            f"CREATE INDEX ix_party_names_name_norm_trgm ON {SCHEMA}.party_names USING gin (name_norm gin_trgm_ops)"
        )
        for index, columns in NAME_LOOKUPS.items():
            conn.exec_driver_sql(f"CREATE INDEX {index} ON {SCHEMA}.case_parties {columns}")
        return
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {SCHEMA}.party_names_fts USING fts5(padded, compact, tokenize='trigram')"
    )
    conn.exec_driver_sql(
        f"CREATE VIRTUAL TABLE {SCHEMA}.documents_fts USING fts5(title, body, "
        "tokenize='porter unicode61 remove_diacritics 2')"
    )
