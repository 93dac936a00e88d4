"""The whole system as real processes, and the people who use it, for the journeys through the gateway.

``running_stack`` starts identity's, filing's and payments' web processes under gunicorn, their
workers (``icms-<service> worker``) and the gateway, on the test's own PostgreSQL databases, RabbitMQ
vhost and S3 buckets. The people helpers register firms and staff through the gateway as a client
would, with identity's own command for staff.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pyotp
from minio import Minio

from chassis.storage import S3Settings
from chassis.testing.infra import free_port, scratch_database
from chassis.testing.polling import wait_until
from chassis.testing.s3 import remove_bucket

IDENTITY = "/api/identity/v1"
FILING = "/api/filing/v1"
PAYMENTS = "/api/payments/v1"
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n%%EOF\n"
BIN = Path(sys.executable).parent
#: An event crosses a relay, the broker and a consumer (and a worker job's pass): well under this here.
EVENTS_TIMEOUT = 30.0
SERVICES = ("identity", "filing", "payments", "search")
#: Search keeps no documents: it has no bucket.
WITH_BUCKETS = ("identity", "filing", "payments")


@dataclass
class Stack:
    """The running system as a client sees it."""

    gateway: str
    env: dict[str, str]
    amqp_url: str
    logs: list[Path] = field(default_factory=list)

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.gateway, timeout=60)


def _spawn(args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@contextlib.contextmanager
def running_stack(
    postgres_server: str, amqp_url: str, s3_settings: S3Settings, s3_client: Minio, tmp_path: Path
) -> Iterator[Stack]:
    buckets = {service: f"t-{service}-e2e-{uuid.uuid4().hex[:12]}" for service in WITH_BUCKETS}
    with contextlib.ExitStack() as databases:
        urls = {service: databases.enter_context(scratch_database(postgres_server)) for service in SERVICES}
        ports = {name: free_port() for name in (*SERVICES, "gateway")}
        gateway = f"http://127.0.0.1:{ports['gateway']}"
        env = {
            **{k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"},
            "ICMS_GATEWAY_SECRET": secrets.token_urlsafe(32),
            "ICMS_AMQP_URL": amqp_url,
            "ICMS_S3_ENDPOINT": s3_settings.endpoint,
            "ICMS_S3_ACCESS_KEY": s3_settings.access_key,
            "ICMS_S3_SECRET_KEY": s3_settings.secret_key,
            "ICMS_S3_REGION": s3_settings.region,
            # Payments' hosted payment page and webhooks are reached through the gateway, as in production.
            "ICMS_PUBLIC_URL": gateway,
            # Worker jobs (webhook delivery, receipts, timeouts) pass every second rather than every 30.
            "ICMS_PAYMENTS_JOB_INTERVAL_SECONDS": "1",
            "ICMS_FILING_JOB_INTERVAL_SECONDS": "1",
        }
        for service, bucket in buckets.items():
            env[f"ICMS_{service.upper()}_S3_BUCKET"] = bucket
        for service in SERVICES:
            env[f"ICMS_{service.upper()}_DATABASE_URL"] = urls[service]
            env[f"ICMS_{service.upper()}_URL"] = f"http://127.0.0.1:{ports[service]}"
        # Migrating every service first declares every queue, so no event is published before its queue is bound.
        for service in SERVICES:
            subprocess.run([str(BIN / f"icms-{service}"), "migrate"], env=env, check=True, capture_output=True)
        gunicorn = [str(BIN / "gunicorn"), "-c", "python:chassis.gunicorn_conf"]
        commands = {
            **{
                f"{service}-web": [*gunicorn, "-b", f"127.0.0.1:{port}", f"{service}.entrypoints.http:create_app()"]
                for service, port in ports.items()
                if service != "gateway"
            },
            "gateway": [*gunicorn, "-b", f"127.0.0.1:{ports['gateway']}", "gateway.entrypoints.http:create_app()"],
            **{f"{service}-worker": [str(BIN / f"icms-{service}"), "worker"] for service in SERVICES},
        }
        processes = []
        logs = []
        try:
            for name, argv in commands.items():
                # prometheus-client's multiprocess files are per process tree: each its own directory.
                metrics = tmp_path / "metrics" / name
                metrics.mkdir(parents=True)
                logs.append(tmp_path / f"{name}.log")
                processes.append(_spawn(argv, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, logs[-1]))
            wait_until(
                lambda: all(_answers(f"http://127.0.0.1:{ports[s]}/health/ready") for s in SERVICES)
                and _answers(f"{gateway}/.well-known/jwks.json"),
                timeout=90,
                interval=0.2,
                what="the services and the gateway to answer",
            )
            yield Stack(gateway, env, amqp_url, logs)
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait()
            for bucket in buckets.values():
                remove_bucket(s3_client, bucket)
            # Shown by pytest only when the test fails: what each process said last.
            for log in logs:
                lines = log.read_text(errors="replace").splitlines() if log.exists() else []
                print(f"----- {log.name} (last {min(len(lines), 60)} lines) -----", *lines[-60:], sep="\n")


# --- people -----------------------------------------------------------------------------------------


@dataclass
class Account:
    id: str
    token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Firm:
    organisation_id: str
    pa: Account
    users: list[Account]


def login(client: httpx.Client, username: str, totp_secret: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD}
    if totp_secret:
        body["totp_code"] = pyotp.TOTP(totp_secret).now()  # each account logs in once, so a code is never reused
    answer = client.post(f"{IDENTITY}/sessions", json=body)
    assert answer.status_code == 201, answer.text
    return answer.json()["access_token"]


def staff(stack: Stack, client: httpx.Client, role: str) -> Account:
    """A court officer made with ``icms-identity create-staff``, logged in through the gateway."""
    username = f"{role.replace('_', '.')}.{uuid.uuid4().hex[:6]}"
    made = subprocess.run(
        [
            str(BIN / "icms-identity"),
            "create-staff",
            *("--username", username, "--role", role, "--name", "Officer"),
            *("--email", f"{username}@judiciary.example"),
        ],
        env=stack.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    account = json.loads(made.stdout)
    return Account(account["id"], login(client, username, account["totp_secret"]))


def firm(client: httpx.Client, help_centre: Account, name: str, users: int = 1) -> Firm:
    """A law firm registered through the gateway and approved by the Help Centre; its PA adds ``users``
    organisation users and makes the first one its branch's default user (whom identity links to the
    firm's cases when no user of the firm filed)."""
    slug = uuid.uuid4().hex[:6]
    application = {
        "kind": "organisation",
        "username": f"pa.{slug}",
        "password": PASSWORD,
        "display_name": f"{name} PA",
        "email": f"pa@{slug}.example",
        "organisation": {
            "name": name,
            "organisation_type": "law_firm",
            "business_registration_number": str(10_000_000 + secrets.randbelow(89_999_999)),
            "address": "8 Queen's Road Central, Hong Kong",
        },
    }
    registered = client.post(
        f"{IDENTITY}/registrations",
        data={"application": json.dumps(application)},
        files={
            "authorisation_letter": ("letter.pdf", PDF, "application/pdf"),
            "business_registration": ("br.pdf", PDF, "application/pdf"),
        },
    )
    assert registered.status_code == 201, registered.text
    approved = client.post(
        f"{IDENTITY}/registrations/{registered.json()['id']}/approve", json={}, headers=help_centre.headers
    )
    assert approved.status_code == 200, approved.text
    account = approved.json()["account"]
    secret = pyotp.parse_uri(approved.json()["totp_provisioning_uri"]).secret
    pa = Account(account["id"], login(client, application["username"], secret))
    org, branch = account["organisation_id"], account["branch_id"]
    made_users = []
    for n in range(users):
        username = f"ou{n}.{slug}"
        made = client.post(
            f"{IDENTITY}/organisations/{org}/accounts",
            headers=pa.headers,
            json={
                "username": username,
                "password": PASSWORD,
                "display_name": f"Clerk {n}",
                "email": f"{username}@{slug}.example",
                "role": "OU",
                "branch_id": branch,
            },
        )
        assert made.status_code == 201, made.text
        made_users.append(Account(made.json()["id"], login(client, username)))
    default = client.put(
        f"{IDENTITY}/organisations/{org}/default-users/{branch}",
        headers=pa.headers,
        json={"account_id": made_users[0].id},
    )
    assert default.status_code == 200, default.text
    return Firm(org, pa, made_users)


