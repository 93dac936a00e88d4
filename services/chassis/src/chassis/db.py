"""SQLAlchemy engines, sessions and the unit of work, for PostgreSQL or SQLite by URL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from types import TracebackType
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

if TYPE_CHECKING:
    from chassis.messaging.envelope import Envelope
    from chassis.messaging.outbox import Outbox

#: Execution option asking SQLite to take its write lock when the transaction begins. PostgreSQL
#: uses row locks (``FOR UPDATE SKIP LOCKED``) instead and ignores it.
WRITE_LOCK = "icms_write_lock"


class UtcDateTime(sa.TypeDecorator[datetime]):
    """A timezone-aware UTC instant on every backend: SQLite keeps no zone, so one is put back on
    reading, and comparisons with the clock's aware datetimes stay valid."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        """The stored instant, as an aware UTC datetime."""
        if value is not None and value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value


def create_engine(url: str, *, pool_size: int = 5, echo: bool = False) -> Engine:
    """An engine for ``url``; SQLite gets WAL, a busy timeout and foreign keys, PostgreSQL a pool."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = sa.create_engine(url, echo=echo, connect_args={"timeout": 30, "check_same_thread": False})
        _tune_sqlite(engine)
        return engine
    return sa.create_engine(url, echo=echo, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True)


def _tune_sqlite(engine: Engine) -> None:
    # pysqlite's own transaction handling defers BEGIN and breaks SAVEPOINT; SQLAlchemy's documented
    # recipe takes it over so that BEGIN (or BEGIN IMMEDIATE, for a writer that must not be raced)
    # is emitted when the transaction starts.
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        immediate = conn.get_execution_options().get(WRITE_LOCK, False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def is_sqlite(engine: Engine) -> bool:
    """Whether the engine talks to SQLite (which lacks row locks and SKIP LOCKED)."""
    return engine.dialect.name == "sqlite"


def session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine`` that keep loaded objects usable after commit.

    On SQLite every session's transaction begins IMMEDIATE. A transaction that began as a reader and
    then writes after another connection has committed fails at once with "database is locked"
    (its snapshot is stale; the busy timeout does not apply), whereas BEGIN IMMEDIATE waits its turn
    under the busy timeout. Readers are not blocked by it (WAL); writers take turns, as SQLite makes
    them do anyway. A unit of work must therefore never open a second one while it runs.
    """
    bind = engine.execution_options(**{WRITE_LOCK: True}) if is_sqlite(engine) else engine
    return sessionmaker(bind=bind, expire_on_commit=False)


class UnitOfWork:
    """One business transaction: the state change and the events it publishes commit together.

    Events handed to :meth:`publish` are written to the outbox table in the same transaction, so
    either both the change and its events are stored or neither is; the relay sends them later.
    """

    def __init__(self, sessions: Callable[[], Session], outbox: Outbox) -> None:
        self._sessions = sessions
        self._outbox = outbox
        self.session: Session

    def __enter__(self) -> UnitOfWork:
        self.session = self._sessions()
        self._after_commit: list[Callable[[], None]] = []
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        # Anything not committed explicitly is rolled back: a half-done change never lands.
        self.session.rollback()
        self.session.close()

    def publish(self, envelope: Envelope) -> None:
        """Queue ``envelope`` for publishing when (and only if) this unit of work commits."""
        self._outbox.add(self.session, envelope)

    def after_commit(self, action: Callable[[], None]) -> None:
        """Run ``action`` once the change has committed (never if it rolls back), e.g. to count it."""
        self._after_commit.append(action)

    def begin_nested(self) -> Savepoint:
        """A savepoint whose rollback also drops the after-commit actions registered since it began."""
        return Savepoint(self, self.session.begin_nested(), len(self._after_commit))

    def commit(self) -> None:
        """Commit the change and its outbox rows in one transaction, then run the after-commit actions."""
        self.session.commit()
        actions, self._after_commit = self._after_commit, []
        for action in actions:
            action()

    def rollback(self) -> None:
        """Abandon everything done since the last commit."""
        self.session.rollback()


class Savepoint:
    """Part of a unit of work that can be undone alone (a consumer's one message in a batch)."""

    def __init__(self, uow: UnitOfWork, transaction: SessionTransaction, actions_before: int) -> None:
        self._uow = uow
        self._transaction = transaction
        self._actions_before = actions_before

    def commit(self) -> None:
        """Keep this part's changes (they still commit or roll back with the unit of work)."""
        self._transaction.commit()

    def rollback(self) -> None:
        """Undo this part's changes and forget its after-commit actions."""
        self._transaction.rollback()
        del self._uow._after_commit[self._actions_before :]


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in ``url`` if absent; SQLite creates its file itself."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return
    admin = sa.create_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.execute(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :name"), {"name": parsed.database}
            ).scalar()
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    finally:
        admin.dispose()
