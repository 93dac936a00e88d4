"""The document store against a real S3 server (SeaweedFS locally, whatever ICMS_TEST_S3_ENDPOINT names in CI)."""

from __future__ import annotations

import hashlib
import io
import random
import socket
import time
import tracemalloc
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import pytest
import requests
from minio import Minio
from minio.error import S3Error

from chassis.s3server import S3ServerError, SeaweedS3, find_weed
from chassis.storage import (
    DocumentStore,
    MiB,
    ObjectNotFound,
    ObjectTooLarge,
    S3Settings,
    StorageUnavailable,
    make_client,
)
from chassis.testing.infra import free_port, unavailable


class GeneratedStream:
    """A file-like that makes pseudo-random bytes on the fly, hashing them as it goes.

    ``read`` returns at most one generated chunk, i.e. often less than asked for, as network streams do.
    """

    def __init__(
        self, size: int, *, seed: int = 7, chunk: int = 1 * MiB, on_read: Callable[[int], None] | None = None
    ) -> None:
        self.size = size
        self.produced = 0
        self.sha256 = hashlib.sha256()
        self._rng = random.Random(seed)
        self._chunk = chunk
        self._pending = b""
        self._on_read = on_read

    def _chunks(self) -> Iterator[bytes]:
        while self.produced < self.size:
            block = self._rng.randbytes(min(self._chunk, self.size - self.produced))
            self.produced += len(block)
            self.sha256.update(block)
            yield block

    def read(self, size: int = -1) -> bytes:
        if not self._pending:
            self._pending = next(self._chunks(), b"")
        n = len(self._pending) if size < 0 else min(size, len(self._pending))
        out, self._pending = self._pending[:n], self._pending[n:]
        if self._on_read is not None:
            self._on_read(self.produced)
        return out


def _sha256_of(stream: io.RawIOBase) -> tuple[str, int]:
    digest = hashlib.sha256()
    total = 0
    while chunk := stream.read(1 * MiB):
        digest.update(chunk)
        total += len(chunk)
    return digest.hexdigest(), total


def test_a_200_mb_stream_is_stored_with_its_sha256_in_flat_memory(document_store: DocumentStore) -> None:
    size = 200 * 1000 * 1000
    source = GeneratedStream(size)

    tracemalloc.start()
    try:
        tracemalloc.reset_peak()
        before, _ = tracemalloc.get_traced_memory()
        stored = document_store.put_stream(source, prefix="filings", content_type="application/pdf")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    growth = peak - before
    print(f"\npeak traced memory growth during the 200 MB put: {growth / MiB:.1f} MiB")
    assert growth < 32 * MiB, f"upload held {growth / MiB:.1f} MiB: it is buffering, not streaming"
    assert source.produced == size
    assert stored.size == size
    assert stored.sha256 == source.sha256.hexdigest()
    assert stored.key.startswith("filings/") and len(stored.key) == len("filings/") + 32
    assert stored.content_type == "application/pdf"

    info = document_store.stat(stored.key)
    assert info.size == size
    assert info.content_type == "application/pdf"
    with document_store.open(stored.key) as downloaded:
        assert _sha256_of(downloaded) == (source.sha256.hexdigest(), size)


def test_put_then_open_and_stat_round_trip(document_store: DocumentStore) -> None:
    content = b"%PDF-1.7\n" + bytes(range(256)) * 40
    stored = document_store.put_stream(io.BytesIO(content), key="cases/HCA-1/doc.pdf", content_type="application/pdf")

    assert stored.key == "cases/HCA-1/doc.pdf"
    assert stored.size == len(content)
    assert stored.sha256 == hashlib.sha256(content).hexdigest()
    with document_store.open(stored.key) as stream:
        assert stream.info is not None
        assert stream.info.size == len(content)
        assert stream.info.content_type == "application/pdf"
        assert stream.read() == content
    assert stream.closed
    info = document_store.stat(stored.key)
    assert (info.size, info.content_type, info.etag) == (len(content), "application/pdf", stored.etag)
    assert document_store.exists(stored.key)


