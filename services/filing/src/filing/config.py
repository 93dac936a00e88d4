"""Filing's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chassis.config import ConfigError, env_int
from chassis.service import ServiceSettings, load_settings

SERVICE = "filing"
MiB = 1024 * 1024
GiB = 1024 * MiB


@dataclass(frozen=True)
class FilingSettings:
    """The chassis's service settings plus filing's own."""

    service: ServiceSettings
    #: DOMAIN.md section 4: at most 50 MB a file; larger files come through the Judiciary Cloud.
    max_document_bytes: int = 50 * MiB
    max_documents: int = 20
    #: The largest multipart body read at all; a bigger one is refused before it is spooled.
    max_request_bytes: int = 200 * MiB
    #: How long a filing may wait for its fee before it is cancelled.
    payment_timeout_minutes: int = 24 * 60
    job_interval_seconds: int = 30
    #: How long a presigned download URL works; short, so a link passed on or a sealing soon stops it.
    download_url_seconds: int = 60
    #: How long a paid public inspection lets its holder download the document.
    inspection_hours: int = 24
    #: DOMAIN.md section 7: each organisation's Judiciary Cloud holds 20 GB unless the Help Centre sets more.
    cloud_quota_bytes: int = 20 * GiB
    #: The largest single file the Judiciary Cloud takes.
    cloud_max_file_bytes: int = 5 * GiB
    #: Uploads not attached to a filing within this many days are deleted and their space freed.
    cloud_upload_days: int = 30
    #: How long a presigned part-upload URL works.
    cloud_part_url_seconds: int = 3600
    #: How long the presigned URL of a public document's text (in its event or the export) works: S3's
    #: longest, so search can still fetch it after a long outage of its consumer.
    text_url_seconds: int = 7 * 24 * 3600


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Filing's chassis settings; filed and issued documents live in its own bucket."""
    return load_settings(SERVICE, uses_storage=True, environ=environ)


def load_filing(environ: Mapping[str, str] | None = None, service: ServiceSettings | None = None) -> FilingSettings:
    """Every setting filing reads, failing fast on anything malformed."""
    settings = FilingSettings(
        service=service or load(environ),
        max_document_bytes=env_int("ICMS_FILING_MAX_DOCUMENT_BYTES", 50 * MiB, environ),
        max_documents=env_int("ICMS_FILING_MAX_DOCUMENTS", 20, environ),
        max_request_bytes=env_int("ICMS_FILING_MAX_REQUEST_BYTES", 200 * MiB, environ),
        payment_timeout_minutes=env_int("ICMS_FILING_PAYMENT_TIMEOUT_MINUTES", 24 * 60, environ),
        job_interval_seconds=env_int("ICMS_FILING_JOB_INTERVAL_SECONDS", 30, environ),
        download_url_seconds=env_int("ICMS_FILING_DOWNLOAD_URL_SECONDS", 60, environ),
        inspection_hours=env_int("ICMS_FILING_INSPECTION_HOURS", 24, environ),
        cloud_quota_bytes=env_int("ICMS_FILING_CLOUD_QUOTA_BYTES", 20 * GiB, environ),
        cloud_max_file_bytes=env_int("ICMS_FILING_CLOUD_MAX_FILE_BYTES", 5 * GiB, environ),
        cloud_upload_days=env_int("ICMS_FILING_CLOUD_UPLOAD_DAYS", 30, environ),
        cloud_part_url_seconds=env_int("ICMS_FILING_CLOUD_PART_URL_SECONDS", 3600, environ),
        text_url_seconds=env_int("ICMS_FILING_TEXT_URL_SECONDS", 7 * 24 * 3600, environ),
    )
    if settings.max_document_bytes < 1024 or settings.max_documents < 1:
        raise ConfigError("ICMS_FILING_MAX_DOCUMENT_BYTES must be >= 1024 and ICMS_FILING_MAX_DOCUMENTS >= 1")
    if settings.max_request_bytes <= settings.max_document_bytes:
        raise ConfigError("ICMS_FILING_MAX_REQUEST_BYTES must exceed ICMS_FILING_MAX_DOCUMENT_BYTES")
    if settings.payment_timeout_minutes < 1 or settings.job_interval_seconds < 1:
        raise ConfigError("ICMS_FILING_PAYMENT_TIMEOUT_MINUTES and ICMS_FILING_JOB_INTERVAL_SECONDS must be >= 1")
    if min(settings.download_url_seconds, settings.inspection_hours, settings.cloud_upload_days) < 1:
        raise ConfigError(
            "ICMS_FILING_DOWNLOAD_URL_SECONDS, ICMS_FILING_INSPECTION_HOURS and ICMS_FILING_CLOUD_UPLOAD_DAYS "
            "must be >= 1"
        )
    if settings.cloud_quota_bytes < 0 or settings.cloud_max_file_bytes <= settings.max_document_bytes:
        raise ConfigError(
            "ICMS_FILING_CLOUD_QUOTA_BYTES must be >= 0 and ICMS_FILING_CLOUD_MAX_FILE_BYTES must exceed "
            "ICMS_FILING_MAX_DOCUMENT_BYTES"
        )
    if not 60 <= settings.cloud_part_url_seconds <= 7 * 24 * 3600:
        raise ConfigError("ICMS_FILING_CLOUD_PART_URL_SECONDS must be between 60 and 604800 (S3's limit)")
    if not 60 <= settings.text_url_seconds <= 7 * 24 * 3600:
        raise ConfigError("ICMS_FILING_TEXT_URL_SECONDS must be between 60 and 604800 (S3's limit)")
    return settings
