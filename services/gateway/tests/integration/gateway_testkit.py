"""Real HTTP servers for the gateway's integration tests: echoing upstreams and gateways to test.

Upstreams are small Flask apps under werkzeug's threaded server in a thread of the test process;
the gateway runs either the same way (``InProcessServer``) or as a real gunicorn process
(``GunicornGateway``), which the memory tests need so that they measure only the gateway. Each
upstream also serves a JWKS of test keys (``SigningKey``) as identity does, and reads the principal
the gateway sends with the chassis's own ``read_principal``.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from flask import Flask, Response, jsonify, request
from werkzeug.serving import make_server

from chassis.testing.infra import free_port
from chassis.testing.principals import GATEWAY_SECRET
from chassis.web.principal import read_principal
from chassis.web.problems import Problem

CHUNK = 64 * 1024
MB = 1000 * 1000
MIB = 1024 * 1024
SERVICES = ("identity", "filing", "payments", "search")
# The shared gunicorn gateway gives up on a silent upstream after this long (the 504 test).
READ_TIMEOUT = 1.0
# How long a test's own HTTP call may take before the test fails rather than hangs.
TIMEOUT = 60


# --- bodies generated on the fly -------------------------------------------------------------------

_BLOCK = hashlib.sha256(b"icms").digest() * (CHUNK // 32)


def generated_chunks(size: int) -> Iterator[bytes]:
    """``size`` deterministic bytes in 64 KiB chunks, each numbered so reordering changes the hash."""
    index = 0
    sent = 0
    while sent < size:
        chunk = (index.to_bytes(8, "big") + _BLOCK[8:])[: size - sent]
        index += 1
        sent += len(chunk)
        yield chunk


def generated_sha256(size: int) -> str:
    """The SHA-256 of ``generated_chunks(size)``."""
    digest = hashlib.sha256()
    for chunk in generated_chunks(size):
        digest.update(chunk)
    return digest.hexdigest()


class SizedBody:
    """A generated body that ``requests`` sends with a Content-Length (it has a ``len``), not chunked."""

    def __init__(self, size: int):
        self.size = size

    def __len__(self) -> int:
        return self.size

    def __iter__(self) -> Iterator[bytes]:
        return generated_chunks(self.size)


# --- access tokens ---------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


class SigningKey:
    """An Ed25519 key pair standing in for one of identity's signing keys."""

    def __init__(self, kid: str | None = None) -> None:
        self.kid = kid or f"test-{uuid.uuid4().hex[:8]}"
        self.private = Ed25519PrivateKey.generate()

    def public_bytes(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    def jwk(self) -> dict[str, str]:
        """The public key as identity publishes it."""
        return {"kty": "OKP", "crv": "Ed25519", "x": b64url(self.public_bytes()), "kid": self.kid, "alg": "EdDSA",
                "use": "sig"}  # fmt: skip

    def token(self, *, without: tuple[str, ...] = (), **overrides: Any) -> str:
        """An access token as identity issues it (valid for 15 minutes), with claims changed or left out."""
        claims = {**token_claims(), **overrides}
        for name in without:
            del claims[name]
        return jwt.encode(claims, self.private, algorithm="EdDSA", headers={"kid": self.kid})


def token_claims() -> dict[str, Any]:
    now = int(time.time())
    return {
        "iss": "icms-identity",
        "aud": "icms",
        "sub": str(uuid.uuid4()),
        "account_type": "organisation",
        "roles": ["OU", "SA"],
        "org": "org-1",
        "branch": "branch-1",
        "sid": "session-1",
        "iat": now,
        "exp": now + 900,
        "jti": uuid.uuid4().hex,
    }


def unsigned_token(header: dict[str, Any], claims: dict[str, Any], hmac_key: bytes | None = None) -> str:
    """A token with any header: no signature at all, or an HS256 one under ``hmac_key``."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    if hmac_key is None:
        return signing_input + "."
    return f"{signing_input}.{b64url(hmac.new(hmac_key, signing_input.encode(), hashlib.sha256).digest())}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


# --- servers ---------------------------------------------------------------------------------------


class InProcessServer:
    """A WSGI app served by werkzeug's threaded server in a daemon thread on 127.0.0.1."""

    def __init__(self, app: Callable) -> None:
        self._server = make_server("127.0.0.1", 0, app, threaded=True)
        self.port = self._server.port
        self.url = f"http://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


class EchoUpstream:
    """A stand-in for a service: echoes what it received, streams downloads, can be slow or unready.

    It serves ``jwks`` at ``/.well-known/jwks.json`` as identity does (a 500 while ``jwks_broken``),
    counting the fetches in ``jwks_hits``.
    """

    def __init__(self, name: str, jwks: list[dict[str, str]] | None = None) -> None:
        self.name = name
        self.ready = True
        self.jwks = jwks or []
        self.jwks_broken = False
        self.jwks_hits = 0
        self.hits = 0
        self.release = threading.Event()  # ends a /slow request early (at teardown)
        self._lock = threading.Lock()
        self._server = InProcessServer(self._app())
        self.url = self._server.url
        self.port = self._server.port

    def close(self) -> None:
        self.release.set()
        self._server.close()

    def _count(self) -> None:
        with self._lock:
            self.hits += 1

    def _app(self) -> Flask:
        app = Flask(f"upstream-{self.name}")
        methods = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]

        @app.get("/health/ready")
        def ready() -> tuple[Response, int]:
            status = "ready" if self.ready else "unready"
            check = {"status": "up"} if self.ready else {"status": "down", "error": "db: connection refused"}
            return jsonify({"service": self.name, "status": status, "checks": {"db": check}}), (
                200 if self.ready else 503
            )

        @app.get("/.well-known/jwks.json")
        def jwks() -> tuple[Response, int]:
            with self._lock:
                self.jwks_hits += 1
            if self.jwks_broken:
                return jsonify({"error": "identity is having a bad day"}), 500
            return jsonify({"keys": self.jwks}), 200

        @app.get(f"/api/{self.name}/slow")
        def slow() -> Response:
            self._count()
            self.release.wait(float(request.args.get("seconds", "10")))
            return jsonify({"upstream": self.name, "slow": True})

        @app.get(f"/api/{self.name}/download")
        def download() -> Response:
            self._count()
            size = int(request.args["size"])
            headers = {} if "chunked" in request.args else {"Content-Length": str(size)}
            if "break_after" in request.args:
                limit = int(request.args["break_after"])

                def broken() -> Iterator[bytes]:
                    sent = 0
                    for chunk in generated_chunks(size):
                        if sent >= limit:
                            raise RuntimeError("upstream dies mid-response (on purpose)")
                        sent += len(chunk)
                        yield chunk

                return Response(broken(), headers=headers, mimetype="application/octet-stream")
            return Response(generated_chunks(size), headers=headers, mimetype="application/octet-stream")

        @app.get(f"/api/{self.name}/redirect")
        def redirect() -> Response:
            self._count()
            return Response(status=302, headers={"Location": "/api/elsewhere"})

        @app.get(f"/api/{self.name}/cookies")
        def cookies() -> Response:
            self._count()
            response = jsonify({"cookie_header": request.headers.get("Cookie")})
            response.headers.add("Set-Cookie", "a=1; Path=/")
            response.headers.add("Set-Cookie", "b=2; Path=/")
            return response

        @app.route(f"/api/{self.name}", methods=methods, provide_automatic_options=False)
        @app.route(f"/api/{self.name}/", methods=methods, provide_automatic_options=False)
        @app.route(f"/api/{self.name}/<path:path>", methods=methods, provide_automatic_options=False)
        def echo(path: str = "") -> Response:
            self._count()
            digest = hashlib.sha256()
            received = 0
            stream = request.stream
            while chunk := stream.read(CHUNK):
                digest.update(chunk)
                received += len(chunk)
            return jsonify(
                {
                    "upstream": self.name,
                    "method": request.method,
                    "path": request.path,
                    "raw_path": request.environ.get("RAW_URI", "").split("?", 1)[0],
                    "query_string": request.environ.get("QUERY_STRING", ""),
                    "headers": [[k, v] for k, v in request.headers.items()],
                    "body_bytes": received,
                    "body_sha256": digest.hexdigest(),
                    "principal": received_principal(),
                }
            )

        return app


