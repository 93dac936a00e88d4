"""Run the whole system on this machine, without Docker: ``make run`` (and ``make stop``).

What it does, in order:

1. makes sure RabbitMQ answers on ``ICMS_AMQP_URL`` (starting a local ``rabbitmq-server`` if one is
   installed but not running);
2. starts a local S3 server (SeaweedFS, through ``python -m chassis.s3server``) unless
   ``ICMS_S3_ENDPOINT`` names one, with random keys kept in ``<data>/s3-credentials.json``; the
   secret the gateway signs principals with is made up the same way (``<data>/gateway-secret``);
3. migrates every service (database and bucket), all at once;
4. writes ``<data>/Procfile`` (web and worker of every service, and the gateway) and runs it under
   honcho;
5. waits until the gateway's ``/health/ready`` says every service is ready, then prints where to go.

It runs in the foreground. Ctrl-C (or ``run.py --stop`` from another terminal, which is what
``make stop`` calls) stops everything it started: honcho and every process in the Procfile, the S3
server, and RabbitMQ if this script was the one that started it. Process output is written to
``<data>/logs/`` and echoed here unless ``--quiet``.

Only the standard library and honcho are used, so this runs straight after ``make install``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import secrets
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

SERVICES = ("identity", "filing", "payments", "search")
#: Offsets from ICMS_SERVICE_PORT_BASE: identity 8101, filing 8102, payments 8103, search 8104.
PORT_OFFSETS = {service: index for index, service in enumerate(SERVICES, start=1)}
DEFAULT_AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"
#: Every process this script starts carries this variable (value: the data dir), so that `--stop` can
#: find survivors even if this script was killed before it could stop them itself.
MARKER = "ICMS_LOCAL_RUN"
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1"}

# How long each step may take before it is reported as stuck.
RABBITMQ_START_TIMEOUT = 90.0
S3_START_TIMEOUT = 60.0
MIGRATE_TIMEOUT = 180.0
HONCHO_STOP_TIMEOUT = 20.0  # honcho itself escalates to SIGKILL after 5 s; this bounds honcho
S3_STOP_TIMEOUT = 15.0
RUN_STOP_TIMEOUT = 60.0  # what `--stop` grants a running instance before killing it


class RunError(Exception):
    """A step failed in a way the user can act on; the message says how."""


class Interrupted(Exception):
    """SIGINT, SIGTERM or SIGHUP arrived: stop everything and leave."""


# --- settings ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Settings:
    """Everything this script reads from the environment."""

    data_dir: Path
    host: str
    gateway_port: int
    service_port_base: int
    s3_port: int
    s3_endpoint: str  # empty: start the local SeaweedFS
    amqp_url: str
    ready_timeout: float

    @property
    def pid_file(self) -> Path:
        return self.data_dir / "run.pid"

    @property
    def log_dir(self) -> Path:
        return self.data_dir / "logs"

    @property
    def gateway_url(self) -> str:
        # A gateway bound to every interface is still reached through loopback from here.
        host = "127.0.0.1" if self.host in {"0.0.0.0", "", "::"} else self.host  # noqa: S104
        return f"http://{_url_host(host)}:{self.gateway_port}"

    def service_port(self, service: str) -> int:
        return self.service_port_base + PORT_OFFSETS[service]

    def service_url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.service_port(service)}"


def load_settings(environ: dict[str, str]) -> Settings:
    """Read the settings, failing with a message that names a malformed variable."""
    return Settings(
        data_dir=Path(environ.get("ICMS_DATA_DIR") or "var").resolve(),
        host=environ.get("ICMS_HOST") or "127.0.0.1",
        gateway_port=_env_int(environ, "ICMS_PORT", 8080),
        service_port_base=_env_int(environ, "ICMS_SERVICE_PORT_BASE", 8100),
        s3_port=_env_int(environ, "ICMS_S3_PORT", 8333),
        s3_endpoint=environ.get("ICMS_S3_ENDPOINT", ""),
        amqp_url=environ.get("ICMS_AMQP_URL") or DEFAULT_AMQP_URL,
        ready_timeout=float(_env_int(environ, "ICMS_RUN_READY_TIMEOUT", 120)),
    )


def _env_int(environ: dict[str, str], name: str, default: int) -> int:
    raw = environ.get(name) or str(default)
    try:
        return int(raw)
    except ValueError:
        raise RunError(f"{name} must be a whole number, got {raw!r}") from None


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def _redacted(url: str) -> str:
    """``url`` without its password, for printing."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = f"{parts.username}:***@{parts.hostname}" + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc))


