"""Each test gets search's read models migrated on its own database (SQLite and PostgreSQL), or the
whole of search wired there with its own vhost and a bucket for the texts filing would store."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import sqlalchemy as sa
from search_world import World

from chassis.db import create_engine
from chassis.migrations import upgrade
from chassis.storage import DocumentStore
from chassis.testing.skeleton import settings_for
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


def _world(database_url: str, amqp_url: str, texts: DocumentStore, retry_delays_ms: tuple[int, ...] = ()) -> World:
    settings = settings_for("search", database_url, amqp_url, None, "", uses_storage=False)
    return World(settings, texts, retry_delays_ms)


@pytest.fixture
def world(database_url: str, amqp_url: str, document_store: DocumentStore) -> Iterator[World]:
    """Search wired on SQLite and on PostgreSQL (one test run each), its own vhost, and a bucket where
    the test stores public documents' text as filing would."""
    made = _world(database_url, amqp_url, document_store)
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def impatient_world(database_url: str, amqp_url: str, document_store: DocumentStore) -> Iterator[World]:
    """As ``world``, retrying a failed message after 0.2 s and 0.4 s (not 1, 10 and 60) before it
    dead-letters: three attempts in all."""
    made = _world(database_url, amqp_url, document_store, retry_delays_ms=(200, 400))
    try:
        yield made
    finally:
        made.close()
