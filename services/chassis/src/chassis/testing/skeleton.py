"""Checks every service's skeleton must pass, so each service's own test is a few lines."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from chassis.config import ConfigError
from chassis.service import Runtime, ServiceSettings, load_settings
from chassis.storage import S3Settings
from chassis.testing.principals import GATEWAY_SECRET, signed_headers
from chassis.web.principal import Principal
from chassis.worker import run_worker


def settings_for(
    service: str, database_url: str, amqp_url: str, s3: S3Settings | None, bucket: str, uses_storage: bool
) -> ServiceSettings:
    """A service's settings pointing at a test's own database, vhost and bucket."""
    env = {
        f"ICMS_{service.upper()}_DATABASE_URL": database_url,
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_GATEWAY_SECRET": GATEWAY_SECRET,
    }
    if uses_storage:
        assert s3 is not None
        env.update(
            ICMS_S3_ENDPOINT=s3.endpoint,
            ICMS_S3_ACCESS_KEY=s3.access_key,
            ICMS_S3_SECRET_KEY=s3.secret_key,
            ICMS_S3_REGION=s3.region,
        )
        env[f"ICMS_{service.upper()}_S3_BUCKET"] = bucket
    return load_settings(service, uses_storage=uses_storage, environ=env)


def check_skeleton(bootstrap: Callable[[ServiceSettings], Runtime], settings: ServiceSettings) -> None:
    """Migrate, serve health and problems, and run the worker until told to stop."""
    runtime = bootstrap(settings)
    try:
        runtime.migrate()
        runtime.migrate()  # a second run changes nothing and fails nothing
        with runtime.engine.connect() as conn:
            tables = set(sa.inspect(conn).get_table_names())
        assert {"outbox", "inbox", "inbox_attempts", "alembic_version"} <= tables

        client = runtime.web_app().test_client()
        ready = client.get("/health/ready")
        assert ready.status_code == 200, ready.json
        expected = {"db", "broker"} | ({"storage"} if settings.s3 is not None else set())
        assert set(ready.json["checks"]) == expected
        assert client.get("/health/live").json == {"service": settings.service, "status": "live"}
        missing = client.get(f"/api/{settings.service}/v1/nothing-here")
        assert (missing.status_code, missing.mimetype) == (404, "application/problem+json")
        assert "icms_http_requests_total" in client.get("/metrics").get_data(as_text=True)
        # The app reads the gateway's principal headers with the secret of its settings.
        caller = Principal("account-1", "individual", ("IU",), None, None, "session-1", None, "203.0.113.7")
        assert client.get("/health/live", headers=signed_headers(caller, runtime.clock.now())).status_code == 200
        forged = client.get("/health/live", headers={"X-ICMS-Principal": "e30", "X-ICMS-Principal-Signature": "0"})
        assert (forged.status_code, forged.json["type"]) == (401, "urn:icms:problem:untrusted-principal")

        stop = threading.Event()
        worker = threading.Thread(target=run_worker, args=(runtime.relay(), runtime.consumer(), stop))
        worker.start()
        stop.set()
        worker.join(timeout=30)
        assert not worker.is_alive(), "the worker did not stop when told to"
    finally:
        runtime.engine.dispose()


def check_settings_are_validated(
    load: Callable[[], ServiceSettings], uses_storage: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``load`` (a service's ``config.load``) refuses malformed and missing settings by name."""
    for name, value in (("ICMS_S3_ENDPOINT", "http://127.0.0.1:1"), ("ICMS_S3_ACCESS_KEY", "test-key"),
                        ("ICMS_S3_SECRET_KEY", "test-only"), ("ICMS_GATEWAY_SECRET", GATEWAY_SECRET),
                        ("ICMS_CONSUMER_PREFETCH", "many")):  # fmt: skip
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError, match="ICMS_CONSUMER_PREFETCH"):
        load()
    monkeypatch.delenv("ICMS_CONSUMER_PREFETCH")
    for secret in ("", GATEWAY_SECRET[:31]):  # absent, or too short to be a key
        monkeypatch.setenv("ICMS_GATEWAY_SECRET", secret)
        with pytest.raises(ConfigError, match="ICMS_GATEWAY_SECRET"):
            load()
    monkeypatch.setenv("ICMS_GATEWAY_SECRET", GATEWAY_SECRET)
    monkeypatch.delenv("ICMS_S3_ENDPOINT")
    if uses_storage:
        with pytest.raises(ConfigError, match="ICMS_S3_ENDPOINT"):
            load()
    else:
        assert load().s3 is None
