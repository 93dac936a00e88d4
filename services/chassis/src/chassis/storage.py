"""The document store: objects in an S3 bucket, reached through the ``minio`` SDK.

Production talks to MinIO, local runs and tests to SeaweedFS's S3 server; nothing here may depend on
which. Uploads stream in parts and hash while streaming, so memory stays flat whatever the size of the
document; the SHA-256 returned is of the bytes actually stored.
"""

from __future__ import annotations

import hashlib
import io
import os
import uuid
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from types import TracebackType
from typing import Any, Protocol
from urllib.parse import quote, urlsplit

import certifi
import urllib3
from minio import Minio
from minio.datatypes import Part
from minio.error import MinioException, S3Error
from urllib3.util import Retry, Timeout

from chassis.config import ConfigError, env_str

__all__ = [
    "DEFAULT_PART_SIZE",
    "DocumentStore",
    "IncompleteUpload",
    "MultipartUploadNotFound",
    "ObjectInfo",
    "ObjectNotFound",
    "ObjectReader",
    "ObjectTooLarge",
    "S3Settings",
    "StorageError",
    "StorageUnavailable",
    "StoredObject",
    "UploadedPart",
    "content_disposition",
    "make_client",
    "make_signer",
]

MiB = 1024 * 1024
DEFAULT_PART_SIZE = 8 * MiB
# S3 refuses parts under 5 MiB (except the last); minio checks the same bound, we check it first for a
# clearer error.
MIN_PART_SIZE = 5 * MiB

# S3 takes at most this many parts in one multipart upload.
MAX_PARTS = 10_000

# Error codes that all mean "there is no such object" (MinIO and SeaweedFS differ on HEAD requests).
_NOT_FOUND_CODES = frozenset({"NoSuchKey", "NoSuchObject", "ResourceNotFound"})


class StorageError(RuntimeError):
    """Base of the document store's own errors."""


class ObjectNotFound(StorageError, LookupError):
    """The key names no object in the bucket."""

    def __init__(self, bucket: str, key: str) -> None:
        """Record which object was missing."""
        super().__init__(f"no object {key!r} in bucket {bucket!r}")
        self.bucket = bucket
        self.key = key


class ObjectTooLarge(StorageError):
    """The upload carried more than the allowed number of bytes; nothing was stored."""

    def __init__(self, limit: int) -> None:
        """Record the limit that was exceeded."""
        super().__init__(f"upload exceeds the limit of {limit} bytes")
        self.limit = limit


class MultipartUploadNotFound(StorageError, LookupError):
    """The upload id names no multipart upload in progress (it was completed, aborted or never begun)."""

    def __init__(self, key: str, upload_id: str) -> None:
        """Record which upload was missing."""
        super().__init__(f"no multipart upload {upload_id!r} in progress for {key!r}")
        self.key = key
        self.upload_id = upload_id


class StorageUnavailable(StorageError):
    """The store cannot be used: unreachable, refusing our credentials, or missing its bucket."""


@dataclass(frozen=True)
class S3Settings:
    """Where the S3 service is and how to sign requests to it."""

    endpoint: str
    access_key: str
    secret_key: str = field(repr=False)
    region: str = "us-east-1"
    #: Where browsers reach the same S3 service, when that is not ``endpoint`` (a service's internal
    #: address is often unreachable from outside). Presigned URLs are signed for this host, since a
    #: signature covers the host it was made for; None: ``endpoint``.
    public_endpoint: str | None = None

    def __post_init__(self) -> None:
        """Refuse an endpoint that is not a bare http(s) URL, before any connection is tried."""
        for endpoint in (self.endpoint, self.public_endpoint):
            if endpoint is not None:
                _check_endpoint(endpoint)
        if not self.access_key or not self.secret_key:
            raise ValueError("S3 access key and secret key must not be empty")

    @property
    def secure(self) -> bool:
        """Whether requests go over TLS (taken from the endpoint's scheme)."""
        return urlsplit(self.endpoint).scheme == "https"

    @property
    def netloc(self) -> str:
        """The endpoint as ``host:port``, the form minio's constructor takes."""
        return urlsplit(self.endpoint).netloc

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> S3Settings:
        """Read ICMS_S3_ENDPOINT, ICMS_S3_ACCESS_KEY, ICMS_S3_SECRET_KEY, and optionally ICMS_S3_REGION and
        ICMS_S3_PUBLIC_ENDPOINT."""
        endpoint = env_str("ICMS_S3_ENDPOINT", environ=environ)
        access_key = env_str("ICMS_S3_ACCESS_KEY", environ=environ)
        secret_key = env_str("ICMS_S3_SECRET_KEY", environ=environ)
        region = env_str("ICMS_S3_REGION", "us-east-1", environ=environ)
        public = env_str("ICMS_S3_PUBLIC_ENDPOINT", "", environ=environ) or None
        if public is not None:
            try:
                _check_endpoint(public)
            except ValueError as exc:
                raise ConfigError(f"environment variable ICMS_S3_PUBLIC_ENDPOINT: {exc}") from None
        try:
            return cls(
                endpoint=endpoint, access_key=access_key, secret_key=secret_key, region=region, public_endpoint=public
            )
        except ValueError as exc:
            raise ConfigError(f"environment variable ICMS_S3_ENDPOINT: {exc}") from None