def linked(client: httpx.Client, firm: Firm, case_id: str) -> list[str]:
    """The firm's users identity has linked to the case, as its PA sees them."""
    answer = client.get(f"{IDENTITY}/organisations/{firm.organisation_id}/cases", headers=firm.pa.headers)
    assert answer.status_code == 200, answer.text
    return next((c["account_ids"] for c in answer.json()["items"] if c["case_id"] == case_id), [])


# --- money ------------------------------------------------------------------------------------------


def through_sandbox(client: httpx.Client, redirect_url: str, outcome: str = "approve") -> None:
    """The payer on the sandbox provider's hosted page: it is shown, then ``outcome`` is chosen."""
    page = client.get(redirect_url)
    assert page.status_code == 200 and "text/html" in page.headers["content-type"], page.text
    decided = client.post(redirect_url, data={"outcome": outcome})
    assert decided.status_code == 303, decided.text


def order_id_of(client: httpx.Client, filing_id: str, who: Account) -> str:
    """The payment order of a filing, once filing has heard of it from payments."""

    def order() -> str | None:
        answer = client.get(f"{FILING}/filings/{filing_id}", headers=who.headers)
        assert answer.status_code == 200, answer.text
        return (answer.json().get("payment") or {}).get("order_id")

    return wait_until(order, timeout=EVENTS_TIMEOUT, what="filing to hear of the filing's payment order")


