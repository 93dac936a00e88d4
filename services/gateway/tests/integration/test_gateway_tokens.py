"""Bearer tokens become signed principals; anything doubtful is a 401 that reaches no service."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest
import requests
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from gateway_testkit import (
    TIMEOUT,
    EchoUpstream,
    SigningKey,
    bearer,
    header,
    header_names,
    problem,
    token_claims,
    unsigned_token,
)

from chassis.testing.principals import GATEWAY_SECRET
from chassis.web.principal import Principal, principal_headers


def assert_invalid_token(answer: requests.Response) -> None:
    assert answer.status_code == 401
    assert problem(answer)["type"] == "urn:icms:problem:invalid-token"
    assert answer.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'
    assert answer.headers["X-Request-ID"]


def test_a_valid_token_reaches_the_upstream_as_a_signed_principal(gateway_url, identity_key):
    claims = token_claims()
    token = identity_key.token(**claims)

    answer = requests.post(f"{gateway_url}/api/filing/v1/filings", data=b"{}", headers=bearer(token), timeout=TIMEOUT)

    assert answer.status_code == 200
    echo = answer.json()
    assert echo["principal"] == {
        "subject": claims["sub"],
        "account_type": "organisation",
        "roles": ["OU", "SA"],
        "organisation": "org-1",
        "branch": "branch-1",
        "session": "session-1",
        "expires_at": claims["exp"],
        "client_ip": "127.0.0.1",
    }
    assert header(echo, "Authorization") is None  # the token itself stays at the gateway
    assert {n for n in header_names(echo) if n.startswith("x-icms-")} == {
        "x-icms-principal",
        "x-icms-principal-signature",
    }


def test_a_request_without_a_token_is_passed_on_as_anonymous(gateway_url):
    echo = requests.get(f"{gateway_url}/api/search/v1/cause-book", timeout=TIMEOUT).json()

    assert echo["principal"]["subject"] is None
    assert echo["principal"]["roles"] == []
    assert echo["principal"]["client_ip"] == "127.0.0.1"


@pytest.mark.parametrize("with_token", [False, True], ids=["anonymous", "with-token"])
def test_a_client_sent_principal_never_reaches_the_upstream(gateway_url, identity_key, with_token):
    # Even one signed with the real secret (say, captured from the internal network) is replaced.
    judge = Principal("judge-1", "staff", ("system_admin",), None, None, None, None, "10.0.0.1")
    forged = principal_headers(judge, GATEWAY_SECRET, datetime.now(UTC))
    headers = {**forged, **(bearer(identity_key.token(sub="clerk-9")) if with_token else {})}

    echo = requests.get(f"{gateway_url}/api/identity/v1/me", headers=headers, timeout=TIMEOUT).json()

    assert header(echo, "X-ICMS-Principal") != forged["X-ICMS-Principal"]
    assert echo["principal"]["subject"] == ("clerk-9" if with_token else None)
    assert "system_admin" not in echo["principal"]["roles"]
    assert echo["principal"]["client_ip"] == "127.0.0.1"


@pytest.mark.parametrize(
    "change",
    [
        {"exp": int(time.time()) - 60},
        {"aud": "someone-else"},
        {"iss": "https://evil.example"},
        {"iat": int(time.time()) + 3600},
        {"roles": "SA"},
        {"org": 7},
    ],
    ids=["expired", "audience", "issuer", "issued-in-the-future", "roles-not-a-list", "org-not-a-string"],
)
def test_a_token_with_wrong_claims_is_refused_and_not_forwarded(gateway_url, upstreams, identity_key, change):
    before = upstreams["filing"].hits

    answer = requests.get(
        f"{gateway_url}/api/filing/v1/x", headers=bearer(identity_key.token(**change)), timeout=TIMEOUT
    )

    assert_invalid_token(answer)
    assert upstreams["filing"].hits == before


@pytest.mark.parametrize("missing", ["exp", "sub", "aud", "iss"])
def test_a_token_without_a_required_claim_is_refused(gateway_url, identity_key, missing):
    token = identity_key.token(without=(missing,))
    assert_invalid_token(requests.get(f"{gateway_url}/api/filing/v1/x", headers=bearer(token), timeout=TIMEOUT))


def test_a_token_signed_by_an_unknown_key_is_refused(gateway_url, upstreams, identity_key):
    stranger = SigningKey(kid=identity_key.kid)  # even naming a published key id
    unknown = SigningKey()
    before = upstreams["payments"].hits
    for token in (stranger.token(), unknown.token()):
        assert_invalid_token(requests.get(f"{gateway_url}/api/payments/v1/x", headers=bearer(token), timeout=TIMEOUT))
    assert upstreams["payments"].hits == before


def test_unsigned_and_hmac_tokens_are_refused(gateway_url, upstreams, identity_key):
    # alg "none", and the classic confusion: HS256 keyed with the public key the JWKS publishes.
    claims = token_claims()
    pem = identity_key.private.public_key().public_bytes(Encoding.PEM, PublicFormat.SubjectPublicKeyInfo)
    tokens = [
        unsigned_token({"alg": "none", "kid": identity_key.kid}, claims),
        unsigned_token({"alg": "HS256", "kid": identity_key.kid}, claims, hmac_key=pem),
        unsigned_token({"alg": "HS256", "kid": identity_key.kid}, claims, hmac_key=identity_key.public_bytes()),
        unsigned_token({"alg": "EdDSA", "kid": identity_key.kid}, claims),  # EdDSA with the signature left off
    ]
    before = upstreams["identity"].hits
    for token in tokens:
        assert_invalid_token(requests.get(f"{gateway_url}/api/identity/v1/me", headers=bearer(token), timeout=TIMEOUT))
    assert upstreams["identity"].hits == before


@pytest.mark.parametrize(
    "authorization",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer not.a.jwt", "Bearer a b", "Token abc", ""],
)
def test_any_other_authorization_is_refused(gateway_url, upstreams, authorization):
    before = upstreams["search"].hits
    answer = requests.get(f"{gateway_url}/api/search/v1/x", headers={"Authorization": authorization}, timeout=TIMEOUT)
    assert_invalid_token(answer)
    assert upstreams["search"].hits == before


def test_the_gateway_publishes_identitys_public_keys(gateway_url, identity_key):
    answer = requests.get(f"{gateway_url}/.well-known/jwks.json", timeout=TIMEOUT)

    assert answer.status_code == 200
    assert answer.headers["Content-Type"] == "application/json"
    assert answer.headers["Cache-Control"] == "public, max-age=300"
    assert answer.json() == {"keys": [identity_key.jwk()]}


def test_private_members_of_a_published_key_are_never_passed_on(serve_gateway, upstream_urls):
    key = SigningKey()
    identity = EchoUpstream("identity", jwks=[{**key.jwk(), "d": "c2VjcmV0LXBhcnQ"}])
    try:
        url = serve_gateway({**upstream_urls, "identity": identity.url})
        assert requests.get(f"{url}/.well-known/jwks.json", timeout=TIMEOUT).json() == {"keys": [key.jwk()]}
    finally:
        identity.close()


def test_without_keys_from_identity_the_gateway_says_so(serve_gateway, upstream_urls, dead_url):
    url = serve_gateway({**upstream_urls, "identity": dead_url}, ICMS_GATEWAY_JWKS_MIN_REFRESH="0.5")

    answer = requests.get(f"{url}/.well-known/jwks.json", timeout=TIMEOUT)
    assert answer.status_code == 503
    assert problem(answer)["type"] == "urn:icms:problem:keys-unavailable"
    assert answer.headers["Retry-After"] == "1"
    # Anonymous requests do not need the keys; requests with a token are refused, not failed.
    assert requests.get(f"{url}/api/filing/v1/x", timeout=TIMEOUT).status_code == 200
    assert_invalid_token(requests.get(f"{url}/api/filing/v1/x", headers=bearer(SigningKey().token()), timeout=TIMEOUT))


@pytest.fixture
def first_key():
    return SigningKey()


@pytest.fixture
def own_identity(first_key):
    """An identity upstream of this test's own, publishing ``first_key`` to begin with."""
    identity = EchoUpstream("identity", jwks=[first_key.jwk()])
    yield identity
    identity.close()


