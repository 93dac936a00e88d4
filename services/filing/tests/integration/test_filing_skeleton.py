"""filing's processes stand up on real infrastructure: migrations, health, problems, metrics, worker."""

import pytest

from chassis.testing.skeleton import check_skeleton, settings_for
from filing.bootstrap import bootstrap


def test_filing_migrates_serves_health_and_runs_its_worker(database_url, amqp_url, request) -> None:
    s3 = request.getfixturevalue("s3_settings") if True else None
    bucket = request.getfixturevalue("s3_bucket") if True else ""
    check_skeleton(bootstrap, settings_for("filing", database_url, amqp_url, s3, bucket, uses_storage=True))


def test_filing_refuses_to_start_on_malformed_settings(monkeypatch) -> None:
    from chassis.config import ConfigError
    from filing import config

    monkeypatch.setenv("ICMS_S3_ENDPOINT", "http://127.0.0.1:1")
    monkeypatch.setenv("ICMS_S3_ACCESS_KEY", "k")
    monkeypatch.setenv("ICMS_S3_SECRET_KEY", "s")
    monkeypatch.setenv("ICMS_CONSUMER_PREFETCH", "many")
    with pytest.raises(ConfigError, match="ICMS_CONSUMER_PREFETCH"):
        config.load()


def test_filing_refuses_to_start_without_storage(monkeypatch) -> None:
    from chassis.config import ConfigError
    from filing import config

    monkeypatch.delenv("ICMS_S3_ENDPOINT", raising=False)
    with pytest.raises(ConfigError, match="ICMS_S3_ENDPOINT"):
        config.load()