def received_principal() -> dict[str, Any]:
    """The principal of the current request as a service reads it, or the kind of problem it has."""
    try:
        principal = read_principal(request.headers, request.remote_addr, GATEWAY_SECRET, datetime.now(UTC))
    except Problem as problem:
        return {"refused": problem.kind}
    return {
        "subject": principal.subject,
        "account_type": principal.account_type,
        "roles": list(principal.roles),
        "organisation": principal.organisation,
        "branch": principal.branch,
        "session": principal.session,
        "expires_at": None if principal.expires_at is None else int(principal.expires_at.timestamp()),
        "client_ip": principal.client_ip,
    }


def header(echo: Mapping, name: str) -> str | None:
    """The value of header ``name`` in an echo answer (None if absent)."""
    values = [v for k, v in echo["headers"] if k.lower() == name.lower()]
    assert len(values) <= 1, values
    return values[0] if values else None


def header_names(echo: Mapping) -> set[str]:
    return {k.lower() for k, _ in echo["headers"]}


def wait_until_up(url: str, deadline_seconds: float = 30.0, process: subprocess.Popen | None = None) -> None:
    """Poll ``url`` until it answers at all (any status), or fail."""
    deadline = time.monotonic() + deadline_seconds
    while True:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process exited with {process.returncode} before {url} answered")
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def gateway_environ(upstreams: Mapping[str, str], **extra: str) -> dict[str, str]:
    env = {f"ICMS_{name.upper()}_URL": url for name, url in upstreams.items()}
    env["ICMS_GATEWAY_SECRET"] = GATEWAY_SECRET
    env.update(extra)
    return env