def test_a_rotated_key_is_accepted_without_a_restart(serve_gateway, upstream_urls, own_identity, first_key):
    old, new = first_key, SigningKey()
    url = serve_gateway({**upstream_urls, "identity": own_identity.url}, ICMS_GATEWAY_JWKS_MIN_REFRESH="0.1")
    me = f"{url}/api/filing/v1/me"
    assert requests.get(me, headers=bearer(old.token(sub="before")), timeout=TIMEOUT).json()["principal"]["subject"]

    own_identity.jwks = [old.jwk(), new.jwk()]  # identity rotates: both keys published for a while
    time.sleep(0.2)
    fetched = own_identity.jwks_hits
    answer = requests.get(me, headers=bearer(new.token(sub="after")), timeout=TIMEOUT)
    assert answer.json()["principal"]["subject"] == "after"
    assert own_identity.jwks_hits == fetched + 1  # refetched on meeting the new kid, not after the ttl
    answer = requests.get(me, headers=bearer(old.token(sub="still")), timeout=TIMEOUT)
    assert answer.json()["principal"]["subject"] == "still"


def test_keys_are_refetched_after_the_ttl(serve_gateway, upstream_urls, own_identity, first_key):
    old, new = first_key, SigningKey()
    url = serve_gateway(
        {**upstream_urls, "identity": own_identity.url},
        ICMS_GATEWAY_JWKS_TTL="0.3",
        ICMS_GATEWAY_JWKS_MIN_REFRESH="0.1",
    )
    me = f"{url}/api/filing/v1/me"
    assert requests.get(me, headers=bearer(old.token()), timeout=TIMEOUT).status_code == 200

    own_identity.jwks = [new.jwk()]  # the old key retired
    time.sleep(0.4)
    assert_invalid_token(requests.get(me, headers=bearer(old.token()), timeout=TIMEOUT))
    assert requests.get(me, headers=bearer(new.token()), timeout=TIMEOUT).status_code == 200


