"""``make schemathesis``: every web process, run for real, against its OpenAPI document.

For each service (identity, filing, payments, search) this migrates a fresh SQLite database, starts
its gunicorn web process on a free port, and runs schemathesis with every check against
``contracts/openapi/<service>.yaml``; then, if the gateway exists, it starts the gateway in front of
the running services and does the same with ``gateway.yaml``. Any 5xx, any response outside its
documented statuses, media types, headers or schema fails the run (exit status 1).

It brings its own infrastructure: an S3 server (SeaweedFS, through ``chassis.s3server``) on free
ports, and a RabbitMQ vhost of its own on the local broker (``ICMS_AMQP_URL``, default the local
guest account), made with ``rabbitmqctl`` and deleted afterwards; without ``rabbitmqctl`` the URL is
used as it is. Every process it starts is stopped however the run ends (failure, Ctrl-C, SIGTERM).

Output: one line per service, then, as the very last line, ``N passed, M failed`` (services).
Options: ``--services identity,gateway`` to run some only, ``--max-examples``, ``--keep`` to leave
the temporary folder (databases, logs, schemathesis reports) for a look afterwards.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import quote, urlsplit, urlunsplit

REPOSITORY = Path(__file__).resolve().parents[2]
OPENAPI = REPOSITORY / "contracts" / "openapi"
BIN = Path(sys.executable).parent
SERVICES = ("identity", "filing", "payments", "search")
GATEWAY = "gateway"
#: The services that keep documents in S3 (search builds read models only); the gateway needs them all.
USES_S3 = ("identity", "filing", "payments")
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"

# Schemathesis's budget per operation: the coverage phase adds its own boundary cases on top.
DEFAULT_MAX_EXAMPLES = 25
DEFAULT_SEED = "20251123"
START_TIMEOUT = 60.0
MIGRATE_TIMEOUT = 180.0
SCHEMATHESIS_TIMEOUT = 240.0
STOP_TIMEOUT = 25.0
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class RunError(Exception):
    """A step failed before schemathesis could even run; the message says which and why."""


class Interrupted(Exception):
    """SIGTERM or SIGHUP: stop everything and leave, as for Ctrl-C."""


def _interrupted(signum: int, _frame: FrameType | None) -> None:
    raise Interrupted(signal.Signals(signum).name)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_until(probe: Callable[[], bool], timeout: float, what: str) -> None:
    """Poll ``probe`` (every 50 ms) until it is true; RunError after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RunError(f"{what} not reached within {timeout:.0f}s")
        time.sleep(0.05)


def tail(path: Path, lines: int = 30) -> str:
    """The last lines of a log file, for an error message."""
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_status(url: str) -> int | None:
    """The status of a GET of ``url``, or None when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=5) as response:  # noqa: S310 (our own local URL)
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code
    except (OSError, urllib.error.URLError):
        return None


class Processes:
    """Every process this run started, so that all are stopped however it ends."""

    def __init__(self) -> None:
        self._running: list[tuple[str, subprocess.Popen[bytes]]] = []

    def start(self, name: str, argv: list[str], env: Mapping[str, str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a session of its own, its output going to ``log``."""
        with log.open("ab") as out:
            process = subprocess.Popen(
                argv,
                env=dict(env),
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                cwd=REPOSITORY,
                start_new_session=True,
            )
        self._running.append((name, process))
        return process

    def stop_all(self) -> None:
        """SIGTERM each process group (newest first), then SIGKILL whatever outlives ``STOP_TIMEOUT``."""
        for _name, process in reversed(self._running):
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT
        for name, process in reversed(self._running):
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                print(f"  {name} (pid {process.pid}) did not stop within {STOP_TIMEOUT:.0f}s; killing it", flush=True)
            # The group may hold children that outlived their parent (gunicorn workers, weed's servers).
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(process.pid, signal.SIGKILL)
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=5)
        self._running.clear()


# --- infrastructure ----------------------------------------------------------------------------


