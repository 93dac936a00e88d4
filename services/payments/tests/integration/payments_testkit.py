"""A wired payments service on a test's own database, vhost and bucket; callers stand in for the
gateway with signed principals, and filing's events are delivered as the consumer would deliver them."""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from chassis.clock import FixedClock, iso
from chassis.service import ServiceSettings
from chassis.testing.service_world import CLIENT_IP, Caller, ServiceWorld
from chassis.web.principal import Principal
from payments.adapters import tables
from payments.adapters.providers import CheckoutRequest
from payments.adapters.sandbox import SIGNATURE_HEADER, sign
from payments.bootstrap import bootstrap, wire
from payments.domain import ledger as ledger_accounts
from payments.entrypoints.http import create_app
from payments.service_layer import checkout, numbers, orders, receipts
from payments.service_layer.deps import Deps
from payments.service_layer.ledger import deposit_balance

API = "/api/payments/v1"
#: Monday 23 November 2026, 10:00 in Hong Kong: the registry is open, inside every concession window.
OPEN_MONDAY = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)


class World(ServiceWorld):
    """Payments running in-process, with a clock the test moves."""

    def __init__(self, settings: ServiceSettings, at: datetime = OPEN_MONDAY) -> None:
        clock = FixedClock(at)
        runtime = bootstrap(settings, clock=clock)
        runtime.migrate()
        self.deps: Deps = wire(runtime)
        self.app = create_app(runtime)
        super().__init__(runtime, clock, settings.gateway_secret, self.app.test_client(), API)

    def close(self) -> None:
        self.runtime.engine.dispose()

    # Events ---------------------------------------------------------------------------------------------

    def filing_submitted(
        self,
        filer: Caller,
        fee_items: list[dict[str, Any]] | None = None,
        *,
        court: str = "DC",
        case_type: str = "DCPI",
        channel: str = "electronic",
        filing_id: str | None = None,
    ) -> dict[str, Any]:
        """Filing announces a filing waiting for its fee; the order payments made for it."""
        filing_id = filing_id or str(uuid.uuid4())
        items = fee_items if fee_items is not None else [{"code": "DC.WRIT", "quantity": 1}]
        self.deliver(
            self.event(
                "filing.filing.submitted",
                filing_id,
                filing_id=filing_id,
                reference=f"EF-20261123-{uuid.uuid4().hex[:6].upper()}",
                case_id=str(uuid.uuid4()),
                case_number=f"{case_type} 12/2026",
                court=court,
                case_type=case_type,
                kind="subsequent",
                channel=channel,
                submitted_by_account_id=filer.id,
                organisation_id=filer.principal.organisation,
                submitted_at=iso(self.clock.now()),
                fee_items=items,
                awaiting_payment=bool(items),
                documents=[
                    {
                        "document_id": str(uuid.uuid4()),
                        "role": "lead",
                        "document_type": "writ_of_summons",
                        "title": "Writ of Summons",
                        "key": f"filings/{filing_id}/lead.pdf",
                        "sha256": "0" * 64,
                        "size": 1024,
                        "media_type": "application/pdf",
                        "pages": 1,
                    }
                ],
                aggregate_version=1,
            )
        )
        return self.order_of("filing", filing_id)

    # Sandbox provider -----------------------------------------------------------------------------------

    def signed_webhook(self, payload: dict[str, Any], *, at: datetime | None = None) -> TestResponse:
        body = json.dumps(payload, separators=(",", ":")).encode()
        signature = sign(self.deps.settings.sandbox_secret, body, at or self.clock.now())
        return self.client.post(
            f"{API}/providers/sandbox/webhook",
            data=body,
            headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
        )

    # Looking inside -------------------------------------------------------------------------------------

    def order_of(self, reference_type: str, reference_id: str) -> dict[str, Any]:
        with self.runtime.engine.connect() as conn:
            row = (
                conn.execute(
                    sa.select(tables.PaymentOrder.__table__).where(
                        tables.PaymentOrder.reference_type == reference_type,
                        tables.PaymentOrder.reference_id == reference_id,
                    )
                )
                .mappings()
                .one()
            )
        return dict(row)

    def count(self, table: Any) -> int:
        with self.runtime.engine.connect() as conn:
            return conn.scalar(sa.select(sa.func.count()).select_from(table)) or 0

    def outbox_types(self) -> list[str]:
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.outbox.c.payload)).all()
        return [json.loads(r[0])["type"] for r in rows]

    def ledger_sum(self) -> int:
        """The sum of every ledger entry: zero while every transaction balances."""
        with self.runtime.engine.connect() as conn:
            return int(conn.scalar(sa.select(sa.func.coalesce(sa.func.sum(tables.LedgerEntry.amount_cents), 0))))

    def unbalanced_transactions(self) -> int:
        with self.runtime.engine.connect() as conn:
            sums = (
                sa.select(tables.LedgerEntry.transaction_id)
                .group_by(tables.LedgerEntry.transaction_id)
                .having(sa.func.sum(tables.LedgerEntry.amount_cents) != 0)
            )
            return len(conn.execute(sums).all())

    def deposit_balance(self, deposit_account_id: str) -> int:
        with self.deps.unit_of_work() as uow:
            return deposit_balance(uow.session, deposit_account_id)

    # Checkout (card and PPS through the sandbox provider) ------------------------------------------------

    def start_checkout(
        self,
        order_id: str,
        method: str = "card",
        card_brand: str | None = "visa",
        *,
        return_url: str | None = "https://portal.example/payments/done",
    ) -> dict[str, Any]:
        """The order's payer starts a card or PPS payment (``POST /orders/{id}/payments``); the payment row."""
        response = self.pay(self.payer_of(order_id), order_id, self.provider_payment(method, card_brand, return_url))
        assert response.status_code == 202, response.get_data(as_text=True)
        return self.payment(response.get_json()["payment"]["payment_id"])

    @staticmethod
    def provider_payment(method: str, card_brand: str | None, return_url: str | None) -> dict[str, Any]:
        """The body of a card or PPS ``POST /orders/{id}/payments``."""
        body = {"method": method, "card_brand": card_brand, "return_url": return_url}
        return {name: value for name, value in body.items() if value is not None}

    def payer_of(self, order_id: str) -> Caller | None:
        """Who incurred ``order_id``, as the gateway would vouch for them; nobody (anonymous) for a search or fine."""
        order = self.order_row(order_id)
        if order["payer_account_id"] is None:
            return None
        return Caller(
            Principal(
                subject=order["payer_account_id"],
                account_type="organisation",
                roles=("OU",),
                organisation=order["organisation_id"],
                branch=None,
                session=str(uuid.uuid4()),
                expires_at=None,
                client_ip=CLIENT_IP,
            )
        )

    def checkout_page(self, redirect_url: str) -> TestResponse:
        """The payer's browser opening the provider's hosted page."""
        return self.client.get(redirect_url.removeprefix(self.deps.settings.public_url))

    def choose(self, redirect_url: str, outcome: str) -> TestResponse:
        """The payer pressing approve, decline or walk away on the hosted page."""
        return self.client.post(redirect_url.removeprefix(self.deps.settings.public_url), data={"outcome": outcome})

    def post_webhook(self, url: str, body: bytes, headers: Mapping[str, str]) -> int:
        """The delivery job's ``post``, into this app instead of over the network."""
        path = url.removeprefix(self.deps.settings.public_url)
        return self.app.test_client().post(path, data=body, headers=dict(headers)).status_code

    def deliver_webhooks(self) -> int:
        """One pass of the sandbox's webhook delivery job."""
        return checkout.deliver_sandbox_webhooks(self.deps, self.post_webhook)

    def pay_by_provider(self, order_id: str, method: str = "card", card_brand: str | None = "visa") -> dict[str, Any]:
        """Start, approve on the hosted page and deliver the webhook: the payment row afterwards."""
        payment = self.start_checkout(order_id, method, card_brand)
        assert self.choose(payment["redirect_url"], "approve").status_code == 303
        assert self.deliver_webhooks() == 1
        return self.payment(payment["id"])

    def payment(self, payment_id: str) -> dict[str, Any]:
        with self.runtime.engine.connect() as conn:
            row = conn.execute(sa.select(tables.Payment.__table__).where(tables.Payment.id == payment_id)).mappings()
            return dict(row.one())

    def webhook_bodies(self) -> list[bytes]:
        """The webhooks the sandbox owes or has sent, oldest first."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.SandboxWebhook.body).order_by(tables.SandboxWebhook.next_attempt_at))
            return [row[0].encode() for row in rows]

    def send_webhook(self, body: bytes, at: datetime | None = None, client: FlaskClient | None = None) -> TestResponse:
        """``body`` posted to the webhook endpoint exactly as sent, signed at ``at`` (default now)."""
        signature = sign(self.deps.settings.sandbox_secret, body, at or self.clock.now())
        return (client or self.client).post(
            f"{API}/providers/sandbox/webhook",
            data=body,
            headers={SIGNATURE_HEADER: signature, "Content-Type": "application/json"},
        )

    def account_balance(self, account: str) -> int:
        """The sum of a ledger account's entries (debits positive)."""
        with self.runtime.engine.connect() as conn:
            total = sa.select(sa.func.coalesce(sa.func.sum(tables.LedgerEntry.amount_cents), 0))
            return int(conn.scalar(total.where(tables.LedgerEntry.account == account)))

    def order_row(self, order_id: str) -> dict[str, Any]:
        with self.runtime.engine.connect() as conn:
            query = sa.select(tables.PaymentOrder.__table__).where(tables.PaymentOrder.id == order_id)
            return dict(conn.execute(query).mappings().one())

    def outbox_events(self, event_type: str) -> list[dict[str, Any]]:
        """The outbox's events of ``event_type``, whole envelopes, oldest first."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id)).all()
        return [event for event in (json.loads(r[0]) for r in rows) if event["type"] == event_type]

    def transaction_kinds(self) -> list[str]:
        with self.runtime.engine.connect() as conn:
            query = sa.select(tables.LedgerTransaction.kind).order_by(tables.LedgerTransaction.posted_at)
            return list(conn.scalars(query))

    def sandbox_session(self, session_id: str) -> dict[str, Any]:
        with self.runtime.engine.connect() as conn:
            query = sa.select(tables.SandboxSession.__table__).where(tables.SandboxSession.id == session_id)
            return dict(conn.execute(query).mappings().one())

    def webhook_row(self) -> dict[str, Any]:
        """The one webhook the sandbox owes."""
        with self.runtime.engine.connect() as conn:
            return dict(conn.execute(sa.select(tables.SandboxWebhook.__table__)).mappings().one())

    # Receipts ------------------------------------------------------------------------------------------

    def render_receipts(self) -> int:
        """One pass of the worker's ``render-receipts`` job."""
        return receipts.render_pending(self.deps)

    def receipt_row(self, number: str) -> dict[str, Any]:
        with self.runtime.engine.connect() as conn:
            query = sa.select(tables.Receipt.__table__).where(tables.Receipt.number == number)
            return dict(conn.execute(query).mappings().one())

    def stored_object(self, key: str) -> bytes:
        with self.deps.store.open(key) as reader:
            return reader.read()

    def search_order_directly(self) -> str:
        """A search fee order with no payer, as a member of the public's search request makes one: its id."""
        quote = self.deps.fees.quote("DC", [("DC.SEARCH", 1)], "electronic", self.clock.now())
        with self.deps.unit_of_work() as uow:
            order = orders.create(
                self.deps,
                uow,
                reference_type="search",
                reference_id=f"search-{uuid.uuid4()}",
                description="Search of the District Court's cause book",
                court="DC",
                channel="electronic",
                lines=orders.lines_of(quote),
                payer_account_id=None,
                organisation_id=None,
            )
            uow.commit()
            return order.id

    def open_deposit_account_directly(self, organisation: str, by: Caller, method: str = "pps") -> tuple[str, str]:
        """An open deposit account with its opening receipt, made in the service layer as the deposit
        account use case does once the opening payment is in: (account id, receipt number)."""
        now = self.clock.now()
        with self.deps.unit_of_work() as uow:
            account = tables.DepositAccount(
                id=str(uuid.uuid4()),
                number=numbers.deposit_account_number(uow.session),
                organisation_id=organisation,
                status="open",
                minimum_balance_cents=300_000,
                low_balance=False,
                requested_by_account_id=by.id,
                requested_at=now,
                opened_at=now,
                version=2,
            )
            uow.session.add(account)
            receipt = receipts.allocate(
                self.deps,
                uow.session,
                kind=receipts.PAYMENT,
                amount_cents=300_000,
                method=method,
                description=f"Opening deposit, deposit account {account.number}",
                at=now,
                deposit_account_id=account.id,
                payer_account_id=by.id,
                organisation_id=organisation,
            )
            uow.commit()
            return account.id, receipt.number

    # Deposit accounts and paying -------------------------------------------------------------------------

    @staticmethod
    def organisation() -> str:
        """A new organisation's id (identity owns organisations; payments only keeps their ids)."""
        return str(uuid.uuid4())

    def open_deposit_account(
        self, admin: Caller, amount_cents: int = 300_000, method: str = "pps", card_brand: str | None = None
    ) -> dict[str, Any]:
        """``admin``'s organisation's account opened as a firm opens it: the request, approval on the
        provider's page, the signed webhook delivered. The account as ``GET`` answers it."""
        body: dict[str, Any] = {"opening_amount_cents": amount_cents, "method": method}
        if card_brand is not None:
            body["card_brand"] = card_brand
        started = self.ok(
            "POST", "/deposit-accounts", admin, 202, json=body, headers={"Idempotency-Key": f"open-{uuid.uuid4()}"}
        )
        self.approve(started["payment"]["redirect_url"])
        return self.ok("GET", f"/deposit-accounts/{started['deposit_account']['deposit_account_id']}", admin)

    def top_up(self, admin: Caller, account_id: str, amount_cents: int, method: str = "pps") -> dict[str, Any]:
        """Money paid into an open account through the provider; the account afterwards."""
        started = self.ok(
            "POST",
            f"/deposit-accounts/{account_id}/top-ups",
            admin,
            202,
            json={"amount_cents": amount_cents, "method": method},
            headers={"Idempotency-Key": f"top-up-{uuid.uuid4()}"},
        )
        self.approve(started["payment"]["redirect_url"])
        return self.ok("GET", f"/deposit-accounts/{account_id}", admin)

    def approve(self, redirect_url: str) -> None:
        """The payer approves on the provider's page and the sandbox's webhook is delivered."""
        assert self.choose(redirect_url, "approve").status_code == 303
        assert self.deliver_webhooks() == 1

    def pay(
        self,
        who: Caller | None,
        order_id: str,
        body: Any = None,
        *,
        key: str | None = None,
        client: FlaskClient | None = None,
    ) -> TestResponse:
        """``POST /orders/{id}/payments`` (default: from the deposit account, with a fresh key)."""
        headers = self.headers(who, {"Idempotency-Key": key or f"pay-{uuid.uuid4()}"})
        return (client or self.client).post(
            f"{API}/orders/{order_id}/payments",
            headers=headers,
            json={"method": "deposit_account"} if body is None else body,
        )

    def statement(self, admin: Caller, account_id: str, **query: Any) -> dict[str, Any]:
        return self.ok("GET", f"/deposit-accounts/{account_id}/statement", admin, query_string=query)

    def payment_receipt(self, payment_id: str) -> str:
        """The number of the receipt for money ``payment_id`` brought in."""
        with self.runtime.engine.connect() as conn:
            query = sa.select(tables.Receipt.number).where(
                tables.Receipt.payment_id == payment_id, tables.Receipt.kind == "payment"
            )
            return conn.scalars(query).one()

    def idempotency_scopes(self) -> list[str]:
        """Whose keys are kept: the callers' account ids, or an anonymous payer's order id."""
        with self.runtime.engine.connect() as conn:
            return list(
                conn.scalars(sa.select(tables.IdempotencyKey.account_id).order_by(tables.IdempotencyKey.created_at))
            )

    def money_trail(self) -> dict[str, int]:
        """How many rows each table holds that a payment could leave behind (``nothing moved`` compares it)."""
        moved = (
            tables.LedgerTransaction,
            tables.LedgerEntry,
            tables.Payment,
            tables.Receipt,
            tables.DepositAccount,
            tables.IdempotencyKey,
            tables.SandboxSession,
        )
        return {
            **{table.__tablename__: self.count(table) for table in moved},
            "outbox": self.count(tables.outbox),
        }

    # Orders and the filing saga --------------------------------------------------------------------------

    def create_order(self, who: Caller | None, body: dict[str, Any], *, key: str | None = None) -> TestResponse:
        """``POST /orders`` (a fresh Idempotency-Key unless one is given)."""
        return self.call("POST", "/orders", who, json=body, headers={"Idempotency-Key": key or f"ord-{uuid.uuid4()}"})

    def settle_directly(self, order_id: str, method: str = "card") -> str:
        """``order_id`` paid by card or PPS as the provider's approval settles it, straight in the service
        layer (an approved sandbox session, a succeeded payment, ``orders.settle``): the payment's id."""
        now = self.clock.now()
        with self.deps.unit_of_work() as uow:
            order = orders.locked(uow, order_id)
            assert order is not None
            orders.check_payable(order, now)
            payment = tables.Payment(
                id=str(uuid.uuid4()),
                purpose="order",
                order_id=order.id,
                method=method,
                card_brand="visa" if method == "card" else None,
                amount_cents=order.amount_cents,
                currency="HKD",
                status=orders.PENDING,
                payer_account_id=order.payer_account_id,
                provider=self.deps.provider.name,
                started_at=now,
                version=1,
            )
            request = CheckoutRequest(
                payment.id, method, payment.card_brand, order.amount_cents, "HKD", order.description, None
            )
            started = self.deps.provider.start(uow.session, request, now)
            payment.provider_session_id = started.session_id
            uow.session.add(payment)
            session = uow.session.get(tables.SandboxSession, started.session_id)
            assert session is not None
            self.deps.provider.decide(uow.session, session, "approve", now)
            orders.settle(self.deps, uow, order, payment, ledger_accounts.clearing(method))
            uow.commit()
            return payment.id

    def filing_rejected(self, filing_id: str, order_id: str | None, *, fee_paid: bool) -> None:
        self.deliver(
            self.event(
                "filing.filing.rejected",
                filing_id,
                filing_id=filing_id,
                reference="EF-20261123-REJECT",
                case_id=str(uuid.uuid4()),
                case_number="DCPI 12/2026",
                rejected_at=iso(self.clock.now()),
                rejected_by_account_id=str(uuid.uuid4()),
                reasons=["unsigned"],
                message="The supporting affirmation is not signed.",
                payment_order_id=order_id,
                fee_paid=fee_paid,
                aggregate_version=3,
            )
        )

    def filing_cancelled(self, filing_id: str, order_id: str | None) -> None:
        self.deliver(
            self.event(
                "filing.filing.cancelled",
                filing_id,
                filing_id=filing_id,
                reference="EF-20261123-CANCEL",
                case_id=str(uuid.uuid4()),
                case_number="DCPI 12/2026",
                cancelled_at=iso(self.clock.now()),
                reason="order_expired",
                payment_order_id=order_id,
                aggregate_version=2,
            )
        )

    def closure_declared(self, starts_at: datetime, ends_at: datetime, closure_id: str | None = None) -> str:
        """Filing declares the registries closed from ``starts_at`` to ``ends_at``: the closure's id."""
        closure_id = closure_id or str(uuid.uuid4())
        self.deliver(
            self.event(
                "filing.calendar.closure_declared",
                closure_id,
                closure_id=closure_id,
                starts_at=iso(starts_at),
                ends_at=iso(ends_at),
                reason="typhoon_signal_8",
                note="Tropical Cyclone Warning Signal No. 8: the registries are closed.",
                declared_by_account_id=str(uuid.uuid4()),
                aggregate_version=1,
            )
        )
        return closure_id

    def run_job(self, name: str) -> int:
        """One pass of the worker job ``name`` as bootstrap wires it."""
        (job,) = [job for job in self.runtime.description.jobs if job.name == name]
        return job.run()

    def validated_outbox(self) -> list[dict[str, Any]]:
        """Every envelope in the outbox, oldest first, each checked against its event's schema."""
        with self.runtime.engine.connect() as conn:
            rows = conn.execute(sa.select(tables.outbox.c.payload).order_by(tables.outbox.c.id)).all()
        events = [json.loads(r[0]) for r in rows]
        for event in events:
            self.runtime.registry.validate(event)
        return events
