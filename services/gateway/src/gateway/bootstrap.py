"""The one place that wires the gateway: settings in, a ready ``Gateway`` out."""

from __future__ import annotations

from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy

import httpx

from gateway.config import Settings
from gateway.health import UpstreamHealth
from gateway.proxy import Proxy
from gateway.tokens import IdentityKeys, TokenVerifier


@dataclass
class Gateway:
    """The wired objects of one gateway process."""

    settings: Settings
    client: httpx.Client
    proxy: Proxy
    health: UpstreamHealth
    keys: IdentityKeys

    def close(self) -> None:
        """Close every pooled upstream connection."""
        self.client.close()


def upstream_client(settings: Settings) -> httpx.Client:
    """The pool of connections to every upstream, shared by all threads of the process.

    It is a plain transport: no redirects followed (the client gets the 3xx), no proxy or netrc
    settings taken from the environment, and no cookies kept between requests of different clients.
    """
    return httpx.Client(
        timeout=httpx.Timeout(
            connect=settings.connect_timeout,
            read=settings.read_timeout,
            write=settings.write_timeout,
            pool=settings.connect_timeout,
        ),
        # No cap on open connections (gunicorn's threads bound the concurrency); keep a few idle.
        limits=httpx.Limits(max_connections=None, max_keepalive_connections=settings.pool_size),
        follow_redirects=False,
        trust_env=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
    )


def bootstrap(settings: Settings) -> Gateway:
    """Build the upstream connection pool and everything that uses it."""
    client = upstream_client(settings)
    keys = IdentityKeys(client, settings.jwks_url, ttl=settings.jwks_ttl, min_refresh=settings.jwks_min_refresh)
    return Gateway(
        settings=settings,
        client=client,
        proxy=Proxy(
            client,
            settings.upstreams,
            tokens=TokenVerifier(keys),
            secret=settings.secret,
            max_body_bytes=settings.max_body_bytes,
        ),
        health=UpstreamHealth(client, settings.upstreams, timeout=settings.health_timeout),
        keys=keys,
    )
