"""Fixtures: four echoing upstreams, a gunicorn gateway in front of them, in-process gateways.

Identity's upstream publishes ``identity_key``, so the tokens it signs are good at every gateway.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path

import pytest

from chassis.testing.infra import free_port
from gateway import config
from gateway.entrypoints.http import create_app

# The repository runs pytest with --import-mode=importlib, which puts no test folder on sys.path;
# the helpers the tests import live beside this file under a name no other service uses.
sys.path.insert(0, str(Path(__file__).parent))

from gateway_testkit import (
    READ_TIMEOUT,
    SERVICES,
    EchoUpstream,
    GunicornGateway,
    InProcessServer,
    SigningKey,
    gateway_environ,
    wait_until_up,
)


@pytest.fixture(scope="session")
def identity_key() -> SigningKey:
    """The key the shared identity upstream publishes."""
    return SigningKey()


@pytest.fixture(scope="session")
def upstreams(identity_key: SigningKey) -> Iterator[dict[str, EchoUpstream]]:
    servers = {name: EchoUpstream(name) for name in SERVICES}
    servers["identity"].jwks = [identity_key.jwk()]
    yield servers
    for server in servers.values():
        server.close()


@pytest.fixture(scope="session")
def upstream_urls(upstreams: dict[str, EchoUpstream]) -> dict[str, str]:
    return {name: server.url for name, server in upstreams.items()}


@pytest.fixture(scope="session")
def gunicorn_gateway(upstream_urls: dict[str, str]) -> Iterator[GunicornGateway]:
    environ = gateway_environ(upstream_urls, ICMS_GATEWAY_READ_TIMEOUT=str(READ_TIMEOUT))
    gateway = GunicornGateway(environ)
    yield gateway
    gateway.close()


@pytest.fixture
def gateway_url(gunicorn_gateway: GunicornGateway) -> str:
    """The base URL of the shared gunicorn gateway in front of the four echo upstreams."""
    return gunicorn_gateway.url


@pytest.fixture
def serve_gateway() -> Iterator[Callable[..., str]]:
    """Start an in-process gateway with the given upstreams and settings; returns its base URL."""
    servers: list[tuple[InProcessServer, object]] = []

    def start(upstream_urls: Mapping[str, str], **overrides: str) -> str:
        settings = config.load(gateway_environ(upstream_urls, **overrides))
        app = create_app(settings)
        server = InProcessServer(app)
        servers.append((server, app.extensions["icms_gateway"]))
        wait_until_up(f"{server.url}/health/live")
        return server.url

    yield start
    for server, gateway in servers:
        server.close()
        gateway.close()


@pytest.fixture
def dead_url() -> str:
    """A URL on 127.0.0.1 where nothing listens."""
    return f"http://127.0.0.1:{free_port()}"
