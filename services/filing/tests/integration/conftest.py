"""Each test gets filing wired on its own database, RabbitMQ vhost and S3 bucket."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from chassis.testing.skeleton import settings_for

# pytest runs with --import-mode=importlib, which puts no test folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

from filing_testkit import World


@pytest.fixture
def world(postgres_url: str, amqp_url: str, s3_settings, s3_bucket: str) -> Iterator[World]:
    made = World(settings_for("filing", postgres_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    try:
        yield made
    finally:
        made.close()


@pytest.fixture
def world_on_each_database(database_url: str, amqp_url: str, s3_settings, s3_bucket: str) -> Iterator[World]:
    """Filing on SQLite (the embedded default) and on PostgreSQL, one test run each."""
    made = World(settings_for("filing", database_url, amqp_url, s3_settings, s3_bucket, uses_storage=True))
    try:
        yield made
    finally:
        made.close()
