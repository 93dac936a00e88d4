"""The gateway's settings, read from the environment when ``load`` is called (never at import time)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from chassis.config import ConfigError, env_float, env_int, env_str
from chassis.web.principal import gateway_secret

#: The services behind the gateway, each reached at ``<its URL>/api/<service>/...``.
SERVICES: tuple[str, ...] = ("identity", "filing", "payments", "search")

MIB = 1024 * 1024


@dataclass(frozen=True)
class Settings:
    """Where the upstream services are, how long to wait for them, and how callers are authenticated."""

    upstreams: Mapping[str, str]
    """Service name -> base URL (scheme, host, port, optional path prefix; no trailing slash)."""
    secret: str = field(repr=False)
    """The key of the principal headers' signatures, shared with every service."""
    jwks_url: str
    """Where identity publishes the public keys of its access tokens."""
    jwks_ttl: float = 300.0
    """Seconds the key set is used before it is fetched again."""
    jwks_min_refresh: float = 10.0
    """Least seconds between two fetches, however many tokens name a key the gateway does not know."""
    connect_timeout: float = 3.0
    """Seconds to open a TCP connection to an upstream."""
    read_timeout: float = 60.0
    """Seconds to wait for each read from an upstream, the response head included."""
    write_timeout: float = 60.0
    """Seconds to wait for each write of a request body to an upstream that has stopped reading."""
    health_timeout: float = 2.0
    """Seconds to wait for an upstream's ``/health/ready``."""
    max_body_bytes: int = 60 * MIB
    """Largest request body passed on; a larger one gets 413."""
    pool_size: int = 32
    """Idle keep-alive connections kept open to the upstreams."""
    log_level: str = "INFO"


def load(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from ``environ`` (default ``os.environ``); raises ``ConfigError`` naming a bad variable."""
    upstreams = {service: _base_url(f"ICMS_{service.upper()}_URL", environ) for service in SERVICES}
    return Settings(
        upstreams=upstreams,
        secret=gateway_secret(environ),
        jwks_url=_http_url(
            "ICMS_GATEWAY_JWKS_URL",
            env_str("ICMS_GATEWAY_JWKS_URL", f"{upstreams['identity']}/.well-known/jwks.json", environ).strip(),
        ),
        jwks_ttl=_positive(env_float, "ICMS_GATEWAY_JWKS_TTL", 300.0, environ),
        jwks_min_refresh=_positive(env_float, "ICMS_GATEWAY_JWKS_MIN_REFRESH", 10.0, environ),
        connect_timeout=_positive(env_float, "ICMS_GATEWAY_CONNECT_TIMEOUT", 3.0, environ),
        read_timeout=_positive(env_float, "ICMS_GATEWAY_READ_TIMEOUT", 60.0, environ),
        write_timeout=_positive(env_float, "ICMS_GATEWAY_WRITE_TIMEOUT", 60.0, environ),
        health_timeout=_positive(env_float, "ICMS_GATEWAY_HEALTH_TIMEOUT", 2.0, environ),
        max_body_bytes=_positive(env_int, "ICMS_GATEWAY_MAX_BODY_BYTES", 60 * MIB, environ),
        pool_size=_positive(env_int, "ICMS_GATEWAY_POOL_SIZE", 32, environ),
        log_level=env_str("ICMS_LOG_LEVEL", "INFO", environ),
    )


def _http_url(name: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in {"http", "https"} or not parts.netloc:
        raise ConfigError(f"environment variable {name} must be an http(s) URL, got {value!r}")
    return value


def _base_url(name: str, environ: Mapping[str, str] | None) -> str:
    value = _http_url(name, env_str(name, environ=environ).strip())
    parts = urlsplit(value)
    if parts.query or parts.fragment:
        raise ConfigError(
            f"environment variable {name} must be a base URL without query or fragment (the gateway adds "
            f"/api/<service>/...), got {value!r}"
        )
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def _positive(read, name: str, default, environ: Mapping[str, str] | None):  # type: ignore[no-untyped-def]
    value = read(name, default, environ)
    if value <= 0:
        raise ConfigError(f"environment variable {name} must be greater than zero, got {value!r}")
    return value
