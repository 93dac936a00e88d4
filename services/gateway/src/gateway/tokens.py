"""Access tokens: identity's public keys, cached, and the check of a bearer token against them.

Identity signs access tokens as EdDSA (Ed25519) JWTs and publishes its public keys as a JWKS. The
gateway keeps the last good key set in memory and fetches it again every ``ttl`` seconds, and when a
token names a key it does not hold (identity has rotated its keys), but never more often than every
``min_refresh`` seconds, so tokens with made-up key ids cannot make it hammer identity. When a fetch
fails the keys it holds stay in use.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt

from chassis.web.principal import CLOCK_LEEWAY, Principal, invalid_token

ISSUER = "icms-identity"
AUDIENCE = "icms"
ALGORITHM = "EdDSA"
#: Seconds a JWKS fetch may take; a request that needs the keys waits this long at most.
FETCH_TIMEOUT = 5.0
#: What of a key is passed on and published: the public key alone, whatever else identity sent.
PUBLIC_MEMBERS = ("kty", "crv", "x", "kid", "alg", "use")

log = logging.getLogger(__name__)


class IdentityKeys:
    """Identity's public signing keys by key id, fetched from its JWKS and shared by all threads."""

    def __init__(
        self,
        client: httpx.Client,
        url: str,
        *,
        ttl: float,
        min_refresh: float,
        clock: Callable[[], float] = time.monotonic,
    ):
        self._client = client
        self._url = url
        self._ttl = ttl
        self._min_refresh = min_refresh
        self._clock = clock
        self._lock = threading.Lock()
        # Replaced whole, never changed in place, so readers need no lock.
        self._keys: Mapping[str, jwt.PyJWK] = {}
        self._document: dict[str, Any] | None = None
        self._fetched_at = -math.inf
        self._attempted_at = -math.inf

    def key(self, kid: str) -> jwt.PyJWK | None:
        """The key ``kid``, after fetching the set again if it is stale or lacks that key."""
        self._refresh(missing=kid not in self._keys)
        return self._keys.get(kid)

    def document(self) -> dict[str, Any] | None:
        """The JWKS to publish (public members only), or None while no key set has been fetched."""
        self._refresh(missing=self._document is None)
        return self._document

    def _refresh(self, *, missing: bool) -> None:
        if not missing and self._clock() - self._fetched_at < self._ttl:
            return
        # A thread lacking what it needs waits for a fetch under way; the others go on with the keys held.
        if not self._lock.acquire(blocking=missing):
            return
        try:
            now = self._clock()
            if now - self._attempted_at < self._min_refresh:
                return
            self._attempted_at = now
            self._fetch(now)
        finally:
            self._lock.release()

    def _fetch(self, now: float) -> None:
        try:
            response = self._client.get(self._url, timeout=FETCH_TIMEOUT)
            response.raise_for_status()
            keys, document = parse_jwks(response.json())
        except (httpx.HTTPError, ValueError) as exc:
            log.warning(
                "fetching identity's keys from %s failed; keeping the %d held: %s: %s",
                self._url,
                len(self._keys),
                type(exc).__name__,
                exc,
            )
            return
        if keys.keys() != self._keys.keys():
            log.info("identity's keys are now %s", ", ".join(sorted(keys)))
        self._keys, self._document, self._fetched_at = keys, document, now


def parse_jwks(document: object) -> tuple[dict[str, jwt.PyJWK], dict[str, Any]]:
    """The usable Ed25519 signing keys of a JWKS by key id, and the JWKS of their public members.

    Raises ``ValueError`` if it is not a JWKS or holds no usable key; other keys are skipped.
    """
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError("not a JWKS: no 'keys' list")
    keys: dict[str, jwt.PyJWK] = {}
    published = []
    for jwk in document["keys"]:
        if not (
            isinstance(jwk, dict)
            and jwk.get("kty") == "OKP"
            and jwk.get("crv") == "Ed25519"
            and isinstance(jwk.get("kid"), str)
            and jwk.get("alg", ALGORITHM) == ALGORITHM
            and jwk.get("use", "sig") == "sig"
        ):
            continue
        public = {name: jwk[name] for name in PUBLIC_MEMBERS if name in jwk}
        try:
            keys[jwk["kid"]] = jwt.PyJWK(public, algorithm=ALGORITHM)
        except jwt.PyJWTError:
            continue
        published.append(public)
    if not keys:
        raise ValueError("the JWKS holds no Ed25519 signing key")
    return keys, {"keys": published}


class TokenVerifier:
    """Turns a request's ``Authorization`` header into the principal the gateway vouches for."""

    def __init__(self, keys: IdentityKeys):
        self._keys = keys

    def principal(self, authorization: str | None, client_ip: str) -> Principal:
        """The caller: anonymous without an ``Authorization`` header, else the bearer token's account.

        Raises the 401 ``invalid-token`` problem for any other scheme and for a token that is
        malformed, expired, or not signed by a key identity publishes for this issuer and audience.
        """
        if authorization is None:
            return Principal.anonymous(client_ip)
        scheme, _, token = authorization.strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise invalid_token("Send the access token as 'Authorization: Bearer <token>'.")
        claims = self._claims(token.strip())
        roles = claims.get("roles", [])
        if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
            raise invalid_token("The access token's roles are not a list of strings.")
        return Principal(
            subject=claims["sub"],
            account_type=_optional_str(claims, "account_type"),
            roles=tuple(roles),
            organisation=_optional_str(claims, "org"),
            branch=_optional_str(claims, "branch"),
            session=_optional_str(claims, "sid"),
            expires_at=datetime.fromtimestamp(int(claims["exp"]), UTC),
            client_ip=client_ip,
        )

    def _claims(self, token: str) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise invalid_token("The access token is not a JWT.") from None
        kid = header.get("kid")
        # Checked before any key is looked up, so that a token of another kind never causes a fetch.
        if header.get("alg") != ALGORITHM or not isinstance(kid, str):
            raise invalid_token(f"The access token must be signed with {ALGORITHM} and name its key ('kid').")
        key = self._keys.key(kid)
        if key is None:
            raise invalid_token("The access token is signed with a key identity does not publish.")
        try:
            return jwt.decode(
                token,
                key.key,
                algorithms=[ALGORITHM],
                audience=AUDIENCE,
                issuer=ISSUER,
                leeway=CLOCK_LEEWAY,
                options={"require": ["exp", "iat", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise invalid_token("The access token has expired.") from None
        except jwt.PyJWTError as exc:
            raise invalid_token(f"The access token is not valid: {exc}") from None


def _optional_str(claims: Mapping[str, Any], name: str) -> str | None:
    value = claims.get(name)
    if value is not None and not isinstance(value, str):
        raise invalid_token(f"The access token's {name!r} is not a string.")
    return value
