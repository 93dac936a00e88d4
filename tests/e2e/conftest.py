"""The journeys' shared pieces: ``stack.py`` (the running system, its people) and the ``full_stack`` fixture."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from minio import Minio

from chassis.storage import S3Settings

# pytest runs with --import-mode=importlib, which puts no test folder on sys.path.
sys.path.insert(0, str(Path(__file__).parent))

from stack import Stack, running_stack


@pytest.fixture
def full_stack(
    postgres_server: str, amqp_url: str, s3_settings: S3Settings, s3_client: Minio, tmp_path: Path
) -> Iterator[Stack]:
    """Identity, filing, payments and the gateway, each web process and worker a real process."""
    with running_stack(postgres_server, amqp_url, s3_settings, s3_client, tmp_path) as stack:
        yield stack
