"""Filing behind the gateway, every part a real process: identity's and filing's web processes under
gunicorn, their workers (``icms-identity worker``, ``icms-filing worker``) and the gateway, on this
test's own PostgreSQL databases, RabbitMQ vhost and S3 buckets.

Payments is not built yet, so this test plays its part: when a filing awaits its fee, the test
publishes the events payments will publish (``payments.order.created``, then ``payments.order.paid``,
both valid against the released contracts) to ``payments.events``, as payments' relay would.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import httpx
import pyotp
import pytest
from kombu import Connection, Exchange
from minio import Minio

from chassis.clock import iso
from chassis.config import contracts_dir
from chassis.messaging.envelope import new_event
from chassis.messaging.schemas import SchemaRegistry
from chassis.registry_calendar import OpeningHours, RegistryCalendar, hong_kong_general_holidays
from chassis.storage import S3Settings
from chassis.testing.infra import free_port, scratch_database
from chassis.testing.polling import wait_until
from chassis.testing.s3 import remove_bucket

# The filing service's test helpers (valid forms, real PDFs) live beside its own tests.
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "services" / "filing" / "tests"))
import form_examples
import pdf_samples

IDENTITY = "/api/identity/v1"
FILING = "/api/filing/v1"
PASSWORD = "correct horse battery staple"
PDF = b"%PDF-1.4\n%%EOF\n"
BIN = Path(sys.executable).parent
EVENTS_TIMEOUT = 30.0  # an event crosses a relay, the broker and a consumer: well under a second here


@dataclass
class Stack:
    """The running system as a client sees it, and the broker the test publishes payments' events to."""

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


