"""Settings come from the environment when asked for, and a missing or bad one stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chassis.config import ConfigError
from chassis.testing.principals import GATEWAY_SECRET
from gateway import config

ENV = {
    "ICMS_IDENTITY_URL": "http://127.0.0.1:8001",
    "ICMS_FILING_URL": "http://127.0.0.1:8002/",
    "ICMS_PAYMENTS_URL": "https://payments.internal:8443",
    "ICMS_SEARCH_URL": "http://search.internal/prefix/",
    "ICMS_GATEWAY_SECRET": GATEWAY_SECRET,
}


def test_defaults_and_upstreams():
    settings = config.load(ENV)

    assert settings.upstreams == {
        "identity": "http://127.0.0.1:8001",
        "filing": "http://127.0.0.1:8002",
        "payments": "https://payments.internal:8443",
        "search": "http://search.internal/prefix",
    }
    assert settings.max_body_bytes == 60 * 1024 * 1024
    assert settings.connect_timeout == 3.0
    assert settings.read_timeout == 60.0
    assert settings.write_timeout == 60.0
    assert settings.health_timeout == 2.0
    assert settings.log_level == "INFO"
    assert settings.secret == GATEWAY_SECRET
    assert GATEWAY_SECRET not in repr(settings)
    assert settings.jwks_url == "http://127.0.0.1:8001/.well-known/jwks.json"
    assert (settings.jwks_ttl, settings.jwks_min_refresh) == (300.0, 10.0)


def test_overrides():
    settings = config.load(
        {
            **ENV,
            "ICMS_GATEWAY_CONNECT_TIMEOUT": "0.5",
            "ICMS_GATEWAY_READ_TIMEOUT": "5",
            "ICMS_GATEWAY_WRITE_TIMEOUT": "7",
            "ICMS_GATEWAY_HEALTH_TIMEOUT": "1.5",
            "ICMS_GATEWAY_MAX_BODY_BYTES": "1024",
            "ICMS_GATEWAY_POOL_SIZE": "4",
            "ICMS_LOG_LEVEL": "DEBUG",
            "ICMS_GATEWAY_JWKS_URL": "https://keys.internal/identity/jwks.json",
            "ICMS_GATEWAY_JWKS_TTL": "60",
            "ICMS_GATEWAY_JWKS_MIN_REFRESH": "2.5",
        }
    )

    assert (settings.connect_timeout, settings.read_timeout, settings.write_timeout) == (0.5, 5.0, 7.0)
    assert settings.health_timeout == 1.5
    assert settings.max_body_bytes == 1024
    assert settings.pool_size == 4
    assert settings.log_level == "DEBUG"
    assert settings.jwks_url == "https://keys.internal/identity/jwks.json"
    assert (settings.jwks_ttl, settings.jwks_min_refresh) == (60.0, 2.5)


@pytest.mark.parametrize("name", sorted(ENV))
def test_every_upstream_url_and_the_secret_are_required(name):
    environ = {k: v for k, v in ENV.items() if k != name}
    with pytest.raises(ConfigError, match=name):
        config.load(environ)


@pytest.mark.parametrize("value", ["127.0.0.1:8001", "ftp://x", "http://", "http://x/?a=1", "http://x/#f"])
def test_upstream_url_must_be_a_base_url(value):
    with pytest.raises(ConfigError, match="ICMS_FILING_URL"):
        config.load({**ENV, "ICMS_FILING_URL": value})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("ICMS_GATEWAY_READ_TIMEOUT", "soon"),
        ("ICMS_GATEWAY_READ_TIMEOUT", "0"),
        ("ICMS_GATEWAY_MAX_BODY_BYTES", "60MB"),
        ("ICMS_GATEWAY_MAX_BODY_BYTES", "-1"),
        ("ICMS_GATEWAY_JWKS_TTL", "0"),
        ("ICMS_GATEWAY_JWKS_MIN_REFRESH", "often"),
        ("ICMS_GATEWAY_JWKS_URL", "keys.internal/jwks.json"),
        ("ICMS_GATEWAY_SECRET", "x" * 31),
    ],
)
def test_malformed_numbers_are_refused(name, value):
    with pytest.raises(ConfigError, match=name):
        config.load({**ENV, name: value})


def test_nothing_is_read_at_import_time():
    # A fresh interpreter without the variables: importing works, creating the app names what is missing.
    environ = {k: v for k, v in os.environ.items() if not k.startswith("ICMS_")}
    script = (
        "import gateway.entrypoints.http as http\n"
        "from chassis.config import ConfigError\n"
        "try:\n"
        "    http.create_app()\n"
        "except ConfigError as exc:\n"
        "    print(exc)\n"
    )
    result = subprocess.run([sys.executable, "-c", script], env=environ, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0, result.stderr
    assert "ICMS_IDENTITY_URL" in result.stdout