def bin_path(name: str) -> str:
    """A console script of the venv this script runs in (``make run`` uses ``.venv/bin/python``)."""
    # Not resolved: the venv's python is a symlink to the system one, whose bin/ lacks our scripts.
    path = Path(sys.executable).parent / name
    if not path.exists():
        raise RunError(f"{path} not found: run `make install` first (or run this script with the venv's python)")
    return str(path)


# --- output -----------------------------------------------------------------------------------------


def say(message: str) -> None:
    print(message, flush=True)


def tail(path: Path, lines: int = 25) -> str:
    """The last ``lines`` lines of a log, indented, for an error message."""
    try:
        text = path.read_text(errors="replace").splitlines()[-lines:]
    except OSError:
        return f"    (no log at {path})"
    return "\n".join("    " + line for line in text) or "    (empty)"


class LogEcho:
    """Copies what honcho writes to its log file onto this terminal, line by line, as it arrives.

    honcho writes to the file rather than to a pipe of ours, so that if this script dies honcho
    does not die of a broken pipe halfway through stopping its processes.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="log-echo", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=2)

    def _run(self) -> None:
        with self._path.open(errors="replace") as log:
            while True:
                line = log.readline()
                if line:
                    with contextlib.suppress(OSError):
                        sys.stdout.write(line)
                        sys.stdout.flush()
                elif self._stop.wait(0.2):  # nothing new: look again shortly, or leave when told
                    return


# --- processes --------------------------------------------------------------------------------------


class Processes:
    """The processes this script started itself, so that one place can stop them all."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.honcho: subprocess.Popen[bytes] | None = None
        self.s3: subprocess.Popen[bytes] | None = None
        self.started_rabbitmq = False
        self.stopping = False  # set by the first signal, or when the clean-up begins
        self.hurry = threading.Event()  # set by a signal during the clean-up: skip the grace periods

    def spawn(self, argv: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        """Start ``argv`` in a session of its own, output appended to ``log``.

        Its own session keeps the terminal's Ctrl-C away from it: this script decides the order in
        which things stop (services before the S3 server they write to).
        """
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            return subprocess.Popen(
                argv,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def stop_all(self) -> bool:
        """Stop every process started here, newest first, and make sure none survived.

        Returns whether there was anything to stop.
        """
        self.stopping = True
        if self.honcho is not None:
            # honcho passes SIGTERM to every Procfile process group and SIGKILLs them after 5 s.
            stop_process(self.honcho, "honcho", HONCHO_STOP_TIMEOUT, self.hurry)
        if self.s3 is not None:
            stop_process(self.s3, "S3 server", S3_STOP_TIMEOUT, self.hurry)
        leftovers = sweep(self.settings.data_dir, grace=0.0 if self.hurry.is_set() else 5.0)
        if leftovers:
            say(f"  stopped {leftovers} leftover process(es)")
        if self.started_rabbitmq:
            stop_rabbitmq()
        return bool(self.honcho or self.s3 or leftovers or self.started_rabbitmq)


def stop_process(process: subprocess.Popen[bytes], name: str, timeout: float, hurry: threading.Event) -> None:
    """SIGTERM ``process`` and wait (cut short by ``hurry``); then SIGKILL its whole process group."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + timeout
        while process.poll() is None and not hurry.is_set() and time.monotonic() < deadline:
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(timeout=0.2)
        if process.poll() is None:
            say(f"  {name} did not stop {'yet' if hurry.is_set() else f'within {timeout:.0f} s'}; killing it")
    # The process led its own session, so its group id is its pid; whatever is left in it goes too.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def marked_processes(data_dir: Path) -> list[int]:
    """Processes carrying this data dir's marker: everything a run for ``data_dir`` started.

    Read from ``/proc``; where there is none (macOS) the process groups above must suffice.
    """
    proc = Path("/proc")
    if not proc.is_dir():
        return []
    wanted = f"{MARKER}={data_dir}".encode()
    found = []
    for entry in proc.iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:  # gone meanwhile, or not ours to read
            continue
        if wanted in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


def sweep(data_dir: Path, grace: float = 5.0) -> int:
    """Stop any marked process still alive (SIGTERM, then SIGKILL after ``grace``); return how many."""
    pids = marked_processes(data_dir)
    for pid in pids:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(alive(pid) for pid in pids):
        time.sleep(0.1)
    for pid in pids:
        if alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    return len(pids)


def alive(pid: int) -> bool:
    """Whether ``pid`` is a running process (a zombie waiting for its parent counts as gone)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc: trust kill()
    return stat.rsplit(")", 1)[-1].split()[0] not in {"Z", "X"}


# --- RabbitMQ ---------------------------------------------------------------------------------------


def amqp_answers(host: str, port: int, timeout: float = 2.0) -> bool:
    """Whether an AMQP 0-9-1 broker answers at host:port (it replies to the protocol header)."""
    try:
        with socket.create_connection((host, port), timeout=timeout) as conn:
            conn.settimeout(timeout)
            conn.sendall(b"AMQP\x00\x00\x09\x01")
            return conn.recv(1) == b"\x01"  # a method frame: Connection.Start
    except OSError:
        return False


def ensure_rabbitmq(settings: Settings, processes: Processes) -> None:
    """Make sure the broker answers; start the local one if it is installed and merely not running."""
    parts = urlsplit(settings.amqp_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (5671 if parts.scheme == "amqps" else 5672)
    where = f"{host}:{port} (ICMS_AMQP_URL={_redacted(settings.amqp_url)})"
    if amqp_answers(host, port):
        say(f"  RabbitMQ answers at {host}:{port}")
        return
    server = shutil.which("rabbitmq-server")
    # Starting the local server only helps if that is where the URL points, on the port it listens on.
    local_default = host in LOCAL_HOSTS and port == int(os.environ.get("RABBITMQ_NODE_PORT") or 5672)
    if server is None or not local_default:
        hint = (
            "Install RabbitMQ (Debian/Ubuntu: `sudo apt-get install rabbitmq-server`; macOS: "
            "`brew install rabbitmq`) and run it, or set ICMS_AMQP_URL to a broker that is running."
        )
        reason = "rabbitmq-server is not installed (not on PATH)" if server is None else "nothing answers there"
        raise RunError(f"RabbitMQ does not answer at {where}: {reason}.\n{hint}")
    say(f"  RabbitMQ is not running; starting it ({server} -detached)")
    # Started without our marker: it daemonises into its own session and is stopped by rabbitmqctl.
    result = subprocess.run([server, "-detached"], capture_output=True, text=True, timeout=60, check=False)
    if result.returncode != 0:
        raise RunError(f"`rabbitmq-server -detached` failed ({result.returncode}): {result.stderr.strip()}")
    processes.started_rabbitmq = True
    wait_for(lambda: amqp_answers(host, port), RABBITMQ_START_TIMEOUT, f"RabbitMQ to answer at {where}")
    say(f"  RabbitMQ started and answers at {host}:{port}")


def stop_rabbitmq() -> None:
    """Stop the broker this script started (and only that one)."""
    ctl = shutil.which("rabbitmqctl")
    if ctl is None:
        say("  RabbitMQ was started here but rabbitmqctl is missing; stop it yourself")
        return
    result = subprocess.run([ctl, "shutdown"], capture_output=True, text=True, timeout=120, check=False)
    say("  RabbitMQ stopped" if result.returncode == 0 else f"  rabbitmqctl shutdown failed: {result.stderr.strip()}")


# --- S3 ---------------------------------------------------------------------------------------------


def s3_credentials(data_dir: Path) -> dict[str, str]:
    """This data dir's S3 keys, made up on first use and kept (readable by the owner only)."""
    path = data_dir / "s3-credentials.json"
    if path.exists():
        return json.loads(path.read_text())
    credentials = {"access_key": "icms" + secrets.token_hex(8), "secret_key": secrets.token_urlsafe(30)}
    write_private(path, json.dumps(credentials, indent=2))
    return credentials


def gateway_secret(data_dir: Path) -> str:
    """This data dir's ``ICMS_GATEWAY_SECRET``, made up on first use and kept (readable by the owner only).

    The gateway signs the principal headers with it; every service checks them with it.
    """
    path = data_dir / "gateway-secret"
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(32)
    write_private(path, secret + "\n")
    return secret


def write_private(path: Path, text: str) -> None:
    """Create ``path`` readable by its owner only, holding ``text``."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(text)


def start_s3(settings: Settings, env: dict[str, str], processes: Processes) -> None:
    """Start SeaweedFS's S3 server and wait until it says it serves authenticated requests.

    The keys reach it through ICMS_S3_ACCESS_KEY/ICMS_S3_SECRET_KEY in ``env``, not as arguments, so
    they do not show in the process list. It picks free ports for weed's other listeners itself.
    """
    argv = [sys.executable, "-m", "chassis.s3server", "--dir", str(settings.data_dir / "s3")]
    argv += ["--port", str(settings.s3_port), "--ready-timeout", str(S3_START_TIMEOUT)]
    log = settings.log_dir / "s3.log"
    log.unlink(missing_ok=True)  # the ready line looked for below must be this run's
    say(f"  starting S3 (SeaweedFS) on 127.0.0.1:{settings.s3_port}; log: {log}")
    processes.s3 = process = processes.spawn(argv, env, log)

    def ready() -> bool:
        if process.poll() is not None:
            raise RunError(f"the S3 server exited with status {process.returncode} while starting:\n{tail(log)}")
        # chassis.s3server prints this once an authenticated S3 request has succeeded.
        return "S3 ready at" in log.read_text(errors="replace")

    wait_for(ready, S3_START_TIMEOUT + 5, f"the S3 server on 127.0.0.1:{settings.s3_port}", log=log)


def s3_env(settings: Settings) -> dict[str, str]:
    """The S3 variables the services get: the local server's, or none (the user's own are inherited)."""
    if settings.s3_endpoint:
        return {}
    credentials = s3_credentials(settings.data_dir)
    return {
        "ICMS_S3_ENDPOINT": f"http://127.0.0.1:{settings.s3_port}",
        "ICMS_S3_ACCESS_KEY": credentials["access_key"],
        "ICMS_S3_SECRET_KEY": credentials["secret_key"],
    }


# --- migrations -------------------------------------------------------------------------------------


def migrate(settings: Settings, env: dict[str, str], processes: Processes) -> None:
    """Create or upgrade every service's database and bucket, the services in parallel."""
    say(f"  migrating {', '.join(SERVICES)}")
    running = {}
    for service in SERVICES:
        log = settings.log_dir / f"migrate-{service}.log"
        log.unlink(missing_ok=True)
        running[service] = (processes.spawn([bin_path(f"icms-{service}"), "migrate"], env, log), log)
    try:
        failures = []
        deadline = time.monotonic() + MIGRATE_TIMEOUT
        for service, (process, log) in running.items():
            try:
                code = process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                failures.append(f"  {service}: still running after {MIGRATE_TIMEOUT:.0f} s; log {log}:\n{tail(log)}")
                continue
            if code != 0:
                failures.append(f"  {service}: exited with status {code}; log {log}:\n{tail(log)}")
        if failures:
            raise RunError("migration failed:\n" + "\n".join(failures))
    finally:
        for process, _log in running.values():
            if process.poll() is None:
                stop_process(process, "migration", 5.0, processes.hurry)


def demo_logins_path(settings: Settings) -> Path:
    """Where the demo court's logins are written (readable by the data dir's owner only)."""
    return settings.data_dir / "demo-logins.json"


def seed_demo(settings: Settings, env: dict[str, str], processes: Processes) -> None:
    """Seed the demo court the first time this data dir is used: identity's accounts, then filing's
    cases (each service does it once and skips it afterwards)."""
    logins = str(demo_logins_path(settings))
    for service, command in (
        ("identity", [bin_path("icms-identity"), "seed-demo", "--out", logins]),
        ("filing", [bin_path("icms-filing"), "seed-demo", "--logins", logins]),
    ):
        log = settings.log_dir / f"seed-demo-{service}.log"
        process = processes.spawn(command, env, log)
        try:
            code = process.wait(timeout=MIGRATE_TIMEOUT)
        except subprocess.TimeoutExpired:
            stop_process(process, "demo seed", 5.0, processes.hurry)
            raise RunError(
                f"the {service} demo seed is still running after {MIGRATE_TIMEOUT:.0f} s; log {log}:\n{tail(log)}"
            ) from None
        if code != 0:
            raise RunError(f"the {service} demo seed failed with status {code}; log {log}:\n{tail(log)}")


# --- the Procfile -----------------------------------------------------------------------------------


def procfile_entries(settings: Settings) -> dict[str, list[str]]:
    """Process name -> command: every service's web and worker, then the gateway."""
    gunicorn = [bin_path("gunicorn"), "-c", "python:chassis.gunicorn_conf"]
    entries: dict[str, list[str]] = {}
    for service in SERVICES:
        bind = f"127.0.0.1:{settings.service_port(service)}"
        entries[f"{service}-web"] = [*gunicorn, "-b", bind, f"{service}.entrypoints.http:create_app()"]
        # Workers serve their relay and consumer metrics on the web port + 10 (8111-8114 by default).
        metrics_port = f"ICMS_WORKER_METRICS_PORT={settings.service_port(service) + 10}"
        entries[f"{service}-worker"] = ["env", metrics_port, bin_path(f"icms-{service}"), "worker"]
    bind = f"{_url_host(settings.host)}:{settings.gateway_port}"
    entries["gateway"] = [*gunicorn, "-b", bind, "gateway.entrypoints.http:create_app()"]
    return entries


def write_procfile(settings: Settings) -> Path:
    """Write ``<data>/Procfile``; every process gets an empty metrics dir of its own.

    prometheus-client's multiprocess mode keeps one file per pid in that dir; files of a previous
    run would be counted as live, hence the fresh dir at every start.
    """
    lines = ["# Written by deploy/local/run.py at every start; edits are overwritten."]
    for name, argv in procfile_entries(settings).items():
        metrics_dir = settings.data_dir / "metrics" / name
        shutil.rmtree(metrics_dir, ignore_errors=True)
        metrics_dir.mkdir(parents=True)
        # `exec` so the process replaces honcho's shell and gets its signals directly.
        command = ["exec", "env", f"PROMETHEUS_MULTIPROC_DIR={metrics_dir}", *argv]
        lines.append(f"{name}: {shlex.join(command)}")
    path = settings.data_dir / "Procfile"
    path.write_text("\n".join(lines) + "\n")
    return path


def start_honcho(settings: Settings, procfile: Path, env: dict[str, str], processes: Processes) -> Path:
    """Run the Procfile under honcho; its combined output goes to ``<data>/logs/processes.log``."""
    log = settings.log_dir / "processes.log"
    log.unlink(missing_ok=True)
    argv = [sys.executable, "-m", "honcho", "start", "-f", str(procfile), "-d", str(settings.data_dir)]
    say(f"  starting {len(procfile_entries(settings))} processes under honcho; log: {log}")
    processes.honcho = processes.spawn(argv, env, log)
    return log


# --- readiness --------------------------------------------------------------------------------------


def get_json(url: str, timeout: float = 3.0) -> tuple[int, Any]:
    """``(status, parsed body or None)``; status 0 when nothing answered."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 - our own http URL
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as error:
        status, raw = error.code, error.read()
    except (OSError, ValueError):
        return 0, None
    try:
        return status, json.loads(raw)
    except ValueError:
        return status, None


def wait_ready(settings: Settings, processes: Processes, log: Path) -> None:
    """Poll the gateway's readiness until it is 200; fail early if honcho stopped, clearly on timeout."""
    url = f"{settings.gateway_url}/health/ready"
    say(f"  waiting for {url} (up to {settings.ready_timeout:.0f} s)")
    deadline = time.monotonic() + settings.ready_timeout
    while True:
        honcho = processes.honcho
        if honcho is not None and honcho.poll() is not None:
            raise RunError(f"{first_to_stop(log)}\nso honcho stopped everything during start-up (full log: {log})")
        status, _body = get_json(url)
        if status == 200:
            return
        if time.monotonic() > deadline:
            raise RunError(f"not ready after {settings.ready_timeout:.0f} s:\n{unready_report(settings)}\n{tail(log)}")
        time.sleep(0.25)


def first_to_stop(log: Path, lines: int = 20) -> str:
    """Which Procfile process exited first (the one that made honcho stop the rest), with its last lines."""
    try:
        text = log.read_text(errors="replace").splitlines()
    except OSError:
        return f"a process stopped (no log at {log})"
    stops = (re.search(r"\| (\S+) stopped \(rc=(-?\d+)\)", line) for line in text)
    first = next((match for match in stops if match), None)
    if first is None:
        return f"honcho stopped:\n{tail(log, lines)}"
    name, code = first.groups()
    own = [f"    {line}" for line in text if re.match(rf"\S+ {re.escape(name)}\s+\|", line)][-lines:]
    return f"{name} exited with status {code}; its last lines:\n" + ("\n".join(own) or "    (no output)")


def unready_report(settings: Settings) -> str:
    """One line per service that is not ready, with what it says is wrong."""
    lines = []
    status, body = get_json(f"{settings.gateway_url}/health/ready")
    if status == 0:
        lines.append(f"  gateway: no answer at {settings.gateway_url} (see gateway lines in the log)")
    for service in SERVICES:
        code, answer = get_json(f"{settings.service_url(service)}/health/ready")
        if code == 200:
            continue
        if code == 0:
            lines.append(f"  {service}: no answer at {settings.service_url(service)}")
            continue
        down = {
            name: check.get("error", "down")
            for name, check in (answer or {}).get("checks", {}).items()
            if isinstance(check, dict) and check.get("status") != "up"
        }
        lines.append(f"  {service}: unready ({code}) {down or answer}")
    if not lines and isinstance(body, dict):
        lines.append(f"  gateway answered {status}: {body}")
    return "\n".join(lines) or "  (every service answers ready now; the gateway did not in time)"


# --- start and stop ---------------------------------------------------------------------------------


def wait_for(probe: Any, timeout: float, what: str, *, log: Path | None = None) -> None:
    """Poll ``probe`` until true; raise a RunError naming ``what`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not probe():
        if time.monotonic() > deadline:
            raise RunError(f"timed out after {timeout:.0f} s waiting for {what}" + (f":\n{tail(log)}" if log else ""))
        time.sleep(0.1)


def port_free(host: str, port: int) -> bool:
    """Whether a server could bind host:port now (tried the way gunicorn binds, so TIME_WAIT is no obstacle)."""
    with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def check_ports_free(settings: Settings) -> None:
    """Refuse to start if a port we need is taken, naming the variable that moves it."""
    wanted = {f"ICMS_PORT ({settings.gateway_port})": (settings.host, settings.gateway_port)}
    for service in SERVICES:
        port = settings.service_port(service)
        wanted[f"ICMS_SERVICE_PORT_BASE ({service}: {port})"] = ("127.0.0.1", port)
    if not settings.s3_endpoint:
        wanted[f"ICMS_S3_PORT ({settings.s3_port})"] = ("127.0.0.1", settings.s3_port)
    taken = [name for name, (host, port) in wanted.items() if not port_free(host, port)]
    if taken:
        raise RunError(
            "ports already in use: " + ", ".join(taken) + ". Stop whatever holds them (`make stop` if it is an "
            "earlier run) or choose other ports with those variables."
        )


def running_pid(settings: Settings) -> int | None:
    """The pid of a live run for this data dir, from its pid file; None if there is none."""
    try:
        pid = int(settings.pid_file.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    if not alive(pid):
        return None
    with contextlib.suppress(OSError):  # a recycled pid belonging to something else is not ours
        if b"run.py" not in Path(f"/proc/{pid}/cmdline").read_bytes():
            return None
    return pid


def service_env(settings: Settings) -> dict[str, str]:
    """The environment of every process started here: the user's, plus what the services need."""
    env = dict(os.environ)
    env.update(s3_env(settings))
    env.update(
        {
            "ICMS_DATA_DIR": str(settings.data_dir),
            "ICMS_AMQP_URL": settings.amqp_url,
            "ICMS_GATEWAY_SECRET": gateway_secret(settings.data_dir),
            # Where a browser reaches the system: payments sends payers to its hosted page there.
            "ICMS_PUBLIC_URL": os.environ.get("ICMS_PUBLIC_URL", settings.gateway_url),
            "PYTHONUNBUFFERED": "1",  # log lines reach the log as they happen
            MARKER: str(settings.data_dir),
        }
    )
    env.update({f"ICMS_{service.upper()}_URL": settings.service_url(service) for service in SERVICES})
    return env


def install_signal_handlers(processes: Processes) -> None:
    """The first Ctrl-C/SIGTERM/SIGHUP starts an orderly stop; another one makes it hurry."""

    def handler(signum: int, _frame: FrameType | None) -> None:
        # Once stopping has begun, an exception would cut the clean-up short: hurry it instead.
        if processes.stopping:
            processes.hurry.set()
            return
        processes.stopping = True
        raise Interrupted(signal.Signals(signum).name)

    for signum in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, handler)


@contextlib.contextmanager
def pid_file(settings: Settings) -> Iterator[None]:
    settings.pid_file.write_text(f"{os.getpid()}\n")
    try:
        yield
    finally:
        settings.pid_file.unlink(missing_ok=True)


def start_everything(settings: Settings, processes: Processes) -> Path:
    """Broker, S3, migrations, then the Procfile under honcho; returns honcho's log."""
    ensure_rabbitmq(settings, processes)
    env = service_env(settings)
    if settings.s3_endpoint:
        say(f"  using S3 at {settings.s3_endpoint} (ICMS_S3_ENDPOINT)")
    else:
        # Before the migrations, which create the buckets.
        start_s3(settings, env, processes)
    migrate(settings, env, processes)
    seed_demo(settings, env, processes)
    return start_honcho(settings, write_procfile(settings), env, processes)


def run(settings: Settings, *, quiet: bool) -> int:
    """Start everything, report where it is, and keep it running until told to stop."""
    started = time.monotonic()
    pid = running_pid(settings)
    if pid is not None:
        raise RunError(f"already running (pid {pid}) for {settings.data_dir}; stop it with `make stop`")
    settings.log_dir.mkdir(parents=True, exist_ok=True)
    # Survivors of a run that was killed outright would hold the ports; they are ours to stop.
    leftovers = sweep(settings.data_dir)
    if leftovers:
        say(f"stopped {leftovers} process(es) left over from an earlier run")
    check_ports_free(settings)
    processes = Processes(settings)
    echo: LogEcho | None = None
    say(f"Starting iCMS; data in {settings.data_dir}")
    with pid_file(settings):
        try:
            install_signal_handlers(processes)
            log = start_everything(settings, processes)
            if not quiet:
                echo = LogEcho(log)
                echo.start()
            wait_ready(settings, processes, log)
            print_ready(settings, time.monotonic() - started)
            if processes.honcho is not None:
                processes.honcho.wait()
            raise RunError(f"{first_to_stop(log)}\nso honcho stopped everything (full log: {log})")
        except Interrupted as signal_name:
            say(f"\n{signal_name} received: stopping everything")
            return 0
        finally:
            stopped_something = processes.stop_all()
            if echo is not None:
                echo.stop()
            if stopped_something:
                say("Everything this run started has stopped.")


def print_ready(settings: Settings, seconds: float) -> None:
    s3 = (
        settings.s3_endpoint or f"http://127.0.0.1:{settings.s3_port} (keys in {settings.data_dir}/s3-credentials.json)"
    )
    say("")
    say(f"iCMS is ready ({seconds:.1f} s):")
    say(f"  Portal:   {settings.gateway_url}/")
    say(f"  API:      {settings.gateway_url}/api/<service>/v1/...")
    say(f"  S3:       {s3}")
    say(f"  Data:     {settings.data_dir}")
    say(f"  Logs:     {settings.log_dir}/")
    say(f"  Demo:     logins (passwords, TOTP secrets) in {demo_logins_path(settings)}")
    say("Stop with Ctrl-C here, or `make stop` from another terminal.")
    say("")


def stop(settings: Settings) -> int:
    """``--stop``: ask a running instance to stop, wait, escalate, and sweep up anything left."""
    pid = running_pid(settings)
    if pid is None:
        settings.pid_file.unlink(missing_ok=True)
        leftovers = sweep(settings.data_dir)
        if leftovers:
            say(f"No run in progress for {settings.data_dir}, but stopped {leftovers} leftover process(es).")
        else:
            say(f"Nothing to stop: no run in progress for {settings.data_dir}.")
        return 0
    say(f"Stopping iCMS (pid {pid}, data {settings.data_dir}) ...")
    started = time.monotonic()
    os.kill(pid, signal.SIGTERM)  # run.py then stops honcho, S3 and the rest in order
    deadline = started + RUN_STOP_TIMEOUT
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    if alive(pid):
        say(f"  still running after {RUN_STOP_TIMEOUT:.0f} s; killing it")
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
    leftovers = sweep(settings.data_dir)
    settings.pid_file.unlink(missing_ok=True)
    extra = f"; stopped {leftovers} leftover process(es)" if leftovers else ""
    say(f"Stopped in {time.monotonic() - started:.1f} s{extra}.")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--stop", action="store_true", help="stop the instance running for ICMS_DATA_DIR")
    parser.add_argument("--quiet", action="store_true", help="do not echo process output (it still goes to logs/)")
    args = parser.parse_args(argv)
    try:
        settings = load_settings(dict(os.environ))
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        return stop(settings) if args.stop else run(settings, quiet=args.quiet)
    except RunError as error:
        print(f"error: {error}", file=sys.stderr, flush=True)
        return 2


if __name__ == "__main__":
    sys.exit(main())
