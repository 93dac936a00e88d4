"""Settings come from the environment when asked for, and a missing or bad one stops start-up."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from chassis.config import ConfigError
from gateway import config

ENV = {
    "ICMS_IDENTITY_URL": "http://127.0.0.1:8001",
    "ICMS_FILING_URL": "http://127.0.0.1:8002/",
    "ICMS_PAYMENTS_URL": "https://payments.internal:8443",
    "ICMS_SEARCH_URL": "http://search.internal/prefix/",
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
        }
    )

    assert (settings.connect_timeout, settings.read_timeout, settings.write_timeout) == (0.5, 5.0, 7.0)
    assert settings.health_timeout == 1.5
    assert settings.max_body_bytes == 1024
    assert settings.pool_size == 4
    assert settings.log_level == "DEBUG"


@pytest.mark.parametrize("name", sorted(ENV))
def test_every_upstream_url_is_required(name):
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
