"""Alembic per service: each service keeps its migrations in ``<package>/migrations``."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from sqlalchemy.engine import make_url

from chassis.db import create_engine, ensure_database


def alembic_config(package: str, url: str) -> Config:
    """An Alembic configuration for ``package``'s migrations against ``url``."""
    config = Config()
    config.set_main_option("script_location", f"{package}:migrations")
    config.attributes["url"] = url
    return config


def upgrade(package: str, url: str, revision: str = "head") -> None:
    """Create the database if needed and migrate it to ``revision``."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    ensure_database(url)
    command.upgrade(alembic_config(package, url), revision)


def run_env(target_metadata: sa.MetaData) -> None:
    """The body of every service's ``migrations/env.py``: online migrations on our engine."""
    from alembic import context

    url = context.config.attributes["url"]
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite alters tables by copying them; batch mode does that for us.
                render_as_batch=engine.dialect.name == "sqlite",
            )
            with context.begin_transaction():
                context.run_migrations()
    finally:
        engine.dispose()
