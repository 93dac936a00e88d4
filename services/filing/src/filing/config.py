"""Filing's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chassis.config import ConfigError, env_int
from chassis.service import ServiceSettings, load_settings

SERVICE = "filing"
MiB = 1024 * 1024


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
    )
    if settings.max_document_bytes < 1024 or settings.max_documents < 1:
        raise ConfigError("ICMS_FILING_MAX_DOCUMENT_BYTES must be >= 1024 and ICMS_FILING_MAX_DOCUMENTS >= 1")
    if settings.max_request_bytes <= settings.max_document_bytes:
        raise ConfigError("ICMS_FILING_MAX_REQUEST_BYTES must exceed ICMS_FILING_MAX_DOCUMENT_BYTES")
    if settings.payment_timeout_minutes < 1 or settings.job_interval_seconds < 1:
        raise ConfigError("ICMS_FILING_PAYMENT_TIMEOUT_MINUTES and ICMS_FILING_JOB_INTERVAL_SECONDS must be >= 1")
    return settings