def test_generated_keys_are_unique_and_an_empty_stream_is_a_valid_object(document_store: DocumentStore) -> None:
    first = document_store.put_stream(io.BytesIO(b""))
    second = document_store.put_stream(io.BytesIO(b"x"))
    assert first.key != second.key
    assert "/" not in first.key
    assert first.size == 0
    assert first.sha256 == hashlib.sha256(b"").hexdigest()
    assert document_store.stat(first.key).size == 0


def test_a_stream_closed_early_releases_its_connection(document_store: DocumentStore) -> None:
    stored = document_store.put_stream(GeneratedStream(12 * MiB))
    # More partial reads than the pool has connections: a leak would block or exhaust the pool.
    for _ in range(15):
        with document_store.open(stored.key) as stream:
            assert len(stream.read(1000)) == 1000
    assert document_store.get_range(stored.key, 0, 4) == document_store.get_range(stored.key, 0, 4)


def test_ranged_get_returns_exactly_the_requested_bytes(document_store: DocumentStore) -> None:
    content = bytes(random.Random(3).randbytes(100_000))
    stored = document_store.put_stream(io.BytesIO(content))

    assert document_store.get_range(stored.key, 0, 10) == content[:10]
    assert document_store.get_range(stored.key, 54_321, 1234) == content[54_321:55_555]
    assert document_store.get_range(stored.key, len(content) - 3, 100) == content[-3:]
    with pytest.raises(ValueError):
        document_store.get_range(stored.key, 5, 0)
    with pytest.raises(ObjectNotFound):
        document_store.get_range("no/such/key", 0, 1)


def _tamper(url: str) -> str:
    parts = urlsplit(url)
    query = parse_qsl(parts.query, keep_blank_values=True)
    tampered = []
    for name, value in query:
        if name == "X-Amz-Signature":
            value = ("0" if value[0] != "0" else "1") + value[1:]
        tampered.append((name, value))
    return urlunsplit(parts._replace(query=urlencode(tampered)))


def test_presigned_get_serves_the_object_as_an_attachment_and_refuses_tampering(
    document_store: DocumentStore,
) -> None:
    content = b"judgment text"
    stored = document_store.put_stream(io.BytesIO(content), content_type="text/plain")

    url = document_store.presigned_get_url(stored.key, timedelta(minutes=5), filename='Judgment "final" 判決.txt')
    response = requests.get(url, timeout=10)
    assert response.status_code == 200
    assert response.content == content
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "filename*=UTF-8''Judgment%20%22final%22%20%E5%88%A4%E6%B1%BA.txt" in disposition

    plain = requests.get(document_store.presigned_get_url(stored.key, timedelta(minutes=5)), timeout=10)
    assert plain.status_code == 200
    assert "Content-Disposition" not in plain.headers

    refused = requests.get(_tamper(url), timeout=10)
    assert refused.status_code == 403
    assert b"SignatureDoesNotMatch" in refused.content
    # Changing what the URL grants (another object) must also be refused.
    other_key = stored.key[:-1] + ("0" if stored.key[-1] != "0" else "1")
    other = requests.get(url.replace(stored.key, other_key), timeout=10)
    assert other.status_code == 403


def test_presigned_put_stores_what_is_sent(document_store: DocumentStore) -> None:
    url = document_store.presigned_put_url("uploads/direct.bin", timedelta(minutes=5))
    response = requests.put(url, data=b"sent by the browser", timeout=10)
    assert response.status_code == 200
    assert document_store.get_range("uploads/direct.bin", 0, 100) == b"sent by the browser"
    assert requests.put(_tamper(url), data=b"forged", timeout=10).status_code == 403
    assert document_store.get_range("uploads/direct.bin", 0, 100) == b"sent by the browser"


