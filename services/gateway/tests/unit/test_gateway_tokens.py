"""Identity's keys as the gateway holds them: parsed strictly, fetched when due and no more often."""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterator

import httpx
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from gateway.tokens import IdentityKeys, parse_jwks

URL = "http://identity.internal/.well-known/jwks.json"


def jwk(kid: str, **extra: str) -> dict[str, str]:
    raw = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    x = base64.urlsafe_b64encode(raw).rstrip(b"=").decode()
    return {"kty": "OKP", "crv": "Ed25519", "x": x, "kid": kid, "alg": "EdDSA", "use": "sig", **extra}


class Identity:
    """A JWKS endpoint for httpx's MockTransport: what it publishes, whether it fails, how often asked."""

    def __init__(self, *keys: dict[str, str]) -> None:
        self.keys = list(keys)
        self.failing = False
        self.fetches = 0
        self.gate: threading.Event | None = None  # when set, a fetch waits for it

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.fetches += 1
        if self.gate is not None:
            self.gate.wait(5)
        if self.failing:
            return httpx.Response(503, json={"status": "unready"})
        return httpx.Response(200, json={"keys": self.keys})


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def identity() -> Identity:
    return Identity(jwk("a"))


@pytest.fixture
def keys(identity: Identity, clock: Clock) -> Iterator[IdentityKeys]:
    client = httpx.Client(transport=httpx.MockTransport(identity))
    yield IdentityKeys(client, URL, ttl=300, min_refresh=10, clock=clock)
    client.close()


def test_only_public_ed25519_signing_keys_are_kept_and_published() -> None:
    good = jwk("good", d="private-part-that-must-never-be-published")
    document = {
        "keys": [
            good,
            {**jwk("for-encryption"), "use": "enc"},
            {**jwk("other-alg"), "alg": "RS256"},
            {**jwk("ed448"), "crv": "Ed448"},
            {"kty": "RSA", "kid": "rsa", "n": "AQAB", "e": "AQAB"},
            {**jwk("bad-x"), "x": "***"},
            {**jwk("no-kid"), "kid": None},
            "not a key",
        ]
    }
    keys, published = parse_jwks(document)
    assert set(keys) == {"good"}
    assert published == {"keys": [{name: value for name, value in good.items() if name != "d"}]}


@pytest.mark.parametrize("document", [[], {"keys": "a"}, {"keys": []}, {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}])
def test_a_document_without_usable_keys_is_refused(document: object) -> None:
    with pytest.raises(ValueError):
        parse_jwks(document)


def test_the_keys_are_fetched_once_then_again_after_the_ttl(keys: IdentityKeys, identity: Identity, clock: Clock):
    assert keys.key("a") is not None
    clock.now += 299
    assert keys.key("a") is not None
    assert identity.fetches == 1
    identity.keys = [jwk("b")]
    clock.now += 1
    assert keys.key("a") is None
    assert keys.key("b") is not None
    assert identity.fetches == 2


def test_an_unknown_kid_refetches_at_most_once_per_min_refresh(keys: IdentityKeys, identity: Identity, clock: Clock):
    keys.key("a")
    identity.keys.append(jwk("rotated"))
    clock.now += 10
    assert keys.key("rotated") is not None  # rotation seen without waiting for the ttl
    assert identity.fetches == 2
    for n in range(20):
        assert keys.key(f"made-up-{n}") is None
    assert identity.fetches == 2
    clock.now += 10
    assert keys.key("made-up-again") is None
    assert identity.fetches == 3


def test_a_failed_fetch_keeps_the_last_good_keys(keys: IdentityKeys, identity: Identity, clock: Clock):
    keys.key("a")
    published = keys.document()
    identity.failing = True
    clock.now += 300
    assert keys.key("a") is not None
    assert keys.document() == published
    assert identity.fetches == 2
    clock.now += 5
    keys.key("a")
    assert identity.fetches == 2  # a failed fetch is retried after min_refresh, not at every request
    identity.failing = False
    identity.keys = [jwk("b")]
    clock.now += 5
    assert keys.key("b") is not None
    assert identity.fetches == 3


def test_nothing_is_published_before_a_fetch_has_succeeded(keys: IdentityKeys, identity: Identity):
    identity.failing = True
    assert keys.document() is None
    assert keys.key("a") is None


def test_threads_needing_keys_share_one_fetch(keys: IdentityKeys, identity: Identity):
    identity.gate = threading.Event()
    found: list[bool] = []
    threads = [threading.Thread(target=lambda: found.append(keys.key("a") is not None)) for _ in range(8)]
    for thread in threads:
        thread.start()
    identity.gate.set()
    for thread in threads:
        thread.join(10)
    assert found == [True] * 8
    assert identity.fetches == 1


def test_threads_holding_the_key_do_not_wait_for_a_slow_refresh(keys: IdentityKeys, identity: Identity, clock: Clock):
    keys.key("a")
    clock.now += 300
    identity.gate = threading.Event()
    refresher = threading.Thread(target=keys.key, args=("a",))
    refresher.start()
    try:
        while identity.fetches < 2:
            threading.Event().wait(0.01)
        assert keys.key("a") is not None  # answered at once from the keys held, while the fetch hangs
    finally:
        identity.gate.set()
        refresher.join(10)
