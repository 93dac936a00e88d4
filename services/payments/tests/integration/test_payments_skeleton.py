"""payments's processes stand up on real infrastructure: migrations, health, problems, metrics, worker."""

from chassis.testing.skeleton import check_settings_are_validated, check_skeleton, settings_for
from payments import config
from payments.bootstrap import bootstrap


def test_payments_migrates_serves_health_and_runs_its_worker(database_url, amqp_url, request) -> None:
    s3 = request.getfixturevalue("s3_settings") if True else None
    bucket = request.getfixturevalue("s3_bucket") if True else ""
    check_skeleton(bootstrap, settings_for("payments", database_url, amqp_url, s3, bucket, uses_storage=True))


def test_payments_refuses_malformed_or_missing_settings(monkeypatch) -> None:
    check_settings_are_validated(config.load, uses_storage=True, monkeypatch=monkeypatch)
