import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask, jsonify
from werkzeug.test import TestResponse

from chassis.clock import FixedClock
from chassis.web.app import create_service_app
from chassis.web.principal import (
    Principal,
    current_principal,
    install_principal,
    principal_headers,
    read_principal,
)

SECRET = "s" * 32
NOW = datetime(2025, 11, 24, 9, 30, tzinfo=UTC)
CALLER = Principal(
    subject="3f1c6a52-0000-4000-8000-000000000001",
    account_type="organisation",
    roles=("OU", "SA"),
    organisation="org-1",
    branch="branch-1",
    session="session-1",
    expires_at=NOW + timedelta(minutes=10),
    client_ip="203.0.113.7",
)


def encode(claims: object) -> str:
    return base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()


def signed(value: str, secret: str = SECRET) -> dict[str, str]:
    """Headers carrying ``value`` as the principal, signed as the identity spec says."""
    signature = hmac.new(secret.encode(), value.encode(), hashlib.sha256).hexdigest()
    return {"X-ICMS-Principal": value, "X-ICMS-Principal-Signature": signature}


def claims_of(principal: Principal, signed_at: datetime = NOW) -> dict[str, object]:
    return json.loads(
        base64.urlsafe_b64decode(principal_headers(principal, SECRET, signed_at)["X-ICMS-Principal"] + "==")
    )


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(NOW)


@pytest.fixture
def app(clock: FixedClock) -> Flask:
    app = create_service_app("probe", {"db": lambda: None})
    install_principal(app, SECRET, clock)

    @app.get("/whoami")
    def whoami():
        principal = current_principal()
        return jsonify(
            subject=principal.subject,
            roles=list(principal.roles),
            ip=principal.client_ip,
            authenticated=principal.authenticated,
        )

    return app


def get(app: Flask, headers: dict[str, str]) -> TestResponse:
    return app.test_client().get("/whoami", headers=headers, environ_base={"REMOTE_ADDR": "198.51.100.2"})


def assert_refused(response: TestResponse, kind: str = "untrusted-principal") -> None:
    assert response.status_code == 401
    assert response.mimetype == "application/problem+json"
    assert response.json["type"] == f"urn:icms:problem:{kind}"
    assert response.json["status"] == 401
    assert "subject" not in response.json  # the view did not run


def test_the_headers_are_base64url_compact_json_with_a_hex_hmac() -> None:
    headers = principal_headers(CALLER, SECRET, NOW)
    value = headers["X-ICMS-Principal"]
    assert "=" not in value and "+" not in value and "/" not in value
    assert b" " not in base64.urlsafe_b64decode(value + "==")
    assert claims_of(CALLER) == {
        "sub": CALLER.subject,
        "account_type": "organisation",
        "roles": ["OU", "SA"],
        "org": "org-1",
        "branch": "branch-1",
        "sid": "session-1",
        "exp": int((NOW + timedelta(minutes=10)).timestamp()),
        "ip": "203.0.113.7",
        "signed_at": int(NOW.timestamp()),
    }
    assert headers == signed(value)


def test_a_validly_signed_principal_is_read_back_whole() -> None:
    assert read_principal(principal_headers(CALLER, SECRET, NOW), "10.0.0.1", SECRET, NOW) == CALLER
    anonymous = Principal.anonymous("203.0.113.8")
    assert read_principal(principal_headers(anonymous, SECRET, NOW), "10.0.0.1", SECRET, NOW) == anonymous


def test_the_view_sees_the_signed_principal(app: Flask) -> None:
    response = get(app, principal_headers(CALLER, SECRET, NOW))
    assert response.status_code == 200
    assert response.json == {
        "subject": CALLER.subject,
        "roles": ["OU", "SA"],
        "ip": "203.0.113.7",
        "authenticated": True,
    }


def test_without_headers_the_caller_is_anonymous_from_its_own_address(app: Flask) -> None:
    response = get(app, {})
    assert response.json == {"subject": None, "roles": [], "ip": "198.51.100.2", "authenticated": False}


