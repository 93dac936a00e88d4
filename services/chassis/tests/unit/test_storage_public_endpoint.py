"""ICMS_S3_PUBLIC_ENDPOINT: presigned URLs name the host browsers reach; the service keeps its own."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from chassis.config import ConfigError
from chassis.storage import DocumentStore, S3Settings, make_client, make_signer

ENV = {
    "ICMS_S3_ENDPOINT": "http://seaweed:8333",
    "ICMS_S3_ACCESS_KEY": "filing-svc",
    "ICMS_S3_SECRET_KEY": "s3cr3t-value",
}


def test_without_a_public_endpoint_urls_are_signed_for_the_service_endpoint() -> None:
    settings = S3Settings.from_env(ENV)
    assert settings.public_endpoint is None
    assert make_signer(settings) is None
    store = DocumentStore(make_client(settings), "filing", make_signer(settings))
    assert urlsplit(store.presigned_put_url("a.pdf", timedelta(minutes=5))).netloc == "seaweed:8333"


def test_presigned_urls_name_the_public_endpoint_and_its_scheme() -> None:
    settings = S3Settings.from_env({**ENV, "ICMS_S3_PUBLIC_ENDPOINT": "https://files.court.example"})
    store = DocumentStore(make_client(settings), "filing", make_signer(settings))

    urls = [
        store.presigned_get_url("a.pdf", timedelta(minutes=1)),
        store.presigned_put_url("a.pdf", timedelta(minutes=1)),
        store.presigned_part_url("a.pdf", "upload-1", 3, timedelta(minutes=1)),
    ]

    for url in urls:
        assert url.startswith("https://files.court.example/filing/a.pdf?")
    part = parse_qs(urlsplit(urls[2]).query)
    assert part["uploadId"] == ["upload-1"] and part["partNumber"] == ["3"]
    # The client the service talks through is unchanged.
    assert store.client._base_url.host == "seaweed:8333"


@pytest.mark.parametrize("endpoint", ["files.court.example", "https://files.court.example/s3"])
def test_a_malformed_public_endpoint_is_named(endpoint: str) -> None:
    with pytest.raises(ConfigError, match="ICMS_S3_PUBLIC_ENDPOINT"):
        S3Settings.from_env({**ENV, "ICMS_S3_PUBLIC_ENDPOINT": endpoint})
