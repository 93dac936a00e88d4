"""search's processes stand up on real infrastructure: migrations, health, problems, metrics, worker."""

from chassis.testing.skeleton import check_settings_are_validated, check_skeleton, settings_for
from search import config
from search.bootstrap import bootstrap


def test_search_migrates_serves_health_and_runs_its_worker(database_url, amqp_url, request) -> None:
    s3 = request.getfixturevalue("s3_settings") if False else None
    bucket = request.getfixturevalue("s3_bucket") if False else ""
    check_skeleton(bootstrap, settings_for("search", database_url, amqp_url, s3, bucket, uses_storage=False))


def test_search_refuses_malformed_or_missing_settings(monkeypatch) -> None:
    check_settings_are_validated(config.load, uses_storage=False, monkeypatch=monkeypatch)