def test_health_and_metrics_need_no_principal(app: Flask) -> None:
    client = app.test_client()
    assert client.get("/health/live").status_code == 200
    assert client.get("/health/ready").status_code == 200
    assert client.get("/metrics").status_code == 200


def test_a_tampered_payload_is_refused(app: Flask) -> None:
    headers = principal_headers(Principal.anonymous("203.0.113.9"), SECRET, NOW)
    claims = json.loads(base64.urlsafe_b64decode(headers["X-ICMS-Principal"] + "=="))
    claims.update(sub="someone-else", roles=["system_admin"])
    assert_refused(get(app, {**headers, "X-ICMS-Principal": encode(claims)}))


def test_a_signature_under_another_secret_is_refused(app: Flask) -> None:
    assert_refused(get(app, principal_headers(CALLER, "t" * 32, NOW)))


@pytest.mark.parametrize("kept", ["X-ICMS-Principal", "X-ICMS-Principal-Signature"])
def test_one_header_without_the_other_is_refused(app: Flask, kept: str) -> None:
    assert_refused(get(app, {kept: principal_headers(CALLER, SECRET, NOW)[kept]}))


@pytest.mark.parametrize(
    ("signed_at", "accepted"),
    [
        (NOW - timedelta(seconds=300), True),
        (NOW - timedelta(seconds=301), False),
        (NOW + timedelta(seconds=60), True),
        (NOW + timedelta(seconds=61), False),
    ],
    ids=["300s-old", "stale", "60s-ahead", "future"],
)
def test_a_signature_is_good_for_five_minutes_and_may_be_a_minute_ahead(
    app: Flask, signed_at: datetime, accepted: bool
) -> None:
    caller = Principal.anonymous("203.0.113.9")
    response = get(app, principal_headers(caller, SECRET, signed_at))
    if accepted:
        assert response.status_code == 200
    else:
        assert_refused(response)


def test_an_expired_token_is_an_invalid_token(app: Flask, clock: FixedClock) -> None:
    clock.advance(timedelta(minutes=10, seconds=29))  # within the clock leeway
    assert get(app, principal_headers(CALLER, SECRET, clock.now())).status_code == 200
    clock.advance(timedelta(seconds=1))
    response = get(app, principal_headers(CALLER, SECRET, clock.now()))
    assert_refused(response, "invalid-token")
    assert response.headers["WWW-Authenticate"] == 'Bearer error="invalid_token"'


@pytest.mark.parametrize(
    "value",
    [
        "not base64 at all!",
        base64.urlsafe_b64encode(b"\xff\xfe not utf-8").decode(),
        encode("a string"),
        base64.urlsafe_b64encode(b"{not json").decode(),
        encode([1, 2]),
    ],
    ids=["base64", "utf-8", "json-string", "json", "json-array"],
)
def test_a_signed_but_malformed_payload_is_refused(app: Flask, value: str) -> None:
    assert_refused(get(app, signed(value)))


@pytest.mark.parametrize(
    "change",
    [
        {"roles": "SA"},
        {"roles": ["SA", 1]},
        {"sub": 42},
        {"exp": "soon"},
        {"exp": True},
        {"signed_at": None},
        {"ip": None},
    ],
    ids=str,
)
def test_a_signed_payload_with_a_wrongly_typed_claim_is_refused(app: Flask, change: dict[str, object]) -> None:
    assert_refused(get(app, signed(encode({**claims_of(CALLER), **change}))))


def test_roles_and_authentication() -> None:
    assert CALLER.authenticated
    assert CALLER.has_role("SA")
    assert CALLER.has_role("registry_officer", "OU")
    assert not CALLER.has_role("system_admin")
    assert not CALLER.has_role()
    anonymous = Principal.anonymous("203.0.113.9")
    assert not anonymous.authenticated and not anonymous.has_role("IU")
    assert anonymous.client_ip == "203.0.113.9"


def test_current_principal_without_install_is_a_programming_error() -> None:
    app = create_service_app("probe", {})
    with app.test_request_context("/"), pytest.raises(RuntimeError, match="install_principal"):
        current_principal()
