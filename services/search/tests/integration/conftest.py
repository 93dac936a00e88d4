"""Each test gets search's read models migrated on its own database: SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa

from chassis.db import create_engine
from chassis.migrations import upgrade
from search.adapters.store import SearchStore, make_store


@dataclass
class Backend:
    engine: sa.Engine
    store: SearchStore

    @property
    def name(self) -> str:
        return self.engine.dialect.name


@pytest.fixture
def backend(database_url: str) -> Iterator[Backend]:
    """The store on SQLite (a file) and on PostgreSQL, one test run each."""
    upgrade("search", database_url)
    engine = create_engine(database_url)
    try:
        yield Backend(engine, make_store(engine))
    finally:
        engine.dispose()
