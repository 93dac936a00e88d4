"""S3 fixtures: a server for the session, a fresh bucket for each test.

Where the server comes from, in order: ``ICMS_TEST_S3_ENDPOINT`` (with ``ICMS_TEST_S3_ACCESS_KEY`` and
``ICMS_TEST_S3_SECRET_KEY``); a SeaweedFS ``weed mini`` started for the session on free ports in a
temporary directory; a MinIO container when a Docker engine answers. Failing all three, the tests that
need S3 fail under ``CI=true`` and are skipped elsewhere.

Registered as a pytest plugin through the ``pytest11`` entry point, so importing this module must stay
cheap and free of side effects.
"""

from __future__ import annotations

import os
import re
import secrets
import uuid
import warnings
from collections.abc import Iterator

import pytest
from minio import Minio
from minio.deleteobjects import DeleteObject

from chassis.config import env_str
from chassis.storage import DocumentStore, S3Settings, make_client
from chassis.testing.infra import docker_available, unavailable

__all__ = ["document_store", "s3_bucket", "s3_client", "s3_settings"]


@pytest.fixture(scope="session")
def s3_settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Settings]:
    """Endpoint and credentials of an S3 server that lives for the whole test session."""
    endpoint = os.environ.get("ICMS_TEST_S3_ENDPOINT", "")
    if endpoint:
        yield S3Settings(
            endpoint=endpoint,
            access_key=env_str("ICMS_TEST_S3_ACCESS_KEY"),
            secret_key=env_str("ICMS_TEST_S3_SECRET_KEY"),
            region=os.environ.get("ICMS_TEST_S3_REGION") or "us-east-1",
        )
        return

    from chassis.s3server import S3ServerError, SeaweedS3

    access_key = "icms-test"
    secret_key = secrets.token_hex(16)
    root = tmp_path_factory.mktemp("s3")
    server = SeaweedS3(root / "data", None, access_key, secret_key, root / "logs")
    try:
        server.start()
        server.wait_ready(timeout=60)
    except S3ServerError as exc:
        server.stop()
        seaweed_problem = str(exc)
    else:
        try:
            yield S3Settings(endpoint=server.endpoint, access_key=access_key, secret_key=secret_key)
        finally:
            server.stop()
        return

    if docker_available():
        from testcontainers.community.minio import MinioContainer

        with MinioContainer(access_key=access_key, secret_key=secret_key) as container:
            host = container.get_container_host_ip()
            port = container.get_exposed_port(container.port)
            yield S3Settings(endpoint=f"http://{host}:{port}", access_key=access_key, secret_key=secret_key)
        return
    unavailable("S3", f"no ICMS_TEST_S3_ENDPOINT, local SeaweedFS failed ({seaweed_problem}), no Docker engine")


@pytest.fixture(scope="session")
def s3_client(s3_settings: S3Settings) -> Minio:
    """A minio client for the session's S3 server (built by :func:`chassis.storage.make_client`)."""
    return make_client(s3_settings)


def _bucket_name(test_name: str) -> str:
    # Bucket names: 3-63 characters of lowercase letters, digits and hyphens. The test's name is in it
    # so a bucket left behind by a crashed run says where it came from.
    slug = re.sub(r"[^a-z0-9]+", "-", test_name.lower()).strip("-")[:40].strip("-")
    return f"t-{slug}-{uuid.uuid4().hex[:12]}" if slug else f"t-{uuid.uuid4().hex[:20]}"


@pytest.fixture
def s3_bucket(s3_client: Minio, request: pytest.FixtureRequest) -> Iterator[str]:
    """The name of a new, empty bucket of this test's own; emptied and removed afterwards."""
    name = _bucket_name(request.node.name)
    s3_client.make_bucket(name)
    try:
        yield name
    finally:
        remove_bucket(s3_client, name)


def remove_bucket(client: Minio, bucket: str) -> None:
    """Empty and remove ``bucket``, warning instead of failing if something stays behind."""
    # Best effort with a warning: a test that locks objects (object lock) legitimately leaves them, and a
    # teardown error would be reported against a test that did nothing wrong.
    try:
        store = DocumentStore(client, bucket)
        for upload in store.list_incomplete_uploads():
            store.abort_incomplete_upload(upload)
        versions = [
            DeleteObject(obj.object_name, obj.version_id)
            for obj in client.list_objects(bucket, recursive=True, include_version=True)
            if obj.object_name is not None
        ]
        errors = list(client.remove_objects(bucket, versions)) if versions else []
        if errors:
            raise RuntimeError(f"{len(errors)} objects could not be deleted, e.g. {errors[0]}")
        client.remove_bucket(bucket)
    except Exception as exc:
        warnings.warn(f"test bucket {bucket} not removed: {exc}", stacklevel=1)


@pytest.fixture
def document_store(s3_client: Minio, s3_bucket: str) -> DocumentStore:
    """A :class:`~chassis.storage.DocumentStore` on this test's own bucket."""
    return DocumentStore(s3_client, s3_bucket)
