"""Who is asking: the principal the gateway vouches for, carried to a service in two signed headers.

The gateway verifies the caller's access token and passes what it says in ``X-ICMS-Principal``
(base64url, no padding, of compact JSON), with ``X-ICMS-Principal-Signature``: the hex HMAC-SHA256
of that exact header value under the secret the gateway shares with every service
(``ICMS_GATEWAY_SECRET``). It does so on every request it forwards, anonymous ones too, so the client
address is one the gateway saw. A service believes the headers only with a good and fresh signature;
a request without them (a direct call, a probe, a test) is anonymous from the address it came from.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import Flask, g, request

from chassis.clock import Clock
from chassis.config import ConfigError, env_str
from chassis.web.problems import Problem

PRINCIPAL_HEADER = "X-ICMS-Principal"
SIGNATURE_HEADER = "X-ICMS-Principal-Signature"
MIN_SECRET_LENGTH = 32
#: Seconds a signature stays good: long enough for a request queued behind others, short enough
#: that captured headers are soon useless.
MAX_SIGNATURE_AGE = 300
#: Seconds a signature may seem to come from the future: the gateway's clock may run ahead.
MAX_SIGNATURE_AHEAD = 60
#: Seconds a token is still honoured past its ``exp`` (and before its ``iat``), for clocks out of step.
#: The gateway and the services use the same value, so a token the gateway accepts is not refused behind it.
CLOCK_LEEWAY = 30


@dataclass(frozen=True)
class Principal:
    """The caller of the current request, as the gateway authenticated it."""

    subject: str | None
    """The account id, or None for an anonymous caller."""
    account_type: str | None
    roles: tuple[str, ...]
    organisation: str | None
    branch: str | None
    session: str | None
    """The login session (refresh-token family) the access token belongs to."""
    expires_at: datetime | None
    """When the access token expires."""
    client_ip: str
    """The client's address as the gateway saw it (or as this service saw it, for a direct call)."""

    @classmethod
    def anonymous(cls, client_ip: str) -> Principal:
        """A caller without a token, from ``client_ip``."""
        return cls(None, None, (), None, None, None, None, client_ip)

    @property
    def authenticated(self) -> bool:
        """Whether the caller presented a valid access token."""
        return self.subject is not None

    def has_role(self, *roles: str) -> bool:
        """Whether the caller has at least one of ``roles``."""
        return any(role in self.roles for role in roles)


def gateway_secret(environ: Mapping[str, str] | None = None) -> str:
    """``ICMS_GATEWAY_SECRET``, required and at least 32 characters long (else ``ConfigError``)."""
    secret = env_str("ICMS_GATEWAY_SECRET", environ=environ)
    if len(secret) < MIN_SECRET_LENGTH:
        raise ConfigError(
            f"environment variable ICMS_GATEWAY_SECRET must be at least {MIN_SECRET_LENGTH} characters long, "
            f"got {len(secret)}"
        )
    return secret


def invalid_token(detail: str) -> Problem:
    """The 401 for an access token that is malformed, expired or not signed by identity (RFC 6750)."""
    return Problem(
        401,
        "invalid-token",
        "Invalid access token",
        detail,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
    )


def _untrusted(detail: str) -> Problem:
    return Problem(401, "untrusted-principal", "Untrusted principal", detail)


def _signature(value: str, secret: str) -> str:
    return hmac.new(secret.encode("utf-8"), value.encode("utf-8"), hashlib.sha256).hexdigest()


def principal_headers(principal: Principal, secret: str, now: datetime) -> dict[str, str]:
    """The two headers that carry ``principal`` to a service, signed at ``now``."""
    claims = {
        "sub": principal.subject,
        "account_type": principal.account_type,
        "roles": list(principal.roles),
        "org": principal.organisation,
        "branch": principal.branch,
        "sid": principal.session,
        "exp": None if principal.expires_at is None else int(principal.expires_at.timestamp()),
        "ip": principal.client_ip,
        "signed_at": int(now.timestamp()),
    }
    compact = json.dumps(claims, separators=(",", ":")).encode("ascii")
    value = base64.urlsafe_b64encode(compact).rstrip(b"=").decode("ascii")
    return {PRINCIPAL_HEADER: value, SIGNATURE_HEADER: _signature(value, secret)}


def read_principal(headers: Mapping[str, str], remote_addr: str | None, secret: str, now: datetime) -> Principal:
    """The principal the headers carry, or an anonymous one from ``remote_addr`` if they carry none.

    Raises a 401 ``Problem``: ``untrusted-principal`` when the signature is missing or wrong, the
    payload malformed, or it was signed too long ago or too far ahead; ``invalid-token`` when the
    access token it was made from has expired.
    """
    value, signature = headers.get(PRINCIPAL_HEADER), headers.get(SIGNATURE_HEADER)
    if value is None and signature is None:
        return Principal.anonymous(remote_addr or "")
    if value is None or signature is None:
        raise _untrusted(f"{PRINCIPAL_HEADER} and {SIGNATURE_HEADER} come together or not at all.")
    if not hmac.compare_digest(signature.encode("utf-8"), _signature(value, secret).encode("utf-8")):
        raise _untrusted("The principal's signature is wrong.")
    try:
        claims = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    except ValueError:  # bad base64 (binascii.Error), bad UTF-8 or bad JSON
        raise _untrusted("The principal is not base64url-encoded JSON.") from None
    if not isinstance(claims, dict):
        raise _untrusted("The principal is not a JSON object.")
    roles = claims.get("roles")
    if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
        raise _untrusted("The principal's roles are not a list of strings.")
    exp = _claim(claims, "exp", int, optional=True)
    principal = Principal(
        subject=_claim(claims, "sub", str, optional=True),
        account_type=_claim(claims, "account_type", str, optional=True),
        roles=tuple(roles),
        organisation=_claim(claims, "org", str, optional=True),
        branch=_claim(claims, "branch", str, optional=True),
        session=_claim(claims, "sid", str, optional=True),
        expires_at=None if exp is None else datetime.fromtimestamp(exp, UTC),
        client_ip=_claim(claims, "ip", str),
    )
    age = now.timestamp() - _claim(claims, "signed_at", int)
    if age > MAX_SIGNATURE_AGE:
        raise _untrusted(f"The principal was signed {age:.0f} s ago; it is good for {MAX_SIGNATURE_AGE} s.")
    if age < -MAX_SIGNATURE_AHEAD:
        raise _untrusted(f"The principal was signed {-age:.0f} s in the future.")
    if exp is not None and exp <= now.timestamp() - CLOCK_LEEWAY:
        raise invalid_token("The access token has expired.")
    return principal


def _claim(claims: dict[str, Any], name: str, kind: type, *, optional: bool = False) -> Any:
    value = claims.get(name)
    if value is None and optional:
        return None
    if not isinstance(value, kind) or isinstance(value, bool):  # bool is an int to Python, not to us
        raise _untrusted(f"The principal's {name!r} is missing or not a {kind.__name__}.")
    return value


def install_principal(app: Flask, secret: str, clock: Clock) -> None:
    """Read the principal of every request into ``g.principal`` before its view runs.

    A request whose principal headers cannot be trusted gets the 401 problem and its view never
    runs; a request without them (health probes, metrics scrapes, direct calls) is anonymous.
    """

    @app.before_request
    def _read_principal() -> None:
        g.principal = read_principal(request.headers, request.remote_addr, secret, clock.now())


def current_principal() -> Principal:
    """The principal of the request being handled (see ``install_principal``)."""
    principal = g.get("principal")
    if principal is None:
        raise RuntimeError("no principal: install_principal() was not called on this app")
    return principal
