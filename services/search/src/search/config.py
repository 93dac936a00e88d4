"""Search's settings, read from the environment when the process is wired."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from chassis.config import ConfigError, env_float, env_int, env_str
from chassis.service import ServiceSettings, load_settings

SERVICE = "search"
MiB = 1024 * 1024


@dataclass(frozen=True)
class SearchSettings:
    """The chassis's service settings plus search's own."""

    service: ServiceSettings
    #: The largest extracted text of a public document that search fetches; a larger one is refused
    #: (dead-lettered) rather than held in memory. Extracted text is a small part of its PDF.
    text_max_bytes: int = 16 * MiB
    #: Seconds to connect to the text's URL and to wait for each read from it.
    text_fetch_seconds: float = 10.0
    #: Filing's own address (``ICMS_FILING_URL``, as the local runner and the e2e stack set it), for
    #: ``search rebuild``, which reads filing's export directly, never through the gateway. Empty:
    #: rebuild refuses to run; nothing else needs it.
    filing_url: str = ""
    #: Items per page of filing's export, and seconds to connect to it and for each answer.
    export_page_size: int = 500
    export_seconds: float = 60.0


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Search's chassis settings; it keeps no documents (public text comes by reference)."""
    return load_settings(SERVICE, uses_storage=False, environ=environ)


def load_search(environ: Mapping[str, str] | None = None, service: ServiceSettings | None = None) -> SearchSettings:
    """Every setting search reads, failing fast on anything malformed."""
    settings = SearchSettings(
        service=service or load(environ),
        text_max_bytes=env_int("ICMS_SEARCH_TEXT_MAX_BYTES", 16 * MiB, environ),
        text_fetch_seconds=env_float("ICMS_SEARCH_TEXT_FETCH_SECONDS", 10.0, environ),
        filing_url=env_str("ICMS_FILING_URL", "", environ).rstrip("/"),
        export_page_size=env_int("ICMS_SEARCH_EXPORT_PAGE_SIZE", 500, environ),
        export_seconds=env_float("ICMS_SEARCH_EXPORT_SECONDS", 60.0, environ),
    )
    if settings.text_max_bytes < 1024:
        raise ConfigError("ICMS_SEARCH_TEXT_MAX_BYTES must be >= 1024")
    if not 0 < settings.text_fetch_seconds <= 300:
        raise ConfigError("ICMS_SEARCH_TEXT_FETCH_SECONDS must be above 0 and at most 300")
    if not 1 <= settings.export_page_size <= 1000:
        raise ConfigError("ICMS_SEARCH_EXPORT_PAGE_SIZE must be 1 to 1000 (filing's export pages)")
    if not 0 < settings.export_seconds <= 600:
        raise ConfigError("ICMS_SEARCH_EXPORT_SECONDS must be above 0 and at most 600")
    return settings