def test_made_up_key_ids_do_not_make_the_gateway_hammer_identity(serve_gateway, upstream_urls, own_identity, first_key):
    url = serve_gateway({**upstream_urls, "identity": own_identity.url})  # default min refresh: 10 s
    me = f"{url}/api/filing/v1/me"
    requests.get(me, headers=bearer(first_key.token()), timeout=TIMEOUT).raise_for_status()
    fetched = own_identity.jwks_hits

    for _ in range(10):
        assert_invalid_token(requests.get(me, headers=bearer(SigningKey().token()), timeout=TIMEOUT))

    assert own_identity.jwks_hits <= fetched + 1


def test_a_failing_jwks_fetch_keeps_the_last_keys(serve_gateway, upstream_urls, own_identity, first_key):
    key = first_key
    url = serve_gateway(
        {**upstream_urls, "identity": own_identity.url},
        ICMS_GATEWAY_JWKS_TTL="0.2",
        ICMS_GATEWAY_JWKS_MIN_REFRESH="0.1",
    )
    me = f"{url}/api/filing/v1/me"
    assert requests.get(me, headers=bearer(key.token()), timeout=TIMEOUT).status_code == 200
    fetched = own_identity.jwks_hits

    own_identity.jwks_broken = True
    time.sleep(0.3)
    answer = requests.get(me, headers=bearer(key.token(sub="during-outage")), timeout=TIMEOUT)
    assert answer.json()["principal"]["subject"] == "during-outage"
    assert own_identity.jwks_hits > fetched  # it did try
    published = requests.get(f"{url}/.well-known/jwks.json", timeout=TIMEOUT)
    assert published.json() == {"keys": [key.jwk()]}