def pay(client: httpx.Client, order_id: str, who: Account, method: str, **extra: str) -> httpx.Response:
    return client.post(
        f"{PAYMENTS}/orders/{order_id}/payments",
        json={"method": method, **extra},
        headers={**who.headers, "Idempotency-Key": str(uuid.uuid4())},
    )


def pay_by_card(client: httpx.Client, order_id: str, who: Account, brand: str = "visa") -> None:
    """Pay ``order_id`` by card on the provider's page; payments hears of it by the provider's webhook."""
    started = pay(client, order_id, who, "card", card_brand=brand)
    assert started.status_code == 202, started.text
    through_sandbox(client, started.json()["payment"]["redirect_url"])


def start_case(client: httpx.Client, who: Account, form: dict[str, Any], case_type: str = "DCPI") -> dict[str, Any]:
    """Start a case from its originating form; the case as the 201 answer gives it (its filing awaits its fee)."""
    started = client.post(
        f"{FILING}/cases",
        json={"case_type": case_type, "form": form},
        headers={**who.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert started.status_code == 201, started.text
    return started.json()["cases"][0]  # type: ignore[no-any-return]


def pay_until_received(client: httpx.Client, filing_id: str, who: Account) -> None:
    """Pay the filing's fee by card and wait until filing has it as received (in the registry's queue)."""
    pay_by_card(client, order_id_of(client, filing_id, who), who)

    def status() -> str:
        answer = client.get(f"{FILING}/filings/{filing_id}", headers=who.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()["status"]  # type: ignore[no-any-return]

    wait_until(lambda: status() == "received", timeout=EVENTS_TIMEOUT, what="the paid filing to be received")


def accept(client: httpx.Client, registry: Account, filing_id: str) -> dict[str, Any]:
    """The registry accepts the filing; the filing as accepted."""
    answer = client.post(f"{FILING}/filings/{filing_id}/accept", json={}, headers=registry.headers)
    assert answer.status_code == 200, answer.text
    return answer.json()  # type: ignore[no-any-return]


def open_deposit_account(client: httpx.Client, firm: Firm, opening_cents: int) -> dict[str, Any]:
    """The firm's PA opens its deposit account with ``opening_cents`` paid by card; the account, once open."""
    requested = client.post(
        f"{PAYMENTS}/deposit-accounts",
        json={"opening_amount_cents": opening_cents, "method": "card", "card_brand": "mastercard"},
        headers={**firm.pa.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert requested.status_code == 202, requested.text
    through_sandbox(client, requested.json()["payment"]["redirect_url"])

    def opened() -> dict[str, Any] | None:
        answer = client.get(f"{PAYMENTS}/deposit-accounts/mine", headers=firm.pa.headers)
        return answer.json() if answer.status_code == 200 and answer.json()["status"] == "open" else None

    return wait_until(opened, timeout=EVENTS_TIMEOUT, what="the provider's webhook to open the deposit account")