class GunicornGateway:
    """The gateway as it is deployed: gunicorn, gthread workers, in its own process."""

    def __init__(self, environ: Mapping[str, str], *, threads: int = 8) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log_path = Path(tempfile.mkstemp(prefix="gateway-gunicorn-", suffix=".log")[1])
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            "gateway.entrypoints.http:create_app()",
            "--bind",
            f"127.0.0.1:{self.port}",
            "--worker-class",
            "gthread",
            "--workers",
            "1",
            "--threads",
            str(threads),
            "--forwarded-allow-ips",
            "",
        ]
        env = {k: v for k, v in os.environ.items() if not k.startswith("ICMS_")}
        env.update(environ)
        self._log = self.log_path.open("wb")
        self.process = subprocess.Popen(self.command, env=env, stdout=self._log, stderr=subprocess.STDOUT)
        try:
            wait_until_up(f"{self.url}/health/live", process=self.process)
            self.worker_pid = self._worker_pid()
        except Exception:
            log = self.log()
            self.close()
            raise RuntimeError(f"gunicorn gateway did not start:\n{log}") from None

    def _worker_pid(self) -> int:
        path = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            children = path.read_text().split()
            if children:
                return int(children[0])
            time.sleep(0.02)
        raise RuntimeError("gunicorn started no worker")

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self._log.close()
        self.log_path.unlink(missing_ok=True)


# --- memory of a process ---------------------------------------------------------------------------


def proc_status_kib(pid: int, field: str) -> int:
    """A ``VmRSS``/``VmHWM``-style field of /proc/<pid>/status, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


class PeakMemory:
    """How far a process's resident memory rose above where it was at the start of the block.

    Resets the kernel's peak (VmHWM) through /proc/<pid>/clear_refs when allowed, and also samples
    VmRSS every few milliseconds, so the answer is right even where the reset is not permitted.
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.baseline_kib = 0
        self.peak_kib = 0
        self.hwm_reset = False
        self._stop = threading.Event()
        self._sampler = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> PeakMemory:
        try:
            Path(f"/proc/{self.pid}/clear_refs").write_text("5")
            self.hwm_reset = True
        except OSError:
            self.hwm_reset = False
        self.baseline_kib = proc_status_kib(self.pid, "VmRSS")
        self.peak_kib = self.baseline_kib
        self._sampler.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, proc_status_kib(self.pid, "VmRSS"))
            self._stop.wait(0.005)

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._sampler.join()
        if self.hwm_reset:
            self.peak_kib = max(self.peak_kib, proc_status_kib(self.pid, "VmHWM"))

    @property
    def growth_mib(self) -> float:
        return (self.peak_kib - self.baseline_kib) / 1024

    def describe(self) -> str:
        how = "VmHWM after reset + VmRSS sampling" if self.hwm_reset else "VmRSS sampling"
        return (
            f"baseline RSS {self.baseline_kib / 1024:.1f} MiB, peak {self.peak_kib / 1024:.1f} MiB, "
            f"growth {self.growth_mib:.1f} MiB ({how})"
        )


def problem(response: requests.Response) -> dict:
    """The problem document of ``response``, after checking it is one."""
    assert response.headers["Content-Type"].startswith("application/problem+json"), response.headers
    assert "Traceback" not in response.text
    document = json.loads(response.content)
    assert document["status"] == response.status_code
    return document
