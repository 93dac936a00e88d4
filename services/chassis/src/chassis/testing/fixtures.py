"""The pytest plugin every service's tests get (registered through the ``pytest11`` entry point;
the S3 fixtures are a sibling plugin, :mod:`chassis.testing.s3`).

Each test gets its own PostgreSQL database, RabbitMQ vhost and S3 bucket, so tests never see each
other's data. Where each comes from is decided in :mod:`chassis.testing.infra`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import quote, unquote, urlsplit

import pytest

from chassis.testing.infra import docker_available, port_open, scratch_database, unavailable

__all__ = [
    "amqp_url",
    "database_url",
    "postgres_server",
    "postgres_url",
    "rabbitmq",
    "sqlite_url",
]


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[str]:
    """A URL of a PostgreSQL server's maintenance database, with rights to create databases."""
    explicit = os.environ.get("ICMS_TEST_POSTGRES_URL")
    if explicit:
        yield explicit
        return
    if port_open("127.0.0.1", 5432):
        yield "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        return
    if docker_available():
        from testcontainers.postgres import PostgresContainer

        with PostgresContainer("postgres:16-alpine", driver="psycopg") as container:
            yield container.get_connection_url()
        return
    unavailable("PostgreSQL", "no ICMS_TEST_POSTGRES_URL, nothing on 127.0.0.1:5432, no Docker engine")


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty PostgreSQL database for this test, dropped afterwards."""
    with scratch_database(postgres_server) as url:
        yield url


@pytest.fixture
def sqlite_url(tmp_path: object) -> str:
    """A SQLite database file of this test's own."""
    return f"sqlite:///{tmp_path}/test.db"


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest) -> str:
    """Runs the test once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "postgres_url")


@dataclass
class RabbitMQ:
    """A broker and a way to make and remove vhosts on it."""

    host: str
    port: int
    user: str
    password: str
    ctl: list[str]

    def url(self, vhost: str) -> str:
        return f"amqp://{self.user}:{self.password}@{self.host}:{self.port}/{quote(vhost, safe='')}"

    def add_vhost(self, vhost: str) -> None:
        subprocess.run([*self.ctl, "add_vhost", vhost], check=True, capture_output=True, timeout=60)
        subprocess.run(
            [*self.ctl, "set_permissions", "-p", vhost, self.user, ".*", ".*", ".*"],
            check=True,
            capture_output=True,
            timeout=60,
        )

    def delete_vhost(self, vhost: str) -> None:
        subprocess.run([*self.ctl, "delete_vhost", vhost], check=False, capture_output=True, timeout=60)


@pytest.fixture(scope="session")
def rabbitmq() -> Iterator[RabbitMQ]:
    """The broker the tests use; vhosts are made through ``rabbitmqctl`` (locally or in a container)."""
    explicit = os.environ.get("ICMS_TEST_AMQP_URL")
    ctl = shutil.which("rabbitmqctl")
    if explicit:
        parsed = urlsplit(explicit)
        if ctl is None:
            unavailable("RabbitMQ", "ICMS_TEST_AMQP_URL is set but rabbitmqctl is not on PATH to make vhosts")
        assert ctl is not None
        yield RabbitMQ(
            parsed.hostname or "127.0.0.1",
            parsed.port or 5672,
            unquote(parsed.username or "guest"),
            unquote(parsed.password or "guest"),
            [ctl],
        )
        return
    if port_open("127.0.0.1", 5672) and ctl is not None:
        yield RabbitMQ("127.0.0.1", 5672, "guest", "guest", [ctl])
        return
    if docker_available():
        from testcontainers.rabbitmq import RabbitMqContainer

        with RabbitMqContainer("rabbitmq:3.13-alpine") as container:
            docker_ctl = ["docker", "exec", container.get_wrapped_container().id, "rabbitmqctl"]
            yield RabbitMQ(
                container.get_container_host_ip(),
                int(container.get_exposed_port(5672)),
                "guest",
                "guest",
                docker_ctl,
            )
        return
    unavailable("RabbitMQ", "no ICMS_TEST_AMQP_URL, no broker with rabbitmqctl on 127.0.0.1:5672, no Docker engine")


@pytest.fixture
def amqp_url(rabbitmq: RabbitMQ) -> Iterator[str]:
    """An AMQP URL on a vhost of this test's own, deleted afterwards."""
    vhost = f"t_{uuid.uuid4().hex[:12]}"
    rabbitmq.add_vhost(vhost)
    try:
        yield rabbitmq.url(vhost)
    finally:
        rabbitmq.delete_vhost(vhost)
