"""``make run`` end to end: ``deploy/local/run.py`` brings the whole system up on free ports, answers
through the gateway, and ``run.py --stop`` leaves nothing running.
"""

from __future__ import annotations

import json
import os
import random
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pyotp
import pytest

from chassis.testing.infra import free_port, port_open
from chassis.testing.polling import wait_until

REPO = Path(__file__).resolve().parents[2]
RUN = REPO / "deploy" / "local" / "run.py"
SERVICES = ("identity", "filing", "payments", "search")
READY_TIMEOUT = 150.0  # start-up is a few seconds here; CI machines can be much slower
STOP_TIMEOUT = 90.0


@dataclass
class LocalRun:
    """A ``run.py`` process and what it was given."""

    process: subprocess.Popen[bytes]
    env: dict[str, str]
    data_dir: Path
    output: Path
    gateway_port: int
    service_ports: dict[str, int]
    s3_port: int

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.gateway_port}"

    @property
    def ports(self) -> list[int]:
        return [self.gateway_port, self.s3_port, *self.service_ports.values()]

    def printed(self) -> str:
        return self.output.read_text(errors="replace")

    def stop(self) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, str(RUN), "--stop"],
            env=self.env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=STOP_TIMEOUT + 30,
            check=False,
        )


def free_port_block(size: int) -> int:
    """A base port such that base+1 .. base+size are all free right now.

    Taken below the kernel's ephemeral range: the S3 server and every ``free_port()`` caller get their
    ports from that range, and could otherwise take one of the block before the services bind it.
    """
    try:
        ephemeral_low = int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        ephemeral_low = 32768
    candidates = random.Random().sample(range(10_000, ephemeral_low - size - 1, size + 1), 50)
    for base in candidates:
        if all(bindable(base + i) for i in range(1, size + 1)):
            return base
    raise RuntimeError(f"no block of {size} free ports found")


def bindable(port: int) -> bool:
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


def clean_environ(**overrides: str) -> dict[str, str]:
    """This process's environment without any ICMS_* setting of the developer's, plus ``overrides``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ICMS_") and k != "PROMETHEUS_MULTIPROC_DIR"}
    env.update(overrides)
    return env


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers=headers or {})  # noqa: S310 - a local http URL
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310
            return response.status, dict(response.headers), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), error.read()


def metrics_of(url: str) -> bytes | None:
    """The metrics a process serves at ``url``, or None while it does not answer yet."""
    try:
        status, _, body = get(url)
    except urllib.error.URLError:
        return None
    assert status == 200, body
    return body


def ready_or_exited(run: LocalRun) -> bool:
    if run.process.poll() is not None:
        raise AssertionError(f"run.py exited ({run.process.returncode}) before ready:\n{run.printed()}")
    try:
        status, _, _ = get(f"{run.base_url}/health/ready")
    except OSError:
        return False
    return status == 200


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not stat.exists() or stat.read_text().rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


def marked_processes(data_dir: Path) -> list[int]:
    """Live processes carrying run.py's marker for ``data_dir`` (it gives one to everything it starts)."""
    wanted = f"ICMS_LOCAL_RUN={data_dir}".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if wanted in (entry / "environ").read_bytes().split(b"\0") and alive(int(entry.name)):
                found.append(int(entry.name))
        except OSError:
            continue
    return found


