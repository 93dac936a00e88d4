"""Readiness checks for the dependencies a service cannot work without."""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from kombu import Connection
from sqlalchemy.engine import Engine


def database_check(engine: Engine) -> Callable[[], None]:
    """Raises unless the database answers a trivial query."""

    def check() -> None:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))

    return check


def broker_check(url: str, timeout: float = 2.0) -> Callable[[], None]:
    """Raises unless the broker accepts an AMQP connection within ``timeout`` seconds."""

    def check() -> None:
        with Connection(url, connect_timeout=timeout) as conn:
            conn.ensure_connection(max_retries=1, timeout=timeout)

    return check
