"""A wired identity service on a test's own database, vhost and bucket, and a client that calls it
the way the gateway does: with a signed principal built from a verified access token."""

from __future__ import annotations

import io
import json
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pyotp
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from chassis.clock import FixedClock
from chassis.messaging.envelope import Envelope, new_event
from chassis.service import ServiceSettings
from chassis.web.principal import Principal, principal_headers
from identity.bootstrap import bootstrap, wire
from identity.entrypoints.http import create_app
from identity.service_layer.deps import Deps
from identity.service_layer.staff import create_staff

API = "/api/identity/v1"
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@dataclass
class User:
    """An account a test logs in as, and its latest tokens."""

    username: str
    password: str = PASSWORD
    totp_secret: str | None = None
    id: str = ""
    tokens: dict[str, Any] = field(default_factory=dict)


class World:
    """Identity running in-process, with a clock the test moves."""

    def __init__(self, settings: ServiceSettings) -> None:
        self.clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
        self.runtime = bootstrap(settings, clock=self.clock)
        self.runtime.migrate()
        self.secret = settings.gateway_secret
        self.deps: Deps = wire(self.runtime)
        self.app = create_app(self.runtime)
        self.client: FlaskClient = self.app.test_client()
        self.ip = "203.0.113.7"

    def close(self) -> None:
        self.runtime.engine.dispose()

    def deliver(self, envelope: Envelope) -> None:
        """Run identity's handler for ``envelope`` in a unit of work of its own, as the consumer would."""
        handler = self.runtime.description.handlers[envelope.routing_key]
        with self.deps.unit_of_work() as uow:
            handler(envelope, uow)
            uow.commit()

    # Calls --------------------------------------------------------------------------------------------

    def principal_for(self, user: User | None) -> dict[str, str]:
        """The headers the gateway would add for ``user``'s access token (anonymous for None)."""
        if user is None or not user.tokens:
            principal = Principal.anonymous(self.ip)
        else:
            claims = self.verify(user.tokens["access_token"])
            principal = Principal(
                subject=claims["sub"],
                account_type=claims["account_type"],
                roles=tuple(claims["roles"]),
                organisation=claims["org"],
                branch=claims["branch"],
                session=claims["sid"],
                expires_at=datetime.fromtimestamp(claims["exp"], UTC),
                client_ip=self.ip,
            )
        return principal_headers(principal, self.secret, self.clock.now())

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims, its signature checked against identity's published keys."""
        keys = self.client.get("/.well-known/jwks.json").json["keys"]
        kid = jwt.get_unverified_header(token)["kid"]
        key = jwt.PyJWK(next(k for k in keys if k["kid"] == kid))
        # Expiry is the principal's business (checked against the test's clock, not the wall's).
        return jwt.decode(
            token,
            key,
            algorithms=["EdDSA"],
            audience="icms",
            issuer="icms-identity",
            options={"verify_exp": False, "verify_iat": False},
        )

    def call(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> TestResponse:
        """``method path`` as ``user`` (anonymous if None)."""
        headers = {**self.principal_for(user), **kwargs.pop("headers", {})}
        return self.client.open(path, method=method, headers=headers, **kwargs)

    # Accounts -----------------------------------------------------------------------------------------

    def code(self, user: User) -> str:
        """A fresh one-time code: the clock moves on a step first, as a used code cannot be reused."""
        assert user.totp_secret
        self.clock.advance(timedelta(seconds=30))
        return pyotp.TOTP(user.totp_secret).at(self.clock.now())

    def login(self, user: User, expect: int = 201) -> TestResponse:
        body: dict[str, Any] = {"username": user.username, "password": user.password}
        if user.totp_secret:
            body["totp_code"] = self.code(user)
        answer = self.call("POST", f"{API}/sessions", json=body)
        assert answer.status_code == expect, answer.json
        if expect == 201:
            user.tokens = answer.json
            user.id = self.verify(answer.json["access_token"])["sub"]
        return answer

    def staff(self, role: str) -> User:
        secret = pyotp.random_base32()
        name = f"{role.replace('_', '.')}.{uuid.uuid4().hex[:6]}"
        made = create_staff(self.deps, name, role, f"Officer {name}", f"{name}@judiciary.example", PASSWORD, secret)
        user = User(name, totp_secret=secret, id=made["id"])
        self.login(user)
        return user

    def register(self, kind: str = "individual", **overrides: Any) -> TestResponse:
        name = overrides.pop("username", f"user{uuid.uuid4().hex[:8]}")
        files_given = overrides.pop("files", None)
        application: dict[str, Any] = {
            "kind": kind,
            "username": name,
            "password": PASSWORD,
            "display_name": f"Applicant {name}",
            "email": f"{name}@example.com",
        }
        files: dict[str, Any] = {"court_document": (io.BytesIO(PDF), "writ.pdf")}
        if kind == "organisation":
            application["organisation"] = {
                "name": f"Chan & Partners {name}",
                "organisation_type": "law_firm",
                "business_registration_number": "12345678",
                "address": "1 Queen's Road Central, Hong Kong",
            }
            files = {
                "authorisation_letter": (io.BytesIO(PDF), "letter.pdf"),
                "business_registration": (io.BytesIO(PNG), "br.png"),
            }
        application.update(overrides)
        if files_given is not None:
            files = files_given
        data = {"application": json.dumps(application), **files}
        return self.call("POST", f"{API}/registrations", data=data, content_type="multipart/form-data")

    def approved(self, kind: str, officer: User) -> tuple[User, dict[str, Any]]:
        """A registered and approved applicant, logged in; for an organisation, its first PA."""
        answer = self.register(kind)
        assert answer.status_code == 201, answer.json
        return self.approved_existing(answer.json, officer)

    def approved_existing(self, registration: dict[str, Any], officer: User) -> tuple[User, dict[str, Any]]:
        """Approve ``registration`` and log its applicant in."""
        decided = self.call("POST", f"{API}/registrations/{registration['id']}/approve", officer, json={})
        assert decided.status_code == 200, decided.json
        uri = decided.json.get("totp_provisioning_uri")
        user = User(registration["account"]["username"], totp_secret=pyotp.parse_uri(uri).secret if uri else None)
        self.login(user)
        return user, decided.json

    def member(self, admin: User, organisation_id: str, role: str, branch_id: str) -> User:
        """A new account of ``role`` created by ``admin``, logged in."""
        name = f"{role.lower()}{uuid.uuid4().hex[:8]}"
        answer = self.call(
            "POST",
            f"{API}/organisations/{organisation_id}/accounts",
            admin,
            json={
                "username": name,
                "password": PASSWORD,
                "display_name": f"{role} {name}",
                "email": f"{name}@firm.example",
                "role": role,
                "branch_id": branch_id,
            },
        )
        assert answer.status_code == 201, answer.json
        uri = answer.json.get("totp_provisioning_uri")
        user = User(name, totp_secret=pyotp.parse_uri(uri).secret if uri else None, id=answer.json["id"])
        self.login(user)
        return user


def case_event(
    case_number: str,
    organisation_ids: list[str],
    *,
    case_id: str | None = None,
    version: int = 1,
    filed_by: str | None = None,
    event_type: str = "filing.case.created",
) -> Envelope:
    """A filing case event naming ``organisation_ids`` as representatives on record."""
    case_id = case_id or str(uuid.uuid4())
    parties = [
        {
            "party_id": str(uuid.uuid4()),
            "name": f"Party {i}",
            "role": "plaintiff" if i == 0 else "defendant",
            "account_id": None,
            "representative": {"organisation_id": org, "name": f"Firm {i}"},
        }
        for i, org in enumerate(organisation_ids)
    ]
    data: dict[str, Any] = {
        "case_id": case_id,
        "case_number": case_number,
        "parties": parties,
        "aggregate_version": version,
    }
    if event_type == "filing.case.created":
        data.update(
            court="District Court",
            case_type=case_number.split()[0],
            title="CHAN v WONG",
            filed_at=datetime.now(UTC).isoformat(),
            filed_by_account_id=filed_by or str(uuid.uuid4()),
        )
    else:
        data["changed_by"] = None
    return new_event(event_type, data, source="/filing", subject=case_id)
