"""Each test gets payments wired on its own database, RabbitMQ vhost and S3 bucket."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from payments_testkit import World

from chassis.testing.skeleton import settings_for


@pytest.fixture
def payments_world(postgres_url: str, amqp_url: str, s3_settings, s3_bucket: str) -> Iterator[World]:
    made = World(settings_for("payments", postgres_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def payments_world_on_each_database(database_url: str, amqp_url: str, s3_settings, s3_bucket: str) -> Iterator[World]:
    """Payments on SQLite (the embedded default) and on PostgreSQL, one test run each."""
    made = World(settings_for("payments", database_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    try:
        yield made
    finally:
        made.close()