@pytest.fixture
def stack(
    postgres_server: str, amqp_url: str, s3_settings: S3Settings, s3_client: Minio, s3_bucket: str, tmp_path: Path
) -> Iterator[Stack]:
    filing_bucket = f"t-filing-e2e-{uuid.uuid4().hex[:12]}"
    with scratch_database(postgres_server) as identity_db, scratch_database(postgres_server) as filing_db:
        identity_port, filing_port, gateway_port = free_port(), free_port(), free_port()
        unused = f"http://127.0.0.1:{free_port()}"
        env = {
            **{k: v for k, v in os.environ.items() if k != "WEB_CONCURRENCY"},
            "ICMS_GATEWAY_SECRET": secrets.token_urlsafe(32),
            "ICMS_IDENTITY_DATABASE_URL": identity_db,
            "ICMS_FILING_DATABASE_URL": filing_db,
            "ICMS_AMQP_URL": amqp_url,
            "ICMS_S3_ENDPOINT": s3_settings.endpoint,
            "ICMS_S3_ACCESS_KEY": s3_settings.access_key,
            "ICMS_S3_SECRET_KEY": s3_settings.secret_key,
            "ICMS_S3_REGION": s3_settings.region,
            "ICMS_IDENTITY_S3_BUCKET": s3_bucket,
            "ICMS_FILING_S3_BUCKET": filing_bucket,
            "ICMS_IDENTITY_URL": f"http://127.0.0.1:{identity_port}",
            "ICMS_FILING_URL": f"http://127.0.0.1:{filing_port}",
            "ICMS_PAYMENTS_URL": unused,
            "ICMS_SEARCH_URL": unused,
        }
        # Migrating both first declares every queue, so no event is published before its queue is bound.
        for service in ("identity", "filing"):
            subprocess.run([str(BIN / f"icms-{service}"), "migrate"], env=env, check=True, capture_output=True)
        gunicorn = [str(BIN / "gunicorn"), "-c", "python:chassis.gunicorn_conf"]
        commands = {
            "identity-web": [*gunicorn, "-b", f"127.0.0.1:{identity_port}", "identity.entrypoints.http:create_app()"],
            "filing-web": [*gunicorn, "-b", f"127.0.0.1:{filing_port}", "filing.entrypoints.http:create_app()"],
            "gateway": [*gunicorn, "-b", f"127.0.0.1:{gateway_port}", "gateway.entrypoints.http:create_app()"],
            "identity-worker": [str(BIN / "icms-identity"), "worker"],
            "filing-worker": [str(BIN / "icms-filing"), "worker"],
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
            gateway = f"http://127.0.0.1:{gateway_port}"
            wait_until(
                lambda: _answers(f"http://127.0.0.1:{filing_port}/health/ready")
                and _answers(f"{gateway}/.well-known/jwks.json"),
                timeout=90,
                interval=0.2,
                what="identity, filing and the gateway to answer",
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
            remove_bucket(s3_client, filing_bucket)
            # Shown by pytest only when the test fails: what each process said last.
            for log in logs:
                lines = log.read_text(errors="replace").splitlines() if log.exists() else []
                print(f"----- {log.name} (last {min(len(lines), 60)} lines) -----", *lines[-60:], sep="\n")


# --- accounts ---------------------------------------------------------------------------------------


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


# --- payments, played by the test -------------------------------------------------------------------


def publish_payments_event(stack: Stack, type_: str, order_id: str, data: dict[str, Any]) -> None:
    envelope = new_event(type_, data, source="/payments", subject=order_id)
    SchemaRegistry.load(contracts_dir()).validate(envelope.to_dict())
    exchange = Exchange("payments.events", type="topic", durable=True)
    with Connection(stack.amqp_url) as conn:
        conn.Producer().publish(
            envelope.to_json(),
            exchange=exchange,
            routing_key=envelope.routing_key,
            content_type="application/json",
            message_id=envelope.id,
            delivery_mode=2,
            declare=[exchange],
        )


def order_for(stack: Stack, filing: dict[str, Any], amount_cents: int) -> str:
    order_id = str(uuid.uuid4())
    publish_payments_event(
        stack,
        "payments.order.created",
        order_id,
        {
            "order_id": order_id,
            "reference_type": "filing",
            "reference_id": filing["filing_id"],
            "payer_account_id": filing["submitted_by_account_id"],
            "court": "DC",
            "amount_cents": amount_cents,
            "currency": "HKD",
            "lines": [
                {
                    "code": item["code"],
                    "description": item["code"],
                    "quantity": item["quantity"],
                    "unit_cents": amount_cents // item["quantity"],
                    "amount_cents": amount_cents,
                }
                for item in filing["fee_items"]
            ],
            "expires_at": "2099-01-01T00:00:00Z",
            "aggregate_version": 1,
        },
    )
    return order_id


def pay(stack: Stack, filing: dict[str, Any], order_id: str, amount_cents: int, paid_at: datetime) -> None:
    publish_payments_event(
        stack,
        "payments.order.paid",
        order_id,
        {
            "order_id": order_id,
            "reference_type": "filing",
            "reference_id": filing["filing_id"],
            "amount_cents": amount_cents,
            "currency": "HKD",
            "method": "deposit_account",
            "paid_at": iso(paid_at),
            "deemed_paid_at": iso(paid_at),
            "receipt_number": f"R-{uuid.uuid4().hex[:8]}",
            "aggregate_version": 2,
        },
    )


def registry_calendar() -> RegistryCalendar:
    """The registry's hours (filing's data) and Hong Kong's general holidays, no closures declared."""
    hours = json.loads(resources.files("filing.data").joinpath("registry_hours.json").read_text("utf-8"))
    return RegistryCalendar(OpeningHours.from_mapping(hours), hong_kong_general_holidays(), [])


def instant(text: str) -> datetime:
    return datetime.fromisoformat(text)


# --- the journey ------------------------------------------------------------------------------------


def test_two_firms_file_pay_and_are_accepted_in_one_case_through_the_gateway_and_a_third_sees_nothing(
    stack: Stack,
) -> None:
    client = stack.client()
    registry = staff(stack, client, "registry_officer")
    help_centre = staff(stack, client, "help_centre_officer")
    plaintiff_firm = firm(client, help_centre, "Chan & Co", users=2)
    defendant_firm = firm(client, help_centre, "Lee & Partners")
    other_firm = firm(client, help_centre, "Other LLP")
    alice, alan = plaintiff_firm.users
    bob, carol = defendant_firm.users[0], other_firm.users[0]

    def get(path: str, who: Account) -> httpx.Response:
        return client.get(f"{FILING}{path}", headers=who.headers)

    def filing_of(filing_id: str, who: Account) -> dict[str, Any]:
        answer = get(f"/filings/{filing_id}", who)
        assert answer.status_code == 200, answer.text
        return answer.json()

    def accept(filing_id: str) -> dict[str, Any]:
        answer = client.post(f"{FILING}/filings/{filing_id}/accept", json={}, headers=registry.headers)
        assert answer.status_code == 200, answer.text
        return answer.json()

    # The plaintiff's firm starts a personal injuries action from the form; the writ awaits its fee.
    started = client.post(
        f"{FILING}/cases",
        json={"case_type": "DCPI", "form": form_examples.writ_dcpi()},
        headers={**alice.headers, "Idempotency-Key": str(uuid.uuid4())},
    )
    assert started.status_code == 201, started.text
    case = started.json()["cases"][0]
    case_id, writ = case["case_id"], case["filing"]
    plaintiff, defendant = case["parties"]
    assert plaintiff["representative"]["organisation_id"] == plaintiff_firm.organisation_id
    assert defendant["representative"] is None
    assert writ["status"] == "awaiting_payment"

    order = order_for(stack, writ, 63_000)
    wait_until(
        lambda: filing_of(writ["filing_id"], alice)["payment"]["order_id"] == order,
        timeout=EVENTS_TIMEOUT,
        what="filing to hear of the writ's payment order",
    )
    pay(stack, writ, order, 63_000, datetime.now(UTC).replace(microsecond=0))
    wait_until(
        lambda: filing_of(writ["filing_id"], alice)["status"] == "received",
        timeout=EVENTS_TIMEOUT,
        what="the paid writ to be received",
    )
    queue = client.get(f"{FILING}/review-queue", headers=registry.headers).json()
    assert writ["filing_id"] in [f["filing_id"] for f in queue["filings"]]
    assert accept(writ["filing_id"])["docket_number"] == 1

    # Identity heard of the case and linked the filer; a colleague the PA links gets in through filing.
    assert wait_until(
        lambda: linked(client, plaintiff_firm, case_id), timeout=EVENTS_TIMEOUT, what="identity to link the filer"
    ) == [alice.id]
    assert get(f"/cases/{case_id}", alan).status_code == 404
    linking = client.post(
        f"{IDENTITY}/organisations/{plaintiff_firm.organisation_id}/case-assignments",
        json={"case_id": case_id, "account_id": alan.id},
        headers=plaintiff_firm.pa.headers,
    )
    assert linking.status_code == 201, linking.text
    wait_until(
        lambda: get(f"/cases/{case_id}", alan).status_code == 200,
        timeout=EVENTS_TIMEOUT,
        what="filing to let in the user identity linked",
    )
    assert get(f"/cases/{case_id}", alice).status_code == 200

    # The defendant's firm is not on the case, but may acknowledge service for the defendant.
    assert get(f"/cases/{case_id}", bob).status_code == 404
    acknowledged = client.post(
        f"{FILING}/filings",
        headers=bob.headers,
        data={
            "metadata": json.dumps(
                {
                    "case_id": case_id,
                    "title": "Acknowledgement of service",
                    "lead": {"document_type": "acknowledgement_of_service"},
                    "acting_for": defendant["party_id"],
                }
            )
        },
        files={"lead": ("acknowledgement.pdf", pdf_samples.pdf_bytes(1, "Acknowledgement"), "application/pdf")},
    )
    assert acknowledged.status_code == 201, acknowledged.text
    ack = acknowledged.json()
    assert ack["status"] == "received"
    assert accept(ack["filing_id"])["docket_number"] == 2
    assert wait_until(
        lambda: linked(client, defendant_firm, case_id),
        timeout=EVENTS_TIMEOUT,
        what="identity to link the defendant firm's default user",
    ) == [bob.id]
    on_record = wait_until(
        lambda: (answer := get(f"/cases/{case_id}", bob)).status_code == 200 and answer.json(),
        timeout=EVENTS_TIMEOUT,
        what="the defendant's firm to see the case",
    )
    assert on_record["parties"][1]["representative"]["organisation_id"] == defendant_firm.organisation_id

    # The defence with an exhibit, through the gateway as one multipart body.
    defence_pdf, exhibit_pdf = pdf_samples.pdf_bytes(3, "Defence"), pdf_samples.pdf_bytes(1, "Exhibit LSM-1")
    submitted = client.post(
        f"{FILING}/filings",
        headers={**bob.headers, "Idempotency-Key": str(uuid.uuid4())},
        data={
            "metadata": json.dumps(
                {
                    "case_id": case_id,
                    "title": "Defence of the defendant",
                    "lead": {"document_type": "defence"},
                    "connected": [{"document_type": "exhibit", "title": "Exhibit LSM-1"}],
                    "on_behalf_of": [defendant["party_id"]],
                }
            )
        },
        files=[
            ("lead", ("defence.pdf", defence_pdf, "application/pdf")),
            ("connected", ("exhibit.pdf", exhibit_pdf, "application/pdf")),
        ],
    )
    assert submitted.status_code == 201, submitted.text
    defence = submitted.json()
    assert defence["status"] == "awaiting_payment"
    assert [(d["role"], d["sha256"]) for d in defence["documents"]] == [
        ("lead", hashlib.sha256(defence_pdf).hexdigest()),
        ("connected", hashlib.sha256(exhibit_pdf).hexdigest()),
    ]

    order = order_for(stack, defence, 102_000)
    wait_until(
        lambda: filing_of(defence["filing_id"], bob)["payment"]["order_id"] == order,
        timeout=EVENTS_TIMEOUT,
        what="filing to hear of the defence's payment order",
    )
    paid_at = datetime.now(UTC).replace(microsecond=0)
    pay(stack, defence, order, 102_000, paid_at)
    received = wait_until(
        lambda: (found := filing_of(defence["filing_id"], bob))["status"] == "received" and found,
        timeout=EVENTS_TIMEOUT,
        what="the paid defence to be received",
    )
    # Received when both documents and fee are in, at the registry's first open instant from then.
    complete = max(instant(defence["documents_in_at"]), paid_at)
    assert instant(received["deemed_received_at"]) == registry_calendar().deemed_receipt(complete)
    assert instant(received["payment"]["paid_at"]) == paid_at
    assert accept(defence["filing_id"])["docket_number"] == 3

    docket = get(f"/cases/{case_id}", alice).json()["docket"]
    assert [(e["number"], len(e["documents"])) for e in docket] == [(1, 1), (2, 1), (3, 2)]
    exhibit = defence["documents"][1]
    content = get(f"/filings/{defence['filing_id']}/documents/{exhibit['document_id']}/content", alice)
    assert content.status_code == 200 and content.content == exhibit_pdf

    def inbox(who: Account) -> list[str]:
        answer = get("/inbox", who)
        assert answer.status_code == 200, answer.text
        return sorted(m["kind"] for m in answer.json()["messages"])

    assert inbox(alice) == ["acknowledgement", "payment_request", "review_outcome"]
    assert inbox(bob) == [
        "acknowledgement",
        "acknowledgement",
        "payment_request",
        "review_outcome",
        "review_outcome",
    ]
    assert inbox(alan) == []

    # A firm with nothing to do with the case cannot even tell it exists.
    assert get(f"/cases/{case_id}", carol).status_code == 404
    for filed in (writ, ack, defence):
        assert get(f"/filings/{filed['filing_id']}", carol).status_code == 404
    assert get(f"/filings/{defence['filing_id']}/documents/{exhibit['document_id']}/content", carol).status_code == 404
    assert get("/cases", carol).json()["cases"] == []
    assert get("/filings", carol).json()["filings"] == []
    assert inbox(carol) == []
    assert linked(client, other_firm, case_id) == []
