"""Multipart uploads whose parts a client PUTs straight to S3 through presigned URLs, against a real server."""

from __future__ import annotations

import hashlib
import os
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests

from chassis.storage import DocumentStore, MiB, MultipartUploadNotFound, UploadedPart

KEY = "cloud/org-1/upload.pdf"
HOUR = timedelta(hours=1)


def put_part(store: DocumentStore, upload_id: str, number: int, content: bytes, key: str = KEY) -> requests.Response:
    """PUT one part as a browser would: only the presigned URL, no credentials."""
    return requests.put(store.presigned_part_url(key, upload_id, number, HOUR), data=content, timeout=30)


def test_parts_put_through_presigned_urls_complete_into_one_object(document_store: DocumentStore) -> None:
    contents = [os.urandom(5 * MiB), os.urandom(5 * MiB), os.urandom(1234)]
    upload_id = document_store.start_multipart(KEY, "application/pdf")

    # Parts may arrive in any order.
    for number in (3, 1, 2):
        assert put_part(document_store, upload_id, number, contents[number - 1]).ok

    parts = document_store.list_parts(KEY, upload_id)
    assert [(p.number, p.size) for p in parts] == [(1, 5 * MiB), (2, 5 * MiB), (3, 1234)]
    assert all(p.etag and '"' not in p.etag for p in parts)

    document_store.complete_multipart(KEY, upload_id, parts)

    info = document_store.stat(KEY)
    assert info.size == 10 * MiB + 1234
    assert info.content_type == "application/pdf"
    with document_store.open(KEY) as stream:
        assert hashlib.sha256(stream.read()).hexdigest() == hashlib.sha256(b"".join(contents)).hexdigest()
    assert document_store.list_incomplete_uploads() == []
    with pytest.raises(MultipartUploadNotFound):
        document_store.list_parts(KEY, upload_id)


def test_listing_parts_follows_every_page(document_store: DocumentStore) -> None:
    upload_id = document_store.start_multipart(KEY)
    for number in range(1, 6):
        assert put_part(document_store, upload_id, number, bytes([number]) * 100).ok

    parts = document_store.list_parts(KEY, upload_id, page_size=2)

    assert [(p.number, p.size) for p in parts] == [(n, 100) for n in range(1, 6)]
    document_store.abort_multipart(KEY, upload_id)


def test_an_aborted_upload_is_gone_and_aborting_again_is_not_an_error(document_store: DocumentStore) -> None:
    upload_id = document_store.start_multipart(KEY)
    assert put_part(document_store, upload_id, 1, b"part one").ok
    assert [u.upload_id for u in document_store.list_incomplete_uploads()] == [upload_id]

    document_store.abort_multipart(KEY, upload_id)

    assert document_store.list_incomplete_uploads() == []
    with pytest.raises(MultipartUploadNotFound) as caught:
        document_store.list_parts(KEY, upload_id)
    assert caught.value.upload_id == upload_id
    document_store.abort_multipart(KEY, upload_id)
    assert not document_store.exists(KEY)


def test_completing_an_unknown_upload_is_told_apart(document_store: DocumentStore) -> None:
    with pytest.raises(MultipartUploadNotFound):
        document_store.complete_multipart(KEY, "no-such-upload", [UploadedPart(1, 10, "0" * 32)])


def test_a_part_url_grants_only_its_own_part_of_its_own_upload(document_store: DocumentStore) -> None:
    upload_id = document_store.start_multipart(KEY)
    url = document_store.presigned_part_url(KEY, upload_id, 1, HOUR)
    parts = urlsplit(url)

    def with_query(**changes: str) -> str:
        query = [(name, changes.get(name, value)) for name, value in parse_qsl(parts.query)]
        return urlunsplit(parts._replace(query=urlencode(query)))

    assert requests.put(with_query(partNumber="2"), data=b"forged", timeout=10).status_code == 403
    assert requests.put(url.replace(KEY, "cloud/org-2/other.pdf"), data=b"forged", timeout=10).status_code == 403
    assert document_store.list_parts(KEY, upload_id) == []
    with pytest.raises(ValueError, match="part_number"):
        document_store.presigned_part_url(KEY, upload_id, 10_001, HOUR)
    document_store.abort_multipart(KEY, upload_id)


def test_a_part_sent_again_counts_over_the_first(document_store: DocumentStore) -> None:
    # Within one second the server's times cannot order the two; the one of the expected size must win,
    # whatever order the server lists them in (tried several times, as that order varies).
    for _ in range(5):
        upload_id = document_store.start_multipart(KEY)
        assert put_part(document_store, upload_id, 1, b"x" * (5 * MiB)).ok
        assert put_part(document_store, upload_id, 2, b"short").ok
        assert put_part(document_store, upload_id, 2, b"right").ok
        assert put_part(document_store, upload_id, 2, b"right size").ok

        parts = document_store.list_parts(KEY, upload_id, expected_size=lambda n: 5 * MiB if n == 1 else 10)

        assert [(p.number, p.size) for p in parts] == [(1, 5 * MiB), (2, 10)]
        document_store.complete_multipart(KEY, upload_id, parts)
        with document_store.open(KEY) as stream:
            assert stream.read()[-10:] == b"right size"
