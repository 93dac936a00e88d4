"""S3 settings from the environment, and what can be checked without a server."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, unquote, urlsplit

import pytest

from chassis.config import ConfigError
from chassis.storage import DocumentStore, S3Settings, content_disposition, make_client

FULL = {
    "ICMS_S3_ENDPOINT": "https://s3.court.example:9000",
    "ICMS_S3_ACCESS_KEY": "filing-svc",
    "ICMS_S3_SECRET_KEY": "s3cr3t-value",
    "ICMS_S3_REGION": "ap-east-1",
}


def test_all_settings_are_read_from_the_environment() -> None:
    settings = S3Settings.from_env(FULL)
    assert settings == S3Settings("https://s3.court.example:9000", "filing-svc", "s3cr3t-value", "ap-east-1")
    assert settings.secure is True
    assert settings.netloc == "s3.court.example:9000"


def test_the_region_defaults_to_us_east_1_and_http_is_not_secure() -> None:
    env = {**FULL, "ICMS_S3_ENDPOINT": "http://127.0.0.1:8333"}
    del env["ICMS_S3_REGION"]
    settings = S3Settings.from_env(env)
    assert settings.region == "us-east-1"
    assert settings.secure is False
    assert settings.netloc == "127.0.0.1:8333"


@pytest.mark.parametrize("missing", ["ICMS_S3_ENDPOINT", "ICMS_S3_ACCESS_KEY", "ICMS_S3_SECRET_KEY"])
def test_a_missing_or_empty_required_setting_is_named(missing: str) -> None:
    absent = {k: v for k, v in FULL.items() if k != missing}
    with pytest.raises(ConfigError, match=missing):
        S3Settings.from_env(absent)
    with pytest.raises(ConfigError, match=missing):
        S3Settings.from_env({**FULL, missing: ""})


@pytest.mark.parametrize(
    "endpoint", ["127.0.0.1:8333", "ftp://host:21", "http://", "http://host:8333/bucket", "http://host?x=1"]
)
def test_an_endpoint_that_is_not_a_bare_http_url_is_refused(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="ICMS_S3_ENDPOINT"):
        S3Settings.from_env({**FULL, "ICMS_S3_ENDPOINT": endpoint})


def test_the_process_environment_is_used_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in FULL.items():
        monkeypatch.setenv(name, value)
    assert S3Settings.from_env().access_key == "filing-svc"


def test_the_secret_key_stays_out_of_reprs() -> None:
    assert "s3cr3t-value" not in repr(S3Settings.from_env(FULL))


def test_presigned_urls_are_signed_offline_for_the_configured_endpoint() -> None:
    # No server exists at this address: with the region configured, signing must not need one.
    store = DocumentStore(make_client(S3Settings.from_env(FULL)), "documents")
    url = store.presigned_get_url("cases/1/a.pdf", timedelta(minutes=10), filename="a.pdf")
    parts = urlsplit(url)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "s3.court.example:9000", "/documents/cases/1/a.pdf")
    query = parse_qs(parts.query)
    assert query["X-Amz-Expires"] == ["600"]
    assert query["X-Amz-Credential"][0].startswith("filing-svc/")
    assert "/ap-east-1/s3/" in query["X-Amz-Credential"][0]
    assert query["response-content-disposition"] == [content_disposition("a.pdf")]
    assert "response-content-disposition" not in store.presigned_put_url("k", timedelta(minutes=1))


def test_content_disposition_keeps_any_filename_safe() -> None:
    assert content_disposition("a.pdf") == "attachment; filename=\"a.pdf\"; filename*=UTF-8''a.pdf"
    tricky = content_disposition('x"; filename="evil.exe\r\n判決/../b.pdf')
    assert "\r" not in tricky and "\n" not in tricky
    fallback = tricky.split('filename="', 1)[1].split('"', 1)[0]
    assert '"' not in fallback and "/" not in fallback
    assert unquote(tricky.split("filename*=UTF-8''", 1)[1]) == 'x"; filename="evil.exe判決_.._b.pdf'