def test_a_deleted_object_is_gone(document_store: DocumentStore) -> None:
    stored = document_store.put_stream(io.BytesIO(b"to be removed"))
    document_store.delete(stored.key)

    with pytest.raises(ObjectNotFound) as caught:
        document_store.stat(stored.key)
    assert caught.value.key == stored.key
    with pytest.raises(ObjectNotFound):
        document_store.open(stored.key)
    assert not document_store.exists(stored.key)
    document_store.delete(stored.key)  # deleting again is not an error


def _object_names(store: DocumentStore) -> list[str]:
    return [o.object_name for o in store.client.list_objects(store.bucket, recursive=True) if o.object_name]


def test_an_oversized_multipart_upload_leaves_nothing_behind(document_store: DocumentStore) -> None:
    limit = 12 * MiB
    seen_in_flight: list[list[str]] = []

    def watch(produced: int) -> None:
        # Once two 5 MiB parts are out, the multipart upload must exist; checking proves this test
        # exercises the abort rather than failing before anything reached the server.
        if produced > 11 * MiB and not seen_in_flight:
            seen_in_flight.append([u.key for u in document_store.list_incomplete_uploads()])

    source = GeneratedStream(40 * MiB, on_read=watch)
    with pytest.raises(ObjectTooLarge) as caught:
        document_store.put_stream(source, key="big/too-large.bin", max_bytes=limit, part_size=5 * MiB)

    assert caught.value.limit == limit
    assert seen_in_flight == [["big/too-large.bin"]]
    assert source.produced <= limit + 1 * MiB, "the upload kept reading after the limit"
    assert document_store.list_incomplete_uploads() == []
    assert _object_names(document_store) == []


def test_an_oversized_single_part_upload_leaves_nothing_behind(document_store: DocumentStore) -> None:
    with pytest.raises(ObjectTooLarge):
        document_store.put_stream(io.BytesIO(b"x" * 5000), key="small/too-large.txt", max_bytes=4999)
    assert _object_names(document_store) == []
    assert document_store.list_incomplete_uploads() == []

    exact = document_store.put_stream(io.BytesIO(b"x" * 5000), key="small/exact.txt", max_bytes=5000)
    assert exact.size == 5000
    assert _object_names(document_store) == ["small/exact.txt"]


def test_a_client_with_a_wrong_secret_key_is_refused(
    document_store: DocumentStore, s3_settings: S3Settings, s3_bucket: str
) -> None:
    stored = document_store.put_stream(io.BytesIO(b"confidential"))
    intruder = DocumentStore(make_client(replace(s3_settings, secret_key="not-the-secret")), s3_bucket)

    with pytest.raises(S3Error) as caught:
        intruder.get_range(stored.key, 0, 100)
    assert caught.value.code in {"SignatureDoesNotMatch", "AccessDenied", "InvalidAccessKeyId"}
    with pytest.raises(S3Error):
        intruder.put_stream(io.BytesIO(b"forged"), key=stored.key)
    with pytest.raises(StorageUnavailable, match="refused"):
        intruder.ping()
    assert requests.get(intruder.presigned_get_url(stored.key, timedelta(minutes=1)), timeout=10).status_code == 403
    assert document_store.get_range(stored.key, 0, 100) == b"confidential"


def test_ping_passes_on_a_live_bucket_and_fails_on_a_missing_one(document_store: DocumentStore) -> None:
    document_store.ping()
    missing = DocumentStore(document_store.client, document_store.bucket + "-missing")
    with pytest.raises(StorageUnavailable, match="does not exist"):
        missing.ping()
    missing.ensure_bucket()
    try:
        missing.ping()
        missing.ensure_bucket()  # a second call finds it and does nothing
    finally:
        document_store.client.remove_bucket(missing.bucket)