@pytest.fixture
def local_run(tmp_path: Path, amqp_url: str) -> Iterator[LocalRun]:
    """``run.py`` started on free ports with its own data dir and vhost; stopped whatever happens."""
    # base+1..4: the services' web processes; base+11..14: their workers' metrics.
    gateway_port, s3_port, base = free_port(), free_port(), free_port_block(len(SERVICES) + 10)
    data_dir = tmp_path / "var"
    env = clean_environ(
        ICMS_DATA_DIR=str(data_dir),
        ICMS_AMQP_URL=amqp_url,
        ICMS_PORT=str(gateway_port),
        ICMS_S3_PORT=str(s3_port),
        ICMS_SERVICE_PORT_BASE=str(base),
        ICMS_RUN_READY_TIMEOUT=str(int(READY_TIMEOUT - 10)),
    )
    output = tmp_path / "run-output.txt"
    with output.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, str(RUN)],
            env=env,
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    run = LocalRun(
        process=process,
        env=env,
        data_dir=data_dir,
        output=output,
        gateway_port=gateway_port,
        service_ports={service: base + i for i, service in enumerate(SERVICES, start=1)},
        s3_port=s3_port,
    )
    try:
        yield run
    finally:
        if process.poll() is None:
            run.stop()
            try:
                process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def test_make_run_starts_every_service_behind_the_gateway_and_stop_leaves_nothing_running(local_run: LocalRun) -> None:
    started = time.monotonic()
    wait_until(lambda: ready_or_exited(local_run), timeout=READY_TIMEOUT, interval=0.25, what="gateway ready")
    ready_after = time.monotonic() - started

    status, _, body = get(f"{local_run.base_url}/health/ready")
    readiness = json.loads(body)
    assert status == 200
    assert readiness["status"] == "ready"
    assert set(SERVICES) <= set(readiness["checks"])
    assert all(readiness["checks"][service]["status"] == "up" for service in SERVICES), readiness
    wait_until(lambda: "iCMS is ready" in local_run.printed(), timeout=10, what="the ready banner")
    banner = local_run.printed()
    assert local_run.base_url in banner
    assert f"127.0.0.1:{local_run.s3_port}" in banner
    assert str(local_run.data_dir) in banner

    status, headers, body = get(f"{local_run.base_url}/api/identity/v1/anything", {"X-Request-ID": "make-run-e2e-1"})
    assert status == 404
    assert headers["Content-Type"].startswith("application/problem+json")
    assert headers["X-Request-ID"] == "make-run-e2e-1"
    assert json.loads(body)["status"] == 404
    identity_port = local_run.service_ports["identity"]
    _, _, direct = get(f"http://127.0.0.1:{identity_port}/api/identity/v1/anything")
    assert json.loads(body) == json.loads(direct)  # the gateway passed on identity's own answer

    # A worker starts beside its web process, and may still be starting when the gateway is ready.
    worker_metrics = [port + 10 for port in local_run.service_ports.values()]
    for port in worker_metrics:
        body = wait_until(lambda url=f"http://127.0.0.1:{port}/metrics": metrics_of(url), timeout=READY_TIMEOUT,
                          interval=0.25, what=f"the worker's metrics on {port}")  # fmt: skip
        assert b"icms_outbox_pending_messages" in body  # the relay's gauge, from the worker process

    # The demo court is seeded: its logins work through the gateway, a second factor for the PA.
    logins = {entry["username"]: entry for entry in json.loads((local_run.data_dir / "demo-logins.json").read_text())}
    assert (local_run.data_dir / "demo-logins.json").stat().st_mode & 0o777 == 0o600
    assert "demo-logins.json" in banner
    tokens = {}
    for name in ("chanlau.pa", "chanlau.clerk", "litigant", "registry.officer"):
        entry = logins[name]
        body = {"username": name, "password": entry["password"]}
        if entry["totp_secret"]:
            body["totp_code"] = pyotp.TOTP(entry["totp_secret"]).now()
        login = httpx.post(f"{local_run.base_url}/api/identity/v1/sessions", json=body, timeout=30)
        assert login.status_code == 201, login.text
        me = httpx.get(
            f"{local_run.base_url}/api/identity/v1/me",
            timeout=30,
            headers={"Authorization": f"Bearer {login.json()['access_token']}"},
        )
        assert me.status_code == 200 and me.json()["role"] == entry["role"]
        tokens[name] = login.json()["access_token"]

    # ... and so are its cases: the clerk's personal injuries action, and a letter in the registry's queue.
    def filing_api(path: str, who: str) -> dict:
        answer = httpx.get(
            f"{local_run.base_url}/api/filing/v1{path}", timeout=30, headers={"Authorization": f"Bearer {tokens[who]}"}
        )
        assert answer.status_code == 200, answer.text
        return answer.json()

    assert [c["case_type"] for c in filing_api("/cases", "chanlau.clerk")["cases"]] == ["DCPI"]
    assert [f["title"] for f in filing_api("/review-queue", "registry.officer")["filings"]] == [
        "Letter to the Court: request for a case management conference"
    ]
    assert filing_api("/cases", "litigant")["cases"] == []

    # The secret the gateway signs principals with is this data dir's own, readable by its owner only.
    assert (local_run.data_dir / "gateway-secret").stat().st_mode & 0o777 == 0o600

    pid_file = local_run.data_dir / "run.pid"
    assert int(pid_file.read_text()) == local_run.process.pid
    honcho_log = (local_run.data_dir / "logs" / "processes.log").read_text()
    started_pids = [int(pid) for pid in re.findall(r"started \(pid=(\d+)\)", honcho_log)]
    assert len(started_pids) == 2 * len(SERVICES) + 1  # web and worker of each service, and the gateway

    stopping = time.monotonic()
    stopped = local_run.stop()
    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert "Stopped in" in stopped.stdout
    assert local_run.process.wait(timeout=STOP_TIMEOUT) == 0
    stop_took = time.monotonic() - stopping

    assert not pid_file.exists()
    weed_ports = json.loads((local_run.data_dir / "s3" / "icms-ports.json").read_text()).values()
    listening = [port for port in [*local_run.ports, *worker_metrics, *weed_ports] if port_open("127.0.0.1", port)]
    assert listening == []
    assert [pid for pid in started_pids if alive(pid)] == []
    assert marked_processes(local_run.data_dir) == []
    print(f"run.py ready after {ready_after:.1f} s; stopped in {stop_took:.1f} s")


def test_make_run_without_rabbitmq_says_how_to_get_one(tmp_path: Path) -> None:
    empty_bin = tmp_path / "bin"  # PATH without rabbitmq-server (the script is run by absolute path)
    empty_bin.mkdir()
    env = clean_environ(
        PATH=str(empty_bin),
        ICMS_DATA_DIR=str(tmp_path / "var"),
        ICMS_AMQP_URL=f"amqp://guest:guest@127.0.0.1:{free_port()}/%2F",
        ICMS_PORT=str(free_port()),
        ICMS_S3_PORT=str(free_port()),
        ICMS_SERVICE_PORT_BASE=str(free_port_block(len(SERVICES))),
    )
    result = subprocess.run(
        [sys.executable, str(RUN)], env=env, cwd=REPO, capture_output=True, text=True, timeout=60, check=False
    )

    assert result.returncode != 0
    assert "RabbitMQ does not answer" in result.stderr
    assert "rabbitmq-server is not installed" in result.stderr
    assert "ICMS_AMQP_URL" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "var" / "run.pid").exists()
    assert not (tmp_path / "var" / "s3").exists()  # nothing was started