@contextlib.contextmanager
def broker_vhost(base_url: str) -> Iterator[str]:
    """An AMQP URL on a vhost of this run's own, deleted afterwards (``base_url`` itself without rabbitmqctl)."""
    ctl = shutil.which("rabbitmqctl")
    parts = urlsplit(base_url)
    if ctl is None or parts.hostname not in {"127.0.0.1", "localhost", "::1"}:
        yield base_url
        return
    vhost = f"schemathesis_{secrets.token_hex(6)}"
    user = parts.username or "guest"
    try:
        try:
            for command in (["add_vhost", vhost], ["set_permissions", "-p", vhost, user, ".*", ".*", ".*"]):
                subprocess.run([ctl, *command], check=True, capture_output=True, timeout=60)
        except (subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
            output = getattr(exc, "stderr", b"") or b""
            raise RunError(f"rabbitmqctl {' '.join(exc.cmd[1:3])} failed: {output.decode(errors='replace')}") from None
        yield urlunsplit(parts._replace(path="/" + quote(vhost, safe="")))
    finally:
        subprocess.run([ctl, "delete_vhost", vhost], check=False, capture_output=True, timeout=60)


@contextlib.contextmanager
def s3_server(workdir: Path) -> Iterator[dict[str, str]]:
    """A SeaweedFS S3 server for this run, on free ports; yields the ``ICMS_S3_*`` variables that reach it."""
    from chassis.s3server import S3ServerError, SeaweedS3

    access_key, secret_key = "st" + secrets.token_hex(8), secrets.token_urlsafe(24)
    server = SeaweedS3(workdir / "s3", None, access_key, secret_key, workdir / "s3-logs")
    try:
        try:
            server.start()
            server.wait_ready(timeout=START_TIMEOUT)
        except S3ServerError as exc:
            raise RunError(f"the S3 server did not start: {exc}") from None
        yield {"ICMS_S3_ENDPOINT": server.endpoint, "ICMS_S3_ACCESS_KEY": access_key, "ICMS_S3_SECRET_KEY": secret_key}
    finally:
        server.stop()


# --- web processes -----------------------------------------------------------------------------


@dataclass
class Web:
    """A running web process under test."""

    name: str
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def start_web(processes: Processes, name: str, app: str, env: Mapping[str, str], workdir: Path) -> Web:
    """Start ``app`` under gunicorn with the chassis's settings; wait until ``/health/ready`` says 200."""
    port = free_port()
    metrics_dir = workdir / f"prometheus-{name}"
    metrics_dir.mkdir()
    web = Web(name, port, workdir / f"{name}.log")
    argv = [
        str(BIN / "gunicorn"), "-c", "python:chassis.gunicorn_conf", "-b", f"127.0.0.1:{port}", "--workers", "2",
        "--forwarded-allow-ips", "", app,
    ]  # fmt: skip
    process = processes.start(name, argv, {**env, "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir)}, web.log)

    def answering() -> bool:
        if process.poll() is not None:
            raise RunError(f"{name} exited with status {process.returncode} while starting:\n{tail(web.log)}")
        status = http_status(f"{web.url}/health/ready")
        if status is None:
            return False
        if status != 200:
            raise RunError(f"{name} answers /health/ready with {status}, not 200:\n{tail(web.log)}")
        return True

    wait_until(answering, START_TIMEOUT, f"{name}'s /health/ready on port {port}")
    return web


def migrate(name: str, env: Mapping[str, str], workdir: Path) -> None:
    """``icms-<service> migrate``: database schema, bucket, broker topology."""
    log = workdir / f"{name}-migrate.log"
    with log.open("wb") as out:
        result = subprocess.run(
            [str(BIN / f"icms-{name}"), "migrate"],
            env=dict(env),
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            cwd=REPOSITORY,
            timeout=MIGRATE_TIMEOUT,
            check=False,
        )
    if result.returncode != 0:
        raise RunError(f"icms-{name} migrate failed with status {result.returncode}:\n{tail(log)}")


def service_env(name: str, base: Mapping[str, str], workdir: Path) -> dict[str, str]:
    """The environment of one service's processes: its own SQLite file, the run's broker and S3."""
    return {**base, f"ICMS_{name.upper()}_DATABASE_URL": f"sqlite:///{workdir / name}.db"}


#: Per-operation exceptions to the checks, each with its reason.
CONFIG = Path(__file__).with_name("schemathesis.toml")


# --- schemathesis ------------------------------------------------------------------------------


@dataclass
class Outcome:
    """What schemathesis made of one web process."""

    name: str
    passed: bool
    summary: str
    output: str = ""


def run_schemathesis(web: Web, workdir: Path, options: Options) -> Outcome:
    """Schemathesis with every check against ``web``; its JUnit report gives the numbers."""
    report = workdir / f"{web.name}-junit.xml"
    argv = [
        str(BIN / "schemathesis"), "--config-file", str(CONFIG),
        "run", str(options.openapi / f"{web.name}.yaml"), "--url", web.url,
        "--checks", "all", "--max-examples", str(options.max_examples), "--seed", str(options.seed),
        "--request-timeout", "30", "--no-color", "--generation-database", "none",
        "--report", "junit", "--report-junit-path", str(report),
    ]  # fmt: skip
    started = time.monotonic()
    try:
        result = subprocess.run(
            argv, capture_output=True, text=True, cwd=REPOSITORY, timeout=SCHEMATHESIS_TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode(errors="replace") if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        return Outcome(web.name, False, f"schemathesis did not finish within {SCHEMATHESIS_TIMEOUT:.0f}s", output)
    elapsed = time.monotonic() - started
    (workdir / f"{web.name}-schemathesis.txt").write_text(result.stdout + result.stderr)
    operations, failures = junit_counts(report)
    generated = re.search(r"(\d+) generated", result.stdout)
    status = "passed" if result.returncode == 0 else f"FAILED (schemathesis exit {result.returncode})"
    summary = (
        f"{status}: {operations} operations, {generated[1] if generated else '?'} test cases, "
        f"{failures} operations failing, {elapsed:.1f}s"
    )
    return Outcome(web.name, result.returncode == 0, summary, result.stdout + result.stderr)


def junit_counts(report: Path) -> tuple[int, int]:
    """(operations tested, operations failed or errored) from schemathesis's JUnit report."""
    try:
        root = ET.parse(report).getroot()  # noqa: S314 (a report we just wrote ourselves)
    except (OSError, ET.ParseError):
        return 0, 0
    cases = root.findall(".//testcase")
    failed = [case for case in cases if case.find("failure") is not None or case.find("error") is not None]
    return len(cases), len(failed)


# --- the run -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Options:
    """How schemathesis is run."""

    openapi: Path
    max_examples: int
    seed: int


def run(names: list[str], options: Options, workdir: Path) -> list[Outcome]:
    """Start what ``names`` need, test each, stop everything; the outcome per name."""
    processes = Processes()
    outcomes: list[Outcome] = []
    amqp = os.environ.get("ICMS_AMQP_URL") or DEFAULT_AMQP_URL
    services = [n for n in SERVICES if n in names or GATEWAY in names]
    try:
        with contextlib.ExitStack() as stack:
            # Undone in reverse: signals ignored, web processes stopped, S3 stopped, vhost deleted, signals back.
            stack.callback(_restore_signals, {s: signal.getsignal(s) for s in STOP_SIGNALS})
            base = {
                **os.environ,
                "ICMS_AMQP_URL": stack.enter_context(broker_vhost(amqp)),
                "ICMS_GATEWAY_SECRET": secrets.token_urlsafe(32),  # the gateway's and every service's
                "ICMS_LOG_LEVEL": "WARNING",
            }
            if any(name in USES_S3 for name in services):
                base |= stack.enter_context(s3_server(workdir))
            stack.callback(processes.stop_all)
            stack.callback(_ignore_signals)

            webs: dict[str, Web] = {}
            for name in services:
                env = service_env(name, base, workdir)
                migrate(name, env, workdir)
                app = f"{name}.entrypoints.http:create_app()"
                webs[name] = start_web(processes, name, app, env, workdir)
            for name in services:
                if name in names:
                    outcomes.append(report(run_schemathesis(webs[name], workdir, options)))
            if GATEWAY in names:
                env = {**base, **{f"ICMS_{n.upper()}_URL": webs[n].url for n in SERVICES}}
                app = "gateway.entrypoints.http:create_app()"
                gateway = start_web(processes, GATEWAY, app, env, workdir)
                outcomes.append(report(run_schemathesis(gateway, workdir, options)))
    except RunError as exc:
        tested = {o.name for o in outcomes}
        for name in names:
            if name not in tested:
                outcomes.append(report(Outcome(name, False, f"not tested: {exc}")))
    return outcomes


def _ignore_signals() -> None:
    # Clean-up must run to its end: a second Ctrl-C would leave processes, a server or a vhost behind.
    for signum in STOP_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)


def _restore_signals(handlers: Mapping[int, Any]) -> None:
    for signum, handler in handlers.items():
        signal.signal(signum, handler)


def report(outcome: Outcome) -> Outcome:
    """Print one service's line (and, for a failure, schemathesis's own account of it)."""
    if not outcome.passed and outcome.output:
        print(outcome.output.rstrip(), flush=True)
    print(f"{outcome.name}: {outcome.summary}", flush=True)
    return outcome


def available() -> list[str]:
    """The services, and the gateway if it exists in this checkout."""
    has_gateway = (REPOSITORY / "services" / GATEWAY / "src" / GATEWAY).is_dir()
    return [*SERVICES, *([GATEWAY] if has_gateway else [])]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", help="comma-separated subset of: " + ", ".join(available()))
    parser.add_argument("--max-examples", type=int, default=DEFAULT_MAX_EXAMPLES)
    parser.add_argument(
        "--seed",
        type=int,
        default=int(os.environ.get("ICMS_SCHEMATHESIS_SEED", DEFAULT_SEED)),
        help="schemathesis's random seed (default ICMS_SCHEMATHESIS_SEED, else a fixed one, so CI is repeatable)",
    )
    parser.add_argument(
        "--openapi-dir", type=Path, default=OPENAPI, help="where the documents are (default contracts/openapi)"
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder and print where it is")
    args = parser.parse_args(argv)
    names = available() if not args.services else [n.strip() for n in args.services.split(",") if n.strip()]
    unknown = sorted(set(names) - set(available()))
    if unknown:
        parser.error(f"unknown services: {', '.join(unknown)}")
    options = Options(args.openapi_dir.resolve(), args.max_examples, args.seed)
    print(f"schemathesis against {', '.join(names)} (max {args.max_examples} examples, seed {args.seed})", flush=True)

    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="icms-schemathesis-"))
    started = time.monotonic()
    try:
        outcomes = run(names, options, workdir)
    except (KeyboardInterrupt, Interrupted) as exc:
        print(f"interrupted ({exc or 'Ctrl-C'}); every process started has been stopped", flush=True)
        outcomes = [Outcome(n, False, "interrupted") for n in names]
    except Exception:  # a crash of this script is still a failed run, reported on the last line as always
        traceback.print_exc()
        outcomes = [Outcome(n, False, "not tested: the run crashed") for n in names]
    finally:
        if args.keep:
            print(f"kept {workdir}", flush=True)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    passed = sum(o.passed for o in outcomes)
    print(f"took {time.monotonic() - started:.0f}s", flush=True)
    print(f"{passed} passed, {len(outcomes) - passed} failed", flush=True)
    return 0 if passed == len(outcomes) == len(names) else 1


if __name__ == "__main__":
    sys.exit(main())
