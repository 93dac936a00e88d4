"""Payments's settings, read from the environment when the process is wired."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass

from chassis.config import ConfigError, env_int, env_str
from chassis.service import ServiceSettings, load_settings

SERVICE = "payments"
#: The sandbox provider signs its webhooks with this; as long as a gateway secret, for the same reason.
MIN_SECRET_LENGTH = 32


@dataclass(frozen=True)
class PaymentsSettings:
    """The chassis's service settings plus payments's own."""

    service: ServiceSettings
    #: Where the public reaches this system (the gateway): the base of hosted-page and webhook URLs.
    public_url: str
    #: The key the sandbox provider signs its webhooks with (HMAC-SHA256).
    sandbox_secret: str
    #: How long an order may be paid; filing cancels an unpaid filing after its own, equal, timeout.
    order_ttl_minutes: int = 24 * 60
    #: How long a card or PPS payment may wait for the provider's word before it counts as timed out.
    provider_timeout_minutes: int = 30
    #: A deposit account warns once its balance falls below the minimum plus this margin.
    low_balance_margin_cents: int = 100_000
    job_interval_seconds: int = 30


def _sandbox_secret(service: ServiceSettings) -> str:
    # Without a secret of its own, the sandbox signs with a key derived from the gateway secret the
    # service already holds, so a local run needs no extra secret and none is ever kept in the repo.
    return hmac.new(service.gateway_secret.encode(), b"icms-payments-sandbox-webhooks", hashlib.sha256).hexdigest()


def load(environ: Mapping[str, str] | None = None) -> ServiceSettings:
    """Payments's chassis settings; receipts live in its own bucket."""
    return load_settings(SERVICE, uses_storage=True, environ=environ)


def load_payments(environ: Mapping[str, str] | None = None, service: ServiceSettings | None = None) -> PaymentsSettings:
    """Every setting payments reads, failing fast on anything malformed."""
    service = service or load(environ)
    settings = PaymentsSettings(
        service=service,
        public_url=env_str("ICMS_PUBLIC_URL", "http://127.0.0.1:8080", environ).rstrip("/"),
        sandbox_secret=env_str("ICMS_PAYMENTS_SANDBOX_SECRET", "", environ) or _sandbox_secret(service),
        order_ttl_minutes=env_int("ICMS_PAYMENTS_ORDER_TTL_MINUTES", 24 * 60, environ),
        provider_timeout_minutes=env_int("ICMS_PAYMENTS_PROVIDER_TIMEOUT_MINUTES", 30, environ),
        low_balance_margin_cents=env_int("ICMS_PAYMENTS_LOW_BALANCE_MARGIN_CENTS", 100_000, environ),
        job_interval_seconds=env_int("ICMS_PAYMENTS_JOB_INTERVAL_SECONDS", 30, environ),
    )
    if len(settings.sandbox_secret) < MIN_SECRET_LENGTH:
        raise ConfigError(f"ICMS_PAYMENTS_SANDBOX_SECRET must be at least {MIN_SECRET_LENGTH} characters long")
    if not settings.public_url.startswith(("http://", "https://")):
        raise ConfigError("ICMS_PUBLIC_URL must be an http:// or https:// URL")
    if min(settings.order_ttl_minutes, settings.provider_timeout_minutes, settings.job_interval_seconds) < 1:
        raise ConfigError(
            "ICMS_PAYMENTS_ORDER_TTL_MINUTES, ICMS_PAYMENTS_PROVIDER_TIMEOUT_MINUTES and "
            "ICMS_PAYMENTS_JOB_INTERVAL_SECONDS must be >= 1"
        )
    if settings.low_balance_margin_cents < 0:
        raise ConfigError("ICMS_PAYMENTS_LOW_BALANCE_MARGIN_CENTS must be >= 0")
    return settings
