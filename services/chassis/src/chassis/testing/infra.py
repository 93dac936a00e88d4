"""Finding the infrastructure a test needs, and what to do when it is missing.

Order for every service: an explicit URL from the environment, then the local service on its usual
port, then testcontainers when a Docker engine answers. With ``CI=true`` a missing service fails the
test run; elsewhere the test is skipped with the reason.
"""

from __future__ import annotations

import contextlib
import os
import socket
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url


def in_ci() -> bool:
    """True when running under CI, where nothing may be skipped for want of infrastructure."""
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def unavailable(what: str, reason: str) -> None:
    """Fail (in CI) or skip (elsewhere) because ``what`` cannot be reached."""
    message = f"{what} unavailable: {reason}"
    if in_ci():
        pytest.fail(message + " (CI=true: infrastructure must be present)", pytrace=False)
    pytest.skip(message)


def port_open(host: str, port: int, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections at host:port."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def docker_available() -> bool:
    """Whether a Docker engine answers, so testcontainers can start containers."""
    try:
        import docker

        docker.from_env(timeout=2).ping()
        return True
    except Exception:  # any failure means the same thing: no engine to use
        return False


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def scratch_database(server_url: str) -> Iterator[str]:
    """A fresh PostgreSQL database on the server at ``server_url``, dropped afterwards; yields its URL."""
    name = f"t_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