@pytest.fixture
def dead_endpoint(request: pytest.FixtureRequest) -> Iterator[str]:
    """An S3 endpoint that fails in the way the test's parameter names."""
    kind = request.param
    if kind == "nothing-listening":
        yield f"http://127.0.0.1:{free_port()}"
        return
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        # Nobody ever accept()s: connections complete into the backlog and then hear nothing ("hung").
        # With the backlog filled first, Linux drops further SYNs, so connecting itself times out.
        listener.listen(0)
        port = listener.getsockname()[1]
        fillers = []
        if kind == "syn-dropped":
            for _ in range(2):
                filler = socket.socket()
                filler.setblocking(False)
                filler.connect_ex(("127.0.0.1", port))
                fillers.append(filler)
        try:
            yield f"http://127.0.0.1:{port}"
        finally:
            for filler in fillers:
                filler.close()


@pytest.mark.parametrize("dead_endpoint", ["nothing-listening", "hung", "syn-dropped"], indirect=True)
def test_ping_fails_fast_when_storage_is_unreachable(dead_endpoint: str) -> None:
    store = DocumentStore(make_client(S3Settings(dead_endpoint, "key", "secret")), "documents")
    started = time.monotonic()
    with pytest.raises(StorageUnavailable, match="unreachable"):
        store.ping()
    assert time.monotonic() - started < 3.5


# -- the local server itself -------------------------------------------------------------------------


@pytest.fixture
def weed_available() -> None:
    try:
        find_weed()
    except S3ServerError as exc:
        unavailable("SeaweedFS", str(exc))


def _sockets_for(server: SeaweedS3) -> list[Path]:
    ports = {str(p) for p in vars(server.ports).values()}
    return [p for p in Path("/tmp").glob("seaweedfs-*.sock") if p.stem.rsplit("-", 1)[-1] in ports]


def test_local_storage_server_trusts_only_its_identity_and_cleans_up(
    weed_available: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # weed would turn these into a second admin identity if they reached it.
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "leakedkey")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "leakedsecret")
    server = SeaweedS3(tmp_path / "data", None, "owner", "owner-secret", tmp_path / "logs")
    with server:
        assert server.running()
        ports = vars(server.ports)
        assert len(set(ports.values())) == len(ports)
        assert all(getattr(server.ports, f"{n}_grpc") == getattr(server.ports, n) + 10000 for n in ("s3", "admin"))
        assert (tmp_path / "data" / "s3.json").stat().st_mode & 0o777 == 0o600
        assert _sockets_for(server), "expected weed's sockets while it runs"

        owner = DocumentStore(make_client(S3Settings(server.endpoint, "owner", "owner-secret")), "probe")
        owner.ensure_bucket()
        owner.ping()
        leaked = Minio(server.endpoint.removeprefix("http://"), "leakedkey", "leakedsecret", secure=False)
        with pytest.raises(S3Error):
            leaked.list_buckets()

    assert not server.running()
    assert _sockets_for(server) == []
    stopped = DocumentStore(make_client(S3Settings(server.endpoint, "owner", "owner-secret")), "probe")
    with pytest.raises(StorageUnavailable):
        stopped.ping()

    # Restarting on the same directory reuses the ports and finds the data again.
    again = SeaweedS3(tmp_path / "data", None, "owner", "owner-secret", tmp_path / "logs")
    with again:
        assert again.ports == server.ports
        DocumentStore(make_client(S3Settings(again.endpoint, "owner", "owner-secret")), "probe").ping()


def test_local_storage_server_reports_a_failed_start(weed_available: None, tmp_path: Path) -> None:
    with socket_held() as busy_port:
        server = SeaweedS3(tmp_path / "data", busy_port, "owner", "owner-secret", tmp_path / "logs")
        with pytest.raises(S3ServerError), server:
            pass
    assert not server.running()


class socket_held:
    """Holds a listening socket on a free port for the duration of a ``with``."""

    def __enter__(self) -> int:
        self._sock = socket.socket()
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen()
        return self._sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self._sock.close()