def _check_endpoint(endpoint: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ValueError(f"S3 endpoint must be an http:// or https:// URL, got {endpoint!r}")
    if parts.path not in {"", "/"} or parts.query or parts.fragment:
        # minio addresses buckets as paths under the endpoint, so a path here would be silently lost.
        raise ValueError(f"S3 endpoint must not have a path or query, got {endpoint!r}")


# Per-request urllib3 options for the current context; lets ping() be quicker to give up than uploads.
_REQUEST_OVERRIDES: ContextVar[Mapping[str, Any] | None] = ContextVar("icms_s3_request_overrides", default=None)
_PING_OVERRIDES: Mapping[str, Any] = {
    "timeout": Timeout(connect=1.0, read=2.0),
    "retries": Retry(total=1, connect=1, read=0, status=0, redirect=0, backoff_factor=0.1),
}


class _PoolManager(urllib3.PoolManager):
    """urllib3's pool, with timeout and retries narrowed for requests made under ``_REQUEST_OVERRIDES``.

    minio has no per-call timeout, so a health check would otherwise wait as long as a 5 GiB upload may.
    """

    def urlopen(self, method: str, url: str, redirect: bool = True, **kw: Any) -> Any:  # type: ignore[override]
        """Send a request, applying the context's overrides."""
        overrides = _REQUEST_OVERRIDES.get()
        if overrides:
            kw.update(overrides)
        return super().urlopen(method, url, redirect=redirect, **kw)


def make_client(settings: S3Settings, *, connect_timeout: float = 1.5, read_timeout: float = 60.0) -> Minio:
    """A minio client for ``settings`` whose requests fail fast when the endpoint is dead.

    minio's own pool waits 5 minutes to connect and retries five times, so a request to a stopped store
    would hang; here one connect retry at ``connect_timeout`` bounds that to about 3 seconds (and
    :meth:`DocumentStore.ping` narrows it further). The read timeout is per socket read, not per request,
    so large transfers are unaffected.
    Passing the region stops minio from asking the server for it before the first request, which also
    makes presigning work offline.
    """
    http = _PoolManager(
        timeout=Timeout(connect=connect_timeout, read=read_timeout),
        maxsize=10,
        cert_reqs="CERT_REQUIRED",
        ca_certs=os.environ.get("SSL_CERT_FILE") or certifi.where(),
        retries=Retry(
            total=3,
            connect=1,
            # A read that timed out may have reached the server; re-sending is minio's business, not the pool's.
            read=0,
            status=2,
            backoff_factor=0.2,
            status_forcelist=[500, 502, 503, 504],
        ),
    )
    return Minio(
        settings.netloc,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        secure=settings.secure,
        region=settings.region,
        http_client=http,
    )


def make_signer(settings: S3Settings) -> Minio | None:
    """A minio client that only presigns URLs for ``settings.public_endpoint``; None without one.

    It never sends a request: with the region given, signing is local. Its own pool is minio's default,
    unused.
    """
    if settings.public_endpoint is None:
        return None
    public = urlsplit(settings.public_endpoint)
    return Minio(
        public.netloc,
        access_key=settings.access_key,
        secret_key=settings.secret_key,
        secure=public.scheme == "https",
        region=settings.region,
    )


@dataclass(frozen=True)
class StoredObject:
    """What an upload stored: its key, byte count, SHA-256 (hex) and content type."""

    key: str
    size: int
    sha256: str
    content_type: str
    etag: str = ""


@dataclass(frozen=True)
class ObjectInfo:
    """An object's metadata as the server reports it."""

    key: str
    size: int
    etag: str
    content_type: str
    last_modified: datetime | None = None


@dataclass(frozen=True)
class IncompleteUpload:
    """A multipart upload that was started and neither completed nor aborted."""

    key: str
    upload_id: str
    initiated: datetime | None


@dataclass(frozen=True)
class UploadedPart:
    """One part of a multipart upload as the server holds it."""

    number: int
    size: int
    etag: str


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


class _HashingReader:
    """Passes a stream through to minio, hashing and counting the bytes as they go.

    minio concatenates whatever ``read`` returns until it has a full part, which is quadratic when the
    source returns small chunks; so each ``read`` here fills the requested size before returning.
    """

    def __init__(self, source: _Readable, max_bytes: int | None) -> None:
        self._source = source
        self._max_bytes = max_bytes
        self._eof = False
        self.size = 0
        self.sha256 = hashlib.sha256()
        self.overflow: ObjectTooLarge | None = None

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes (all remaining if negative); fewer only at the end of the source."""
        if self._eof or size == 0:
            return b""
        wanted = size if size > 0 else DEFAULT_PART_SIZE
        first = self._next_chunk(wanted)
        if len(first) >= wanted and size > 0:
            return first  # the common case for files and buffered streams: no copy
        chunks = [first]
        got = len(first)
        while not self._eof and (size < 0 or got < size):
            chunk = self._next_chunk(wanted - got if size > 0 else DEFAULT_PART_SIZE)
            chunks.append(chunk)
            got += len(chunk)
        return b"".join(chunks)

    def _next_chunk(self, size: int) -> bytes:
        chunk = self._source.read(size)
        if not chunk:
            self._eof = True
            return b""
        if not isinstance(chunk, bytes | bytearray | memoryview):
            raise TypeError(f"the upload stream must yield bytes, got {type(chunk).__name__}")
        chunk = bytes(chunk) if not isinstance(chunk, bytes) else chunk
        self.size += len(chunk)
        if self._max_bytes is not None and self.size > self._max_bytes:
            # Raised from inside minio's read loop, so minio aborts a started multipart upload itself;
            # kept so put_stream can report it even if that abort fails.
            self.overflow = ObjectTooLarge(self._max_bytes)
            raise self.overflow
        self.sha256.update(chunk)
        return chunk


class ObjectReader(io.RawIOBase):
    """A readable stream over one object's content; closing it gives the connection back.

    minio's response keeps its pooled connection until ``release_conn`` is called, so a caller that
    stops reading early would otherwise leak a connection per download.
    """

    def __init__(self, response: Any, info: ObjectInfo | None = None) -> None:
        """Wrap a minio/urllib3 response (``preload_content=False``) and the metadata it came with."""
        super().__init__()
        self._response = response
        self.info = info

    def readable(self) -> bool:
        """Always true: this stream is for reading."""
        return True

    def readinto(self, buffer: Any) -> int:
        """Fill ``buffer`` with the next bytes of the object; 0 at the end."""
        if self.closed:
            raise ValueError("read from a closed object stream")
        return self._response.readinto(buffer)

    def read(self, size: int = -1) -> bytes:
        """Up to ``size`` bytes of the object (all that remains if negative)."""
        if self.closed:
            raise ValueError("read from a closed object stream")
        return self._response.read(None if size is None or size < 0 else size)

    def iter_chunks(self, chunk_size: int = 1 * MiB) -> Iterator[bytes]:
        """The remaining content in chunks of at most ``chunk_size`` bytes, for streaming responses."""
        while chunk := self.read(chunk_size):
            yield chunk

    def close(self) -> None:
        """Drop the rest of the body and return the connection to the pool."""
        if not self.closed:
            try:
                # Closing (not draining) a partly read body: draining could mean downloading gigabytes.
                self._response.close()
                self._response.release_conn()
            finally:
                super().close()

    def __enter__(self) -> ObjectReader:
        """Use as ``with store.open(key) as stream:``."""
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Close the stream."""
        self.close()


def content_disposition(filename: str) -> str:
    """An ``attachment`` Content-Disposition for ``filename`` that survives any characters in it (RFC 6266).

    An ASCII fallback goes in ``filename``; the exact name, percent-encoded UTF-8, in ``filename*``.
    """
    # Path separators and control characters have no business in a saved file's name.
    name = "".join(c for c in filename if c.isprintable()).replace("/", "_").replace("\\", "_")
    fallback = "".join(c if 0x20 <= ord(c) < 0x7F and c not in '"%;' else "_" for c in name) or "download"
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


class DocumentStore:
    """Documents in one bucket: streaming upload with hashing, download, presigned URLs, deletion, and
    multipart uploads whose parts clients send straight to S3."""

    def __init__(self, client: Minio, bucket: str, signer: Minio | None = None) -> None:
        """Use ``bucket`` through ``client`` (see :func:`make_client`); presign with ``signer`` when given
        (see :func:`make_signer`), so URLs name the host browsers reach."""
        self.client = client
        self.bucket = bucket
        self.signer = signer or client

    def ensure_bucket(self) -> None:
        """Create the bucket unless it exists (safe when several processes start at once)."""
        if self.client.bucket_exists(self.bucket):
            return
        try:
            self.client.make_bucket(self.bucket)
        except S3Error as exc:
            if exc.code not in {"BucketAlreadyOwnedByYou", "BucketAlreadyExists"}:
                raise

    def put_stream(
        self,
        stream: _Readable,
        *,
        key: str | None = None,
        prefix: str = "",
        content_type: str = "application/octet-stream",
        max_bytes: int | None = None,
        part_size: int = DEFAULT_PART_SIZE,
    ) -> StoredObject:
        """Upload everything ``stream.read`` yields, in parts, and return what was stored.

        The key is ``key`` or a fresh ``<prefix>/<uuid4 hex>``. Memory use is about three parts (minio
        copies each part once more), 24 MiB at the default part size, whatever the size of the stream.
        With ``max_bytes``, the upload stops as soon as one byte more arrives and raises
        :class:`ObjectTooLarge`; no object and no multipart upload is left behind.
        """
        if key is not None and prefix:
            raise ValueError("give either key or prefix, not both")
        if part_size < MIN_PART_SIZE:
            raise ValueError(f"part_size must be at least {MIN_PART_SIZE} bytes")
        if max_bytes is not None and max_bytes < 0:
            raise ValueError("max_bytes must not be negative")
        if key is None:
            key = f"{prefix.strip('/')}/{uuid.uuid4().hex}" if prefix.strip("/") else uuid.uuid4().hex
        reader = _HashingReader(stream, max_bytes)
        try:
            result = self.client.put_object(
                self.bucket,
                key,
                reader,  # type: ignore[arg-type]  # minio only calls read()
                length=-1,
                content_type=content_type,
                part_size=part_size,
                # minio's parallel parts would hold several parts in memory, and when our read raises it
                # returns without stopping its worker threads (they stay blocked forever) while they may
                # still be uploading parts of the upload it just aborted.
                num_parallel_uploads=1,
            )
        except Exception as exc:
            if reader.overflow is not None and exc is not reader.overflow:
                # minio's abort after our overflow failed; the caller still needs to hear "too large".
                raise reader.overflow from exc
            raise
        return StoredObject(
            key=key,
            size=reader.size,
            sha256=reader.sha256.hexdigest(),
            content_type=content_type,
            etag=result.etag or "",
        )

    def open(self, key: str) -> ObjectReader:
        """A readable stream of the object's content; close it (or use ``with``) when done.

        The stream's ``info`` has the size, ETag and content type, e.g. for the headers of a download.
        """
        try:
            response = self.client.get_object(self.bucket, key)
        except S3Error as exc:
            raise self._translate(exc, key) from exc
        headers = response.headers
        info = ObjectInfo(
            key=key,
            size=int(headers.get("Content-Length", "0")),
            etag=headers.get("ETag", "").strip('"'),
            content_type=headers.get("Content-Type", "application/octet-stream"),
        )
        return ObjectReader(response, info)

    def get_range(self, key: str, offset: int, length: int) -> bytes:
        """``length`` bytes of the object from ``offset`` (fewer if the object ends first)."""
        if offset < 0 or length <= 0:
            raise ValueError("offset must be >= 0 and length > 0")
        try:
            response = self.client.get_object(self.bucket, key, offset=offset, length=length)
        except S3Error as exc:
            raise self._translate(exc, key) from exc
        with ObjectReader(response) as reader:
            return reader.read()

    def stat(self, key: str) -> ObjectInfo:
        """The object's size, ETag and content type; :class:`ObjectNotFound` if there is none."""
        try:
            st = self.client.stat_object(self.bucket, key)
        except S3Error as exc:
            raise self._translate(exc, key) from exc
        return ObjectInfo(
            key=key,
            size=st.size or 0,
            etag=st.etag or "",
            content_type=st.content_type or "application/octet-stream",
            last_modified=st.last_modified,
        )

    def exists(self, key: str) -> bool:
        """Whether an object is stored under ``key``."""
        try:
            self.stat(key)
        except ObjectNotFound:
            return False
        return True

    def presigned_get_url(self, key: str, expires: timedelta, filename: str | None = None) -> str:
        """A URL anyone can GET the object with until ``expires`` from now.

        With ``filename`` the response carries ``Content-Disposition: attachment`` so browsers save it
        under that name instead of displaying it. Signing is local: no request is made.
        """
        headers = {"response-content-disposition": content_disposition(filename)} if filename else None
        return self.signer.presigned_get_object(self.bucket, key, expires=expires, response_headers=headers)

    def presigned_put_url(self, key: str, expires: timedelta) -> str:
        """A URL anyone can PUT the object's content to (one request, at most 5 GiB) until ``expires``."""
        return self.signer.presigned_put_object(self.bucket, key, expires=expires)

    # Multipart uploads sent by clients ------------------------------------------------------------------
    #
    # A client uploads a large file in parts straight to S3, one presigned PUT per part, so its bytes never
    # pass through a service. minio-py has public calls for none of this except presigning; the private
    # ones used here are stable across 7.x (as ``_list_multipart_uploads`` below).

    def start_multipart(self, key: str, content_type: str = "application/octet-stream") -> str:
        """Begin a multipart upload of ``key``; its upload id, for the calls below."""
        return self.client._create_multipart_upload(self.bucket, key, {"Content-Type": content_type})

    def presigned_part_url(self, key: str, upload_id: str, part_number: int, expires: timedelta) -> str:
        """A URL anyone can PUT part ``part_number`` (1 to 10,000) of the upload to until ``expires``.

        Every part but the last must be at least 5 MiB, or completing fails. Signing is local.
        """
        if not 1 <= part_number <= MAX_PARTS:
            raise ValueError(f"part_number must be between 1 and {MAX_PARTS}")
        return self.signer.get_presigned_url(
            "PUT",
            self.bucket,
            key,
            expires=expires,
            extra_query_params={"uploadId": upload_id, "partNumber": str(part_number)},
        )

    def list_parts(
        self, key: str, upload_id: str, page_size: int = 1000, expected_size: Callable[[int], int] | None = None
    ) -> list[UploadedPart]:
        """The parts received so far, by part number; :class:`MultipartUploadNotFound` if none is in progress.

        S3 answers at most 1,000 parts a request (``page_size``); the pages are followed to the end.
        ``expected_size(part_number)``, when given, settles which of a part sent twice counts (below).
        """
        parts: list[Part] = []
        marker: str | None = None
        while True:
            try:
                result = self.client._list_parts(
                    self.bucket, key, upload_id, max_parts=page_size, part_number_marker=marker
                )
            except S3Error as exc:
                raise self._translate_upload(exc, key, upload_id) from exc
            parts.extend(result.parts)
            following = result.next_part_number_marker
            if not result.is_truncated or not following or following == marker:
                break
            marker = following

        # A part sent twice replaces the first on MinIO and AWS, but SeaweedFS lists both, with times to the
        # second and in no telling order. The later one counts; of two in the same second, the one of the
        # expected size (a client sends a part again because the first was wrong), else the one listed last.
        # A wrong pick of two same-sized parts could only fail the upload's SHA-256 check, never corrupt a file.
        def rank(part: Part) -> tuple[datetime, bool]:
            fits = expected_size is not None and part.size == expected_size(part.part_number)
            return part.last_modified or datetime.min.replace(tzinfo=UTC), fits

        latest: dict[int, Part] = {}
        for part in parts:
            kept = latest.get(part.part_number)
            if kept is None or rank(part) >= rank(kept):
                latest[part.part_number] = part
        return [UploadedPart(p.part_number, p.size or 0, p.etag) for _, p in sorted(latest.items())]

    def complete_multipart(self, key: str, upload_id: str, parts: list[UploadedPart]) -> str:
        """Join ``parts`` (as :meth:`list_parts` gave them) into the object ``key``; its ETag."""
        try:
            result = self.client._complete_multipart_upload(
                self.bucket, key, upload_id, [Part(p.number, p.etag) for p in parts]
            )
        except S3Error as exc:
            raise self._translate_upload(exc, key, upload_id) from exc
        return (result.etag or "").strip('"')

    def abort_multipart(self, key: str, upload_id: str) -> None:
        """Abort the upload so the server frees its parts; an upload already gone is not an error."""
        try:
            self.client._abort_multipart_upload(self.bucket, key, upload_id)
        except S3Error as exc:
            if not isinstance(self._translate_upload(exc, key, upload_id), MultipartUploadNotFound):
                raise

    def delete(self, key: str) -> None:
        """Remove the object; removing an absent object is not an error (S3 semantics)."""
        self.client.remove_object(self.bucket, key)

    def ping(self) -> None:
        """Check that the store answers, accepts our credentials and has the bucket; raise otherwise.

        Meant for health checks: with a client from :func:`make_client` an endpoint that refuses, drops
        or never answers fails within about 2 seconds (other clients keep their own timeouts).
        """
        token = _REQUEST_OVERRIDES.set(_PING_OVERRIDES)
        try:
            present = self.client.bucket_exists(self.bucket)
        except S3Error as exc:
            raise StorageUnavailable(f"S3 refused the request: {exc.code}: {exc.message}") from exc
        except (MinioException, urllib3.exceptions.HTTPError, OSError) as exc:
            # MinioException here is a non-S3 answer (a proxy's 502 page, say): as good as unreachable.
            raise StorageUnavailable(f"S3 unreachable: {exc}") from exc
        finally:
            _REQUEST_OVERRIDES.reset(token)
        if not present:
            raise StorageUnavailable(f"S3 bucket {self.bucket!r} does not exist")

    def list_incomplete_uploads(self, prefix: str = "") -> list[IncompleteUpload]:
        """Multipart uploads begun under ``prefix`` and never completed or aborted (for sweepers and tests)."""
        uploads: list[IncompleteUpload] = []
        key_marker: str | None = None
        upload_id_marker: str | None = None
        while True:
            # minio has no public call for this; the private one is stable across 7.x.
            result = self.client._list_multipart_uploads(
                self.bucket, prefix=prefix or None, key_marker=key_marker, upload_id_marker=upload_id_marker
            )
            uploads.extend(
                IncompleteUpload(key=u.object_name, upload_id=u.upload_id or "", initiated=u.initiated_time)
                for u in result.uploads
            )
            # minio 7.2 stores the next upload-id marker under a misspelt attribute name; read both.
            next_upload_id = getattr(result, "next_upload_id_marker", None) or getattr(
                result, "self._next_upload_id_marker", None
            )
            next_key = result.next_key_marker
            if not result.is_truncated or (next_key, next_upload_id) == (key_marker, upload_id_marker):
                return uploads
            key_marker, upload_id_marker = next_key, next_upload_id

    def abort_incomplete_upload(self, upload: IncompleteUpload) -> None:
        """Abort a multipart upload so the server frees its parts."""
        self.client._abort_multipart_upload(self.bucket, upload.key, upload.upload_id)

    def _translate_upload(self, exc: S3Error, key: str, upload_id: str) -> Exception:
        if exc.code == "NoSuchUpload":
            return MultipartUploadNotFound(key, upload_id)
        return exc

    def _translate(self, exc: S3Error, key: str) -> Exception:
        if exc.code in _NOT_FOUND_CODES:
            return ObjectNotFound(self.bucket, key)
        return exc
