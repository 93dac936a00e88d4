"""Identity behind the gateway, both as real gunicorn processes: the journey a firm takes from
registration to a verified token, and every kind of bad credential refused at the door."""

from __future__ import annotations

import base64
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import jwt
import pyotp
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from chassis.storage import S3Settings
from chassis.testing.infra import free_port
from chassis.testing.polling import wait_until

API = "/api/identity/v1"
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n%%EOF\n"
BIN = Path(sys.executable).parent


@dataclass
class Stack:
    gateway: str
    env: dict[str, str]
    database_url: str

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway, timeout=30)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(args, env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def stack(postgres_url: str, amqp_url: str, s3_settings: S3Settings, s3_bucket: str, tmp_path: Path) -> Iterator[Stack]:
    identity_port, gateway_port = free_port(), free_port()
    unused = f"http://127.0.0.1:{free_port()}"
    env = {
        **os.environ,
        "ICMS_GATEWAY_SECRET": secrets.token_urlsafe(32),
        "ICMS_IDENTITY_DATABASE_URL": postgres_url,
        "ICMS_AMQP_URL": amqp_url,
        "ICMS_S3_ENDPOINT": s3_settings.endpoint,
        "ICMS_S3_ACCESS_KEY": s3_settings.access_key,
        "ICMS_S3_SECRET_KEY": s3_settings.secret_key,
        "ICMS_S3_REGION": s3_settings.region,
        "ICMS_IDENTITY_S3_BUCKET": s3_bucket,
        "ICMS_IDENTITY_URL": f"http://127.0.0.1:{identity_port}",
        "ICMS_FILING_URL": unused,
        "ICMS_PAYMENTS_URL": unused,
        "ICMS_SEARCH_URL": unused,
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path / "metrics"),
    }
    (tmp_path / "metrics").mkdir()
    subprocess.run([str(BIN / "icms-identity"), "migrate"], env=env, check=True, capture_output=True, timeout=120)
    gunicorn = [str(BIN / "gunicorn"), "-c", "python:chassis.gunicorn_conf"]
    processes = [
        _spawn(
            [*gunicorn, "-b", f"127.0.0.1:{identity_port}", "identity.entrypoints.http:create_app()"],
            env,
            tmp_path / "identity.log",
        ),
        _spawn(
            [*gunicorn, "-b", f"127.0.0.1:{gateway_port}", "gateway.entrypoints.http:create_app()"],
            env,
            tmp_path / "gateway.log",
        ),
    ]
    gateway = f"http://127.0.0.1:{gateway_port}"

    def up() -> bool:
        try:
            return httpx.get(f"{gateway}/.well-known/jwks.json", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        wait_until(up, timeout=60, what="identity and the gateway to answer")
        yield Stack(gateway, env, postgres_url)
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def create_staff(stack: Stack, role: str) -> tuple[str, str]:
    name = f"{role.replace('_', '.')}.{uuid.uuid4().hex[:6]}"
    made = subprocess.run(
        [
            str(BIN / "icms-identity"),
            "create-staff",
            "--username",
            name,
            "--role",
            role,
            "--name",
            "Officer",
            "--email",
            f"{name}@judiciary.example",
        ],
        env=stack.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return name, json.loads(made.stdout)["totp_secret"]


def login(client: httpx.Client, username: str, secret: str | None = None, password: str = PASSWORD) -> httpx.Response:
    body = {"username": username, "password": password}
    if secret:
        body["totp_code"] = pyotp.TOTP(secret).now()  # each account here logs in with a code once
    return client.post(f"{API}/sessions", json=body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_a_firm_registers_through_the_gateway_and_bad_credentials_are_refused_at_the_door(stack: Stack) -> None:
    client = stack.client()
    officer_name, officer_secret = create_staff(stack, "help_centre_officer")
    officer = login(client, officer_name, officer_secret)
    assert officer.status_code == 201, officer.text
    officer_token = officer.json()["access_token"]

    application = {
        "kind": "organisation",
        "username": "lam.pa",
        "password": PASSWORD,
        "display_name": "LAM Siu Ming",
        "email": "sm.lam@lamco.example",
        "organisation": {
            "name": "Lam & Co",
            "organisation_type": "law_firm",
            "business_registration_number": "55512345",
            "address": "8 Nathan Road, Kowloon",
        },
    }
    registered = client.post(
        f"{API}/registrations",
        data={"application": json.dumps(application)},
        files={
            "authorisation_letter": ("letter.pdf", PDF, "application/pdf"),
            "business_registration": ("br.pdf", PDF, "application/pdf"),
        },
    )
    assert registered.status_code == 201, registered.text

    # A client that writes its own principal headers, even signed with a guessed key, is anonymous.
    forged = (
        base64.urlsafe_b64encode(
            json.dumps({"sub": registered.json()["account"]["id"], "roles": ["help_centre_officer"]}).encode()
        )
        .decode()
        .rstrip("=")
    )
    sneaky = client.get(
        f"{API}/registrations", headers={"X-ICMS-Principal": forged, "X-ICMS-Principal-Signature": "0" * 64}
    )
    assert sneaky.status_code == 401

    approved = client.post(
        f"{API}/registrations/{registered.json()['id']}/approve", json={}, headers=bearer(officer_token)
    )
    assert approved.status_code == 200, approved.text
    pa_secret = pyotp.parse_uri(approved.json()["totp_provisioning_uri"]).secret
    pa = login(client, "lam.pa", pa_secret)
    assert pa.status_code == 201, pa.text
    pa_token = pa.json()["access_token"]

    # A separate verifier needs only the keys the gateway publishes.
    keys = {k["kid"]: k for k in client.get("/.well-known/jwks.json").json()["keys"]}
    kid = jwt.get_unverified_header(pa_token)["kid"]
    claims = jwt.decode(pa_token, jwt.PyJWK(keys[kid]), algorithms=["EdDSA"], audience="icms", issuer="icms-identity")
    assert claims["roles"] == ["PA"]
    me = client.get(f"{API}/me", headers=bearer(pa_token))
    assert me.status_code == 200 and me.json()["username"] == "lam.pa"

    # A token signed by a key identity never published.
    stranger = Ed25519PrivateKey.generate()
    fake = jwt.encode({**claims, "jti": "x"}, stranger, algorithm="EdDSA", headers={"kid": uuid.uuid4().hex})
    assert client.get(f"{API}/me", headers=bearer(fake)).status_code == 401
    # The same claims under identity's own key but already expired.
    engine = sa.create_engine(stack.database_url)
    with engine.connect() as conn:
        pem = conn.execute(sa.text("SELECT private_pem FROM signing_keys WHERE kid = :kid"), {"kid": kid}).scalar_one()
    engine.dispose()
    now = int(time.time())
    expired = jwt.encode({**claims, "iat": now - 1200, "exp": now - 600}, pem, algorithm="EdDSA", headers={"kid": kid})
    refused = client.get(f"{API}/me", headers=bearer(expired))
    assert refused.status_code == 401 and refused.headers["content-type"].startswith("application/problem+json")
    assert "invalid_token" in refused.headers.get("www-authenticate", "")
    assert client.get(f"{API}/me", headers=bearer(pa_token[:-3] + "abc")).status_code == 401

    # An OU logs in, is suspended by its PA, and its still-unexpired token stops working at once.
    org, branch = approved.json()["account"]["organisation_id"], approved.json()["account"]["branch_id"]
    made = client.post(
        f"{API}/organisations/{org}/accounts",
        headers=bearer(pa_token),
        json={
            "username": "lam.clerk",
            "password": PASSWORD,
            "display_name": "Clerk",
            "email": "clerk@lamco.example",
            "role": "OU",
            "branch_id": branch,
        },
    )
    assert made.status_code == 201, made.text
    clerk_token = login(client, "lam.clerk").json()["access_token"]
    assert client.get(f"{API}/me", headers=bearer(clerk_token)).status_code == 200
    suspended = client.post(
        f"{API}/organisations/{org}/accounts/{made.json()['id']}/suspend",
        headers=bearer(pa_token),
        json={"reason": "left the firm"},
    )
    assert suspended.status_code == 200
    assert client.get(f"{API}/me", headers=bearer(clerk_token)).status_code == 401
    assert login(client, "lam.clerk").status_code == 401
